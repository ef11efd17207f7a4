"""GitLab: what a personal/project/group access token can reach, read-only.

Calls (all GET, base ``https://gitlab.com/api/v4`` or the user's ``--endpoint gitlab=...``):
``/personal_access_tokens/self`` (scopes, active, expiry), ``/user`` (identity, admin flag),
``/projects?membership=true&min_access_level=10`` (projects and access level, paginated with
``X-Next-Page``). Destructive capability is derived from scopes x access level, because GitLab
has no read endpoint that says "you may delete this": ``api`` + Owner => delete the project.
Deploy and runner tokens have no read-only introspection call (runner verification is a POST),
so they are reported unverifiable with what they could do. A self-managed host found next to a
token is never contacted unless the user names it with ``--endpoint``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from providers.base import (
    Introspection,
    Provider,
    ProviderContext,
    ProviderError,
    Response,
    classify_environment,
    invalid,
    live,
    status_problem,
    unverifiable,
)
from providers.guard import MutationRefused
from scanner.model import Action, BlastRadius, Capability, Credential, Resource
from scanner.redact import safe_error

GUEST, DEVELOPER, MAINTAINER, OWNER = 10, 30, 40, 50
_LEVEL_NAMES = {5: "minimal", 10: "guest", 20: "reporter", 30: "developer", 40: "maintainer", 50: "owner"}
MAX_PAGES = 5
_USER_SCOPES = {"api", "read_api", "read_user"}
_LIST_SCOPES = {"api", "read_api"}


class GitLabProvider(Provider):
    name = "gitlab"
    display_name = "GitLab"
    kinds = frozenset({"gitlab_pat", "gitlab_deploy_token", "gitlab_runner_token"})
    default_base_url = "https://gitlab.com/api/v4"
    reveals = "token scopes and expiry, user (admin?), projects with access level; delete from api+owner"
    docs = ("https://docs.gitlab.com/api/personal_access_tokens/",
            "https://docs.gitlab.com/api/projects/", "https://docs.gitlab.com/api/users/")

    def introspect(self, credential: Credential, ctx: ProviderContext) -> Introspection:
        endpoint = ctx.http.base_url
        host = credential.companions.get("host") or credential.companions.get("api_host")
        if host and not ctx.endpoint_overridden and _hostname(host) != "gitlab.com":
            return unverifiable(
                f"token belongs to self-managed GitLab at {_hostname(host)}; it is only sent there when you "
                f"pass --endpoint gitlab=https://{_hostname(host)}/api/v4")
        if credential.kind == "gitlab_deploy_token":
            return unverifiable("deploy tokens authenticate only Git/registry operations, not the REST API; "
                                "no read-only check exists", endpoint, _deploy_blast())
        if credential.kind == "gitlab_runner_token":
            return unverifiable("runner tokens can only be checked with POST /runners/verify (not sent: "
                                "credreach only reads)", endpoint, _runner_blast())
        try:
            return self._pat(credential, ctx)
        except (ProviderError, MutationRefused) as exc:
            return unverifiable(f"GitLab check failed: {safe_error(exc)}", endpoint)

    def _pat(self, credential: Credential, ctx: ProviderContext) -> Introspection:
        endpoint = ctx.http.base_url
        headers = {"PRIVATE-TOKEN": credential.secret}
        resp = ctx.http.get("/personal_access_tokens/self", headers=headers)
        if resp.status == 401:
            return invalid(f"GitLab rejected the token (HTTP 401{_error_text(resp)})", endpoint)
        problem = status_problem(resp)
        if problem:
            return unverifiable(f"GitLab token lookup: {problem}", endpoint)
        info = _obj(resp.json())
        if info.get("revoked") or info.get("active") is False:
            return invalid("GitLab reports the token revoked or expired (active=false)", endpoint)
        scopes = tuple(str(s) for s in _list(info.get("scopes")))
        notes = [f"token `{info.get('name', '?')}` has scopes {', '.join(scopes) or 'none'}"]
        if info.get("expires_at"):
            notes.append(f"expires {info['expires_at']}")
        else:
            notes.append("token never expires")
        user: dict[str, Any] = {}
        if _USER_SCOPES & set(scopes):
            user_resp = ctx.http.get("/user", headers=headers)
            if user_resp.status == 200:
                user = _obj(user_resp.json())
        username = str(user.get("username") or f"user id {info.get('user_id', '?')}")
        token_type = "personal access token"
        if username.startswith(("project_", "group_")) and "_bot" in username:
            token_type = f"{username.split('_')[0]} access token"
            notes.append(f"bot user `{username}`: the token is bound to {username.split('_bot')[0]}")
        if user.get("is_admin"):
            notes.append("the token's user is a GitLab instance ADMINISTRATOR")
        unknowns = ["whether protected branches/tags block this token's pushes (not readable per token)"]
        projects: list[tuple[Resource, int]] = []
        if _LIST_SCOPES & set(scopes):
            projects, truncated = _projects(ctx, headers)
            if truncated:
                unknowns.append(f"projects beyond the first {MAX_PAGES} pages were not listed")
        else:
            unknowns.append("which projects the token reaches (listing needs the api or read_api scope)")
        if projects:
            counts: dict[str, int] = {}
            for _, level in projects:
                role = _LEVEL_NAMES.get(level, str(level))
                counts[role] = counts.get(role, 0) + 1
            notes.append(f"member of {len(projects)} project(s): "
                         + ", ".join(f"{n} as {role}" for role, n in sorted(counts.items())))
        caps = _capabilities(set(scopes), projects, bool(user.get("is_admin")), _instance(endpoint))
        if any(level == MAINTAINER for _, level in projects) and "api" in scopes:
            unknowns.append("whether maintainers may delete projects on this instance (an admin setting)")
        blast = BlastRadius(identity=username, token_type=token_type, scopes=scopes,
                            resources=tuple(r for r, _ in projects), capabilities=caps,
                            notes=tuple(notes), unknowns=tuple(unknowns))
        return live(f"GitLab token active for {username}", endpoint, blast)


def _projects(ctx: ProviderContext, headers: dict[str, str]) -> tuple[list[tuple[Resource, int]], bool]:
    found: list[tuple[Resource, int]] = []
    page = "1"
    for _ in range(MAX_PAGES):
        resp = ctx.http.get("/projects", headers=headers, params={
            "membership": "true", "min_access_level": str(GUEST), "per_page": "100",
            "simple": "false", "page": page})
        if resp.status != 200:
            break
        for project in _list(resp.json()):
            project = _obj(project)
            path = str(project.get("path_with_namespace") or project.get("id"))
            perms = _obj(project.get("permissions"))
            level = max(_obj(perms.get("project_access")).get("access_level") or 0,
                        _obj(perms.get("group_access")).get("access_level") or 0)
            found.append((Resource("project", path, None, classify_environment(path)), int(level)))
        page = resp.header("X-Next-Page") or ""
        if not page:
            return found, False
    return found, bool(page)


def _capabilities(scopes: set[str], projects: list[tuple[Resource, int]], is_admin: bool,
                  instance: Resource) -> tuple[Capability, ...]:
    def at_least(level: int, top: int = OWNER) -> tuple[Resource, ...]:
        return tuple(r for r, lv in projects if level <= lv <= top)

    caps: list[Capability] = []
    everything = tuple(r for r, _ in projects)
    if scopes & {"api", "read_api"}:
        caps.append(Capability(Action.READ, "read_api", everything))
    if "read_repository" in scopes or "api" in scopes:
        caps.append(Capability(Action.READ, "read_repository", everything))
    if "api" in scopes:
        if at_least(DEVELOPER):
            caps.append(Capability(Action.WRITE, "api (push, pipelines, merge requests)",
                                   at_least(DEVELOPER)))
        if at_least(MAINTAINER):
            caps.append(Capability(Action.ADMIN, "project settings, CI/CD variables, protected branches",
                                   at_least(MAINTAINER)))
        if at_least(OWNER):
            caps.append(Capability(Action.DELETE, "DELETE /projects/:id", at_least(OWNER)))
        if at_least(MAINTAINER, MAINTAINER):
            caps.append(Capability(Action.DELETE, "DELETE /projects/:id", at_least(MAINTAINER, MAINTAINER),
                                   certain=False))
    elif "write_repository" in scopes and at_least(DEVELOPER):
        caps.append(Capability(Action.WRITE, "git push (write_repository)", at_least(DEVELOPER),
                               certain=False))
    if "write_registry" in scopes and at_least(DEVELOPER):
        caps.append(Capability(Action.DELETE, "container registry push/delete", at_least(DEVELOPER),
                               certain=False))
    if is_admin and scopes & {"api", "sudo", "admin_mode"}:
        caps.append(Capability(Action.ADMIN, "instance administration (admin API, sudo)", (instance,)))
    return tuple(caps)


def _deploy_blast() -> BlastRadius:
    return BlastRadius(token_type="deploy token", unknowns=(
        "deploy token scopes (read_repository, read/write_registry, read/write_package_registry) "
        "are only visible to project maintainers in the UI",))


def _runner_blast() -> BlastRadius:
    return BlastRadius(token_type="runner authentication token", notes=(
        "a runner token can pick up CI jobs and so receive their CI/CD variables and job tokens",),
        unknowns=("which projects or groups the runner serves",))


def _instance(endpoint: str) -> Resource:
    host = _hostname(endpoint)
    return Resource("instance", host, None, classify_environment(None))


def _hostname(value: str) -> str:
    if "://" not in value:
        value = "https://" + value
    return (urlsplit(value).hostname or value).lower()


def _error_text(resp: Response) -> str:
    try:
        body = _obj(resp.json())
    except ProviderError:
        return ""
    text = body.get("error_description") or body.get("message") or body.get("error")
    return f": {str(text)[:120]}" if text else ""


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


PROVIDER = GitLabProvider()

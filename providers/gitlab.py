"""GitLab: what a personal/project/group access token can reach, read-only.

Calls (all GET, base ``https://gitlab.com/api/v4`` or the user's ``--endpoint gitlab=...``):
``/personal_access_tokens/self`` (scopes, active, expiry), ``/user`` (identity, admin flag),
``/groups?min_access_level=N`` (group roles, inherited by the groups' projects and subgroups),
``/projects?membership=true&min_access_level=10`` (projects and access level), and for the first
projects ``/projects/:id/environments`` (``tier``: GitLab's own production field) and
``/projects/:id/protected_branches`` (who may push and force-push); every list read to its last
page through ``X-Next-Page`` (providers.base.paginate), a cut-short list reported. Destructive
capability is scopes x access level from GitLab's permissions table
(https://docs.gitlab.com/user/permissions/), because GitLab has no read endpoint that says "you
may delete this": ``api`` + Owner => delete the project; Maintainer => protected branches,
settings, CI/CD variables, but no project deletion.
Deploy and runner tokens have no read-only introspection call (runner verification is a POST),
so they are reported unverifiable with what they could do. A self-managed host found next to a
token is never contacted unless the user names it with ``--endpoint``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote, urlsplit

from providers.base import (
    Introspection,
    NextPageHeader,
    Provider,
    ProviderContext,
    ProviderError,
    Response,
    classify_environment,
    invalid,
    live,
    paginate,
    status_problem,
    unverifiable,
)
from providers.guard import MutationRefused
from scanner.model import Action, BlastRadius, Capability, Credential, EnvClass, Resource
from scanner.redact import safe_error

GUEST, REPORTER, DEVELOPER, MAINTAINER, OWNER = 10, 20, 30, 40, 50
_LEVEL_NAMES = {5: "minimal", 10: "guest", 20: "reporter", 30: "developer", 40: "maintainer", 50: "owner"}
MAX_INSPECTED = 20
"""Projects whose environments and protected branches are read (two GETs each)."""
PERMISSIONS_DOC = "docs.gitlab.com/user/permissions/"
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
        unknowns: list[str] = []
        projects: list[_Project] = []
        groups: list[tuple[Resource, int]] = []
        if _LIST_SCOPES & set(scopes):
            groups = _groups(ctx, headers, unknowns)
            projects = _projects(ctx, headers, groups, unknowns)
            _inspect(ctx, headers, projects, unknowns)
        else:
            unknowns.append("which projects the token reaches (listing needs the api or read_api scope)")
        if projects:
            counts: dict[str, int] = {}
            for project in projects:
                role = _LEVEL_NAMES.get(project.level, str(project.level))
                counts[role] = counts.get(role, 0) + 1
            notes.append(f"member of {len(projects)} project(s): "
                         + ", ".join(f"{n} as {role}" for role, n in sorted(counts.items())))
            notes.append(f"Roles mapped from GitLab's permissions table ({PERMISSIONS_DOC}): only an Owner deletes "
                         "a project; Maintainers manage protected branches; group roles are inherited by the "
                         "group's projects and subgroups.")
        if any(p.env_basis == _TIER_BASIS for p in projects):
            notes.append("Project classes come from GitLab's own environment tiers where a project has "
                         "environments, from project paths otherwise.")
        caps = _capabilities(set(scopes), projects, groups, bool(user.get("is_admin")), _instance(endpoint))
        blast = BlastRadius(identity=username, token_type=token_type, scopes=scopes,
                            resources=tuple([p.resource for p in projects] + [g for g, _ in groups]),
                            capabilities=caps, notes=tuple(notes), unknowns=tuple(unknowns))
        return live(f"GitLab token active for {username}", endpoint, blast)


@dataclass
class _Project:
    id: str
    path: str
    level: int
    resource: Resource
    env_basis: str | None = None
    protected: list[dict[str, Any]] = field(default_factory=list)
    """Protected branches (``GET /projects/:id/protected_branches``), when read."""


def _paged(ctx: ProviderContext, headers: dict[str, str], path: str, what: str, params: dict[str, str],
           unknowns: list[str]) -> list[dict[str, Any]]:
    """Every page of a GitLab list (``X-Next-Page``); a list cut short is reported."""
    listing = paginate(ctx.http, path, NextPageHeader(), what=what, headers=headers, params=params)
    shortfall = listing.shortfall()
    if shortfall:
        unknowns.append(shortfall)
    if not listing.ok:
        if listing.status not in (401, 403, 404):
            unknowns.append(f"{what} not listed ({listing.problem or 'HTTP ' + str(listing.status)})")
        return []
    return [_obj(i) for i in listing.items if isinstance(i, dict)]


def _groups(ctx: ProviderContext, headers: dict[str, str], unknowns: list[str]) -> list[tuple[Resource, int]]:
    """Groups with the token user's level in each: ``min_access_level`` per role, highest wins
    (the groups API filters by level but does not return it; Reporter reads as Guest here)."""
    levels: dict[str, tuple[dict[str, Any], int]] = {}
    for level in (GUEST, DEVELOPER, MAINTAINER, OWNER):
        for group in _paged(ctx, headers, "/groups", f"groups (at least {_LEVEL_NAMES[level]})",
                            {"min_access_level": str(level), "per_page": "100"}, unknowns):
            path = str(group.get("full_path") or group.get("path") or group.get("id"))
            if level >= levels.get(path, ({}, 0))[1]:
                levels[path] = (group, level)
    return [(Resource("group", path, None, classify_environment(path), env_basis="name"), level)
            for path, (_, level) in levels.items()]


def _inherited(namespace: str, groups: list[tuple[Resource, int]]) -> int:
    """The highest role from a group the namespace is in or under: group roles are inherited."""
    return max((level for group, level in groups
                if namespace == group.name or namespace.startswith(group.name + "/")), default=0)


def _projects(ctx: ProviderContext, headers: dict[str, str], groups: list[tuple[Resource, int]],
              unknowns: list[str]) -> list[_Project]:
    found: list[_Project] = []
    for project in _paged(ctx, headers, "/projects", "projects",
                          {"membership": "true", "min_access_level": str(GUEST), "per_page": "100",
                           "simple": "false"}, unknowns):
        path = str(project.get("path_with_namespace") or project.get("id"))
        perms = _obj(project.get("permissions"))
        namespace = str(_obj(project.get("namespace")).get("full_path") or path.rpartition("/")[0])
        level = max(int(_obj(perms.get("project_access")).get("access_level") or 0),
                    int(_obj(perms.get("group_access")).get("access_level") or 0),
                    _inherited(namespace, groups))
        basis = "name" if classify_environment(path) is not EnvClass.UNKNOWN else None
        found.append(_Project(str(project.get("id")), path, level,
                              Resource("project", path, None, classify_environment(path), env_basis=basis),
                              basis))
    return found


_TIER_BASIS = "GitLab environment tier"
_TIERS = {"production": EnvClass.PRODUCTION, "staging": EnvClass.STAGING, "testing": EnvClass.DEVELOPMENT,
          "development": EnvClass.DEVELOPMENT}


def _inspect(ctx: ProviderContext, headers: dict[str, str], projects: list[_Project], unknowns: list[str]) -> None:
    """Per project (up to MAX_INSPECTED): its environments' ``tier`` (GitLab's own production field)
    and its protected branches (who may push, force-push)."""
    for index, project in enumerate(projects):
        if index >= MAX_INSPECTED:
            unknowns.append(f"environments and protected branches of {len(projects) - MAX_INSPECTED} more "
                            f"project(s) were not read (first {MAX_INSPECTED} only)")
            return
        pid = quote(project.id, safe="")
        if project.level >= REPORTER:
            tiers = [_TIERS.get(str(e.get("tier") or "")) for e in _paged(
                ctx, headers, f"/projects/{pid}/environments", f"environments of {project.path}",
                {"per_page": "100"}, unknowns) if e.get("state") != "stopped"]
            classes = [t for t in tiers if t is not None]
            if classes:
                cls = next(c for c in (EnvClass.PRODUCTION, EnvClass.STAGING, EnvClass.DEVELOPMENT) if c in classes)
                project.resource = replace(project.resource, env_class=cls, env_basis=_TIER_BASIS)
                project.env_basis = _TIER_BASIS
        if project.level >= DEVELOPER:
            project.protected = _paged(ctx, headers, f"/projects/{pid}/protected_branches",
                                       f"protected branches of {project.path}", {"per_page": "100"}, unknowns)


def _push_levels(branch: dict[str, Any], key: str) -> list[int]:
    return [int(a.get("access_level") or 0) for a in _list(branch.get(key)) if isinstance(a, dict)
            and a.get("access_level") is not None]


def _capabilities(scopes: set[str], projects: list[_Project], groups: list[tuple[Resource, int]],
                  is_admin: bool, instance: Resource) -> tuple[Capability, ...]:
    """Scopes x role, from GitLab's permissions table (PERMISSIONS_DOC): Developer pushes to
    unprotected branches; Maintainer administers the project and deletes protected branches
    (UI/API); only Owner deletes the project (and, for a group Owner, the group)."""
    def at_least(level: int, top: int = OWNER) -> tuple[Resource, ...]:
        return tuple(p.resource for p in projects if level <= p.level <= top)

    caps: list[Capability] = []
    everything = tuple(p.resource for p in projects)
    if scopes & {"api", "read_api"}:
        caps.append(Capability(Action.READ, "read_api", everything))
    if "read_repository" in scopes or "api" in scopes:
        caps.append(Capability(Action.READ, "read_repository", everything))
    push_scope = "api" in scopes or "write_repository" in scopes
    if push_scope and at_least(DEVELOPER):
        caps.append(Capability(Action.WRITE, "push to unprotected branches (Developer)", at_least(DEVELOPER)))
    if push_scope:
        pushes, force = _protected_pushes(projects)
        if pushes:
            caps.append(Capability(Action.WRITE, "push to protected branches", tuple(pushes)))
        if force:
            caps.append(Capability(Action.DELETE, "force-push to protected branches (rewrites history)",
                                   tuple(force)))
    if "api" in scopes:
        if at_least(MAINTAINER):
            caps.append(Capability(Action.ADMIN, "project settings, CI/CD variables, protected branches "
                                   "(Maintainer)", at_least(MAINTAINER)))
            caps.append(Capability(Action.DELETE, "delete protected branches, tags, packages and registry "
                                   "images (Maintainer, API)", at_least(MAINTAINER)))
        if at_least(OWNER):
            caps.append(Capability(Action.DELETE, "DELETE /projects/:id (Owner)", at_least(OWNER)))
        owned = tuple(g for g, level in groups if level >= OWNER)
        if owned:
            caps.append(Capability(Action.DELETE, "DELETE /groups/:id (Owner)", owned))
    if "write_registry" in scopes and at_least(DEVELOPER):
        caps.append(Capability(Action.DELETE, "container registry push/delete", at_least(DEVELOPER),
                               certain=False, note="registry cleanup rules and protected tags are project "
                               "settings (docs.gitlab.com/user/packages/container_registry/)"))
    if is_admin and scopes & {"api", "sudo", "admin_mode"}:
        caps.append(Capability(Action.ADMIN, "instance administration (admin API, sudo)", (instance,)))
    return tuple(caps)


def _protected_pushes(projects: list[_Project]) -> tuple[list[Resource], list[Resource]]:
    """Protected branches the role may push to, and those it may force-push (``allow_force_push``)."""
    pushes: list[Resource] = []
    force: list[Resource] = []
    for project in projects:
        for branch in project.protected:
            levels = _push_levels(branch, "push_access_levels")
            if not any(0 < level <= project.level for level in levels):
                continue
            name = str(branch.get("name"))
            cls = project.resource.env_class
            if classify_environment(name) is EnvClass.PRODUCTION and project.env_basis != _TIER_BASIS:
                cls = EnvClass.PRODUCTION
            resource = Resource("branch", name, None, cls, f"project {project.path}", project.resource.env_basis)
            pushes.append(resource)
            if branch.get("allow_force_push"):
                force.append(resource)
    return pushes, force


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

"""Docker Hub access tokens and ``~/.docker/config.json`` logins, checked with GETs only.

Why the registry token endpoint: the Hub API login is a POST that mints a session, so instead the
credential is checked the way ``docker pull`` does it — ``GET auth.docker.io/token`` with Basic auth,
asking for ``pull,push,delete`` on a repository in the user's namespace. The token server grants only
what the access token allows, and the granted ``access[].actions`` in the returned (unverified) JWT
show the permission level (Read-only / Read & Write / Read, Write, Delete) without writing anything.
Repository names come from the public Hub listing, fetched WITHOUT the credential.
Logins for other registries (ghcr.io, ECR, …) are never sent anywhere unless the user pointed
``--endpoint docker=`` at exactly that registry. ``credsStore``/``credHelpers`` are never executed.
Reference: shared/reference/providers.md §11.
"""

from __future__ import annotations

import base64
import json
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
from scanner.model import Action, BlastRadius, Capability, Credential, Resource

_HUB_HOSTS = frozenset({"index.docker.io", "docker.io", "registry-1.docker.io", "registry.hub.docker.com",
                        "hub.docker.com", "auth.docker.io"})
_HUB_API = "https://hub.docker.com"
_PROBE_REPO = "credreach-probe"


def _registry_host(registry: str) -> str:
    text = registry.strip()
    if not text:
        return "index.docker.io"
    return (urlsplit(text if "://" in text else f"https://{text}").hostname or text).lower()


class DockerProvider(Provider):
    name = "docker"
    display_name = "Docker Hub"
    kinds = frozenset({"docker_pat", "docker_registry_auth"})
    default_base_url = "https://auth.docker.io"
    other_default_urls = (_HUB_API,)
    reveals = "token permission level from granted registry actions (pull/push/delete), public repos"
    docs = (
        "https://docs.docker.com/reference/api/registry/auth/",
        "https://distribution.github.io/distribution/spec/auth/jwt/",
        "https://docs.docker.com/security/access-tokens/reference/",
        "https://docs.docker.com/reference/api/hub/latest/",
    )

    def introspect(self, credential: Credential, ctx: ProviderContext) -> Introspection:
        endpoint = ctx.http.base_url
        registry = _registry_host(credential.companions.get("registry", ""))
        if registry not in _HUB_HOSTS:
            override = (urlsplit(endpoint).hostname or "").lower()
            if not (ctx.endpoint_overridden and override == registry):
                return unverifiable(
                    f"login for registry {registry}, not Docker Hub: credreach does not send it to a host found "
                    f"next to it; pass --endpoint docker=https://{registry} (its token service) to check it")
        username = (credential.companions.get("username") or "").strip()
        if not username:
            return unverifiable("Docker Hub checks an access token together with its username (or organization "
                                "name for dckr_oat_); none was found next to it (DOCKER_USERNAME)")
        try:
            repos = self._public_repos(ctx, username)
            probe = f"{username}/{repos[0] if repos else _PROBE_REPO}".lower()
            basic = base64.b64encode(f"{username}:{credential.secret}".encode()).decode()
            response = ctx.http.get("/token", headers={"Authorization": f"Basic {basic}"},
                                    params={"service": "registry.docker.io", "account": username,
                                            "scope": f"repository:{probe}:pull,push,delete"})
            if response.status == 401:
                return invalid(f"Docker Hub rejected the login (HTTP 401: {_detail(response)})", endpoint)
            problem = status_problem(response)
            if problem:
                return unverifiable(problem, endpoint)
            body = response.json()
        except ProviderError as exc:
            return unverifiable(str(exc), endpoint)
        token = body.get("token") or body.get("access_token") if isinstance(body, dict) else None
        actions = _granted_actions(token if isinstance(token, str) else "", probe)
        return live("Docker Hub accepted the login", endpoint,
                    _blast(credential, username, actions, repos))

    def _public_repos(self, ctx: ProviderContext, username: str) -> list[str]:
        """Public repository names of the namespace; no credential is sent with this request."""
        response = ctx.http_for(_HUB_API).get(f"/v2/repositories/{username}/", params={"page_size": "100"})
        if response.status != 200:
            return []
        data = response.json()
        items = data.get("results") if isinstance(data, dict) else None
        return [str(r["name"]) for r in items or [] if isinstance(r, dict) and r.get("name")]


def _granted_actions(jwt: str, repo: str) -> set[str]:
    """Actions the token server granted on ``repo``, from the JWT's ``access`` claim (unverified)."""
    parts = jwt.split(".")
    if len(parts) != 3:
        return set()
    try:
        claims: Any = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, UnicodeDecodeError):
        return set()
    actions: set[str] = set()
    for entry in claims.get("access") or [] if isinstance(claims, dict) else []:
        if isinstance(entry, dict) and entry.get("type") == "repository" and entry.get("name") == repo:
            actions.update(str(a) for a in entry.get("actions") or [])
    if "*" in actions:
        actions |= {"pull", "push", "delete"}
    return actions


def _blast(credential: Credential, username: str, actions: set[str], repos: list[str]) -> BlastRadius:
    namespace = Resource("namespace", username)
    reach = (namespace,) + tuple(Resource("repository", f"{username}/{r}", env_class=classify_environment(r),
                                          parent=f"namespace {username}") for r in repos)
    caps: list[Capability] = []
    if "pull" in actions:
        caps.append(Capability(Action.READ, "pull (public and private repositories)", reach))
    if "push" in actions:
        caps.append(Capability(Action.WRITE, "push (overwrite image tags)", reach))
    if "delete" in actions:
        caps.append(Capability(Action.DELETE, "delete images, tags and repositories", reach))
    level = ("repo:admin" if "delete" in actions else "repo:write" if "push" in actions
             else "repo:read" if "pull" in actions else "none")
    notes = [f"Registry granted {', '.join(sorted(actions)) or 'no actions'} on {username}/* — "
             f"permission level {level}."]
    if "push" in actions:
        notes.append("push: it can replace images your deployments pull (supply-chain compromise).")
    if credential.kind == "docker_registry_auth":
        notes.append("From a docker login stored in config.json (`auth`), usable by any process that reads it.")
    token_type = ("organization access token" if credential.secret.startswith("dckr_oat_")
                  else "personal access token" if credential.secret.startswith("dckr_pat_")
                  else "password or token from docker login")
    unknowns = ("private repositories (listing them needs a Hub session, created only by a login POST)",)
    return BlastRadius(identity=username, token_type=token_type, scopes=(level,) if actions else (),
                       resources=reach, capabilities=tuple(caps), notes=tuple(notes), unknowns=unknowns)


def _detail(response: Response) -> str:
    try:
        data = response.json()
    except ProviderError:
        return "no body"
    if isinstance(data, dict):
        return str(data.get("details") or data.get("detail") or "unauthorized")[:200]
    return "unauthorized"


PROVIDER = DockerProvider()

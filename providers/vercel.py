"""Vercel access tokens: the token's own scopes, its user, teams (with role) and projects.

Why these calls: ``GET /v5/user/tokens/current`` returns the calling token's metadata and scopes (user,
team, or a single project), so reach is read, not guessed. Teams carry the member's role, and Vercel's
access-roles page says what each role may do (https://vercel.com/docs/rbac/access-roles): Owner and
Member have full control over projects, so their deletes are certain. Projects are listed with every
page (``pagination.next`` sent back as ``from``) and classed by their own production target: every
Vercel project has one, so a project named ``storefront-dev`` with a production deployment is
production-class. Environment variable values are secrets and are never requested.
Reference: shared/reference/providers.md §14.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from providers.base import (
    BodyCursor,
    Introspection,
    Listing,
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
from scanner.model import Action, BlastRadius, Capability, Credential, EnvClass, Resource, granted

_MAX_TEAMS = 20
ROLES_DOC = "https://vercel.com/docs/rbac/access-roles"
_PROJECTS = BodyCursor(("projects",), ("pagination", "next"), "from")
"""``GET /v10/projects``: ``from`` takes the continuation token ``pagination.next``
(https://vercel.com/docs/rest-api/projects/retrieve-a-list-of-projects)."""
_TEAMS = BodyCursor(("teams",), ("pagination", "next"), "until")
"""``GET /v2/teams``: ``until`` takes ``pagination.next`` (https://vercel.com/docs/rest-api/teams/list-all-teams)."""
PRODUCTION_BASIS = "Vercel production target"


@dataclass(frozen=True)
class _RoleReach:
    """What a team role may do to the team's projects, per Vercel's access-roles page."""

    write: bool
    write_open: str | None
    delete: bool
    delete_open: str | None
    admin: bool = False
    billing: bool = False


_OWNER = _RoleReach(True, None, True, None, admin=True, billing=True)
_ROLES: dict[str, _RoleReach] = {
    # "Owner: the highest level of control ... all projects, team members and roles."
    "OWNER": _OWNER,
    # "Member: full control over projects and most team settings, but cannot invite or manage users."
    "MEMBER": _RoleReach(True, None, True, None),
    # "Developer: can deploy to projects and manage environment settings"; project delete and full
    # production deployment come only with a project Admin role or extended permissions.
    "DEVELOPER": _RoleReach(True, None, True, f"{ROLES_DOC} (Developer: project delete only with a project "
                                               "Admin role or extended permissions, not readable per token)"),
    # "Contributor": whatever project role each project gives; those are not readable here.
    "CONTRIBUTOR": _RoleReach(True, f"{ROLES_DOC} (Contributor: per-project roles not readable)",
                              True, f"{ROLES_DOC} (Contributor: per-project roles not readable)"),
    # "Security: firewall, IP blocking ... cannot create deployments by default."
    "SECURITY": _RoleReach(False, None, False, None),
    # "Billing: ... read-only access to every project."
    "BILLING": _RoleReach(False, None, False, None, billing=True),
    "VIEWER": _RoleReach(False, None, False, None),
    "VIEWER_FOR_PLUS": _RoleReach(False, None, False, None),
}
_UNKNOWN_ROLE = _RoleReach(True, f"{ROLES_DOC} (team role not returned)",
                           True, f"{ROLES_DOC} (team role not returned)")


@dataclass(frozen=True)
class _Projects:
    team_id: str | None
    items: tuple[dict[str, Any], ...]
    shortfall: str | None


class VercelProvider(Provider):
    name = "vercel"
    display_name = "Vercel"
    kinds = frozenset({"vercel_token"})
    default_base_url = "https://api.vercel.com"
    reveals = "token scopes (user/team/project), user, team roles, projects by production target; never env values"
    docs = (
        "https://vercel.com/docs/rest-api/authentication/get-auth-token-metadata",
        "https://vercel.com/docs/accounts/access-tokens",
        "https://vercel.com/docs/rest-api/projects/retrieve-a-list-of-projects",
        ROLES_DOC,
    )

    def introspect(self, credential: Credential, ctx: ProviderContext) -> Introspection:
        endpoint = ctx.http.base_url
        headers = {"Authorization": f"Bearer {credential.secret}"}
        try:
            current = ctx.http.get("/v5/user/tokens/current", headers=headers)
            if current.status in (401, 403):
                return invalid(f"Vercel rejected the token (HTTP {current.status}: {_error(current)})",
                               endpoint)
            problem = status_problem(current)
            if problem:
                return unverifiable(problem, endpoint)
            token = _obj(current.json(), "token")
            user = _obj(_json_if_ok(ctx.http.get("/v2/user", headers=headers)), "user")
            listed = paginate(ctx.http, "/v2/teams", _TEAMS, what="teams", headers=headers,
                              params={"limit": "100"})
            teams = [t for t in listed.items if isinstance(t, dict)]
            scopes = [s for s in token.get("scopes") or [] if isinstance(s, dict)]
            projects = self._projects(ctx, headers, scopes, teams)
        except ProviderError as exc:
            return unverifiable(str(exc), endpoint)
        shortfalls = [s for s in [listed.shortfall()] + [p.shortfall for p in projects] if s]
        return live("Vercel accepted the token", endpoint,
                    _blast(token, user, teams, scopes, projects, shortfalls))

    def _projects(self, ctx: ProviderContext, headers: dict[str, str], scopes: list[dict[str, Any]],
                  teams: list[dict[str, Any]]) -> list[_Projects]:
        """Every page of projects per team id (None = personal account)."""
        team_ids: list[str | None] = [None]
        scoped_teams = [str(s["teamId"]) for s in scopes if s.get("type") == "team" and s.get("teamId")]
        team_ids += scoped_teams or [str(t["id"]) for t in teams if t.get("id")]
        found: list[_Projects] = []
        for team_id in team_ids[: _MAX_TEAMS + 1]:
            params = {"limit": "100"} | ({"teamId": team_id} if team_id else {})
            listing: Listing = paginate(ctx.http, "/v10/projects", _PROJECTS, what="projects",
                                        headers=headers, params=params)
            items = tuple(p for p in listing.items if isinstance(p, dict) and p.get("name"))
            if items:
                found.append(_Projects(team_id, items, listing.shortfall()))
        return found


def project_resource(project: dict[str, Any], parent: str) -> Resource:
    """A project classed by its own production target first, its name only as a fallback."""
    name = str(project["name"])
    raw_targets, raw_latest = project.get("targets"), project.get("latestDeployments")
    targets: dict[str, Any] = raw_targets if isinstance(raw_targets, dict) else {}
    latest: list[Any] = raw_latest if isinstance(raw_latest, list) else []
    if targets.get("production") or any(
            isinstance(d, dict) and d.get("target") == "production" for d in latest):
        return Resource("project", name, environment="production", env_class=EnvClass.PRODUCTION,
                        parent=parent, env_basis=PRODUCTION_BASIS)
    by_name = classify_environment(name)
    return Resource("project", name, env_class=by_name, parent=parent,
                    env_basis="name" if by_name is not EnvClass.UNKNOWN else None)


def _blast(token: dict[str, Any], user: dict[str, Any], teams: list[dict[str, Any]],
           scopes: list[dict[str, Any]], projects: list[_Projects], shortfalls: list[str]) -> BlastRadius:
    identity = str(user.get("username") or user.get("email") or "") or None
    team_by_id = {str(t.get("id")): t for t in teams}
    scope_labels: list[str] = []
    for scope in scopes:
        kind = str(scope.get("type") or "?")
        target = scope.get("teamId") or scope.get("projectId")
        if target and str(target) in team_by_id:
            target = team_by_id[str(target)].get("slug") or target
        scope_labels.append(f"{kind}:{target}" if target else kind)
    resources: list[Resource] = []
    caps: list[Capability] = []
    notes: list[str] = []
    for group in projects:
        team = team_by_id.get(str(group.team_id)) if group.team_id else None
        if group.team_id:
            parent = f"team {(team or {}).get('slug') or group.team_id}"
        else:
            parent = f"personal account {identity or ''}".strip()
        res = tuple(project_resource(p, parent) for p in group.items)
        resources.extend(res)
        if group.team_id:
            role = str(((team or {}).get("membership") or {}).get("role") or "").upper()
            reach = _ROLES.get(role, _UNKNOWN_ROLE)
        else:
            role, reach = "OWNER", _OWNER  # a personal account's own projects
        caps.append(Capability(Action.READ, "project read", res))
        if reach.write:
            caps.append(granted(Action.WRITE, "deployment create, env var write", res,
                                left_open_by=reach.write_open))
        if reach.delete:
            caps.append(granted(Action.DELETE, "project delete, deployment delete", res,
                                left_open_by=reach.delete_open))
        if reach.admin and team:
            caps.append(Capability(Action.ADMIN, "team member and token management",
                                   (Resource("team", str(team.get("slug") or group.team_id)),)))
        if reach.billing and team:
            caps.append(Capability(Action.BILLING, "team billing",
                                   (Resource("team", str(team.get("slug") or group.team_id)),)))
    for team in teams:
        role = ((team.get("membership") or {}).get("role") or "?")
        notes.append(f"Team {team.get('slug') or team.get('id')}: role {role} ({ROLES_DOC}).")
    if any(s.get("type") == "user" for s in scopes):
        notes.append("User-scoped token: it acts as you on every team you belong to.")
    if any(s.get("sudo") for s in scopes):
        notes.append("The token holds a sudo grant (elevated, short-lived).")
    notes.append("Every Vercel project has a production target: projects are classed by it, by name only "
                 "when no production deployment exists.")
    notes.extend(shortfalls)
    token_type = str(token.get("type") or "access token")
    if token.get("expiresAt") is None:
        notes.append("The token never expires.")
    unknowns = [] if scopes else ["token scope (metadata carried no scopes)"]
    unknowns.extend(shortfalls)
    return BlastRadius(identity=identity, token_type=token_type, scopes=tuple(scope_labels),
                       resources=tuple(resources), capabilities=tuple(caps), notes=tuple(notes),
                       unknowns=tuple(unknowns))


def _obj(body: Any, key: str) -> dict[str, Any]:
    value = body.get(key) if isinstance(body, dict) else None
    return value if isinstance(value, dict) else {}


def _json_if_ok(response: Response) -> dict[str, Any]:
    if response.status != 200:
        return {}
    data = response.json()
    return data if isinstance(data, dict) else {}


def _error(response: Response) -> str:
    try:
        error = _obj(response.json(), "error")
    except ProviderError:
        return "no body"
    return f"{error.get('code') or 'error'}: {str(error.get('message') or '')[:150]}"


PROVIDER = VercelProvider()

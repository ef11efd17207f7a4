"""Vercel access tokens: the token's own scopes, its user, teams (with role) and project names.

Why these calls: ``GET /v5/user/tokens/current`` returns the calling token's metadata and scopes (user,
team, or a single project), so reach is read, not guessed. Teams carry the member's role, which bounds
what the token can do there. Projects are listed by name only: environment variable values are secrets
and are never requested. Reference: shared/reference/providers.md §14.
"""

from __future__ import annotations

from typing import Any

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

_MAX_TEAMS = 20


class VercelProvider(Provider):
    name = "vercel"
    display_name = "Vercel"
    kinds = frozenset({"vercel_token"})
    default_base_url = "https://api.vercel.com"
    reveals = "token scopes (user/team/project), user, team roles, project names; never env values"
    docs = (
        "https://vercel.com/docs/rest-api/authentication/get-auth-token-metadata",
        "https://vercel.com/docs/accounts/access-tokens",
        "https://vercel.com/docs/rest-api/projects/find-a-project-by-id-or-name",
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
            teams_body = _json_if_ok(ctx.http.get("/v2/teams", headers=headers, params={"limit": "100"}))
            teams = [t for t in (teams_body.get("teams") or []) if isinstance(t, dict)]
            scopes = [s for s in token.get("scopes") or [] if isinstance(s, dict)]
            projects = self._projects(ctx, headers, scopes, teams)
        except ProviderError as exc:
            return unverifiable(str(exc), endpoint)
        return live("Vercel accepted the token", endpoint, _blast(token, user, teams, scopes, projects))

    def _projects(self, ctx: ProviderContext, headers: dict[str, str], scopes: list[dict[str, Any]],
                  teams: list[dict[str, Any]]) -> dict[str | None, list[str]]:
        """Project names per team id (None = personal account); names only."""
        team_ids: list[str | None] = [None]
        scoped_teams = [str(s["teamId"]) for s in scopes if s.get("type") == "team" and s.get("teamId")]
        team_ids += scoped_teams or [str(t["id"]) for t in teams if t.get("id")]
        found: dict[str | None, list[str]] = {}
        for team_id in team_ids[: _MAX_TEAMS + 1]:
            params = {"limit": "100"} | ({"teamId": team_id} if team_id else {})
            body = _json_if_ok(ctx.http.get("/v10/projects", headers=headers, params=params))
            names = [str(p["name"]) for p in body.get("projects") or []
                     if isinstance(p, dict) and p.get("name")]
            if names:
                found[team_id] = names
        return found


def _blast(token: dict[str, Any], user: dict[str, Any], teams: list[dict[str, Any]],
           scopes: list[dict[str, Any]], projects: dict[str | None, list[str]]) -> BlastRadius:
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
    for team_id, names in projects.items():
        team = team_by_id.get(str(team_id)) if team_id else None
        if team_id:
            parent = f"team {(team or {}).get('slug') or team_id}"
        else:
            parent = f"personal account {identity or ''}".strip()
        res = tuple(Resource("project", n, env_class=classify_environment(n), parent=parent) for n in names)
        resources.extend(res)
        membership = (team or {}).get("membership") or {}
        role = str(membership.get("role") or ("OWNER" if not team_id else "")).upper()
        caps.append(Capability(Action.READ, "project read", res))
        if role in ("OWNER", "MEMBER", "DEVELOPER", ""):
            caps.append(Capability(Action.WRITE, "deployment create, env var write", res, certain=bool(role)))
            caps.append(Capability(Action.DELETE, "project delete, deployment delete", res,
                                   certain=role == "OWNER"))
        if role == "OWNER" and team:
            caps.append(Capability(Action.ADMIN, "team member and token management",
                                   (Resource("team", str(team.get("slug") or team_id)),)))
    for team in teams:
        role = ((team.get("membership") or {}).get("role") or "?")
        notes.append(f"Team {team.get('slug') or team.get('id')}: role {role}.")
    if any(s.get("type") == "user" for s in scopes):
        notes.append("User-scoped token: it acts as you on every team you belong to.")
    if any(s.get("sudo") for s in scopes):
        notes.append("The token holds a sudo grant (elevated, short-lived).")
    notes.append("Every Vercel project has a production target; project names only classify which one.")
    token_type = str(token.get("type") or "access token")
    if token.get("expiresAt") is None:
        notes.append("The token never expires.")
    return BlastRadius(identity=identity, token_type=token_type, scopes=tuple(scope_labels),
                       resources=tuple(resources), capabilities=tuple(caps), notes=tuple(notes),
                       unknowns=() if scopes else ("token scope (metadata carried no scopes)",))


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

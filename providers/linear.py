"""Linear: one GraphQL query for the viewer, the workspace and its teams.

Call (Linear developer docs "GraphQL API", trufflehog ``pkg/detectors/linearapi``;
shared/reference/providers.md §21): ``POST https://api.linear.app/graphql`` with header
``Authorization: <key>`` (personal API keys take no ``Bearer``; OAuth tokens do), body
``{"query": "query { viewer { id name email admin } organization { id name urlKey } teams … }"}``.
Only a ``query`` is ever sent (``ctx.http.graphql`` refuses anything else). An unknown key → HTTP
400/401 with ``errors[].extensions.code = "AUTHENTICATION_ERROR"``.

``viewer.admin`` means workspace admin. Newer keys can be restricted (read/write/admin, team
subsets) and Linear has no read-only way to show a key its own restrictions, so a member key's
write and delete rights are reported as possible, not certain.
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
from providers.guard import MutationRefused
from scanner.model import Action, BlastRadius, Capability, Credential, Resource

QUERY = """query CredreachViewer {
  viewer { id name email admin active }
  organization { id name urlKey }
  teams(first: 50) { nodes { id key name } }
}"""


def _auth_error(response: Response) -> str | None:
    """The message of an AUTHENTICATION_ERROR in a GraphQL error list, if any."""
    try:
        data = response.json()
    except ProviderError:
        return None
    errors = data.get("errors") if isinstance(data, dict) else None
    for error in errors or []:
        if not isinstance(error, dict):
            continue
        extensions: dict[str, Any] = error.get("extensions") or {}
        code = str(extensions.get("code") or "").upper()
        kind = str(extensions.get("type") or "").lower()
        if code == "AUTHENTICATION_ERROR" or "authentication" in kind:
            return str(error.get("message") or "authentication required")
    return None


class LinearProvider(Provider):
    name = "linear"
    display_name = "Linear"
    kinds = frozenset({"linear_api_key"})
    default_base_url = "https://api.linear.app"
    reveals = "user, workspace, workspace-admin flag and teams (GraphQL viewer/organization/teams)"
    docs = ("https://developers.linear.app/docs/graphql/working-with-the-graphql-api",)

    def introspect(self, credential: Credential, ctx: ProviderContext) -> Introspection:
        key = credential.secret.strip()
        auth = key if key.startswith("lin_api_") else f"Bearer {key}"
        try:
            response = ctx.http.graphql("/graphql", QUERY, headers={"Authorization": auth})
        except ProviderError as exc:
            return unverifiable(str(exc), ctx.http.base_url)
        except MutationRefused as exc:
            return unverifiable(f"request refused by the read-only guard: {exc}", ctx.http.base_url)
        endpoint = ctx.http.base_url
        auth_error = _auth_error(response)
        if response.status == 401 or auth_error is not None:
            return invalid(f"Linear rejected the key: {auth_error or 'HTTP 401'}", endpoint)
        problem = status_problem(response)
        if problem:
            return unverifiable(problem, endpoint)
        try:
            data = (response.json() or {}).get("data") or {}
        except ProviderError as exc:
            return unverifiable(str(exc), endpoint)
        viewer = data.get("viewer")
        if not isinstance(viewer, dict):
            return unverifiable("Linear answered without a viewer", endpoint)
        return live(f"Linear key valid for `{viewer.get('email') or viewer.get('name')}`", endpoint,
                    self._blast(viewer, data))

    def _blast(self, viewer: dict[str, Any], data: dict[str, Any]) -> BlastRadius:
        raw_org = data.get("organization")
        org: dict[str, Any] = raw_org if isinstance(raw_org, dict) else {}
        org_name = str(org.get("urlKey") or org.get("name") or "workspace")
        workspace = Resource("linear workspace", org_name, environment=None,
                             env_class=classify_environment(str(org.get("name") or "")))
        teams = [Resource("linear team", str(t.get("key") or t.get("name")), parent=f"workspace `{org_name}`",
                          env_class=workspace.env_class)
                 for t in ((data.get("teams") or {}).get("nodes") or []) if isinstance(t, dict)]
        reach = (workspace, *teams)
        admin = bool(viewer.get("admin"))
        capabilities = [Capability(Action.READ, "read issues and projects", reach)]
        notes: list[str] = []
        if admin:
            capabilities += [Capability(Action.ADMIN, "workspace admin (userSuspend, teamDelete, webhooks)",
                                        (workspace,)),
                             Capability(Action.DELETE, "issueDelete/projectDelete/teamDelete", reach)]
            notes.append(f"the key's user is an admin of workspace `{org_name}`: it can delete teams and "
                         "projects, suspend users and add webhooks")
        else:
            capabilities += [Capability(Action.WRITE, "issueCreate/issueUpdate", reach, certain=False),
                             Capability(Action.DELETE, "issueDelete/projectDelete", reach, certain=False)]
        notes.append(f"reaches {len(teams)} teams in `{org_name}`")
        return BlastRadius(identity=str(viewer.get("email") or viewer.get("name") or viewer.get("id")),
                           token_type="workspace admin key" if admin else "member key",
                           scopes=("admin",) if admin else (), resources=reach,
                           capabilities=tuple(capabilities), notes=tuple(notes),
                           unknowns=("Linear keys can be restricted (read-only, team subsets); the key's own "
                                     "restrictions cannot be read, so write/delete rights are inferred from the "
                                     "user's role",))


PROVIDER = LinearProvider()

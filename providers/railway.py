"""Railway: what an account, workspace, project or OAuth token could destroy, asked read-only.

The incident credreach exists for: an agent found a Railway CLI token and sent one
``volumeDelete`` to production. Railway tokens carry no operation-level scopes; what a token can
do is (how far the token reaches) ∩ (the role of its owner), so this module

1. learns the token kind by probing identity queries in the documented order (a UUID does not say
   what it is; ``RAILWAY_TOKEN`` is meant for project tokens but people put account tokens there),
2. enumerates workspaces, projects, environments, services and volume instances with GraphQL
   *queries* only (built from constants here; the HTTP guard refuses anything else), never
   variable values, and
3. maps the destructive mutations (``volumeDelete``, ``serviceDelete``, ``environmentDelete``,
   ``projectDelete``; ``variableUpsert`` as a write) onto the resources they would reach.

Sources (see ``shared/reference/providers.md`` §1): https://docs.railway.com/integrations/api,
railwayapp/cli ``src/gql/schema.json``, ``src/client.rs`` (error strings), docs
``projects/project-members.md`` (roles). OAuth refresh tokens are never used: Railway revokes the
whole grant when a rotated refresh token is presented twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

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
from scanner.model import Action, BlastRadius, Capability, Credential, EnvClass, Resource
from scanner.redact import REDACTOR, preview

GRAPHQL_PATH = "/graphql/v2"
MAX_REQUESTS = 30
"""Per token. Free plans allow 100 requests an hour; one scan must not spend them all."""
MAX_WORKSPACES = 10
MAX_PROJECTS = 15

# --- the only documents this module sends (all `query`) ------------------------------------------

Q_PROJECT_TOKEN = """query credreachProjectToken {
  projectToken { id name projectId environmentId project { id name } environment { id name } }
}"""

Q_ME = """query credreachMe {
  me { id name email username has2FA
       workspaces { id name plan
         projects(first: 100) { edges { node { id name } } pageInfo { hasNextPage endCursor } } } }
  externalWorkspaces { id name projects { id name } }
}"""

Q_API_TOKEN = "query credreachApiToken { apiToken { workspaces { id name } } }"

Q_WORKSPACE_MEMBERS = """query credreachWorkspace($id: String!) {
  workspace(workspaceId: $id) { id name plan has2FAEnforcement members { id email role } }
}"""

Q_WORKSPACE_PROJECTS = """query credreachWorkspaceProjects($id: String!) {
  workspace(workspaceId: $id) {
    id name plan has2FAEnforcement
    projects(first: 100) { edges { node { id name } } pageInfo { hasNextPage endCursor } }
  }
}"""

_PROJECT_BODY = """
    id name workspaceId isPublic deletedAt primaryEnvironmentId baseEnvironmentId
    %s
    environments { edges { node {
      id name isEphemeral canAccess deletedAt
      volumeInstances { edges { node {
        id volumeId mountPath sizeMB currentSizeMB state region serviceId isPendingDeletion
        volume { id name } } } }
      serviceInstances { edges { node { id serviceId serviceName source { image repo } } } }
    } } }
    services { edges { node { id name } } }
    volumes { edges { node { id name createdAt } } }
    buckets { edges { node { id name } } }
"""
Q_PROJECT_WITH_MEMBERS = ("query credreachProject($id: String!) { project(id: $id) {"
                          + _PROJECT_BODY % "members { id email role }" + "} }")
Q_PROJECT = "query credreachProject($id: String!) { project(id: $id) {" + _PROJECT_BODY % "" + "} }"

ALLOWED_ROOT_FIELDS = frozenset({
    "projectToken", "me", "externalWorkspaces", "apiToken", "workspace", "project",
})
"""Root fields credreach may ask Railway for; tests compare the fake's log against this."""

_ROLE_RANK = {"VIEWER": 1, "MEMBER": 2, "ADMIN": 3}
_ENV_REACH_ORDER = (EnvClass.PRODUCTION, EnvClass.UNKNOWN, EnvClass.STAGING, EnvClass.DEVELOPMENT)
_VOLUME_NOTE = ("volumeDelete removes a volume with its volume-level backups; a volume id is shared by "
                "the volume's instances in every environment")


class _Stop(Exception):
    """Talking to Railway failed (rate limit, 5xx, malformed answer): the token stays unverified."""


@dataclass(frozen=True)
class _Answer:
    data: Mapping[str, Any]
    errors: tuple[str, ...]

    @property
    def denied(self) -> bool:
        """Railway's auth failures: HTTP 200 with one of these messages (src/client.rs matches both)."""
        return any("not authorized" in e.lower() or "project token not found" in e.lower()
                   for e in self.errors)


@dataclass(frozen=True)
class _ProjectRef:
    id: str
    name: str
    workspace: str | None
    workspace_role: str | None = None


@dataclass
class _Reach:
    """Accumulates resources and capabilities while projects are inspected."""

    resources: list[Resource] = field(default_factory=list)
    caps: dict[tuple[Action, str, bool], list[Resource]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    unknowns: list[str] = field(default_factory=list)

    def add(self, *resources: Resource) -> None:
        for resource in resources:
            if resource not in self.resources:
                self.resources.append(resource)

    def grant(self, action: Action, operation: str, resources: Iterable[Resource], certain: bool) -> None:
        bucket = self.caps.setdefault((action, operation, certain), [])
        bucket.extend(r for r in resources if r not in bucket)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def unknown(self, text: str) -> None:
        if text not in self.unknowns:
            self.unknowns.append(text)

    def capabilities(self) -> tuple[Capability, ...]:
        return tuple(Capability(action, op, tuple(res), certain)
                     for (action, op, certain), res in self.caps.items() if res)


class _Client:
    """One token's conversation with Railway: auth header, request budget, error handling."""

    def __init__(self, credential: Credential, ctx: ProviderContext) -> None:
        self.secret = credential.secret
        self.http = ctx.http
        base = ctx.http.base_url
        self.path = base if base.endswith(GRAPHQL_PATH) else GRAPHQL_PATH
        self.endpoint = base
        self.sent = 0
        self.exhausted = False
        self.remaining: str | None = None

    def clean(self, text: str) -> str:
        """Text from Railway, safe to show: no secret, no runaway length."""
        if self.secret:
            text = text.replace(self.secret, preview(self.secret))
        text = REDACTOR.scrub(text)
        return text if len(text) <= 160 else text[:160] + "…"

    def query(self, document: str, *, project_header: bool = False,
              variables: Mapping[str, Any] | None = None) -> _Answer:
        if self.sent >= MAX_REQUESTS or self.remaining == "0":
            self.exhausted = True
            raise _Stop("request budget for this token used up (Railway rate limits are per hour)")
        headers = ({"Project-Access-Token": self.secret} if project_header
                   else {"Authorization": f"Bearer {self.secret}"})
        self.sent += 1
        try:
            response = self.http.graphql(self.path, document, variables, headers=headers)
        except ProviderError as exc:
            raise _Stop(self.clean(str(exc))) from exc
        self.remaining = response.header("X-RateLimit-Remaining")
        return self._answer(response)

    def _answer(self, response: Response) -> _Answer:
        if response.status in (401, 403):
            return _Answer({}, ("Not Authorized",))
        problem = status_problem(response)
        if problem and (response.status == 429 or response.status >= 500):
            raise _Stop(problem)
        try:
            body = response.json()
        except ProviderError as exc:
            raise _Stop(f"Railway answered HTTP {response.status} with malformed JSON") from exc
        if not isinstance(body, dict):
            raise _Stop(f"Railway answered HTTP {response.status} with unexpected JSON")
        errors = tuple(self.clean(str(e.get("message", ""))) for e in body.get("errors") or []
                       if isinstance(e, dict))
        if problem:
            detail = f": {errors[0]}" if errors else ""
            raise _Stop(f"Railway rejected the query ({problem}){detail}")
        data = body.get("data")
        return _Answer(data if isinstance(data, dict) else {}, errors)


def _nodes(connection: Any) -> list[dict[str, Any]]:
    """Nodes of a Relay connection, tolerating nulls and odd shapes."""
    if not isinstance(connection, dict):
        return []
    return [e["node"] for e in connection.get("edges") or []
            if isinstance(e, dict) and isinstance(e.get("node"), dict)]


def _has_more(connection: Any) -> bool:
    return isinstance(connection, dict) and bool((connection.get("pageInfo") or {}).get("hasNextPage"))


def _reach_class(classes: Iterable[EnvClass]) -> EnvClass:
    """The most production-like class; unknown outranks staging because it counts as production."""
    seen = set(classes)
    return next((c for c in _ENV_REACH_ORDER if c in seen), EnvClass.UNKNOWN)


def _env_class(env: Mapping[str, Any], project: Mapping[str, Any]) -> EnvClass:
    """Name first; otherwise Railway's own hints: the primary environment is typically production."""
    cls = classify_environment(env.get("name"))
    if cls is EnvClass.UNKNOWN:
        if env.get("isEphemeral"):
            return EnvClass.DEVELOPMENT
        if env.get("id") and env.get("id") == project.get("primaryEnvironmentId"):
            return EnvClass.PRODUCTION
    return cls


def _best_role(*roles: str | None) -> str | None:
    known = [r for r in roles if r in _ROLE_RANK]
    return max(known, key=lambda r: _ROLE_RANK[r]) if known else None


@dataclass(frozen=True)
class _Grant:
    """What a role allows: each is None (no), True (confirmed) or False (possible, unconfirmed)."""

    write: bool | None
    delete: bool | None


def _grant_for(role: str | None) -> _Grant:
    """Railway roles (docs project-members.md; staff on station.railway.com): only admins delete."""
    if role == "ADMIN":
        return _Grant(True, True)
    if role == "MEMBER":
        return _Grant(True, None)
    if role == "VIEWER":
        return _Grant(None, None)
    return _Grant(False, False)


class RailwayProvider(Provider):
    name = "railway"
    display_name = "Railway"
    kinds: ClassVar[frozenset[str]] = frozenset({
        "railway_account_token", "railway_project_token", "railway_workspace_token", "railway_oauth_token",
    })
    default_base_url = "https://backboard.railway.com"
    reveals = ("token kind (account/workspace/project/OAuth), user and workspace roles, projects, "
               "environments, services and volumes, and which of them the token could delete")
    docs = (
        "https://docs.railway.com/integrations/api",
        "https://docs.railway.com/integrations/api/manage-volumes",
        "https://docs.railway.com/projects/project-members",
    )

    def introspect(self, credential: Credential, ctx: ProviderContext) -> Introspection:
        client = _Client(credential, ctx)
        if not credential.secret.strip():
            return unverifiable("empty Railway token; nothing to check", client.endpoint)
        try:
            return self._introspect(credential, client)
        except _Stop as stop:
            return unverifiable(f"Railway could not be asked: {stop}", client.endpoint)

    # identification -------------------------------------------------------------------------
    def _introspect(self, credential: Credential, client: _Client) -> Introspection:
        kind = credential.kind
        order: tuple[str, ...]
        if kind == "railway_project_token":
            order = ("project", "me", "api")
        elif kind == "railway_oauth_token":
            order = ("me", "api")  # `me` needs the openid scope; never a project token
        else:
            order = ("me", "api", "project")
        refusals: list[str] = []
        for probe in order:
            if probe == "project":
                answer = client.query(Q_PROJECT_TOKEN, project_header=True)
                token = answer.data.get("projectToken")
                if isinstance(token, dict) and token.get("projectId") and token.get("environmentId"):
                    return self._project_token(credential, client, token)
            elif probe == "me":
                answer = client.query(Q_ME)
                me = answer.data.get("me")
                if isinstance(me, dict) and me.get("id"):
                    return self._account(credential, client, me, answer.data.get("externalWorkspaces"))
            else:
                answer = client.query(Q_API_TOKEN)
                ctx_data = answer.data.get("apiToken")
                workspaces = ctx_data.get("workspaces") if isinstance(ctx_data, dict) else None
                if isinstance(workspaces, list) and any(isinstance(w, dict) for w in workspaces):
                    return self._workspace_token(credential, client, [w for w in workspaces
                                                                       if isinstance(w, dict)])
            if not answer.denied:
                message = answer.errors[0] if answer.errors else "no data in the answer"
                return unverifiable(f"Railway answered the {_PROBE_LABEL[probe]} query with: {message}",
                                    client.endpoint)
            refusals.append(f"{_PROBE_LABEL[probe]}: {answer.errors[0]}")
        reason = "Railway refused the token (" + "; ".join(refusals) + ")"
        if kind == "railway_oauth_token":
            reason += (": the OAuth access token expired (they last 1 h) or was revoked;"
                       " its refresh token is never used")
        else:
            reason += ": revoked, deleted or never valid"
        return invalid(reason, client.endpoint)

    # account / OAuth ------------------------------------------------------------------------
    def _account(self, credential: Credential, client: _Client, me: Mapping[str, Any],
                 external: Any) -> Introspection:
        reach = _Reach()
        oauth = credential.kind == "railway_oauth_token"
        email = me.get("email") or me.get("username") or me.get("id")
        identity = f"{me.get('name')} <{email}>" if me.get("name") else str(email)
        token_type = "OAuth access token (Railway CLI session)" if oauth else "account token"
        if credential.kind == "railway_project_token":
            reach.note("Found as a project token (RAILWAY_TOKEN) but it is an account token: "
                       "it reaches everything its user can, not one environment.")
        if credential.kind == "railway_workspace_token":
            reach.note("Expected a workspace token, but Railway answered `me`: it is an account token.")
        if oauth:
            reach.note("OAuth access token: limited to the workspaces and projects consented to, at most the "
                       "user's role; the Railway CLI asks for workspace:admin and project:admin. "
                       "A refresh token next to it was not used (using one can revoke the whole grant).")
        scopes: list[str] = []
        refs: list[_ProjectRef] = []
        workspaces = [w for w in me.get("workspaces") or [] if isinstance(w, dict)]
        for index, ws in enumerate(workspaces):
            role = None
            if index < MAX_WORKSPACES:
                role = self._workspace_role(client, reach, ws, me)
            ws_name = str(ws.get("name") or ws.get("id"))
            scopes.append(f"workspace {ws_name}: {role or 'role unknown'}")
            if _has_more(ws.get("projects")):
                reach.note(_MORE_PROJECTS.format(ws_name))
            refs.extend(_ProjectRef(str(p["id"]), str(p.get("name") or p["id"]), ws_name, role)
                        for p in _nodes(ws.get("projects")) if p.get("id"))
        if len(workspaces) > MAX_WORKSPACES:
            reach.note(f"Roles were read for the first {MAX_WORKSPACES} of {len(workspaces)} workspaces.")
        for ws in external if isinstance(external, list) else []:
            if not isinstance(ws, dict):
                continue
            ws_name = str(ws.get("name") or ws.get("id"))
            scopes.append(f"workspace {ws_name}: project member only")
            refs.extend(_ProjectRef(str(p["id"]), str(p.get("name") or p["id"]), ws_name)
                        for p in ws.get("projects") or [] if isinstance(p, dict) and p.get("id"))
        self._inspect_projects(client, reach, refs, token_kind="user", user=me)
        reach.note(f"{token_type[0].upper()}{token_type[1:]} of {identity}: reaches {len(workspaces)} workspace(s) and "
                   f"{len(refs)} project(s).")
        return self._finish(client, reach, identity, token_type, scopes)

    def _workspace_role(self, client: _Client, reach: _Reach, ws: Mapping[str, Any],
                        me: Mapping[str, Any]) -> str | None:
        """The user's TeamRole, from the member list (readable by members; [U] otherwise)."""
        ws_name = str(ws.get("name") or ws.get("id"))
        try:
            answer = client.query(Q_WORKSPACE_MEMBERS, variables={"id": ws.get("id")})
        except _Stop as stop:
            reach.unknown(f"role in workspace `{ws_name}` not read: {stop}")
            return None
        workspace = answer.data.get("workspace")
        members = workspace.get("members") if isinstance(workspace, dict) else None
        if not isinstance(members, list):
            reach.unknown(f"role in workspace `{ws_name}`: member list not readable "
                          f"({answer.errors[0] if answer.errors else 'no data'})")
            return None
        role = _member_role(members, me)
        if isinstance(workspace, dict) and workspace.get("has2FAEnforcement"):
            reach.note(f"Workspace `{ws_name}` enforces 2FA; the API may refuse some calls without it.")
        if role == "ADMIN":
            reach.note(f"Admin of workspace `{ws_name}`: can delete its projects, services and volumes, "
                       "manage members and billing.")
        return role

    # workspace token --------------------------------------------------------------------------
    def _workspace_token(self, credential: Credential, client: _Client,
                         workspaces: list[dict[str, Any]]) -> Introspection:
        reach = _Reach()
        names = [str(w.get("name") or w.get("id")) for w in workspaces]
        token_type = "workspace token"
        if credential.kind == "railway_oauth_token":
            token_type = "OAuth access token (no openid scope)"
            reach.note("OAuth access token that cannot read `me`: treated like a workspace token for the "
                       "workspaces it names; its refresh token was not used.")
        identity = f"{token_type} for " + ", ".join(f"`{n}`" for n in names)
        reach.note(f"Reaches all resources of {', '.join(names)} that the grant allows.")
        reach.unknown("a workspace token's rights inside its workspace are not documented beyond "
                      "\"all the workspace's resources\"; deletes are assumed possible, not confirmed")
        refs: list[_ProjectRef] = []
        for ws in workspaces[:MAX_WORKSPACES]:
            ws_name = str(ws.get("name") or ws.get("id"))
            try:
                answer = client.query(Q_WORKSPACE_PROJECTS, variables={"id": ws.get("id")})
            except _Stop as stop:
                reach.unknown(f"projects of workspace `{ws_name}` not listed: {stop}")
                continue
            detail = answer.data.get("workspace")
            if not isinstance(detail, dict):
                reach.unknown(f"projects of workspace `{ws_name}` not listed: "
                              f"{answer.errors[0] if answer.errors else 'no data'}")
                continue
            if _has_more(detail.get("projects")):
                reach.note(_MORE_PROJECTS.format(ws_name))
            refs.extend(_ProjectRef(str(p["id"]), str(p.get("name") or p["id"]), ws_name)
                        for p in _nodes(detail.get("projects")) if p.get("id"))
        self._inspect_projects(client, reach, refs, token_kind="workspace", user=None)
        return self._finish(client, reach, identity, token_type,
                            [f"workspace {n}: all resources" for n in names])

    # project token ----------------------------------------------------------------------------
    def _project_token(self, credential: Credential, client: _Client,
                       token: Mapping[str, Any]) -> Introspection:
        reach = _Reach()
        project_id = str(token["projectId"])
        env_id = str(token["environmentId"])
        project_name = str((token.get("project") or {}).get("name") or project_id)
        env_name = str((token.get("environment") or {}).get("name") or env_id)
        identity = f"project token `{token.get('name') or token.get('id')}` for {project_name}/{env_name}"
        if credential.kind != "railway_project_token":
            reach.note("Found where an account token was expected, but it is a project token.")
        reach.note(f"Project token bound to environment `{env_name}` of project `{project_name}`: "
                   "it reaches only that environment.")
        parent = f"project `{project_name}`"
        project: Mapping[str, Any] = {"id": project_id, "name": project_name}
        try:
            answer = client.query(Q_PROJECT, project_header=True, variables={"id": project_id})
            detail = answer.data.get("project")
            if isinstance(detail, dict):
                project = detail
            else:
                reach.unknown(f"services and volumes of `{env_name}` not listed: "
                              f"{answer.errors[0] if answer.errors else 'no data'}")
        except _Stop as stop:
            reach.unknown(f"services and volumes of `{env_name}` not listed: {stop}")
        envs = [e for e in _nodes(project.get("environments")) if str(e.get("id")) == env_id]
        env = envs[0] if envs else {"id": env_id, "name": env_name}
        cls = _env_class(env, project)
        env_resource = Resource("environment", env_name, env_name, cls, parent)
        services, volumes = _environment_contents(env, env_name, cls, parent)
        reach.add(env_resource, *services, *volumes)
        reach.grant(Action.READ, "project", [env_resource, *services, *volumes], True)
        reach.grant(Action.WRITE, "variableUpsert", [env_resource], True)
        reach.grant(Action.WRITE, "serviceInstanceDeploy", services or [env_resource], True)
        reach.grant(Action.DELETE, "volumeDelete", volumes, False)
        reach.grant(Action.DELETE, "serviceDelete", services, False)
        reach.grant(Action.DELETE, "environmentDelete", [env_resource], False)
        reach.unknown(f"whether a project token may delete services, volumes or environment `{env_name}` is "
                      "not documented; assumed possible (only a write could tell)")
        shared = _shared_volumes(project, env_id)
        for volume_name, other_envs in shared:
            where = ", ".join(f"`{e}`" for e in other_envs)
            reach.unknown(f"volume `{volume_name}` also has instances in {where}; whether volumeDelete "
                          "from this token would remove those too is not documented")
        if volumes:
            reach.note(_VOLUME_NOTE + ".")
        return self._finish(client, reach, identity, "project token",
                            [f"project {project_name} / environment {env_name}"])

    # projects -----------------------------------------------------------------------------------
    def _inspect_projects(self, client: _Client, reach: _Reach, refs: list[_ProjectRef], *,
                          token_kind: str, user: Mapping[str, Any] | None) -> None:
        unique = list({r.id: r for r in reversed(refs)}.values())[::-1]
        for index, ref in enumerate(unique):
            detail: Mapping[str, Any] | None = None
            project_role: str | None = None
            if index < MAX_PROJECTS and not client.exhausted:
                detail, project_role = self._read_project(client, reach, ref, user)
            elif index == MAX_PROJECTS:
                reach.note(f"Only the first {MAX_PROJECTS} of {len(unique)} projects were inspected; "
                           "the rest are listed as projects of unknown environment class.")
            role = "ADMIN" if token_kind == "workspace" else _best_role(ref.workspace_role, project_role)
            self._map_project(reach, ref, detail, role, assumed=token_kind == "workspace")

    def _read_project(self, client: _Client, reach: _Reach, ref: _ProjectRef,
                      user: Mapping[str, Any] | None) -> tuple[Mapping[str, Any] | None, str | None]:
        """Project detail; members (and so the project role) only when the caller may list them."""
        documents = (Q_PROJECT_WITH_MEMBERS, Q_PROJECT) if user is not None else (Q_PROJECT,)
        last_error = "no data"
        for document in documents:
            try:
                answer = client.query(document, variables={"id": ref.id})
            except _Stop as stop:
                reach.unknown(f"project `{ref.name}` not inspected: {stop}")
                return None, None
            detail = answer.data.get("project")
            if isinstance(detail, dict):
                members = detail.get("members")
                role = _member_role(members, user) if isinstance(members, list) and user else None
                return detail, role
            last_error = answer.errors[0] if answer.errors else last_error
        reach.unknown(f"project `{ref.name}` not inspected: {last_error}")
        return None, None

    def _map_project(self, reach: _Reach, ref: _ProjectRef, detail: Mapping[str, Any] | None,
                     role: str | None, *, assumed: bool) -> None:
        parent = f"project `{ref.name}`"
        env_resources: list[Resource] = []
        services: list[Resource] = []
        volumes: list[Resource] = []
        classes: list[EnvClass] = []
        if detail is not None:
            for env in _nodes(detail.get("environments")):
                if env.get("deletedAt") or env.get("canAccess") is False:
                    continue
                name = str(env.get("name") or env.get("id"))
                cls = _env_class(env, detail)
                classes.append(cls)
                env_resources.append(Resource("environment", name, name, cls, parent))
                env_services, env_volumes = _environment_contents(env, name, cls, parent)
                services.extend(env_services)
                volumes.extend(env_volumes)
            project_class = _reach_class(classes) if classes else EnvClass.UNKNOWN
            # Volumes and services without an instance in a listed environment still belong to the project.
            volumes.extend(_unplaced("volume", detail.get("volumes"), volumes, project_class, parent))
            services.extend(_unplaced("service", detail.get("services"), services, project_class, parent))
            production = [r.name for r in env_resources if r.env_class is EnvClass.PRODUCTION]
            if production:
                reach.note(f"Project `{ref.name}` has production-class environment(s): "
                           + ", ".join(f"`{n}`" for n in production) + ".")
        else:
            project_class = EnvClass.UNKNOWN
        project_resource = Resource("project", ref.name, None, project_class,
                                    f"workspace `{ref.workspace}`" if ref.workspace else None)
        everything = [project_resource, *env_resources, *services, *volumes]
        reach.add(*everything)
        reach.grant(Action.READ, "project", everything, True)
        grant = _grant_for(role)
        if assumed:  # workspace token: made for CI/CD deploys; deletes undocumented ([U])
            grant = _Grant(True, False)
        if grant.write is not None:
            reach.grant(Action.WRITE, "variableUpsert", env_resources or [project_resource], grant.write)
            reach.grant(Action.WRITE, "serviceInstanceDeploy", services or [project_resource], grant.write)
        if grant.delete is not None:
            reach.grant(Action.DELETE, "volumeDelete", volumes, grant.delete)
            reach.grant(Action.DELETE, "serviceDelete", services, grant.delete)
            reach.grant(Action.DELETE, "environmentDelete", env_resources, grant.delete)
            reach.grant(Action.DELETE, "projectDelete", [project_resource], grant.delete)
            if volumes:
                reach.note(_VOLUME_NOTE + ".")
        if role is None and not assumed:
            reach.unknown(f"role on project `{ref.name}` could not be read; writes and deletes are assumed "
                          "possible, not confirmed")
        elif role in ("MEMBER", "VIEWER"):
            reach.note(f"Role {role} on project `{ref.name}`: "
                       + ("can deploy and change variables, cannot delete." if role == "MEMBER"
                          else "read-only."))
        if ref.workspace and (ref.workspace_role == "ADMIN" or assumed):
            # Workspace admins manage members and billing; a workspace token is assumed to ([U]).
            workspace = Resource("workspace", ref.workspace, None, project_class)
            reach.add(workspace)
            reach.grant(Action.ADMIN, "workspacePermissionChange", [workspace], not assumed)
            reach.grant(Action.BILLING, "usageLimitSet", [workspace], not assumed)

    # result -------------------------------------------------------------------------------------
    def _finish(self, client: _Client, reach: _Reach, identity: str, token_type: str,
                scopes: list[str]) -> Introspection:
        if client.exhausted:
            reach.note("Enumeration stopped early to stay within Railway's hourly request budget.")
        if client.remaining is not None:
            reach.note(f"Railway rate limit: {client.remaining} request(s) left this hour.")
        blast = BlastRadius(
            identity=identity, token_type=token_type, scopes=tuple(scopes),
            resources=_merge_workspaces(reach.resources), capabilities=_merge_caps(reach.capabilities()),
            notes=tuple(reach.notes), unknowns=tuple(reach.unknowns),
        )
        article = "an" if token_type[0] in "aeiouAEIOU" else "a"
        return live(f"Railway accepted the token as {article} {token_type}", client.endpoint, blast)


_MORE_PROJECTS = "Workspace `{}` has more than 100 projects; only the first 100 were listed."
_PROBE_LABEL = {"project": "`projectToken`", "me": "`me`", "api": "`apiToken`"}


def _member_role(members: list[Any], user: Mapping[str, Any] | None) -> str | None:
    if user is None:
        return None
    for member in members:
        if not isinstance(member, dict):
            continue
        same = member.get("id") == user.get("id") or (
            user.get("email") and member.get("email") == user.get("email"))
        if same and member.get("role") in _ROLE_RANK:
            return str(member["role"])
    return None


def _environment_contents(env: Mapping[str, Any], env_name: str, cls: EnvClass,
                          parent: str) -> tuple[list[Resource], list[Resource]]:
    """Service and volume instances of one environment, as resources in that environment."""
    services = [Resource("service", str(si.get("serviceName") or si.get("serviceId")), env_name, cls, parent)
                for si in _nodes(env.get("serviceInstances")) if si.get("serviceName") or si.get("serviceId")]
    volumes: list[Resource] = []
    for vi in _nodes(env.get("volumeInstances")):
        if vi.get("state") in ("DELETED", "DELETING"):
            continue
        name = _volume_name(vi) or vi.get("volumeId")
        if name:
            volumes.append(Resource("volume", str(name), env_name, cls, parent))
    return services, volumes


def _volume_name(instance: Mapping[str, Any]) -> str | None:
    volume = instance.get("volume")
    name = volume.get("name") if isinstance(volume, dict) else None
    return str(name) if name else None


def _unplaced(kind: str, connection: Any, placed: list[Resource], cls: EnvClass,
              parent: str) -> list[Resource]:
    names = {r.name for r in placed}
    return [Resource(kind, str(n["name"]), None, cls, parent) for n in _nodes(connection)
            if n.get("name") and n["name"] not in names]


def _shared_volumes(project: Mapping[str, Any], env_id: str) -> list[tuple[str, list[str]]]:
    """Volumes of the bound environment that also have instances in other environments."""
    where: dict[str, set[str]] = {}
    names: dict[str, str] = {}
    for env in _nodes(project.get("environments")):
        for vi in _nodes(env.get("volumeInstances")):
            volume_id = str(vi.get("volumeId") or "")
            if volume_id:
                where.setdefault(volume_id, set()).add(str(env.get("id")))
                names[volume_id] = _volume_name(vi) or volume_id
    env_names = {str(e.get("id")): str(e.get("name")) for e in _nodes(project.get("environments"))}
    return [(names[v], sorted(env_names.get(e, e) for e in envs - {env_id}))
            for v, envs in where.items() if env_id in envs and len(envs) > 1]


def _merge_workspaces(resources: list[Resource]) -> tuple[Resource, ...]:
    """One workspace resource per name, classed by the most production-like project in it."""
    merged: list[Resource] = []
    for resource in resources:
        if resource.kind == "workspace":
            continue
        merged.append(resource)
    for name in dict.fromkeys(r.name for r in resources if r.kind == "workspace"):
        cls = _reach_class(r.env_class for r in resources if r.kind == "workspace" and r.name == name)
        merged.append(Resource("workspace", name, None, cls))
    return tuple(merged)


def _merge_caps(capabilities: tuple[Capability, ...]) -> tuple[Capability, ...]:
    """Workspace resources were added per project; collapse them to one per workspace."""
    out: list[Capability] = []
    for cap in capabilities:
        resources = _merge_workspaces(list(cap.resources)) if any(
            r.kind == "workspace" for r in cap.resources) else cap.resources
        out.append(Capability(cap.action, cap.operation, resources, cap.certain))
    return tuple(out)


PROVIDER = RailwayProvider()

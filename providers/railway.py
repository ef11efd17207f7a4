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
    Listing,
    Page,
    PageFailed,
    Provider,
    ProviderContext,
    ProviderError,
    Response,
    classify_environment,
    collect,
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
PAGE = 100
"""``first:`` for every Relay connection (the CLI asks ``projects(first: 500)``; 100 keeps answers small)."""
ENV_PAGE = 25
"""Environments carry nested instance connections, so they come in smaller pages."""

# --- the only documents this module sends (all `query`) ------------------------------------------
# Every list is a Relay connection read with `first`/`after` and `pageInfo { hasNextPage endCursor }`
# (railwayapp/cli src/gql/schema.json; docs.railway.com/integrations/api), through
# providers.base.collect: a list that stops early says so.

_PAGE_INFO = "pageInfo { hasNextPage endCursor }"

Q_PROJECT_TOKEN = """query credreachProjectToken {
  projectToken { id name projectId environmentId project { id name } environment { id name } }
}"""

Q_ME = """query credreachMe {
  me { id name email username has2FA
       workspaces { id name plan
         projects(first: %d) { edges { node { id name } } %s } } }
  externalWorkspaces { id name projects { id name } }
}""".replace("%d", str(PAGE)).replace("%s", _PAGE_INFO)

Q_API_TOKEN = "query credreachApiToken { apiToken { workspaces { id name } } }"

Q_WORKSPACE_MEMBERS = """query credreachWorkspace($id: String!) {
  workspace(workspaceId: $id) { id name plan has2FAEnforcement members { id email role } }
}"""

Q_WORKSPACE_PROJECTS = """query credreachWorkspaceProjects($id: String!, $after: String) {
  workspace(workspaceId: $id) {
    id name plan has2FAEnforcement
    projects(first: %d, after: $after) { edges { node { id name } } %s }
  }
}""".replace("%d", str(PAGE)).replace("%s", _PAGE_INFO)

_ENVIRONMENT_NODE = """
      id name isEphemeral canAccess deletedAt
      volumeInstances(first: %d) { edges { node {
        id volumeId mountPath sizeMB currentSizeMB state region serviceId isPendingDeletion
        volume { id name } } } %s }
      serviceInstances(first: %d) { edges { node { id serviceId serviceName source { image repo } } } %s }
""".replace("%d", str(PAGE)).replace("%s", _PAGE_INFO)
_INSTANCE_NODES = {
    "volumeInstances": ("id volumeId mountPath sizeMB currentSizeMB state region serviceId isPendingDeletion "
                        "volume { id name }"),
    "serviceInstances": "id serviceId serviceName source { image repo }",
}
Q_ENVIRONMENT_MORE = {
    name: (f"query credreachEnvironment{name[0].upper()}{name[1:]}($id: String!, $after: String) "
           f"{{ environment(id: $id) {{ id {name}(first: {PAGE}, after: $after) "
           f"{{ edges {{ node {{ {node} }} }} {_PAGE_INFO} }} }} }}")
    for name, node in _INSTANCE_NODES.items()
}
"""Further pages of an environment's instance lists (``Query.environment``, railwayapp/cli schema.json)."""
_SERVICE_NODE = "id name"
_VOLUME_NODE = ("id name createdAt volumeInstances(first: %d) { edges { node { id environmentId state } } %s }"
                .replace("%d", str(PAGE)).replace("%s", _PAGE_INFO))
_BUCKET_NODE = "id name"

_CONNECTIONS = {
    "environments": (ENV_PAGE, _ENVIRONMENT_NODE),
    "services": (PAGE, _SERVICE_NODE),
    "volumes": (PAGE, _VOLUME_NODE),
    "buckets": (PAGE, _BUCKET_NODE),
}
"""Project connections: page size and node selection."""


def _connection_field(name: str, after: bool = False) -> str:
    size, node = _CONNECTIONS[name]
    args = f"first: {size}, after: $after" if after else f"first: {size}"
    return f"{name}({args}) {{ edges {{ node {{ {node} }} }} {_PAGE_INFO} }}"


_PROJECT_BODY = ("\n    id name workspaceId isPublic deletedAt primaryEnvironmentId baseEnvironmentId\n    %s\n    "
                 + "\n    ".join(_connection_field(n) for n in _CONNECTIONS) + "\n")
Q_PROJECT_WITH_MEMBERS = ("query credreachProject($id: String!) { project(id: $id) {"
                          + _PROJECT_BODY % "members { id email role }" + "} }")
Q_PROJECT = "query credreachProject($id: String!) { project(id: $id) {" + _PROJECT_BODY % "" + "} }"
Q_PROJECT_MORE = {
    name: (f"query credreachProject{name.title()}($id: String!, $after: String) "
           f"{{ project(id: $id) {{ id {_connection_field(name, after=True)} }} }}")
    for name in _CONNECTIONS
}
"""Further pages of one project connection, from the previous page's ``endCursor``."""

ALLOWED_ROOT_FIELDS = frozenset({
    "projectToken", "me", "externalWorkspaces", "apiToken", "workspace", "project", "environment",
})
"""Root fields credreach may ask Railway for; tests compare the fake's log against this."""

_ROLE_RANK = {"VIEWER": 1, "MEMBER": 2, "ADMIN": 3}
_ENV_REACH_ORDER = (EnvClass.PRODUCTION, EnvClass.UNKNOWN, EnvClass.STAGING, EnvClass.DEVELOPMENT)
_VOLUME_NOTE = ("volumeDelete removes a volume with its volume-level backups; a volume id is shared by "
                "the volume's instances in every environment")
_DOC_API = "docs.railway.com/integrations/api"
_DOC_MEMBERS = "docs.railway.com/projects/project-members"
_BASIS = "Railway environment"
"""Railway environments are the provider's own field: their names (and ``isEphemeral``,
``primaryEnvironmentId``) are what Railway itself calls production or preview."""
_NO_SCOPES_NOTE = ("Railway documents no per-operation scoping for any token kind ({}): a {} can run every "
                   "mutation its reach includes, so its deletes are certain, not possible.")


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
    caps: dict[tuple[Action, str, bool, str | None], list[Resource]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    unknowns: list[str] = field(default_factory=list)

    def add(self, *resources: Resource) -> None:
        for resource in resources:
            if resource not in self.resources:
                self.resources.append(resource)

    def grant(self, action: Action, operation: str, resources: Iterable[Resource], certain: bool = True,
              left_open_by: str | None = None) -> None:
        """``certain=False`` only with ``left_open_by`` naming what leaves it open (scanner.model.granted)."""
        note = None if certain else left_open_by
        bucket = self.caps.setdefault((action, operation, certain, note), [])
        bucket.extend(r for r in resources if r not in bucket)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def unknown(self, text: str) -> None:
        if text not in self.unknowns:
            self.unknowns.append(text)

    def capabilities(self) -> tuple[Capability, ...]:
        return tuple(Capability(action, op, tuple(res), certain, note)
                     for (action, op, certain, note), res in self.caps.items() if res)

    def listed(self, listing: Listing) -> list[Any]:
        """A listing's items; a list that stopped early is reported, never silently short."""
        shortfall = listing.shortfall()
        if shortfall:
            self.unknown(shortfall)
        return list(listing.items)


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


def _page(connection: Any) -> Page:
    """One Relay page: its nodes and, when ``hasNextPage``, the ``endCursor`` to continue ``after``."""
    info = connection.get("pageInfo") if isinstance(connection, dict) else None
    cursor = info.get("endCursor") if isinstance(info, dict) and info.get("hasNextPage") else None
    return Page(tuple(_nodes(connection)), str(cursor) if cursor else None)


def _nested_shortfall(reach: _Reach, connection: Any, what: str) -> None:
    """Instance lists nested in an environment are read one page deep; more is reported, not hidden."""
    if _has_more(connection):
        reach.unknown(f"listed {len(_nodes(connection))} {what}; more exist (first page of {PAGE} only), "
                      "the rest were not inspected")


def _reach_class(classes: Iterable[EnvClass]) -> EnvClass:
    """The most production-like class; unknown outranks staging because it counts as production."""
    seen = set(classes)
    return next((c for c in _ENV_REACH_ORDER if c in seen), EnvClass.UNKNOWN)


def _env_class(env: Mapping[str, Any], project: Mapping[str, Any]) -> EnvClass:
    """The environment's own name first (Railway's field); then Railway's hints: an ephemeral (PR)
    environment is development, the primary environment is typically production."""
    cls = classify_environment(env.get("name"))
    if cls is EnvClass.UNKNOWN:
        if env.get("isEphemeral"):
            return EnvClass.DEVELOPMENT
        if env.get("id") and env.get("id") == project.get("primaryEnvironmentId"):
            return EnvClass.PRODUCTION
    return cls


def _env_basis(env: Mapping[str, Any], project: Mapping[str, Any]) -> str:
    if classify_environment(env.get("name")) is not EnvClass.UNKNOWN:
        return _BASIS
    if env.get("isEphemeral"):
        return f"{_BASIS} (isEphemeral)"
    if env.get("id") and env.get("id") == project.get("primaryEnvironmentId"):
        return f"{_BASIS} (primaryEnvironmentId)"
    return _BASIS


def _best_role(*roles: str | None) -> str | None:
    known = [r for r in roles if r in _ROLE_RANK]
    return max(known, key=lambda r: _ROLE_RANK[r]) if known else None


@dataclass(frozen=True)
class _Grant:
    """What a role allows: each is None (no), True (certain) or False (possible: ``left_open_by``)."""

    write: bool | None
    delete: bool | None
    left_open_by: str | None = None


def _grant_for(role: str | None) -> _Grant:
    """Railway roles (docs project-members.md; staff on station.railway.com): admins delete; an
    Editor/Member "can not do destructive actions such as deleting services or deleting the project";
    a Viewer reads. Where the role cannot be read, what it allows is left open by those docs."""
    if role == "ADMIN":
        return _Grant(True, True)
    if role == "MEMBER":
        return _Grant(True, None)
    if role == "VIEWER":
        return _Grant(None, None)
    return _Grant(False, False, f"the user's role, which decides deletes ({_DOC_MEMBERS}) and could not be read")


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
        reach.note(_NO_SCOPES_NOTE.format(_DOC_API, token_type) + " What it may do is its user's role.")
        scopes: list[str] = []
        refs: list[_ProjectRef] = []
        workspaces = [w for w in me.get("workspaces") or [] if isinstance(w, dict)]
        for index, ws in enumerate(workspaces):
            role = None
            if index < MAX_WORKSPACES:
                role = self._workspace_role(client, reach, ws, me)
            ws_name = str(ws.get("name") or ws.get("id"))
            scopes.append(f"workspace {ws_name}: {role or 'role unknown'}")
            projects = self._workspace_projects(client, reach, ws, first=ws.get("projects"))
            refs.extend(_ProjectRef(str(p["id"]), str(p.get("name") or p["id"]), ws_name, role)
                        for p in projects if p.get("id"))
        if len(workspaces) > MAX_WORKSPACES:
            reach.note(f"Roles were read for the first {MAX_WORKSPACES} of {len(workspaces)} workspaces.")
        for ws in external if isinstance(external, list) else []:
            if not isinstance(ws, dict):
                continue
            ws_name = str(ws.get("name") or ws.get("id"))
            scopes.append(f"workspace {ws_name}: project member only")
            refs.extend(_ProjectRef(str(p["id"]), str(p.get("name") or p["id"]), ws_name)
                        for p in ws.get("projects") or [] if isinstance(p, dict) and p.get("id"))
        count = self._inspect_projects(client, reach, refs, token_kind="user", user=me)
        reach.note(f"{token_type[0].upper()}{token_type[1:]} of {identity}: reaches {len(workspaces)} workspace(s) "
                   f"and {count} project(s).")
        return self._finish(client, reach, identity, token_type, scopes)

    def _workspace_projects(self, client: _Client, reach: _Reach, ws: Mapping[str, Any], *,
                            first: Any = None) -> list[dict[str, Any]]:
        """Every project of a workspace, page by page (``first`` is a page already read inline)."""
        ws_name = str(ws.get("name") or ws.get("id"))

        def fetch(cursor: str | None) -> Page:
            if cursor is None and isinstance(first, dict):
                return _page(first)
            try:
                answer = client.query(Q_WORKSPACE_PROJECTS, variables={"id": ws.get("id"), "after": cursor})
            except _Stop as stop:
                raise PageFailed(str(stop)) from stop
            detail = answer.data.get("workspace")
            if not isinstance(detail, dict):
                raise PageFailed(answer.errors[0] if answer.errors else "no data")
            return _page(detail.get("projects"))

        try:
            listing = collect(fetch, what=f"projects of workspace `{ws_name}`")
        except PageFailed as exc:
            reach.unknown(f"projects of workspace `{ws_name}` not listed: {exc}")
            return []
        return [p for p in reach.listed(listing) if isinstance(p, dict)]

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
        reach.note(f"Reaches all resources of {', '.join(names)}: a workspace token \"has access to all the "
                   f"workspace's resources\" ({_DOC_API}).")
        reach.note(_NO_SCOPES_NOTE.format(_DOC_API, token_type))
        refs: list[_ProjectRef] = []
        for ws in workspaces[:MAX_WORKSPACES]:
            ws_name = str(ws.get("name") or ws.get("id"))
            refs.extend(_ProjectRef(str(p["id"]), str(p.get("name") or p["id"]), ws_name)
                        for p in self._workspace_projects(client, reach, ws) if p.get("id"))
        if len(workspaces) > MAX_WORKSPACES:
            reach.unknown(f"projects of {len(workspaces) - MAX_WORKSPACES} more workspace(s) were not listed")
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
                   "it authenticates requests to that environment.")
        reach.note(_NO_SCOPES_NOTE.format(_DOC_API, "project token"))
        parent = f"project `{project_name}`"
        ref = _ProjectRef(project_id, project_name, None)
        project = self._project_detail(client, reach, ref, (Q_PROJECT,), project_header=True)
        if project is None:
            project = {"id": project_id, "name": project_name}
        environments = list(project.get("environments") or [])
        env = next((e for e in environments if str(e.get("id")) == env_id), {"id": env_id, "name": env_name})
        cls = _env_class(env, project)
        basis = _env_basis(env, project)
        env_resource = Resource("environment", env_name, env_name, cls, parent, basis)
        services, volumes = _environment_contents(reach, env, env_name, cls, parent, basis)
        shared = _shared_instances(project, env, parent)
        reach.add(env_resource, *services, *volumes, *shared)
        reach.grant(Action.READ, "project", [env_resource, *services, *volumes], True)
        reach.grant(Action.WRITE, "variableUpsert", [env_resource])
        reach.grant(Action.WRITE, "serviceInstanceDeploy", services or [env_resource])
        # volumeDelete takes a volume id, and one volume has an instance in every environment it was
        # forked into: deleting it from this environment deletes it there too (the PocketOS call).
        reach.grant(Action.DELETE, "volumeDelete", [*volumes, *shared])
        reach.grant(Action.DELETE, "serviceDelete", services)
        reach.grant(Action.DELETE, "environmentDelete", [env_resource])
        for resource in shared:
            reach.note(f"Volume `{resource.name}` of `{env_name}` also has an instance in `{resource.environment}`: "
                       f"a volumeDelete from this token removes it there too.")
        if volumes:
            reach.note(_VOLUME_NOTE + ".")
        reach.note(_basis_note())
        return self._finish(client, reach, identity, "project token",
                            [f"project {project_name} / environment {env_name}"])

    # projects -----------------------------------------------------------------------------------
    def _inspect_projects(self, client: _Client, reach: _Reach, refs: list[_ProjectRef], *,
                          token_kind: str, user: Mapping[str, Any] | None) -> int:
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
            self._map_project(reach, ref, detail, role, workspace_token=token_kind == "workspace")
        if unique:
            reach.note(_basis_note())
        return len(unique)

    def _read_project(self, client: _Client, reach: _Reach, ref: _ProjectRef,
                      user: Mapping[str, Any] | None) -> tuple[Mapping[str, Any] | None, str | None]:
        """Project detail; members (and so the project role) only when the caller may list them."""
        documents = (Q_PROJECT_WITH_MEMBERS, Q_PROJECT) if user is not None else (Q_PROJECT,)
        detail = self._project_detail(client, reach, ref, documents)
        if detail is None:
            return None, None
        members = detail.get("members")
        role = _member_role(members, user) if isinstance(members, list) and user else None
        return detail, role

    def _project_detail(self, client: _Client, reach: _Reach, ref: _ProjectRef, documents: tuple[str, ...],
                        *, project_header: bool = False) -> dict[str, Any] | None:
        """One project with every page of its environments, services, volumes and buckets.

        The connections come back flattened to node lists; a connection that stopped early (page
        cap, budget, a failing page) is reported by :meth:`_Reach.listed`.
        """
        last_error = "no data"
        detail: dict[str, Any] | None = None
        for document in documents:
            try:
                answer = client.query(document, project_header=project_header, variables={"id": ref.id})
            except _Stop as stop:
                reach.unknown(f"project `{ref.name}` not inspected: {stop}")
                return None
            found = answer.data.get("project")
            if isinstance(found, dict):
                detail = dict(found)
                break
            last_error = answer.errors[0] if answer.errors else last_error
        if detail is None:
            reach.unknown(f"project `{ref.name}` not inspected: {last_error}")
            return None
        for name in _CONNECTIONS:
            detail[name] = self._rest_of(client, reach, ref, name, detail.get(name), project_header)
        for env in detail.get("environments") or []:
            if isinstance(env, dict):
                for name in _INSTANCE_NODES:
                    if _has_more(env.get(name)):
                        env[name] = self._instances_of(client, reach, env, name, project_header)
        return detail

    def _instances_of(self, client: _Client, reach: _Reach, env: Mapping[str, Any], name: str,
                      project_header: bool) -> dict[str, Any]:
        """Every page of one environment's instance list, as one connection with nothing more to read."""
        first = env.get(name)
        env_id = str(env.get("id"))

        def fetch(cursor: str | None) -> Page:
            if cursor is None:
                return _page(first)
            try:
                answer = client.query(Q_ENVIRONMENT_MORE[name], project_header=project_header,
                                      variables={"id": env_id, "after": cursor})
            except _Stop as stop:
                raise PageFailed(str(stop)) from stop
            found = answer.data.get("environment")
            if not isinstance(found, dict):
                raise PageFailed(answer.errors[0] if answer.errors else "no data")
            return _page(found.get(name))

        listing = collect(fetch, what=f"{name} of environment `{env.get('name') or env_id}`")
        nodes = reach.listed(listing)
        return {"edges": [{"node": n} for n in nodes], "pageInfo": {"hasNextPage": False, "endCursor": None}}

    def _rest_of(self, client: _Client, reach: _Reach, ref: _ProjectRef, name: str, first: Any,
                 project_header: bool) -> list[dict[str, Any]]:
        def fetch(cursor: str | None) -> Page:
            if cursor is None:
                return _page(first)
            try:
                answer = client.query(Q_PROJECT_MORE[name], project_header=project_header,
                                      variables={"id": ref.id, "after": cursor})
            except _Stop as stop:
                raise PageFailed(str(stop)) from stop
            found = answer.data.get("project")
            if not isinstance(found, dict):
                raise PageFailed(answer.errors[0] if answer.errors else "no data")
            return _page(found.get(name))

        listing = collect(fetch, what=f"{name} of project `{ref.name}`")
        return [n for n in reach.listed(listing) if isinstance(n, dict)]

    def _map_project(self, reach: _Reach, ref: _ProjectRef, detail: Mapping[str, Any] | None,
                     role: str | None, *, workspace_token: bool) -> None:
        parent = f"project `{ref.name}`"
        env_resources: list[Resource] = []
        services: list[Resource] = []
        volumes: list[Resource] = []
        classes: list[EnvClass] = []
        basis: str | None = None
        if detail is not None:
            for env in detail.get("environments") or []:
                if env.get("deletedAt") or env.get("canAccess") is False:
                    continue
                name = str(env.get("name") or env.get("id"))
                cls = _env_class(env, detail)
                env_basis = _env_basis(env, detail)
                classes.append(cls)
                env_resources.append(Resource("environment", name, name, cls, parent, env_basis))
                env_services, env_volumes = _environment_contents(reach, env, name, cls, parent, env_basis)
                services.extend(env_services)
                volumes.extend(env_volumes)
            project_class = _reach_class(classes) if classes else EnvClass.UNKNOWN
            basis = f"{_BASIS}s of the project" if classes else None
            # Volumes and services without an instance in a listed environment still belong to the project.
            volumes.extend(_unplaced("volume", detail.get("volumes"), volumes, project_class, parent, basis))
            services.extend(_unplaced("service", detail.get("services"), services, project_class, parent, basis))
            production = [r.name for r in env_resources if r.env_class is EnvClass.PRODUCTION]
            if production:
                reach.note(f"Project `{ref.name}` has production-class environment(s): "
                           + ", ".join(f"`{n}`" for n in production) + ".")
        else:
            project_class = EnvClass.UNKNOWN
        project_resource = Resource("project", ref.name, None, project_class,
                                    f"workspace `{ref.workspace}`" if ref.workspace else None, basis)
        everything = [project_resource, *env_resources, *services, *volumes]
        reach.add(*everything)
        reach.grant(Action.READ, "project", everything, True)
        # A workspace token reaches all the workspace's resources and is not scoped per operation
        # (docs api.md): everything an admin could do, with certainty.
        grant = _Grant(True, True) if workspace_token else _grant_for(role)
        left_open = grant.left_open_by
        if grant.write is not None:
            reach.grant(Action.WRITE, "variableUpsert", env_resources or [project_resource], grant.write, left_open)
            reach.grant(Action.WRITE, "serviceInstanceDeploy", services or [project_resource], grant.write,
                        left_open)
        if grant.delete is not None:
            reach.grant(Action.DELETE, "volumeDelete", volumes, grant.delete, left_open)
            reach.grant(Action.DELETE, "serviceDelete", services, grant.delete, left_open)
            reach.grant(Action.DELETE, "environmentDelete", env_resources, grant.delete, left_open)
            reach.grant(Action.DELETE, "projectDelete", [project_resource], grant.delete, left_open)
            if volumes:
                reach.note(_VOLUME_NOTE + ".")
        if role is None and not workspace_token:
            reach.unknown(f"role on project `{ref.name}` could not be read; writes and deletes are possible, "
                          f"not confirmed ({_DOC_MEMBERS}: the role decides)")
        elif role in ("MEMBER", "VIEWER"):
            reach.note(f"Role {role} on project `{ref.name}`: "
                       + ("can deploy and change variables, cannot delete." if role == "MEMBER"
                          else "read-only."))
        if ref.workspace and (ref.workspace_role == "ADMIN" or workspace_token):
            # Workspace admins manage members and billing; so does a token with all the workspace's resources.
            workspace = Resource("workspace", ref.workspace, None, project_class, env_basis=basis)
            reach.add(workspace)
            reach.grant(Action.ADMIN, "workspacePermissionChange", [workspace])
            reach.grant(Action.BILLING, "usageLimitSet", [workspace])

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


_PROBE_LABEL = {"project": "`projectToken`", "me": "`me`", "api": "`apiToken`"}


def _basis_note() -> str:
    return ("Environment classes come from Railway's own environments (their names, `isEphemeral`, "
            "`primaryEnvironmentId`), not from resource names.")


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


def _environment_contents(reach: _Reach, env: Mapping[str, Any], env_name: str, cls: EnvClass,
                          parent: str, basis: str) -> tuple[list[Resource], list[Resource]]:
    """Service and volume instances of one environment, as resources in that environment."""
    _nested_shortfall(reach, env.get("serviceInstances"), f"service instances of environment `{env_name}` "
                      f"of {parent}")
    _nested_shortfall(reach, env.get("volumeInstances"), f"volume instances of environment `{env_name}` "
                      f"of {parent}")
    services = [Resource("service", str(si.get("serviceName") or si.get("serviceId")), env_name, cls, parent,
                         basis)
                for si in _nodes(env.get("serviceInstances")) if si.get("serviceName") or si.get("serviceId")]
    volumes: list[Resource] = []
    for vi in _nodes(env.get("volumeInstances")):
        if vi.get("state") in ("DELETED", "DELETING"):
            continue
        name = _volume_name(vi) or vi.get("volumeId")
        if name:
            volumes.append(Resource("volume", str(name), env_name, cls, parent, basis))
    return services, volumes


def _volume_name(instance: Mapping[str, Any]) -> str | None:
    volume = instance.get("volume")
    name = volume.get("name") if isinstance(volume, dict) else None
    return str(name) if name else None


def _unplaced(kind: str, nodes: Any, placed: list[Resource], cls: EnvClass,
              parent: str, basis: str | None) -> list[Resource]:
    names = {r.name for r in placed}
    return [Resource(kind, str(n["name"]), None, cls, parent, basis) for n in nodes or []
            if isinstance(n, dict) and n.get("name") and n["name"] not in names]


def _shared_instances(project: Mapping[str, Any], env: Mapping[str, Any], parent: str) -> list[Resource]:
    """The other environments' instances of the bound environment's volumes.

    ``Volume.volumeInstances`` names every environment a volume has an instance in; ``volumeDelete``
    takes the volume id, so those instances go with it. An environment the token cannot name counts
    as unknown (and so as production).
    """
    env_id = str(env.get("id"))
    mine = {str(vi.get("volumeId")) for vi in _nodes(env.get("volumeInstances"))
            if vi.get("volumeId") and vi.get("state") not in ("DELETED", "DELETING")}
    environments = {str(e.get("id")): e for e in project.get("environments") or [] if isinstance(e, dict)}
    out: list[Resource] = []
    for volume in project.get("volumes") or []:
        if not isinstance(volume, dict) or str(volume.get("id")) not in mine:
            continue
        for vi in _nodes(volume.get("volumeInstances")):
            other = str(vi.get("environmentId") or "")
            if not other or other == env_id or vi.get("state") in ("DELETED", "DELETING"):
                continue
            found = environments.get(other)
            if found is not None and found.get("deletedAt"):
                continue
            name = str(found.get("name") or other) if found else other
            cls = _env_class(found, project) if found else EnvClass.UNKNOWN
            basis = _env_basis(found, project) if found else None
            out.append(Resource("volume", str(volume.get("name") or volume.get("id")), name, cls, parent, basis))
    return out


def _merge_workspaces(resources: list[Resource]) -> tuple[Resource, ...]:
    """One workspace resource per name, classed by the most production-like project in it."""
    merged: list[Resource] = []
    for resource in resources:
        if resource.kind == "workspace":
            continue
        merged.append(resource)
    for name in dict.fromkeys(r.name for r in resources if r.kind == "workspace"):
        same = [r for r in resources if r.kind == "workspace" and r.name == name]
        cls = _reach_class(r.env_class for r in same)
        basis = next((r.env_basis for r in same if r.env_basis), None)
        merged.append(Resource("workspace", name, None, cls, env_basis=basis))
    return tuple(merged)


def _merge_caps(capabilities: tuple[Capability, ...]) -> tuple[Capability, ...]:
    """Workspace resources were added per project; collapse them to one per workspace."""
    out: list[Capability] = []
    for cap in capabilities:
        resources = _merge_workspaces(list(cap.resources)) if any(
            r.kind == "workspace" for r in cap.resources) else cap.resources
        out.append(Capability(cap.action, cap.operation, resources, cap.certain, cap.note))
    return tuple(out)


PROVIDER = RailwayProvider()

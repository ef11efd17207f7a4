"""OpenAI: which organization/project a key spends for and what it can read, read-only.

Inference keys (project, service-account, legacy user) are checked with ``GET /v1/models``; the
``openai-organization``/``openai-project`` response headers name where the key bills. Restricted
project keys answer endpoints outside their permissions with "Missing scopes: ..." (401/403),
which is not an invalid key. Read access to files, fine-tuning jobs, batches and vector stores is
probed with GETs only; inference and deletes are writes, so for a restricted key they are
unknowns (an unrestricted key has them by definition). Admin keys (``sk-admin-``) cannot do
inference; they are checked with ``GET /v1/organization/projects`` and administer the whole
organization (API keys, users, projects).
"""

from __future__ import annotations

from typing import Any

from providers.base import (
    HasMore,
    Introspection,
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
from scanner.model import Action, BlastRadius, Capability, Credential, Resource
from scanner.redact import safe_error

READ_PROBES = (("/v1/files", "files.list"), ("/v1/fine_tuning/jobs", "fine_tuning.jobs.list"),
               ("/v1/batches", "batches.list"), ("/v1/vector_stores", "vector_stores.list"))
_TYPES = {"openai_project_key": "project API key", "openai_service_account_key": "service-account key",
          "openai_user_key": "legacy user API key", "openai_admin_key": "admin API key"}


class OpenAIProvider(Provider):
    name = "openai"
    display_name = "OpenAI"
    kinds = frozenset(_TYPES)
    default_base_url = "https://api.openai.com"
    reveals = "organization/project billed, restricted-key missing scopes, readable data; admin: projects"
    docs = ("https://platform.openai.com/docs/api-reference/authentication",
            "https://platform.openai.com/docs/api-reference/models/list",
            "https://platform.openai.com/docs/api-reference/projects/list",
            "https://platform.openai.com/docs/guides/error-codes")

    def introspect(self, credential: Credential, ctx: ProviderContext) -> Introspection:
        try:
            if credential.kind == "openai_admin_key":
                return _admin(credential, ctx)
            return _inference(credential, ctx)
        except (ProviderError, MutationRefused) as exc:
            return unverifiable(f"OpenAI check failed: {safe_error(exc)}", ctx.http.base_url)


def _inference(credential: Credential, ctx: ProviderContext) -> Introspection:
    endpoint = ctx.http.base_url
    headers = {"Authorization": f"Bearer {credential.secret}"}
    resp = ctx.http.get("/v1/models", headers=headers)
    missing: list[str] = []
    if resp.status in (401, 403) and _missing_scopes(resp):
        missing.append(_missing_scopes(resp))
    elif resp.status == 401:
        return invalid(f"OpenAI rejected the key (HTTP 401 {_code(resp)})", endpoint)
    elif resp.status != 200:
        return unverifiable(f"OpenAI /v1/models: {status_problem(resp)}", endpoint)
    org = resp.header("openai-organization") or "unknown organization"
    project = resp.header("openai-project")
    org_res = Resource("organization", org, None, classify_environment(org))
    resources = [org_res]
    if project:
        resources.append(Resource("project", project, None, classify_environment(project), f"organization {org}"))
    reach = tuple(resources[1:] or resources)
    caps: list[Capability] = []
    if resp.status == 200:
        caps.append(Capability(Action.READ, "models.list", reach))
    unchecked: list[str] = []
    for path, operation in READ_PROBES:
        probe = ctx.http.get(path, headers=headers, params={"limit": "1"})
        if probe.status == 200:
            caps.append(Capability(Action.READ, operation, reach))
        elif probe.status in (401, 403) and _missing_scopes(probe):
            missing.append(_missing_scopes(probe))
        else:
            unchecked.append(path)
    restricted = bool(missing)
    notes = [f"bills to organization `{org}`" + (f", project `{project}`" if project else "")]
    unknowns: list[str] = []
    if restricted:
        notes.append("restricted key; missing scopes: " + ", ".join(sorted(set(missing))))
        unknowns.append("write permissions of this restricted key (model requests, file/vector-store "
                        "deletes) cannot be learned without writing; not probed")
    else:
        notes.append("unrestricted key: all permissions of its project")
    if unchecked:
        unknowns.append("read access not determined for " + ", ".join(unchecked))
    caps.append(Capability(Action.BILLING, "model requests (spend the organization's credit)", reach,
                           certain=not restricted))
    caps.append(Capability(Action.DELETE, "DELETE /v1/files/{id}, /v1/vector_stores/{id}, fine-tuned models",
                           reach, certain=not restricted))
    identity = org
    if credential.kind == "openai_user_key":
        identity = _me(ctx, headers, notes) or org
    blast = BlastRadius(identity=identity, token_type=_TYPES[credential.kind],
                        scopes=("restricted",) if restricted else ("all",), resources=tuple(resources),
                        capabilities=tuple(caps), notes=tuple(notes), unknowns=tuple(unknowns))
    return live(f"OpenAI key live for {identity}", endpoint, blast)


def _me(ctx: ProviderContext, headers: dict[str, str], notes: list[str]) -> str | None:
    """Legacy user keys act as the user: ``/v1/me`` (undocumented, used by scanners) names them."""
    resp = ctx.http.get("/v1/me", headers=headers)
    if resp.status != 200:
        return None
    me = _obj(resp.json())
    for org in map(_obj, _obj(me.get("orgs")).get("data") or []):
        notes.append(f"user is `{org.get('role', '?')}` of organization `{org.get('title') or org.get('id')}`")
    return str(me.get("email") or me.get("id") or "") or None


def _admin(credential: Credential, ctx: ProviderContext) -> Introspection:
    endpoint = ctx.http.base_url
    headers = {"Authorization": f"Bearer {credential.secret}"}
    listing = paginate(ctx.http, "/v1/organization/projects", HasMore(), what="projects", headers=headers,
                       params={"limit": "100"})
    resp = listing.first
    if resp is None:
        return unverifiable(f"OpenAI /v1/organization/projects: {listing.problem or 'no answer'}", endpoint)
    if listing.status == 401:
        return invalid(f"OpenAI rejected the admin key (HTTP 401 {_code(resp)})", endpoint)
    if not listing.ok:
        return unverifiable(f"OpenAI /v1/organization/projects: {status_problem(resp)}", endpoint)
    org = resp.header("openai-organization") or "organization of this admin key"
    org_res = Resource("organization", org, None, classify_environment(org))
    projects = tuple(Resource("project", str(p.get("name") or p.get("id")), None,
                              classify_environment(str(p.get("name"))), f"organization {org}")
                     for p in map(_obj, listing.items) if p.get("status", "active") == "active")
    notes = [f"admin key of organization `{org}` with {len(projects)} active project(s)"]
    unknowns = [s for s in (listing.shortfall(),) if s]
    users = paginate(ctx.http, "/v1/organization/users", HasMore(), what="organization members",
                     headers=headers, params={"limit": "100"})
    if users.ok:
        unknowns += [s for s in (users.shortfall(),) if s]
        members = [_obj(u) for u in users.items]
        owners = [str(u.get("email")) for u in members if u.get("role") == "owner"]
        notes.append(f"{len(members)} organization member(s), owners: {', '.join(owners) or 'none listed'}")
    caps = (Capability(Action.ADMIN, "organization admin: create/delete API keys, invite/remove users, "
                       "change rate limits", (org_res, *projects)),
            Capability(Action.DELETE, "archive projects, delete API keys and service accounts", projects),
            Capability(Action.READ, "organization usage, costs and audit logs", (org_res,)))
    blast = BlastRadius(identity=org, token_type=_TYPES[credential.kind], scopes=("admin",),
                        resources=(org_res, *projects), capabilities=caps, notes=tuple(notes),
                        unknowns=tuple(unknowns))
    return live(f"OpenAI admin key live for {org}", endpoint, blast)


def _error(resp: Response) -> dict[str, Any]:
    try:
        return _obj(_obj(resp.json()).get("error"))
    except ProviderError:
        return {}


def _code(resp: Response) -> str:
    return str(_error(resp).get("code") or "")[:40]


def _missing_scopes(resp: Response) -> str:
    message = str(_error(resp).get("message") or "")
    if "Missing scopes:" not in message:
        return ""
    return message.split("Missing scopes:", 1)[1].split(". ")[0].strip().rstrip(".")[:80] or "unknown"


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


PROVIDER = OpenAIProvider()

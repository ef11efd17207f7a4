"""Anthropic: which organization an API or Admin key belongs to and what it can do, read-only.

API keys (``sk-ant-api03-``) have no scopes: any live key can spend on model requests and
read/cancel/delete the message batches of its workspace, so those follow from ``GET /v1/models``
answering 200; ``GET /v1/messages/batches`` shows whether batch data is there to read. Admin
keys (``sk-ant-admin01-``) cannot do inference; ``GET /v1/organizations/me``, ``/workspaces``,
``/users`` and ``/api_keys`` show the organization they administer (create/disable keys, remove
users, archive workspaces). Every request carries ``anthropic-version``, which the API requires.
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
from scanner.redact import safe_error

API_VERSION = "2023-06-01"


class AnthropicProvider(Provider):
    name = "anthropic"
    display_name = "Anthropic"
    kinds = frozenset({"anthropic_api_key", "anthropic_admin_key"})
    default_base_url = "https://api.anthropic.com"
    reveals = "organization; API keys: models, batches (spend); admin keys: workspaces, users, API keys"
    docs = ("https://docs.anthropic.com/en/api/models-list", "https://docs.anthropic.com/en/api/errors",
            "https://docs.anthropic.com/en/api/admin-api/organization/get-me",
            "https://docs.anthropic.com/en/api/admin-api/workspaces/list-workspaces",
            "https://docs.anthropic.com/en/api/listing-message-batches")

    def introspect(self, credential: Credential, ctx: ProviderContext) -> Introspection:
        headers = {"x-api-key": credential.secret, "anthropic-version": API_VERSION}
        try:
            if credential.kind == "anthropic_admin_key":
                return _admin(ctx, headers)
            return _api_key(ctx, headers)
        except (ProviderError, MutationRefused) as exc:
            return unverifiable(f"Anthropic check failed: {safe_error(exc)}", ctx.http.base_url)


def _api_key(ctx: ProviderContext, headers: dict[str, str]) -> Introspection:
    endpoint = ctx.http.base_url
    resp = ctx.http.get("/v1/models", headers=headers, params={"limit": "100"})
    if resp.status == 401:
        return invalid(f"Anthropic rejected the key (HTTP 401 {_error_type(resp)})", endpoint)
    if resp.status != 200:
        return unverifiable(f"Anthropic /v1/models: {_problem(resp)}", endpoint)
    models = [str(m.get("id")) for m in map(_obj, _obj(resp.json()).get("data") or [])]
    org = _org(ctx, headers)
    org_name = str(org.get("name") or org.get("id") or "organization of this key")
    workspace = Resource("workspace", "workspace of this key", None, classify_environment(None),
                         f"organization {org_name}")
    notes = [f"API key of organization `{org_name}`; {len(models)} model(s) available"]
    batches = ctx.http.get("/v1/messages/batches", headers=headers, params={"limit": "20"})
    caps = [Capability(Action.READ, "models.list", (workspace,)),
            Capability(Action.BILLING, "messages.create (spends the organization's credit)", (workspace,))]
    if batches.status == 200:
        count = len(_obj(batches.json()).get("data") or [])
        notes.append(f"{count} message batch(es) readable (prompts and results)")
        caps.append(Capability(Action.READ, "messages.batches.list/results", (workspace,)))
        caps.append(Capability(Action.DELETE, "messages.batches.cancel/delete", (workspace,)))
    blast = BlastRadius(identity=org_name, token_type="API key", scopes=("api",),
                        resources=(workspace,), capabilities=tuple(caps), notes=tuple(notes),
                        unknowns=("which workspace the key belongs to (only an Admin key can list keys)",))
    return live(f"Anthropic API key live for {org_name}", endpoint, blast)


def _admin(ctx: ProviderContext, headers: dict[str, str]) -> Introspection:
    endpoint = ctx.http.base_url
    resp = ctx.http.get("/v1/organizations/me", headers=headers)
    if resp.status == 401:
        return invalid(f"Anthropic rejected the admin key (HTTP 401 {_error_type(resp)})", endpoint)
    if resp.status != 200:
        return unverifiable(f"Anthropic /v1/organizations/me: {_problem(resp)}", endpoint)
    org = _obj(resp.json())
    org_name = str(org.get("name") or org.get("id") or "?")
    org_res = Resource("organization", org_name, None, classify_environment(org_name))
    workspaces = tuple(Resource("workspace", str(w.get("name") or w.get("id")), None,
                                classify_environment(str(w.get("name"))), f"organization {org_name}")
                       for w in _data(ctx, "/v1/organizations/workspaces", headers) if not w.get("archived_at"))
    users = _data(ctx, "/v1/organizations/users", headers)
    admins = [str(u.get("email")) for u in users if u.get("role") == "admin"]
    keys = _data(ctx, "/v1/organizations/api_keys", headers)
    active = sum(1 for k in keys if k.get("status") == "active")
    notes = [f"admin key of organization `{org_name}`: {len(workspaces)} workspace(s), {len(users)} user(s) "
             f"(admins: {', '.join(admins) or 'none listed'}), {active} active API key(s)"]
    everything = (org_res, *workspaces)
    caps = (Capability(Action.ADMIN, "create/disable API keys, invite/remove users, change workspace limits",
                       everything),
            Capability(Action.DELETE, "archive workspaces, delete invites, deactivate API keys", everything),
            Capability(Action.READ, "users, workspaces, API key metadata, usage and cost reports", everything))
    blast = BlastRadius(identity=org_name, token_type="Admin API key", scopes=("admin",), resources=everything,
                        capabilities=caps, notes=tuple(notes))
    return live(f"Anthropic admin key live for {org_name}", endpoint, blast)


def _org(ctx: ProviderContext, headers: dict[str, str]) -> dict[str, Any]:
    resp = ctx.http.get("/v1/organizations/me", headers=headers)
    return _obj(resp.json()) if resp.status == 200 else {}


def _data(ctx: ProviderContext, path: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    resp = ctx.http.get(path, headers=headers, params={"limit": "100"})
    return [_obj(row) for row in _obj(resp.json()).get("data") or []] if resp.status == 200 else []


def _error_type(resp: Response) -> str:
    try:
        return str(_obj(_obj(resp.json()).get("error")).get("type") or "")[:40]
    except ProviderError:
        return ""


def _problem(resp: Response) -> str:
    kind = _error_type(resp)
    return (status_problem(resp) or f"HTTP {resp.status}") + (f" {kind}" if kind else "")


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


PROVIDER = AnthropicProvider()

"""Cloudflare API tokens: verify, then the token's own policies when it may read tokens.

Why this order: ``/user/tokens/verify`` (or ``/accounts/{id}/tokens/verify`` for account-owned
``cfat_`` tokens) proves the token and yields its id. ``GET .../tokens/{id}`` returns the policies
(permission groups + resources) exactly, but only for a token holding "API Tokens Read/Write".
Otherwise reach is inferred from ``GET /zones`` (each zone lists the caller's legacy permissions,
e.g. ``#dns_records:edit``) and ``GET /accounts``; those capabilities are marked uncertain.
Reference: shared/reference/providers.md §12.
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

# Permission groups whose write means control of the account, money, or destruction of data.
_ADMIN_GROUPS = ("API Tokens", "Account Settings", "Memberships", "User Details", "Access: Organizations",
                 "Account Rulesets")
_BILLING_GROUPS = ("Billing",)
_DESTRUCTIVE_GROUPS = ("Zone", "Workers R2 Storage", "D1", "Workers KV Storage", "Cloudflare Pages",
                       "Account Firewall Access Rules")
_LEGACY_ACTIONS = {"edit": Action.WRITE, "purge": Action.WRITE, "read": Action.READ}


def _group_action(name: str) -> Action:
    """Action for a permission group name such as ``DNS Write`` or ``Zone Read``."""
    base, _, verb = name.rpartition(" ")
    verb = verb.lower()
    if verb == "read":
        return Action.READ
    if verb == "delete" or base in _DESTRUCTIVE_GROUPS:
        return Action.DELETE
    if base in _ADMIN_GROUPS:
        return Action.ADMIN
    if base in _BILLING_GROUPS:
        return Action.BILLING
    return Action.WRITE


class CloudflareProvider(Provider):
    name = "cloudflare"
    display_name = "Cloudflare"
    kinds = frozenset({"cloudflare_api_token"})
    default_base_url = "https://api.cloudflare.com/client/v4"
    reveals = "token status, policies (when it may read tokens) or zone permissions, zones and accounts"
    docs = (
        "https://developers.cloudflare.com/api/resources/user/subresources/tokens/methods/verify/",
        "https://developers.cloudflare.com/api/resources/user/subresources/tokens/methods/get/",
        "https://developers.cloudflare.com/fundamentals/api/reference/permissions/",
    )

    def introspect(self, credential: Credential, ctx: ProviderContext) -> Introspection:
        endpoint = ctx.http.base_url
        headers = {"Authorization": f"Bearer {credential.secret}"}
        account_id = (credential.companions.get("account_id") or "").strip()
        if credential.secret.startswith("cfat_") and not account_id:
            return unverifiable("account-owned Cloudflare token (cfat_): verifying it needs the account ID "
                                "(CLOUDFLARE_ACCOUNT_ID next to it); none was found")
        prefix = f"/accounts/{account_id}/tokens" if credential.secret.startswith("cfat_") else "/user/tokens"
        try:
            verify = ctx.http.get(f"{prefix}/verify", headers=headers)
            if verify.status in (400, 401, 403):
                return invalid(f"Cloudflare rejected the token (HTTP {verify.status}: {_error(verify)})",
                               endpoint)
            problem = status_problem(verify)
            if problem:
                return unverifiable(problem, endpoint)
            result = _result(verify)
            status = str(result.get("status") or "")
            if status and status != "active":
                return invalid(f"Cloudflare reports the token as {status}", endpoint)
            token_id = str(result.get("id") or "")
            detail = ctx.http.get(f"{prefix}/{token_id}", headers=headers) if token_id else None
            readable = detail is not None and detail.status == 200
            policies = _result(detail).get("policies") if readable else None
            zones = self._list(ctx, headers, "/zones")
            accounts = self._list(ctx, headers, "/accounts")
        except ProviderError as exc:
            return unverifiable(str(exc), endpoint)
        token_type = "account API token" if prefix.startswith("/accounts") else "user API token"
        return live("Cloudflare reports the token active", endpoint,
                    _blast(token_type, token_id, policies, zones, accounts))

    def _list(self, ctx: ProviderContext, headers: dict[str, str], path: str) -> list[dict[str, Any]]:
        response = ctx.http.get(path, headers=headers, params={"per_page": "50"})
        if response.status != 200:
            return []
        data = response.json()
        items = data.get("result") if isinstance(data, dict) else None
        return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _blast(token_type: str, token_id: str, policies: Any, zones: list[dict[str, Any]],
           accounts: list[dict[str, Any]]) -> BlastRadius:
    zone_res = {str(z.get("id")): Resource("zone", str(z.get("name")), env_class=classify_environment(
        str(z.get("name"))), parent=f"account {(z.get('account') or {}).get('name')}"
        if (z.get("account") or {}).get("name") else None) for z in zones if z.get("name")}
    acct_res = {str(a.get("id")): Resource("account", str(a.get("name") or a.get("id"))) for a in accounts}
    resources = tuple(zone_res.values()) + tuple(acct_res.values())
    caps: list[Capability] = []
    scopes: list[str] = []
    notes: list[str] = []
    unknowns: list[str] = []
    if isinstance(policies, list):
        for policy in policies:
            if not isinstance(policy, dict):
                continue
            groups = [str(g.get("name")) for g in policy.get("permission_groups") or []
                      if isinstance(g, dict)]
            if policy.get("effect") == "deny":
                notes.append(f"Deny policy: {', '.join(groups)}.")
                continue
            reached = _policy_resources(policy.get("resources") or {}, zone_res, acct_res)
            for group in groups:
                scopes.append(group)
                caps.append(Capability(_group_action(group), group, reached))
        notes.append("Permissions read from the token's own policies (it holds API Tokens Read).")
        if any(c.operation == "DNS Write" for c in caps):
            notes.append("DNS Write: it can repoint your domains (traffic hijack, certificate issuance).")
        if any(c.operation.startswith("API Tokens") and c.action is Action.ADMIN for c in caps):
            notes.append("API Tokens Write: it can mint new tokens with any of your permissions.")
    else:
        for zone in zones:
            res = zone_res.get(str(zone.get("id")))
            for perm in zone.get("permissions") or []:
                resource, _, verb = str(perm).lstrip("#").partition(":")
                action = _LEGACY_ACTIONS.get(verb, Action.WRITE)
                if resource == "zone" and verb == "edit":
                    action = Action.DELETE
                if res is not None:
                    caps.append(Capability(action, str(perm), (res,), certain=False))
        unknowns.append("the token's exact permission groups (it cannot read API Tokens); zone "
                        "permissions below are the account member's, the token may hold fewer")
    return BlastRadius(identity=None, token_type=f"{token_type} {token_id}".strip(), scopes=tuple(scopes),
                       resources=resources, capabilities=tuple(_merge(caps)), notes=tuple(notes),
                       unknowns=tuple(unknowns))


def _policy_resources(resources: dict[str, Any], zones: dict[str, Resource],
                      accounts: dict[str, Resource]) -> tuple[Resource, ...]:
    out: list[Resource] = []
    for key in resources:
        key = str(key)
        if key.startswith("com.cloudflare.api.account.zone."):
            zone_id = key.rsplit(".", 1)[-1]
            out.extend(zones.values() if zone_id == "*" else
                       [zones.get(zone_id, Resource("zone", zone_id))])
        elif key.startswith("com.cloudflare.api.account."):
            account_id = key.rsplit(".", 1)[-1]
            out.extend(accounts.values() if account_id == "*" else
                       [accounts.get(account_id, Resource("account", account_id))])
        elif key.startswith("com.cloudflare.api.user"):
            out.append(Resource("user", "token owner"))
    return tuple(dict.fromkeys(out))


def _merge(caps: list[Capability]) -> list[Capability]:
    """One capability per (action, operation), resources unioned (several policies may repeat a group)."""
    merged: dict[tuple[Action, str, bool], list[Resource]] = {}
    for cap in caps:
        merged.setdefault((cap.action, cap.operation, cap.certain), []).extend(cap.resources)
    return [Capability(a, op, tuple(dict.fromkeys(res)), certain=c) for (a, op, c), res in merged.items()]


def _result(response: Response | None) -> dict[str, Any]:
    if response is None:
        return {}
    data = response.json()
    result = data.get("result") if isinstance(data, dict) else None
    return result if isinstance(result, dict) else {}


def _error(response: Response) -> str:
    try:
        data = response.json()
    except ProviderError:
        return "no body"
    errors = data.get("errors") if isinstance(data, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return f"{errors[0].get('code')} {str(errors[0].get('message') or '')[:150]}".strip()
    return "error"


PROVIDER = CloudflareProvider()

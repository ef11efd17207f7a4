"""Cloudflare API tokens: verify, then the token's own policies when it may read tokens.

Why this order: ``/user/tokens/verify`` (or ``/accounts/{id}/tokens/verify`` for account-owned
``cfat_`` tokens) proves the token and yields its id. ``GET .../tokens/{id}`` returns the policies
(permission groups + resources) exactly, but only for a token holding "API Tokens Read/Write".
Otherwise reach is inferred from ``GET /zones`` (each zone lists legacy, membership-based
permissions, e.g. ``#dns_records:edit``) and ``GET /accounts``; those capabilities are possible,
with a note naming the doc that leaves them open.

Lists are read whole: ``/zones`` and ``/accounts`` page by ``page``/``per_page`` (at most 50) and
``result_info.total_pages`` (providers.base.ResultInfo); a list cut short is reported.
Permission groups are mapped from Cloudflare's documented list
(https://developers.cloudflare.com/fundamentals/api/reference/permissions/; "Edit is full CRUDL
(create, read, update, delete, list) access", developers.cloudflare.com/fundamentals/api/get-started/
create-token/): DNS Write deletes DNS records, Zone Write deletes the zone, Workers Scripts / R2 /
D1 / KV / Pages Write delete data,
Account Settings / Memberships / API Tokens Write administer. A zone permission granted on an
account ("all zones of an account") reaches that account's zones, never the account itself.
Reference: shared/reference/providers.md §12.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from providers.base import (
    Introspection,
    Listing,
    Provider,
    ProviderContext,
    ProviderError,
    Response,
    ResultInfo,
    classify_environment,
    invalid,
    live,
    paginate,
    status_problem,
    unverifiable,
)
from scanner.model import Action, BlastRadius, Capability, Credential, Resource

PERMISSIONS_DOC = "developers.cloudflare.com/fundamentals/api/reference/permissions/"
TOKEN_DOC = "developers.cloudflare.com/api/resources/user/subresources/tokens/methods/get/"
PER_PAGE = "50"
"""Largest page ``/zones`` and ``/accounts`` accept (Cloudflare: per_page 5-50)."""
ZONE_KEY = "com.cloudflare.api.account.zone."
ACCOUNT_KEY = "com.cloudflare.api.account."
USER_KEY = "com.cloudflare.api.user"


@dataclass(frozen=True)
class Group:
    """What a permission group's write allows, per Cloudflare's permission list."""

    action: Action
    does: str
    zone: bool = False
    """A zone permission (scope ``com.cloudflare.api.account.zone``): it acts on zones, not accounts."""


# Base name (without Read/Write/Edit) -> what its write allows. Zone-scoped groups first.
GROUPS: dict[str, Group] = {
    "DNS": Group(Action.DELETE, "create, edit and delete DNS records", zone=True),
    "Zone": Group(Action.DELETE, "edit and delete the zone", zone=True),
    "Zone Settings": Group(Action.WRITE, "change zone settings", zone=True),
    "Zone WAF": Group(Action.WRITE, "change WAF rules", zone=True),
    "Firewall Services": Group(Action.WRITE, "change firewall rules", zone=True),
    "Page Rules": Group(Action.WRITE, "change page rules", zone=True),
    "SSL and Certificates": Group(Action.WRITE, "change certificates and custom hostnames", zone=True),
    "Workers Routes": Group(Action.WRITE, "route zone traffic to Workers", zone=True),
    "Load Balancers": Group(Action.WRITE, "change load balancers", zone=True),
    "Cache Purge": Group(Action.WRITE, "purge the cache", zone=True),
    "Cache Settings": Group(Action.WRITE, "change cache settings", zone=True),
    "Custom Hostnames": Group(Action.WRITE, "change custom hostnames", zone=True),
    "Transform Rules": Group(Action.WRITE, "change transform rules", zone=True),
    "Config Rules": Group(Action.WRITE, "change configuration rules", zone=True),
    "Logs": Group(Action.WRITE, "change log jobs", zone=True),
    "Workers Scripts": Group(Action.DELETE, "deploy and delete Workers scripts"),
    "Workers R2 Storage": Group(Action.DELETE, "delete R2 buckets and objects"),
    "D1": Group(Action.DELETE, "delete D1 databases"),
    "Workers KV Storage": Group(Action.DELETE, "delete KV namespaces and values"),
    "Cloudflare Pages": Group(Action.DELETE, "delete Pages projects and deployments"),
    "Account Firewall Access Rules": Group(Action.DELETE, "delete account firewall access rules"),
    "Account Settings": Group(Action.ADMIN, "change account settings"),
    "Account Rulesets": Group(Action.ADMIN, "change account-wide rulesets"),
    "Access: Organizations, Identity Providers, and Groups": Group(Action.ADMIN, "change Access login"),
    "Access: Apps and Policies": Group(Action.ADMIN, "change Access applications and policies"),
    "Account API Tokens": Group(Action.ADMIN, "create tokens with the account's permissions"),
    "API Tokens": Group(Action.ADMIN, "create tokens with any of the user's permissions"),
    "Memberships": Group(Action.ADMIN, "change the user's account memberships"),
    "User Details": Group(Action.ADMIN, "change the user's details"),
    "Billing": Group(Action.BILLING, "change billing"),
}
_WRITE_VERBS = ("write", "edit", "delete", "revoke")
_LEGACY = {
    # legacy zone permission -> (action, what Cloudflare's permission list says the matching group does)
    "zone:edit": (Action.DELETE, "Zone Write: edit and delete the zone"),
    "dns_records:edit": (Action.DELETE, "DNS Write: create, edit and delete DNS records"),
    "worker:edit": (Action.DELETE, "Workers Scripts Write: deploy and delete Workers scripts"),
}


def group_for(name: str) -> tuple[Action, str, bool]:
    """(action, operation text, zone-scoped) for a permission group name like ``DNS Write``."""
    base, _, verb = name.strip().rpartition(" ")
    if not base:
        base, verb = name.strip(), ""
    known = GROUPS.get(base)
    zone = known.zone if known else False
    if verb.lower() == "read":
        return Action.READ, name, zone
    if verb.lower() not in _WRITE_VERBS and known is None:
        known = GROUPS.get(name.strip())  # a group named without a verb, e.g. "Cache Purge"
    if known is None:
        return Action.WRITE, name, zone
    return known.action, f"{name}: {known.does}", known.zone


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
            zones = self._list(ctx, headers, "/zones", "zones")
            accounts = self._list(ctx, headers, "/accounts", "accounts")
        except ProviderError as exc:
            return unverifiable(str(exc), endpoint)
        token_type = "account API token" if prefix.startswith("/accounts") else "user API token"
        return live("Cloudflare reports the token active", endpoint,
                    _blast(token_type, token_id, policies, zones, accounts))

    def _list(self, ctx: ProviderContext, headers: dict[str, str], path: str, what: str) -> Listing:
        return paginate(ctx.http, path, ResultInfo(), what=what, headers=headers, params={"per_page": PER_PAGE})


def _dicts(listing: Listing) -> list[dict[str, Any]]:
    return [i for i in listing.items if isinstance(i, dict)] if listing.ok else []


def _blast(token_type: str, token_id: str, policies: Any, zone_list: Listing,
           account_list: Listing) -> BlastRadius:
    zones = _dicts(zone_list)
    accounts = _dicts(account_list)
    zone_res = {str(z.get("id")): _zone_resource(z) for z in zones if z.get("name")}
    zone_account = {str(z.get("id")): str((z.get("account") or {}).get("id") or "") for z in zones}
    acct_res = {str(a.get("id")): Resource("account", str(a.get("name") or a.get("id"))) for a in accounts}
    resources = tuple(zone_res.values()) + tuple(acct_res.values())
    caps: list[Capability] = []
    scopes: list[str] = []
    notes: list[str] = []
    unknowns = [s for s in (zone_list.shortfall(), account_list.shortfall()) if s]
    if zone_res:
        notes.append("Cloudflare zones carry no environment field: zone classes come from zone names.")
    if isinstance(policies, list):
        reach = _Reach(zone_res, zone_account, acct_res)
        for policy in policies:
            if not isinstance(policy, dict):
                continue
            groups = [str(g.get("name")) for g in policy.get("permission_groups") or []
                      if isinstance(g, dict)]
            if policy.get("effect") == "deny":
                notes.append(f"Deny policy: {', '.join(groups)}.")
                continue
            resources_spec = policy.get("resources") or {}
            for group in groups:
                action, operation, zone_scoped = group_for(group)
                scopes.append(group)
                caps.append(Capability(action, operation, reach.of(resources_spec, zone_scoped)))
        notes.append("Permissions read from the token's own policies (it holds API Tokens Read); "
                     f"each permission group as Cloudflare documents it ({PERMISSIONS_DOC}).")
        if any(c.operation.startswith("DNS ") and c.action is Action.DELETE for c in caps):
            notes.append("DNS Write: it can delete and repoint your domains' records (outage, traffic hijack, "
                         "certificate issuance).")
        if any(c.operation.startswith("API Tokens") and c.action is Action.ADMIN for c in caps):
            notes.append("API Tokens Write: it can mint new tokens with any of your permissions.")
        unknowns.extend(reach.unknowns)
    else:
        open_by = (f"the zone's legacy, membership-based permissions; the token's own groups need API Tokens "
                   f"Read to be read ({TOKEN_DOC})")
        for zone in zones:
            res = zone_res.get(str(zone.get("id")))
            for perm in zone.get("permissions") or []:
                key = str(perm).lstrip("#")
                resource, _, verb = key.partition(":")
                action, operation = _LEGACY.get(key, (Action.READ if verb == "read" else Action.WRITE, ""))
                if res is not None:
                    caps.append(Capability(action, f"{perm} ({operation})" if operation else str(perm), (res,),
                                           certain=False, note=open_by))
        unknowns.append("the token's exact permission groups (it cannot read API Tokens); zone "
                        "permissions below are the account member's, the token may hold fewer")
    return BlastRadius(identity=None, token_type=f"{token_type} {token_id}".strip(), scopes=tuple(scopes),
                       resources=resources, capabilities=tuple(_merge(caps)), notes=tuple(notes),
                       unknowns=tuple(unknowns))


def _zone_resource(zone: dict[str, Any]) -> Resource:
    account = (zone.get("account") or {}).get("name")
    name = str(zone.get("name"))
    return Resource("zone", name, env_class=classify_environment(name),
                    parent=f"account {account}" if account else None, env_basis="name")


class _Reach:
    """Policy resources -> the zones and accounts they name (Cloudflare's resource keys)."""

    def __init__(self, zones: dict[str, Resource], zone_account: dict[str, str],
                 accounts: dict[str, Resource]) -> None:
        self.zones = zones
        self.zone_account = zone_account
        self.accounts = accounts
        self.unknowns: list[str] = []

    def _zones_of(self, account_id: str) -> list[Resource]:
        found = [r for zid, r in self.zones.items() if account_id == "*" or self.zone_account.get(zid) == account_id]
        if not found:
            name = self.accounts[account_id].name if account_id in self.accounts else account_id
            self.unknowns.append(f"a policy covers all zones of account `{name}`, but none of them were listed")
        return found

    def _zone(self, zone_id: str, account_id: str = "*") -> list[Resource]:
        if zone_id == "*":
            return self._zones_of(account_id)
        return [self.zones.get(zone_id, Resource("zone", zone_id))]

    def of(self, spec: Any, zone_scoped: bool) -> tuple[Resource, ...]:
        """Resources of one policy for one group: a zone group on an account key reaches the
        account's zones ("all zones of an account"), nested or flat."""
        out: list[Resource] = []
        for raw_key, value in (spec.items() if isinstance(spec, dict) else []):
            key = str(raw_key)
            if key.startswith(ZONE_KEY):
                out.extend(self._zone(key[len(ZONE_KEY):]))
            elif key.startswith(ACCOUNT_KEY):
                account_id = key[len(ACCOUNT_KEY):]
                if isinstance(value, dict):  # {"account.<id>": {"account.zone.*": "*"}}: zones in that account
                    for inner in value:
                        inner = str(inner)
                        if inner.startswith(ZONE_KEY):
                            out.extend(self._zone(inner[len(ZONE_KEY):], account_id))
                elif zone_scoped:
                    out.extend(self._zones_of(account_id))
                else:
                    out.extend(self.accounts.values() if account_id == "*" else
                               [self.accounts.get(account_id, Resource("account", account_id))])
            elif key.startswith(USER_KEY):
                out.append(Resource("user", "token owner"))
        return tuple(dict.fromkeys(out))


def _merge(caps: list[Capability]) -> list[Capability]:
    """One capability per (action, operation), resources unioned (several policies may repeat a group)."""
    merged: dict[tuple[Action, str, bool, str | None], list[Resource]] = {}
    for cap in caps:
        merged.setdefault((cap.action, cap.operation, cap.certain, cap.note), []).extend(cap.resources)
    return [Capability(a, op, tuple(dict.fromkeys(res)), certain=c, note=n)
            for (a, op, c, n), res in merged.items()]


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

"""DigitalOcean API tokens: account, then read scopes discovered through documented GET lists.

Why GETs only: DigitalOcean has no endpoint that returns a token's own scopes. Each list endpoint
answers 403 when the token lacks that resource's ``:read`` scope, so a GET per resource type tells the
read scopes exactly. Create/update/delete scopes could only be learned by writing (trufflehog sends
DELETEs on fake IDs) — never done here; they are reported as unknowns and as *possible* capabilities
on what the token can see. Refresh tokens (``dor_v1_``) are never sent: using one rotates it.
Reference: shared/reference/providers.md §13; scopes: https://docs.digitalocean.com/reference/api/scopes/
"""

from __future__ import annotations

from dataclasses import dataclass
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
from scanner.model import Action, BlastRadius, Capability, Credential, EnvClass, Resource


@dataclass(frozen=True)
class _Probe:
    path: str
    scope: str
    """The ``<resource>:read`` scope a 200 proves."""
    list_key: str | None
    kind: str
    delete_op: str | None
    """Destructive operation the matching ``:delete`` scope would allow (never probed)."""


_PROBES = (
    _Probe("/v2/droplets", "droplet:read", "droplets", "droplet", "droplet:delete"),
    _Probe("/v2/databases", "database:read", "databases", "database cluster", "database:delete"),
    _Probe("/v2/volumes", "block_storage:read", "volumes", "volume", "block_storage:delete"),
    _Probe("/v2/kubernetes/clusters", "kubernetes:read", "kubernetes_clusters", "kubernetes cluster",
           "kubernetes:delete"),
    _Probe("/v2/apps", "app:read", "apps", "app", "app:delete"),
    _Probe("/v2/domains", "domain:read", "domains", "domain", "domain:delete"),
    _Probe("/v2/projects", "project:read", "projects", "project", None),
    _Probe("/v2/snapshots", "block_storage_snapshot:read", "snapshots", "snapshot",
           "block_storage_snapshot:delete"),
    _Probe("/v2/firewalls", "firewall:read", None, "", None),
    _Probe("/v2/load_balancers", "load_balancer:read", None, "", None),
    _Probe("/v2/registry", "registry:read", None, "", None),
    _Probe("/v2/account/keys", "ssh_key:read", None, "", None),
    _Probe("/v2/customers/my/balance", "billing:read", None, "", None),
)

_PROJECT_ENV = {"production": EnvClass.PRODUCTION, "staging": EnvClass.STAGING,
                "development": EnvClass.DEVELOPMENT}


class DigitalOceanProvider(Provider):
    name = "digitalocean"
    display_name = "DigitalOcean"
    kinds = frozenset({"digitalocean_token"})
    default_base_url = "https://api.digitalocean.com"
    reveals = "account/team, read scopes via GET lists, droplets/databases/clusters by name; writes unknown"
    docs = (
        "https://docs.digitalocean.com/reference/api/digitalocean/#tag/Account",
        "https://docs.digitalocean.com/reference/api/scopes/",
    )

    def introspect(self, credential: Credential, ctx: ProviderContext) -> Introspection:
        endpoint = ctx.http.base_url
        if credential.secret.startswith("dor_v1_"):
            return unverifiable("OAuth refresh token: never used (using it rotates and may revoke the "
                                "grant); a refreshable DigitalOcean session is present")
        headers = {"Authorization": f"Bearer {credential.secret}"}
        try:
            account = ctx.http.get("/v2/account", headers=headers)
            if account.status == 401:
                return invalid(f"DigitalOcean rejected the token (HTTP 401: {_message(account)})", endpoint)
            problem = status_problem(account)
            if problem and account.status != 403:
                return unverifiable(problem, endpoint)
            body = account.json() if account.status == 200 else {}
            info = body.get("account") if isinstance(body, dict) else None
            info = info if isinstance(info, dict) else {}
            scopes: list[str] = ["account:read"] if account.status == 200 else []
            found: dict[str, list[Resource]] = {}
            for probe in _PROBES:
                response = ctx.http.get(probe.path, headers=headers, params={"per_page": "200"})
                if response.status == 401:
                    return invalid("DigitalOcean rejected the token (HTTP 401)", endpoint)
                if response.status in (429,) or response.status >= 500:
                    return unverifiable(status_problem(response) or "provider error", endpoint)
                # 404 on /v2/registry means "no registry yet" — the read itself was allowed.
                if response.status == 200 or (response.status == 404 and probe.path == "/v2/registry"):
                    scopes.append(probe.scope)
                    if probe.list_key and response.status == 200:
                        found[probe.path] = _resources(probe, response.json())
        except ProviderError as exc:
            return unverifiable(str(exc), endpoint)
        blast = _blast(credential.secret, info, scopes, found)
        return live("DigitalOcean accepted the token", endpoint, blast)


def _resources(probe: _Probe, body: Any) -> list[Resource]:
    items = body.get(probe.list_key, []) if isinstance(body, dict) and probe.list_key else []
    out: list[Resource] = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        name = str(item.get("name") or (item.get("spec") or {}).get("name") or item.get("id") or "")
        if not name:
            continue
        if probe.kind == "project":
            env = item.get("environment")
            env_class = _PROJECT_ENV.get(str(env or "").lower(), classify_environment(name))
            out.append(Resource("project", name, environment=env, env_class=env_class))
            continue
        tags = [str(t) for t in item.get("tags") or []]
        env_class = classify_environment(name)
        if env_class is EnvClass.UNKNOWN:
            env_class = next((c for c in map(classify_environment, tags) if c is not EnvClass.UNKNOWN),
                             EnvClass.UNKNOWN)
        out.append(Resource(probe.kind, name, env_class=env_class))
    return out


def _blast(secret: str, info: dict[str, Any], scopes: list[str],
           found: dict[str, list[Resource]]) -> BlastRadius:
    identity = str(info.get("email") or info.get("uuid") or "") or None
    team = (info.get("team") or {}).get("name") if isinstance(info.get("team"), dict) else None
    resources = tuple(r for items in found.values() for r in items)
    caps: list[Capability] = []
    unknowns: list[str] = []
    for probe in _PROBES:
        if probe.scope not in scopes or not probe.list_key:
            continue
        reached = tuple(found.get(probe.path, ()))
        caps.append(Capability(Action.READ, probe.scope, reached))
        if probe.delete_op and reached:
            caps.append(Capability(Action.DELETE, probe.delete_op, reached, certain=False))
            unknowns.append(f"{probe.delete_op} (only a delete request could tell)")
    if "billing:read" in scopes:
        caps.append(Capability(Action.READ, "billing:read", (Resource("billing", identity or "account"),)))
    notes = [f"Read scopes confirmed by GET: {', '.join(scopes) or 'none'}.",
             "DigitalOcean exposes no read endpoint for create/update/delete scopes; legacy read+write "
             "tokens and custom tokens with :delete scopes can destroy what is listed here."]
    if team:
        notes.append(f"Team: {team}.")
    token_type = "OAuth access token" if secret.startswith("doo_v1_") else "personal access token"
    return BlastRadius(identity=identity, token_type=token_type, scopes=tuple(scopes), resources=resources,
                       capabilities=tuple(caps), notes=tuple(notes),
                       unknowns=tuple(unknowns) or ("create/update/delete scopes (only a write could tell)",))


def _message(response: Response) -> str:
    try:
        data = response.json()
    except ProviderError:
        return "no body"
    return str(data.get("message") or data.get("id") or "error")[:200] if isinstance(data, dict) else "error"


PROVIDER = DigitalOceanProvider()

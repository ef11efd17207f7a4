"""DigitalOcean API tokens: account, then read scopes discovered through documented GET lists.

Why GETs only: DigitalOcean has no endpoint that returns a token's own scopes. Each list endpoint
answers 403 when the token lacks that resource's ``:read`` scope, so a GET per resource type tells the
read scopes exactly. Create/update/delete scopes could only be learned by writing (trufflehog sends
DELETEs on fake IDs) — never done here; they are reported as unknowns and as *possible* capabilities
on what the token can see. Refresh tokens (``dor_v1_``) are never sent: using one rotates it.

Every list is read whole, following ``links.pages.next`` (total from ``meta.total``,
https://docs.digitalocean.com/reference/api/digitalocean/#section/Introduction/Links-and-Pagination).
Environment comes from DigitalOcean's own field first: a project carries ``environment``
(Production/Staging/Development) and ``GET /v2/projects/{id}/resources`` names its members by URN
(https://docs.digitalocean.com/reference/api/digitalocean/#tag/Project-Resources), so a droplet in
the Production project is production whatever its name says; names and tags only as a fallback.
Reference: shared/reference/providers.md §13; scopes: https://docs.digitalocean.com/reference/api/scopes/
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from providers.base import (
    Introspection,
    NextUrl,
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


@dataclass(frozen=True)
class _Probe:
    path: str
    scope: str
    """The ``<resource>:read`` scope a 200 proves."""
    list_key: str | None
    kind: str
    delete_op: str | None
    """Destructive operation the matching ``:delete`` scope would allow (never probed)."""
    urn: str | None = None
    """URN kind in project resources (``do:<urn>:<id>``), to join a project's environment."""


_PROBES = (
    _Probe("/v2/droplets", "droplet:read", "droplets", "droplet", "droplet:delete", "droplet"),
    _Probe("/v2/databases", "database:read", "databases", "database cluster", "database:delete", "dbaas"),
    _Probe("/v2/volumes", "block_storage:read", "volumes", "volume", "block_storage:delete", "volume"),
    _Probe("/v2/kubernetes/clusters", "kubernetes:read", "kubernetes_clusters", "kubernetes cluster",
           "kubernetes:delete", "kubernetes"),
    _Probe("/v2/apps", "app:read", "apps", "app", "app:delete", "app"),
    _Probe("/v2/domains", "domain:read", "domains", "domain", "domain:delete", "domain"),
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
PROJECT_BASIS = "DigitalOcean project environment"
SCOPES_DOC = ("https://docs.digitalocean.com/reference/api/scopes/ (a token's :delete scopes are not "
              "readable without sending a delete)")
_MAX_PROJECTS = 50
"""Projects whose resources are read (one list each); beyond that the rest are reported."""


@dataclass(frozen=True)
class _InProject:
    project: str
    environment: str
    env_class: EnvClass


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
            raw: dict[str, tuple[Any, ...]] = {}
            shortfalls: list[str] = []
            for probe in _PROBES:
                if probe.list_key:
                    listing = paginate(ctx.http, probe.path, _pages(probe.list_key),
                                       what=f"{probe.kind}s", headers=headers, params={"per_page": "200"})
                    status, problem = listing.status, listing.problem
                    if listing.ok:
                        raw[probe.path] = listing.items
                        if listing.shortfall():
                            shortfalls.append(str(listing.shortfall()))
                else:
                    response = ctx.http.get(probe.path, headers=headers, params={"per_page": "1"})
                    status, problem = response.status, status_problem(response)
                if status == 401:
                    return invalid("DigitalOcean rejected the token (HTTP 401)", endpoint)
                if status == 429 or status >= 500:
                    return unverifiable(problem or "provider error", endpoint)
                # 404 on /v2/registry means "no registry yet" — the read itself was allowed.
                if status == 200 or (status == 404 and probe.path == "/v2/registry"):
                    scopes.append(probe.scope)
            members = _project_members(ctx, headers, raw.get("/v2/projects", ()), shortfalls)
        except ProviderError as exc:
            return unverifiable(str(exc), endpoint)
        found = {probe.path: _resources(probe, raw[probe.path], members) for probe in _PROBES
                 if probe.path in raw}
        blast = _blast(credential.secret, info, scopes, found, shortfalls)
        return live("DigitalOcean accepted the token", endpoint, blast)


def _pages(key: str) -> NextUrl:
    return NextUrl((key,), ("links", "pages", "next"), ("meta", "total"))


def _project_members(ctx: ProviderContext, headers: dict[str, str], projects: tuple[Any, ...],
                     shortfalls: list[str]) -> dict[str, _InProject]:
    """URN -> the project (with a known environment) it is assigned to."""
    members: dict[str, _InProject] = {}
    classed = [p for p in projects if isinstance(p, dict) and p.get("id")
               and str(p.get("environment") or "").lower() in _PROJECT_ENV]
    if len(classed) > _MAX_PROJECTS:
        shortfalls.append(f"read the resources of {_MAX_PROJECTS} of {len(classed)} projects; the rest are "
                          "classed by name only")
    for project in classed[:_MAX_PROJECTS]:
        env = str(project["environment"])
        place = _InProject(str(project.get("name") or project["id"]), env, _PROJECT_ENV[env.lower()])
        listing = paginate(ctx.http, f"/v2/projects/{project['id']}/resources", _pages("resources"),
                           what=f"resources of project {place.project}", headers=headers,
                           params={"per_page": "200"})
        if not listing.ok:
            shortfalls.append(f"could not read the resources of project {place.project} "
                              f"({listing.problem}); its members are classed by name")
            continue
        if listing.shortfall():
            shortfalls.append(str(listing.shortfall()))
        for item in listing.items:
            if isinstance(item, dict) and isinstance(item.get("urn"), str):
                members.setdefault(item["urn"], place)
    return members


def _resources(probe: _Probe, items: tuple[Any, ...], members: dict[str, _InProject]) -> list[Resource]:
    out: list[Resource] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        name = str(item.get("name") or (item.get("spec") or {}).get("name") or item.get("id") or "")
        if not name:
            continue
        if probe.kind == "project":
            env = item.get("environment")
            own = _PROJECT_ENV.get(str(env or "").lower())
            by_name = classify_environment(name)
            out.append(Resource("project", name, environment=env, env_class=own or by_name,
                                env_basis=PROJECT_BASIS if own else _name_basis(by_name)))
            continue
        ident = name if probe.urn == "domain" else item.get("id")
        place = members.get(f"do:{probe.urn}:{ident}") if probe.urn and ident is not None else None
        if place is not None:
            out.append(Resource(probe.kind, name, environment=place.environment, env_class=place.env_class,
                                parent=f"project {place.project}", env_basis=PROJECT_BASIS))
            continue
        tags = [str(t) for t in item.get("tags") or []]
        env_class = classify_environment(name)
        basis = _name_basis(env_class)
        if env_class is EnvClass.UNKNOWN:
            env_class = next((c for c in map(classify_environment, tags) if c is not EnvClass.UNKNOWN),
                             EnvClass.UNKNOWN)
            basis = "tag" if env_class is not EnvClass.UNKNOWN else None
        out.append(Resource(probe.kind, name, env_class=env_class, env_basis=basis))
    return out


def _name_basis(env_class: EnvClass) -> str | None:
    return "name" if env_class is not EnvClass.UNKNOWN else None


def _blast(secret: str, info: dict[str, Any], scopes: list[str],
           found: dict[str, list[Resource]], shortfalls: list[str]) -> BlastRadius:
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
            caps.append(granted(Action.DELETE, probe.delete_op, reached, left_open_by=SCOPES_DOC))
            unknowns.append(f"{probe.delete_op} (only a delete request could tell)")
    if "billing:read" in scopes:
        caps.append(Capability(Action.READ, "billing:read", (Resource("billing", identity or "account"),)))
    notes = [f"Read scopes confirmed by GET: {', '.join(scopes) or 'none'}.",
             "DigitalOcean exposes no read endpoint for create/update/delete scopes; legacy read+write "
             "tokens and custom tokens with :delete scopes can destroy what is listed here."]
    if team:
        notes.append(f"Team: {team}.")
    notes.extend(shortfalls)
    unknowns.extend(shortfalls)
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

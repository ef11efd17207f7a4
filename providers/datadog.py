"""Datadog: API key validity, and with an application key the user, roles and key scopes.

Calls (shared/reference/providers.md §19; Datadog API reference "Validate API key", "Get current
user", "Get all application keys owned by current user"):

* ``GET /api/v1/validate`` with ``DD-API-KEY`` → ``{"valid": true}``; 403 ``{"errors": ["Forbidden"]}``
  for a key this site does not know. Keys belong to one site, so without a site hint (``DD_SITE``
  beside the key) every Datadog site is tried in turn — all of them Datadog's own hosts;
* ``GET /api/v2/current_user`` with both keys → JSON:API user, roles in ``included``;
* ``GET /api/v2/current_user/application_keys`` → the user's app keys with ``last4`` and ``scopes``
  (``null`` = unscoped: the key carries all the user's permissions).

An API key alone can submit metrics, logs and events but read little; destruction (deleting
monitors, dashboards, muting alerts, managing keys and users) needs an application key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from providers.base import (
    Introspection,
    Provider,
    ProviderContext,
    ProviderError,
    ReadOnlyHttp,
    classify_environment,
    invalid,
    live,
    status_problem,
    unverifiable,
)
from providers.guard import MutationRefused
from scanner.model import Action, BlastRadius, Capability, Credential, Resource

DEFAULT_SITE = "https://api.datadoghq.com"
OTHER_SITES = ("https://api.us3.datadoghq.com", "https://api.us5.datadoghq.com", "https://api.datadoghq.eu",
               "https://api.ap1.datadoghq.com", "https://api.ap2.datadoghq.com", "https://api.uk1.datadoghq.com",
               "https://api.ddog-gov.com", "https://api.us2.ddog-gov.com")
ALL_SITES = (DEFAULT_SITE, *OTHER_SITES)

# Scopes (= permission names) of scoped application keys and what they allow.
ADMIN_SCOPES = frozenset({"user_access_manage", "user_access_invite", "api_keys_write", "org_management",
                          "user_app_keys", "org_app_keys_write", "security_monitoring_rules_write"})
DELETE_SCOPES = frozenset({"monitors_write", "dashboards_write", "slos_write", "synthetics_write",
                           "monitors_downtime", "logs_write_pipelines", "logs_delete_data", "incident_write",
                           "notebooks_write", "workflows_write"})
ROLE_ACTIONS = {"datadog admin role": Action.ADMIN, "datadog standard role": Action.DELETE,
                "datadog read only role": Action.READ}


def _companion(companions: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        if companions.get(name):
            return companions[name]
    return None


def site_url(site: str | None) -> str | None:
    """``datadoghq.eu`` / ``us5.datadoghq.com`` / ``https://api.datadoghq.eu`` → its API base URL."""
    if not site:
        return None
    host = site.strip().removeprefix("https://").removeprefix("http://").split("/")[0]
    if not host.startswith("api."):
        host = "api." + host
    url = "https://" + host
    return url if url in ALL_SITES else None


class DatadogProvider(Provider):
    name = "datadog"
    display_name = "Datadog"
    kinds = frozenset({"datadog_api_key", "datadog_app_key"})
    default_base_url = DEFAULT_SITE
    other_default_urls = OTHER_SITES
    reveals = "API key validity and site; with an app key: user, roles and the key's scopes"
    docs = ("https://docs.datadoghq.com/api/latest/authentication/#validate-api-key",
            "https://docs.datadoghq.com/api/latest/users/#get-current-user",
            "https://docs.datadoghq.com/api/latest/key-management/get-all-application-keys-owned-by-current-user/")

    def introspect(self, credential: Credential, ctx: ProviderContext) -> Introspection:
        companions = credential.companions
        if credential.kind == "datadog_app_key":
            api_key = _companion(companions, "api_key", "DD_API_KEY", "DATADOG_API_KEY")
            app_key: str | None = credential.secret.strip()
            if not api_key:
                return unverifiable("a Datadog application key is only usable with an API key beside it; "
                                    "none was found")
        else:
            api_key = credential.secret.strip()
            app_key = _companion(companions, "app_key", "application_key", "DD_APP_KEY", "DD_APPLICATION_KEY")
        site = _companion(companions, "site", "DD_SITE")
        if ctx.endpoint_overridden:
            sites = [ctx.http.base_url]
        elif site_url(site):
            sites = [site_url(site) or DEFAULT_SITE]
        else:
            sites = list(ALL_SITES)
        try:
            return self._introspect(ctx, sites, api_key, app_key)
        except ProviderError as exc:
            return unverifiable(str(exc), ctx.http.base_url)
        except MutationRefused as exc:
            return unverifiable(f"request refused by the read-only guard: {exc}", ctx.http.base_url)

    def _introspect(self, ctx: ProviderContext, sites: list[str], api_key: str,
                    app_key: str | None) -> Introspection:
        headers = {"DD-API-KEY": api_key}
        problems: list[str] = []
        for site in sites:
            http = ctx.http_for(site)
            response = http.get("/api/v1/validate", headers=headers)
            if response.status == 200 and response.json().get("valid") is True:
                return self._live(http, headers, app_key)
            if response.status in (401, 403):
                continue
            problem = status_problem(response)
            if problem:
                problems.append(f"{site}: {problem}")
        if problems:
            return unverifiable("; ".join(problems), sites[0])
        where = sites[0] if len(sites) == 1 else f"all {len(sites)} Datadog sites"
        return invalid(f"API key rejected by {where} (HTTP 403)", sites[0])

    def _live(self, http: ReadOnlyHttp, headers: dict[str, str], app_key: str | None) -> Introspection:
        site = http.base_url
        org = Resource("datadog organization", site.removeprefix("https://api."), env_class=classify_environment(
            None))
        submit = Capability(Action.WRITE, "submit metrics/logs/events", (org,))
        if not app_key:
            blast = BlastRadius(token_type="API key", resources=(org,), capabilities=(submit,),
                                notes=("API key is valid: it can send metrics, logs and events into the "
                                       "organization; no application key was found beside it",),
                                unknowns=("what an application key of this organization could do",))
            return live(f"API key valid on {site}", site, blast)
        both = {**headers, "DD-APPLICATION-KEY": app_key}
        user_response = http.get("/api/v2/current_user", headers=both)
        if user_response.status in (401, 403):
            blast = BlastRadius(token_type="API key", resources=(org,), capabilities=(submit,),
                                notes=("the application key beside it was rejected",))
            return live(f"API key valid on {site}; application key rejected", site, blast)
        problem = status_problem(user_response)
        if problem:
            return unverifiable(f"API key valid, but reading the user failed: {problem}", site)
        user_doc = user_response.json()
        attributes = (user_doc.get("data") or {}).get("attributes") or {}
        identity = attributes.get("email") or attributes.get("handle") or attributes.get("name")
        roles = [str((item.get("attributes") or {}).get("name")) for item in user_doc.get("included") or []
                 if isinstance(item, dict) and item.get("type") == "roles"]
        org_names = [str((item.get("attributes") or {}).get("name")) for item in user_doc.get("included") or []
                     if isinstance(item, dict) and item.get("type") == "orgs"]
        if org_names:
            org = Resource("datadog organization", org_names[0], environment=org_names[0],
                           env_class=classify_environment(org_names[0]))
            submit = Capability(Action.WRITE, "submit metrics/logs/events", (org,))
        scopes, scoped = self._key_scopes(http, both, app_key)
        capabilities = [submit]
        notes: list[str] = []
        unknowns: list[str] = []
        if scoped is None:
            unknowns.append("the application key's scopes could not be read (needs the user_app_keys permission)")
        if scoped:
            for scope in scopes:
                if scope in ADMIN_SCOPES:
                    capabilities.append(Capability(Action.ADMIN, scope, (org,)))
                elif scope in DELETE_SCOPES:
                    capabilities.append(Capability(Action.DELETE, scope, (org,)))
                elif scope.endswith(("_write", "_manage")):
                    capabilities.append(Capability(Action.WRITE, scope, (org,)))
                elif scope.endswith("_read"):
                    capabilities.append(Capability(Action.READ, scope, (org,)))
            notes.append(f"application key is scoped to {len(scopes)} permissions")
        else:
            for role in roles:
                action = ROLE_ACTIONS.get(role.lower())
                if action is Action.ADMIN:
                    capabilities.append(Capability(Action.ADMIN, f"role {role}", (org,)))
                    capabilities.append(Capability(Action.DELETE, "delete monitors/dashboards/SLOs", (org,)))
                    notes.append(f"application key is unscoped and its user holds the {role}: it can manage "
                                 "users and keys and delete monitors and dashboards")
                elif action is Action.DELETE:
                    capabilities.append(Capability(Action.DELETE, "delete monitors/dashboards/SLOs", (org,)))
                    notes.append(f"application key is unscoped and its user holds the {role}: it can delete "
                                 "and mute monitors and delete dashboards")
                elif action is Action.READ:
                    capabilities.append(Capability(Action.READ, f"role {role}", (org,)))
                else:
                    capabilities.append(Capability(Action.WRITE, f"custom role {role}", (org,), certain=False))
                    unknowns.append(f"permissions of custom role `{role}` were not expanded")
        blast = BlastRadius(identity=str(identity) if identity else None, token_type="API key + application key",
                            scopes=tuple(scopes) if scoped else tuple(f"role {r}" for r in roles),
                            resources=(org,), capabilities=tuple(dict.fromkeys(capabilities)),
                            notes=tuple(notes), unknowns=tuple(unknowns))
        return live(f"API and application key valid on {site}" + (f" for `{identity}`" if identity else ""),
                    site, blast)

    def _key_scopes(self, http: ReadOnlyHttp, headers: dict[str, str],
                    app_key: str) -> tuple[list[str], bool | None]:
        """(scopes, scoped): scoped None when unreadable, False for an unscoped key."""
        response = http.get("/api/v2/current_user/application_keys", headers=headers,
                            params={"page[size]": "100"})
        if response.status != 200:
            return [], None
        for item in response.json().get("data") or []:
            attributes: dict[str, Any] = item.get("attributes") or {} if isinstance(item, dict) else {}
            if attributes.get("last4") and app_key.endswith(str(attributes["last4"])):
                scopes = attributes.get("scopes")
                if scopes is None:
                    return [], False
                return [str(s) for s in scopes], True
        return [], None


PROVIDER = DatadogProvider()

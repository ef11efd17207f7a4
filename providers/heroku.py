"""Heroku Platform API tokens: account, OAuth scope, apps and their pipeline stage.

Why these calls: ``GET /account`` proves the token and names its owner; ``GET /apps`` and
``GET /pipeline-couplings`` name the apps and the pipeline stage (production/staging/development)
they sit in. Both lists are read whole: sent with a ``Range`` header, an answer of ``206 Partial
Content`` plus ``Next-Range`` means more, and that page is asked for too
(https://devcenter.heroku.com/articles/platform-api-reference#ranges). The pipeline stage is
Heroku's own environment field and wins over the app's name. Reference: shared/reference/providers.md §16.

Not called: ``GET /oauth/authorizations``. It is the only read that shows an OAuth token's scope,
but its answer carries the access token of every authorization on the account, and credreach never
asks an API for secret values. So an OAuth/``HRKU-`` token's scope is reported as unknown and its
write/delete power as possible; a legacy UUID account API key is global by Heroku's definition.
"""

from __future__ import annotations

import re
from dataclasses import replace

from providers.base import (
    Introspection,
    Listing,
    Provider,
    ProviderContext,
    ProviderError,
    RangeHeader,
    Response,
    classify_environment,
    invalid,
    live,
    paginate,
    status_problem,
    unverifiable,
)
from scanner.model import Action, BlastRadius, Capability, Credential, EnvClass, Resource

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_STAGE_CLASS = {"production": EnvClass.PRODUCTION, "staging": EnvClass.STAGING,
                "development": EnvClass.DEVELOPMENT, "review": EnvClass.DEVELOPMENT,
                "test": EnvClass.DEVELOPMENT}
_WRITE_SCOPES = {"global", "write", "write-protected"}
_RANGES = RangeHeader("id ..; max=1000")
"""Heroku's documented page request: ids ascending, at most 1000 a page."""
STAGE_BASIS = "Heroku pipeline stage"


class HerokuProvider(Provider):
    name = "heroku"
    display_name = "Heroku"
    kinds = frozenset({"heroku_token"})
    default_base_url = "https://api.heroku.com"
    reveals = "account, OAuth scope (global/read/write…), apps with pipeline stage; app delete via write"
    docs = (
        "https://devcenter.heroku.com/articles/platform-api-reference#account",
        "https://devcenter.heroku.com/articles/platform-api-reference#oauth-authorization",
        "https://devcenter.heroku.com/articles/oauth",
    )

    def introspect(self, credential: Credential, ctx: ProviderContext) -> Introspection:
        endpoint = ctx.http.base_url
        headers = {"Authorization": f"Bearer {credential.secret}",
                   "Accept": "application/vnd.heroku+json; version=3"}
        try:
            account = ctx.http.get("/account", headers=headers)
            if account.status == 401:
                return invalid(f"Heroku rejected the token (HTTP 401: {_message(account)})", endpoint)
            problem = status_problem(account)
            if problem:
                return unverifiable(problem, endpoint)
            info = account.json()
            info = info if isinstance(info, dict) else {}
            identity = str(info.get("email") or info.get("id") or "") or None
            scopes, token_type, matched = _scopes(credential.secret)
            shortfalls: list[str] = []
            apps = self._apps(ctx, headers, shortfalls)
        except ProviderError as exc:
            return unverifiable(str(exc), endpoint)
        blast = _blast(identity, scopes, token_type, matched, apps)
        if shortfalls:
            blast = replace(blast, notes=blast.notes + tuple(shortfalls), unknowns=blast.unknowns + tuple(shortfalls))
        return live("Heroku accepted the token", endpoint, blast)

    def _apps(self, ctx: ProviderContext, headers: dict[str, str], shortfalls: list[str]) -> list[Resource]:
        listing = paginate(ctx.http, "/apps", _RANGES, what="apps", headers=headers)
        if not listing.ok:
            return []
        _short(listing, shortfalls)
        stages = self._stages(ctx, headers, shortfalls)
        resources: list[Resource] = []
        for app in listing.items:
            if not isinstance(app, dict) or not app.get("name"):
                continue
            name = str(app["name"])
            stage = stages.get(str(app.get("id")))
            staged = _STAGE_CLASS.get(stage or "")
            by_name = classify_environment(name)
            env_class = staged or by_name
            basis = STAGE_BASIS if staged else ("name" if by_name is not EnvClass.UNKNOWN else None)
            owner = (app.get("team") or {}).get("name") or (app.get("owner") or {}).get("email")
            resources.append(Resource("app", name, environment=stage, env_class=env_class,
                                      parent=f"team {owner}" if (app.get("team") or {}).get("name")
                                      else (f"account {owner}" if owner else None), env_basis=basis))
        return resources

    def _stages(self, ctx: ProviderContext, headers: dict[str, str], shortfalls: list[str]) -> dict[str, str]:
        """App id -> pipeline stage; best effort (a token without pipelines gets an empty list)."""
        listing = paginate(ctx.http, "/pipeline-couplings", _RANGES, what="pipeline couplings", headers=headers)
        if not listing.ok:
            return {}
        _short(listing, shortfalls)
        stages: dict[str, str] = {}
        for coupling in listing.items:
            if isinstance(coupling, dict) and isinstance(coupling.get("app"), dict) and coupling.get("stage"):
                stages[str(coupling["app"].get("id"))] = str(coupling["stage"])
        return stages


def _short(listing: Listing, shortfalls: list[str]) -> None:
    sentence = listing.shortfall()
    if sentence:
        shortfalls.append(sentence)


def _scopes(secret: str) -> tuple[tuple[str, ...], str, bool | None]:
    """(scopes, token type, certain?) from the token's own form; None: scope not knowable read-only."""
    if _UUID.match(secret):
        return ("global",), "account API key", True
    return (), "API or OAuth token (HRKU-)", None


def _blast(identity: str | None, scopes: tuple[str, ...], token_type: str, matched: bool | None,
           apps: list[Resource]) -> BlastRadius:
    res = tuple(apps)
    certain = matched is True or token_type == "account API key"
    caps: list[Capability] = []
    notes: list[str] = []
    unknowns: list[str] = []
    scope_set = set(scopes)
    if scope_set & {"global", "read", "read-protected"} or (apps and not scope_set):
        caps.append(Capability(Action.READ, "app-info", res, certain=bool(scope_set)))
    if "global" in scope_set or "read-protected" in scope_set:
        caps.append(Capability(Action.READ, "config-var-info (secrets)", res, certain=certain))
    if matched is None:
        caps.append(Capability(Action.READ, "app-info", res))
        caps.append(Capability(Action.WRITE, "app-update, build-create, config-var-update", res, certain=False))
        caps.append(Capability(Action.DELETE, "app-delete, add-on-delete (databases)", res, certain=False))
    if scope_set & _WRITE_SCOPES:
        caps.append(Capability(Action.WRITE, "app-update, build-create, formation-update, config-var-update",
                               res, certain=certain))
        caps.append(Capability(Action.DELETE, "app-delete, add-on-delete (databases)", res, certain=certain))
    if "global" in scope_set:
        caps.append(Capability(Action.ADMIN, "account-update, oauth-authorization-create, app-transfer",
                               (Resource("account", identity or "this account"),), certain=certain))
        notes.append("global scope: full control of the account — delete apps and their databases, read "
                     "every config var, mint new tokens.")
    if matched is None:
        unknowns.append("OAuth scope of this token: only GET /oauth/authorizations shows it, and that answer "
                        "carries other tokens' values, so credreach does not ask; write/delete on the apps "
                        "above is possible")
    production = [a.name for a in apps if a.env_class in (EnvClass.PRODUCTION, EnvClass.UNKNOWN)]
    if production:
        notes.append(f"{len(production)} app(s) production-class or unnamed: {', '.join(production[:5])}.")
    return BlastRadius(identity=identity, token_type=token_type, scopes=scopes, resources=res,
                       capabilities=tuple(caps), notes=tuple(notes), unknowns=tuple(unknowns))


def _message(response: Response) -> str:
    try:
        data = response.json()
    except ProviderError:
        return "no body"
    return str(data.get("message") or data.get("id") or "error")[:200] if isinstance(data, dict) else "error"


PROVIDER = HerokuProvider()

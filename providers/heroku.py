"""Heroku Platform API tokens: account, OAuth scope, apps and their pipeline stage.

Why these calls: ``GET /account`` proves the token and names its owner; ``GET /oauth/authorizations``
is the only read that reveals a token's scope (``global``, ``read``, ``write``, ``read-protected``,
``write-protected``, ``identity``). The list carries each authorization's access token, so the calling
token is matched by a constant-time comparison in memory and every token value is dropped at once,
never stored or reported. ``GET /apps`` and ``GET /pipeline-couplings`` name the apps and the pipeline
stage (production/staging/development) they sit in. Reference: shared/reference/providers.md §16.
"""

from __future__ import annotations

import hmac
import re
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

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_STAGE_CLASS = {"production": EnvClass.PRODUCTION, "staging": EnvClass.STAGING,
                "development": EnvClass.DEVELOPMENT, "review": EnvClass.DEVELOPMENT,
                "test": EnvClass.DEVELOPMENT}
_WRITE_SCOPES = {"global", "write", "write-protected"}


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
            scopes, token_type, matched = self._scopes(ctx, headers, credential.secret)
            apps = self._apps(ctx, headers)
        except ProviderError as exc:
            return unverifiable(str(exc), endpoint)
        return live("Heroku accepted the token", endpoint,
                    _blast(identity, scopes, token_type, matched, apps))

    def _scopes(self, ctx: ProviderContext, headers: dict[str, str],
                secret: str) -> tuple[tuple[str, ...], str, bool | None]:
        """(scopes, token type, matched?) ; matched is None when the list could not be read."""
        response = ctx.http.get("/oauth/authorizations", headers=headers)
        legacy = bool(_UUID.match(secret))
        if response.status in (401, 403):
            return (), "OAuth token (scope hidden: it may not list authorizations)", None
        if not 200 <= response.status < 300:
            return (), "token", None
        items = response.json()
        for item in items if isinstance(items, list) else []:
            token = ((item or {}).get("access_token") or {}).get("token") if isinstance(item, dict) else None
            if isinstance(token, str) and hmac.compare_digest(token.encode(), secret.encode()):
                scope = tuple(str(s) for s in item.get("scope") or [])
                description = str(item.get("description") or "").strip()
                kind = f"OAuth authorization `{description}`" if description else "OAuth authorization"
                return scope, kind, True
        # Listing authorizations needs global scope; an unmatched global token is the account API key.
        return ("global",), "account API key" if legacy else "API token (not an OAuth authorization)", False

    def _apps(self, ctx: ProviderContext, headers: dict[str, str]) -> list[Resource]:
        response = ctx.http.get("/apps", headers=headers)
        if not 200 <= response.status < 300:
            return []
        apps = response.json()
        stages = self._stages(ctx, headers)
        resources: list[Resource] = []
        for app in apps if isinstance(apps, list) else []:
            if not isinstance(app, dict) or not app.get("name"):
                continue
            name = str(app["name"])
            stage = stages.get(str(app.get("id")))
            env_class = _STAGE_CLASS.get(stage or "", classify_environment(name))
            owner = (app.get("team") or {}).get("name") or (app.get("owner") or {}).get("email")
            resources.append(Resource("app", name, environment=stage, env_class=env_class,
                                      parent=f"team {owner}" if (app.get("team") or {}).get("name")
                                      else (f"account {owner}" if owner else None)))
        return resources

    def _stages(self, ctx: ProviderContext, headers: dict[str, str]) -> dict[str, str]:
        """App id -> pipeline stage; best effort (a token without pipelines gets an empty list)."""
        response = ctx.http.get("/pipeline-couplings", headers=headers)
        if not 200 <= response.status < 300:
            return {}
        stages: dict[str, str] = {}
        data: Any = response.json()
        for coupling in data if isinstance(data, list) else []:
            if isinstance(coupling, dict) and isinstance(coupling.get("app"), dict) and coupling.get("stage"):
                stages[str(coupling["app"].get("id"))] = str(coupling["stage"])
        return stages


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
    if scope_set & _WRITE_SCOPES:
        caps.append(Capability(Action.WRITE, "app-update, build-create, formation-update, config-var-update",
                               res, certain=certain))
        caps.append(Capability(Action.DELETE, "app-delete, add-on-delete (databases)", res, certain=certain))
    if "global" in scope_set:
        caps.append(Capability(Action.ADMIN, "account-update, oauth-authorization-create, app-transfer",
                               (Resource("account", identity or "this account"),), certain=certain))
        notes.append("global scope: full control of the account — delete apps and their databases, read "
                     "every config var, mint new tokens.")
    if matched is False:
        notes.append("The token is not one of the account's OAuth authorizations but could list them, so it "
                     "has global scope (the account API key behaves this way).")
    if matched is None:
        unknowns.append("OAuth scope of this token (it may not list authorizations); write/delete on apps "
                        "cannot be confirmed without writing")
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

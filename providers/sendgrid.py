"""SendGrid API keys: ``GET /v3/scopes`` returns the key's exact permission list.

Why this is enough: SendGrid keys carry an explicit scope list and the API hands it back to the key
itself, so nothing has to be inferred or probed. Identity comes from the user endpoints, called only
when the key holds their ``*.read`` scope (otherwise they would just answer 403).
Reference: shared/reference/providers.md §18.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from providers.base import (
    Introspection,
    Provider,
    ProviderContext,
    ProviderError,
    Response,
    invalid,
    live,
    status_problem,
    unverifiable,
)
from scanner.model import Action, BlastRadius, Capability, Credential, Resource

# Scope families whose write/delete means control of the account itself, not its content.
_ADMIN_FAMILIES = ("api_keys", "user", "subusers", "teammates", "sso", "access_settings", "credentials")
_BILLING_FAMILIES = ("billing",)


def _action_for(scope: str) -> Action:
    """Map one SendGrid scope (``family.sub.verb``) to the action it allows."""
    family, _, rest = scope.partition(".")
    verb = scope.rsplit(".", 1)[-1]
    if scope == "mail.send":
        return Action.WRITE
    if verb == "read":
        return Action.READ
    if family in _BILLING_FAMILIES:
        return Action.BILLING
    if family in _ADMIN_FAMILIES:
        return Action.ADMIN
    if verb == "delete":
        return Action.DELETE
    return Action.WRITE


def _group_capabilities(scopes: list[str], account: Resource) -> tuple[Capability, ...]:
    """One capability per (action, scope family): a Full Access key holds ~250 scopes."""
    groups: dict[tuple[Action, str], list[str]] = defaultdict(list)
    for scope in scopes:
        groups[(_action_for(scope), scope.split(".", 1)[0])].append(scope)
    caps: list[Capability] = []
    for (action, family), members in sorted(groups.items(), key=lambda kv: (kv[0][0].value, kv[0][1])):
        members.sort()
        operation = ", ".join(members) if len(members) <= 3 else f"{family}.* ({len(members)} scopes)"
        caps.append(Capability(action, operation, (account,)))
    return tuple(caps)


class SendGridProvider(Provider):
    name = "sendgrid"
    display_name = "SendGrid"
    kinds = frozenset({"sendgrid_api_key"})
    default_base_url = "https://api.sendgrid.com"
    reveals = "exact API key scopes (GET /v3/scopes), account username/type; mail.send and key admin"
    docs = (
        "https://www.twilio.com/docs/sendgrid/api-reference/api-key-permissions/"
        "retrieve-a-list-of-scopes-for-which-this-user-has-access",
        "https://www.twilio.com/docs/sendgrid/api-reference/how-to-use-the-sendgrid-v3-api/errors",
    )

    def introspect(self, credential: Credential, ctx: ProviderContext) -> Introspection:
        endpoint = ctx.http.base_url
        headers = {"Authorization": f"Bearer {credential.secret}"}
        try:
            response = ctx.http.get("/v3/scopes", headers=headers)
            if response.status == 401:
                return invalid(f"SendGrid rejected the key (HTTP 401: {_error_text(response)})", endpoint)
            if response.status == 403:
                # Documented as "Too many bad requests. Temporary block", not as a bad key.
                return unverifiable("SendGrid answered 403 (temporary block after too many bad requests)",
                                    endpoint)
            problem = status_problem(response)
            if problem:
                return unverifiable(problem, endpoint)
            body = response.json()
            scopes = sorted({s for s in (body.get("scopes") or []) if isinstance(s, str)}) \
                if isinstance(body, dict) else []
            identity, account_type = self._identity(ctx, headers, scopes)
        except ProviderError as exc:
            return unverifiable(str(exc), endpoint)
        return live("SendGrid accepted the key", endpoint, self._blast(scopes, identity, account_type))

    def _identity(self, ctx: ProviderContext, headers: dict[str, str],
                  scopes: list[str]) -> tuple[str | None, str | None]:
        """Username and account type, each only when the key may read it."""
        identity: str | None = None
        account_type: str | None = None
        if "user.username.read" in scopes:
            data = _ok_json(ctx.http.get("/v3/user/username", headers=headers))
            if data.get("username"):
                identity = str(data["username"])
        if identity is None and "user.profile.read" in scopes:
            data = _ok_json(ctx.http.get("/v3/user/profile", headers=headers))
            name = " ".join(str(data.get(k) or "") for k in ("first_name", "last_name")).strip()
            identity = name or (str(data["company"]) if data.get("company") else None)
        if "user.account.read" in scopes:
            data = _ok_json(ctx.http.get("/v3/user/account", headers=headers))
            account_type = str(data["type"]) if data.get("type") else None
        return identity, account_type

    def _blast(self, scopes: list[str], identity: str | None, account_type: str | None) -> BlastRadius:
        account = Resource("sendgrid account", identity or "account of this key")
        notes: list[str] = [f"The key holds {len(scopes)} scope(s), listed by SendGrid itself."]
        if "mail.send" in scopes:
            notes.append("mail.send: it can send email as you, from your verified domains (phishing that "
                         "passes SPF/DKIM).")
        if any(s.startswith("api_keys.") and not s.endswith(".read") for s in scopes):
            notes.append("api_keys write/delete: it can mint new keys (persistence) or delete yours.")
        if any(s.startswith("user.") and not s.endswith(".read") for s in scopes):
            notes.append("user.* write: it can change the account's email, password or username.")
        if not scopes:
            notes.append("The key authenticated but carries no scopes.")
        if account_type:
            notes.append(f"Account type: {account_type}.")
        return BlastRadius(identity=identity, token_type="API key", scopes=tuple(scopes),
                           resources=(account,), capabilities=_group_capabilities(scopes, account),
                           notes=tuple(notes))


def _ok_json(response: Response) -> dict[str, Any]:
    """Body of a 2xx JSON object answer, else empty: identity lookups are best-effort."""
    if not 200 <= response.status < 300:
        return {}
    try:
        data = response.json()
    except ProviderError:
        return {}
    return data if isinstance(data, dict) else {}


def _error_text(response: Response) -> str:
    try:
        data = response.json()
    except ProviderError:
        return "no body"
    errors = data.get("errors") if isinstance(data, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return str(errors[0].get("message") or "error")[:200]
    return "error"


PROVIDER = SendGridProvider()

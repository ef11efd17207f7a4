"""Twilio: account auth tokens and API keys (Basic auth ``SID:secret``), read-only.

Why these calls: ``GET /2010-04-01/Accounts.json`` answers 200 to an auth token or a *main* API key
and 401 to a *standard* key (Accounts are off-limits to it), which separates "full account control"
from "can use the APIs". A standard key is then confirmed with a list it may read: the account's
phone numbers when the account SID is known, else Verify ``/v2/Services`` (trufflehog's check).
Reference: shared/reference/providers.md §17.
"""

from __future__ import annotations

import base64
from typing import Any

from providers.base import (
    Introspection,
    Provider,
    ProviderContext,
    ProviderError,
    ReadOnlyHttp,
    Response,
    classify_environment,
    invalid,
    live,
    status_problem,
    unverifiable,
)
from scanner.model import Action, BlastRadius, Capability, Credential, Resource

_VERIFY_URL = "https://verify.twilio.com"


def _companion(credential: Credential, *names: str) -> str:
    lowered = {k.lower(): v for k, v in credential.companions.items()}
    return next((lowered[n] for n in names if lowered.get(n)), "")


def _pair(credential: Credential) -> tuple[str, str, str]:
    """(username, password, account SID) for Basic auth; empty strings where a half is missing."""
    account_sid = _companion(credential, "account_sid", "twilio_account_sid")
    secret = credential.secret
    if credential.kind == "twilio_api_key":
        if secret.startswith("SK"):
            return secret, _companion(credential, "api_key_secret", "secret", "api_secret",
                                      "twilio_api_secret"), account_sid
        return _companion(credential, "api_key_sid", "api_key", "twilio_api_key"), secret, account_sid
    if secret.startswith("AC"):
        return secret, _companion(credential, "auth_token", "twilio_auth_token"), secret
    return account_sid, secret, account_sid


class TwilioProvider(Provider):
    name = "twilio"
    display_name = "Twilio"
    kinds = frozenset({"twilio_api_key", "twilio_account"})
    default_base_url = "https://api.twilio.com"
    other_default_urls = (_VERIFY_URL,)
    reveals = "auth token vs main/standard API key, accounts and subaccounts, phone numbers"
    docs = (
        "https://www.twilio.com/docs/iam/api/account",
        "https://www.twilio.com/docs/iam/api-keys",
        "https://www.twilio.com/docs/errors/20003",
    )

    def introspect(self, credential: Credential, ctx: ProviderContext) -> Introspection:
        endpoint = ctx.http.base_url
        username, password, account_sid = _pair(credential)
        if not username or not password:
            missing = "its secret" if credential.kind == "twilio_api_key" else "the account SID or auth token"
            return unverifiable(f"Twilio credentials work as a pair; {missing} was not found next to it "
                                "(TWILIO_API_KEY/TWILIO_API_SECRET, TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN)")
        auth = (username, password)
        try:
            accounts = _get(ctx.http, "/2010-04-01/Accounts.json", auth)
            problem = status_problem(accounts) if accounts.status != 401 else None
            if problem:
                return unverifiable(problem, endpoint)
            full = accounts.status == 200
            numbers: list[Resource] = []
            if account_sid:
                listing = _get(ctx.http, f"/2010-04-01/Accounts/{account_sid}/IncomingPhoneNumbers.json", auth)
                if listing.status == 200:
                    numbers = _numbers(listing.json())
                elif not full and listing.status == 401:
                    return invalid(f"Twilio rejected the credentials (HTTP 401: {_message(listing)})", endpoint)
                elif not full:
                    return unverifiable(status_problem(listing) or "unexpected answer", endpoint)
            elif not full:
                services = _get(ctx.http_for(_VERIFY_URL), "/v2/Services", auth)
                if services.status == 401:
                    return invalid(f"Twilio rejected the credentials (HTTP 401: {_message(services)})",
                                   endpoint)
                if services.status != 200:
                    return unverifiable(status_problem(services) or "unexpected answer", endpoint)
            body = accounts.json() if full else {}
            account_items = body.get("accounts") or [] if isinstance(body, dict) else []
        except ProviderError as exc:
            return unverifiable(str(exc), endpoint)
        return live("Twilio accepted the credentials", endpoint,
                    _blast(credential.kind, username, full, account_items, numbers, account_sid))


def _get(http: ReadOnlyHttp, path: str, auth: tuple[str, str]) -> Response:
    token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    return http.get(path, headers={"Authorization": f"Basic {token}"})


def _numbers(body: Any) -> list[Resource]:
    items = body.get("incoming_phone_numbers", []) if isinstance(body, dict) else []
    return [Resource("phone number", str(n.get("phone_number")),
                     env_class=classify_environment(str(n.get("friendly_name") or "")))
            for n in items if isinstance(n, dict) and n.get("phone_number")]


def _blast(kind: str, username: str, full: bool, accounts: list[Any], numbers: list[Resource],
           account_sid: str) -> BlastRadius:
    account_res = [Resource("account", f"{a.get('friendly_name') or a.get('sid')} ({a.get('sid')})",
                            env_class=classify_environment(str(a.get("friendly_name") or "")))
                   for a in accounts if isinstance(a, dict) and a.get("sid")]
    if not account_res and account_sid:
        account_res = [Resource("account", account_sid)]
    reach = tuple(account_res + numbers)
    key_type = "main API key" if full else "standard API key"
    token_type = "account auth token" if kind == "twilio_account" else key_type
    caps = [Capability(Action.READ, "messages, calls, recordings, phone numbers", reach),
            Capability(Action.WRITE, "Messages create, Calls create (sent as you, billed to you)", reach),
            Capability(Action.DELETE, "IncomingPhoneNumbers delete (release numbers), Recordings delete",
                       reach)]
    notes = ["It can send SMS and place calls from your numbers: billed to the account and trusted by "
             "recipients."]
    if full:
        caps.append(Capability(Action.ADMIN, "Keys create/delete, subaccount create/close",
                               tuple(account_res)))
        notes.append(f"{token_type} reaches the Accounts resource: {len(account_res)} account(s) incl. "
                     "subaccounts; it can mint API keys and close subaccounts.")
        trial = [a for a in accounts if isinstance(a, dict) and a.get("type") == "Trial"]
        if trial:
            notes.append("Trial account: sending is limited to verified numbers.")
    return BlastRadius(identity=account_sid or username, token_type=token_type, resources=reach,
                       capabilities=tuple(caps), notes=tuple(notes),
                       unknowns=() if full else ("whether this is a restricted key with fewer permissions "
                                                 "(only a write would tell)",))


def _message(response: Response) -> str:
    try:
        data = response.json()
    except ProviderError:
        return "no body"
    if isinstance(data, dict):
        return f"{data.get('code') or ''} {str(data.get('message') or 'error')[:150]}".strip()
    return "error"


PROVIDER = TwilioProvider()

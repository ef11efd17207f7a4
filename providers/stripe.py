"""Stripe: which account a secret/restricted key belongs to and what it can read, read-only.

``GET /v1/account`` identifies the account (a restricted key without account access answers 403,
whose message still names the account). Secret keys (``sk_``) hold every permission by
definition, so money movement and deletion follow from the prefix. Restricted keys (``rk_``)
are probed with ``GET /v1/<list>?limit=1`` only: 200 means readable, 403 means not. Their
write permissions cannot be learned without writing (an empty-body POST can create objects),
so they are reported as unknowns and never probed. Test-mode keys are live but harmless to real
money: they are reported with a "test mode" note and development-class resources.
"""

from __future__ import annotations

import re
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
from providers.guard import MutationRefused
from scanner.model import Action, BlastRadius, Capability, Credential, EnvClass, Resource
from scanner.redact import safe_error

# GET list endpoints (read-only) -> the restricted-key permission they need.
READ_PROBES: tuple[tuple[str, str], ...] = (
    ("/v1/balance", "rak_balance_read"), ("/v1/charges", "rak_charge_read"),
    ("/v1/customers", "rak_customer_read"), ("/v1/payment_intents", "rak_payment_intent_read"),
    ("/v1/subscriptions", "rak_subscription_read"), ("/v1/products", "rak_product_read"),
    ("/v1/payouts", "rak_payout_read"), ("/v1/refunds", "rak_refund_read"),
    ("/v1/webhook_endpoints", "rak_webhook_read"),
)
_ACCOUNT_RE = re.compile(r"\bacct_[A-Za-z0-9]+")


class StripeProvider(Provider):
    name = "stripe"
    display_name = "Stripe"
    kinds = frozenset({"stripe_live_secret_key", "stripe_live_restricted_key", "stripe_test_key"})
    default_base_url = "https://api.stripe.com"
    reveals = "account, live/test mode, charges/payouts enabled; restricted keys: readable objects"
    docs = ("https://docs.stripe.com/api/authentication", "https://docs.stripe.com/api/errors",
            "https://docs.stripe.com/keys#limit-access", "https://docs.stripe.com/api/accounts/retrieve")

    def introspect(self, credential: Credential, ctx: ProviderContext) -> Introspection:
        try:
            return self._check(credential, ctx)
        except (ProviderError, MutationRefused) as exc:
            return unverifiable(f"Stripe check failed: {safe_error(exc)}", ctx.http.base_url)

    def _check(self, credential: Credential, ctx: ProviderContext) -> Introspection:
        endpoint = ctx.http.base_url
        headers = {"Authorization": f"Bearer {credential.secret}"}
        restricted = credential.secret.startswith("rk_")
        test_mode = credential.kind == "stripe_test_key" or "_test_" in credential.secret[:8]
        resp = ctx.http.get("/v1/account", headers=headers)
        if resp.status == 401:
            return invalid(f"Stripe rejected the key (HTTP 401: {_message(resp)})", endpoint)
        account: dict[str, Any] = {}
        notes: list[str] = []
        if resp.status == 200:
            account = _obj(resp.json())
        elif resp.status == 403 and restricted:
            found = _ACCOUNT_RE.search(_message(resp, 400))
            account = {"id": found.group(0)} if found else {}
            notes.append("restricted key cannot read account details (no rak_account_read)")
        else:
            return unverifiable(f"Stripe /v1/account: {status_problem(resp)}", endpoint)
        acct_id = str(account.get("id") or "unknown account")
        name = _obj(_obj(account.get("settings")).get("dashboard")).get("display_name") \
            or _obj(account.get("business_profile")).get("name")
        mode = "test mode" if test_mode else "live mode"
        resource = Resource("account", acct_id + (f" ({name})" if name else ""), mode,
                            EnvClass.DEVELOPMENT if test_mode else EnvClass.PRODUCTION)
        if test_mode:
            notes.append("test mode: no real money moves, but test-mode data of the account is exposed")
        if account.get("charges_enabled"):
            notes.append("account can accept charges (charges_enabled)")
        if account.get("payouts_enabled"):
            notes.append("account can pay out to its bank (payouts_enabled)")
        kind = ("restricted key" if restricted else "secret key") + f" ({mode})"
        if restricted:
            readable, unchecked = _probe_reads(ctx, headers)
            caps: tuple[Capability, ...] = tuple(Capability(Action.READ, perm, (resource,))
                                                 for _, perm in readable)
            scopes: tuple[str, ...] = tuple(perm for _, perm in readable)
            notes.append("readable: " + (", ".join(p for p, _ in readable) or "none of the probed objects"))
            unknowns: tuple[str, ...] = (
                "write permissions of this restricted key (charges, refunds, payouts, customers, webhooks) "
                "cannot be learned without writing; not probed",)
            if unchecked:
                unknowns += ("read access not determined (provider error) for " + ", ".join(unchecked),)
        else:
            scopes = ("all permissions (secret key)",)
            caps = (Capability(Action.READ, "all objects", (resource,)),
                    Capability(Action.WRITE, "create/update charges, customers, subscriptions, webhooks",
                               (resource,)),
                    Capability(Action.DELETE, "DELETE /v1/customers/{id}, /v1/products/{id}, "
                               "cancel subscriptions", (resource,)),
                    Capability(Action.BILLING, "refunds, payouts, transfers (money movement)", (resource,)))
            unknowns = ()
        blast = BlastRadius(identity=acct_id, token_type=kind, scopes=scopes, resources=(resource,),
                            capabilities=caps, notes=tuple(notes), unknowns=unknowns)
        return live(f"Stripe {kind} live for {acct_id}", endpoint, blast)


def _probe_reads(ctx: ProviderContext, headers: dict[str, str]) -> tuple[list[tuple[str, str]], list[str]]:
    """GET each list endpoint: 200 readable, 403 not; anything else stays undetermined."""
    readable: list[tuple[str, str]] = []
    unchecked: list[str] = []
    for path, permission in READ_PROBES:
        params = {} if path == "/v1/balance" else {"limit": "1"}
        status = ctx.http.get(path, headers=headers, params=params).status
        if status == 200:
            readable.append((path, permission))
        elif status != 403:
            unchecked.append(path)
    return readable, unchecked


def _message(resp: Response, limit: int = 80) -> str:
    try:
        text = str(_obj(_obj(resp.json()).get("error")).get("message") or "")
    except ProviderError:
        text = ""
    # Stripe echoes a masked key after the colon ("Invalid API Key provided: sk_live_****1234").
    return (text.split(":")[0] if limit <= 80 else text)[:limit] or f"HTTP {resp.status}"


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


PROVIDER = StripeProvider()

"""Stripe provider against the loopback fake: real HTTP, real parsing, read-only asserted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from credreach.fakes._server import assert_read_only
from credreach.fakes.stripe import FakeStripe, FakeStripeKey
from providers.stripe import PROVIDER
from scanner.model import Action, EnvClass, VerificationStatus
from tests.helpers import context_for, make_credential

LIVE = "sk_live_51AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
RESTRICTED = "rk_live_51AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
TEST = "sk_test_51AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"


@pytest.fixture()
def fake() -> Iterator[FakeStripe]:
    server = FakeStripe()
    server.start()
    yield server
    server.stop()


def test_live_secret_key_moves_money(fake: FakeStripe) -> None:
    fake.keys[LIVE] = FakeStripeKey()
    credential = make_credential("stripe", "stripe_live_secret_key", LIVE)
    result = PROVIDER.introspect(credential, context_for(fake.url))
    assert result.verification.status is VerificationStatus.LIVE
    blast = result.blast_radius
    assert blast.identity == "acct_1Nv0FGQ9RKHgCVdK"
    assert blast.resources[0].env_class is EnvClass.PRODUCTION
    actions = {c.action for c in blast.capabilities}
    assert {Action.BILLING, Action.DELETE, Action.WRITE} <= actions
    assert any("payouts_enabled" in n for n in blast.notes)
    assert [r.path for r in fake.requests] == ["/v1/account"]
    assert_read_only(fake.requests)


def test_restricted_key_reads_probed_writes_unknown(fake: FakeStripe) -> None:
    perms = {"rak_charge_read", "rak_customer_read"}
    fake.keys[RESTRICTED] = FakeStripeKey(restricted=True, read_perms=perms)
    credential = make_credential("stripe", "stripe_live_restricted_key", RESTRICTED)
    result = PROVIDER.introspect(credential, context_for(fake.url))
    assert result.verification.status is VerificationStatus.LIVE
    blast = result.blast_radius
    assert blast.identity == "acct_1Nv0FGQ9RKHgCVdK"  # learned from the 403 message
    assert set(blast.scopes) == {"rak_charge_read", "rak_customer_read"}
    assert {c.action for c in blast.capabilities} == {Action.READ}
    assert any("write permissions" in u for u in blast.unknowns)
    assert all(r.method == "GET" for r in fake.requests)
    assert_read_only(fake.requests)


def test_test_mode_key_is_live_with_test_mode_note(fake: FakeStripe) -> None:
    fake.keys[TEST] = FakeStripeKey()
    result = PROVIDER.introspect(make_credential("stripe", "stripe_test_key", TEST), context_for(fake.url))
    assert result.verification.status is VerificationStatus.LIVE
    blast = result.blast_radius
    assert "test mode" in (blast.token_type or "")
    assert any(n.startswith("test mode") for n in blast.notes)
    assert all(r.env_class is EnvClass.DEVELOPMENT for r in blast.resources)
    assert_read_only(fake.requests)


@pytest.mark.parametrize("expired", [True, False])
def test_revoked_or_expired_key_is_invalid(fake: FakeStripe, expired: bool) -> None:
    if expired:
        fake.keys[LIVE] = FakeStripeKey(expired=True)
    result = PROVIDER.introspect(make_credential("stripe", "stripe_live_secret_key", LIVE),
                                 context_for(fake.url))
    assert result.verification.status is VerificationStatus.INVALID
    assert ("Expired" if expired else "Invalid API Key") in result.verification.reason
    assert LIVE[-4:] not in result.verification.reason  # the echoed masked key is dropped
    assert_read_only(fake.requests)


def test_rate_limited_once_then_live(fake: FakeStripe) -> None:
    fake.keys[LIVE] = FakeStripeKey()
    fake.mode = "ratelimit_once"
    result = PROVIDER.introspect(make_credential("stripe", "stripe_live_secret_key", LIVE),
                                 context_for(fake.url))
    assert result.verification.status is VerificationStatus.LIVE
    assert len(fake.requests) == 2
    assert_read_only(fake.requests)


@pytest.mark.parametrize("mode,code", [("ratelimit", "429"), ("error", "500")])
def test_persistent_ratelimit_or_outage_is_unverifiable(fake: FakeStripe, mode: str, code: str) -> None:
    fake.keys[LIVE] = FakeStripeKey()
    fake.mode = mode
    result = PROVIDER.introspect(make_credential("stripe", "stripe_live_secret_key", LIVE),
                                 context_for(fake.url))
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert code in result.verification.reason
    assert_read_only(fake.requests)

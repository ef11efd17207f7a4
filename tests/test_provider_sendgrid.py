"""SendGrid provider against its loopback fake: scopes, identity, invalid keys, rate limits, 5xx."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from credreach.fakes._server import assert_read_only
from credreach.fakes.sendgrid import FULL_ACCESS_SCOPES, SendGridFake, SendGridKey
from providers.sendgrid import PROVIDER
from scanner.model import Action, VerificationStatus
from tests.helpers import context_for, make_credential

FULL_KEY = "SG." + "a" * 22 + "." + "b" * 43
SEND_ONLY_KEY = "SG." + "c" * 22 + "." + "d" * 43
REVOKED_KEY = "SG." + "e" * 22 + "." + "f" * 43


@pytest.fixture
def fake() -> Iterator[SendGridFake]:
    server = SendGridFake(keys={FULL_KEY: SendGridKey(FULL_ACCESS_SCOPES),
                                SEND_ONLY_KEY: SendGridKey(("mail.send",))})
    with server:
        yield server


def _run(fake: SendGridFake, secret: str):
    return PROVIDER.introspect(make_credential("sendgrid", "sendgrid_api_key", secret), context_for(fake.url))


def test_full_access_key_reports_exact_scopes_and_admin(fake: SendGridFake) -> None:
    result = _run(fake, FULL_KEY)
    assert result.verification.status is VerificationStatus.LIVE
    blast = result.blast_radius
    assert set(blast.scopes) == set(FULL_ACCESS_SCOPES)
    assert blast.identity == "acme-mailer"
    ops = {(c.action, c.operation) for c in blast.capabilities}
    assert (Action.WRITE, "mail.send") in ops
    assert any(a is Action.ADMIN and "api_keys.delete" in op for a, op in ops)
    assert any(a is Action.ADMIN and op.startswith("user.") for a, op in ops)
    assert any(a is Action.BILLING and "billing.update" in op for a, op in ops)
    assert any(a is Action.DELETE and "templates.delete" in op for a, op in ops)
    assert any("send email as you" in n for n in blast.notes)
    assert any("Account type: paid" in n for n in blast.notes)
    assert_read_only(fake.requests)


def test_send_only_key_is_write_without_identity_calls(fake: SendGridFake) -> None:
    result = _run(fake, SEND_ONLY_KEY)
    assert result.verification.status is VerificationStatus.LIVE
    caps = result.blast_radius.capabilities
    assert [(c.action, c.operation) for c in caps] == [(Action.WRITE, "mail.send")]
    assert result.blast_radius.identity is None
    assert [r.path for r in fake.requests] == ["/v3/scopes"]  # no user.* scope: no 403-bound lookups
    assert_read_only(fake.requests)


def test_revoked_key_is_invalid(fake: SendGridFake) -> None:
    result = _run(fake, REVOKED_KEY)
    assert result.verification.status is VerificationStatus.INVALID
    assert "authorization required" in result.verification.reason
    assert REVOKED_KEY not in result.verification.reason
    assert_read_only(fake.requests)


def test_rate_limit_then_success_is_retried(fake: SendGridFake) -> None:
    fake.mode, fake.limited = "rate_limit", 1
    result = _run(fake, SEND_ONLY_KEY)
    assert result.verification.status is VerificationStatus.LIVE
    assert [r.path for r in fake.requests] == ["/v3/scopes", "/v3/scopes"]
    assert_read_only(fake.requests)


def test_persistent_rate_limit_is_unverifiable(fake: SendGridFake) -> None:
    fake.mode, fake.retry_after = "rate_limit", "60"
    result = _run(fake, FULL_KEY)
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert "429" in result.verification.reason
    assert_read_only(fake.requests)


def test_server_error_is_unverifiable(fake: SendGridFake) -> None:
    fake.mode = "error"
    result = _run(fake, FULL_KEY)
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert "503" in result.verification.reason
    assert_read_only(fake.requests)

"""Twilio provider against its loopback fake: auth token, main vs standard key, pairs, errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from credreach.fakes._server import assert_read_only
from credreach.fakes.twilio import ACCOUNT_SID, TwilioFake
from providers.twilio import PROVIDER
from scanner.model import Action, EnvClass, VerificationStatus
from tests.helpers import context_for, make_credential

AUTH_TOKEN = "f" * 32
MAIN_KEY, MAIN_SECRET = "SK" + "a" * 32, "m" * 32
STD_KEY, STD_SECRET = "SK" + "b" * 32, "s" * 32


@pytest.fixture
def fake() -> Iterator[TwilioFake]:
    server = TwilioFake(credentials={(ACCOUNT_SID, AUTH_TOKEN): "full", (MAIN_KEY, MAIN_SECRET): "full",
                                     (STD_KEY, STD_SECRET): "standard"})
    with server:
        yield server


def _run(fake: TwilioFake, kind: str, secret: str, companions: dict[str, str]):
    return PROVIDER.introspect(make_credential("twilio", kind, secret, companions), context_for(fake.url))


def test_auth_token_is_full_account_control(fake: TwilioFake) -> None:
    result = _run(fake, "twilio_account", AUTH_TOKEN, {"account_sid": ACCOUNT_SID})
    assert result.verification.status is VerificationStatus.LIVE
    blast = result.blast_radius
    assert blast.token_type == "account auth token"
    assert blast.identity == ACCOUNT_SID
    accounts = {r.name: r.env_class for r in blast.resources if r.kind == "account"}
    assert accounts[f"Acme Production ({ACCOUNT_SID})"] is EnvClass.PRODUCTION
    assert any(env is EnvClass.DEVELOPMENT for env in accounts.values())  # sandbox subaccount
    assert any(r.kind == "phone number" and r.name == "+15005550006" for r in blast.resources)
    assert {c.action for c in blast.capabilities} == {Action.READ, Action.WRITE, Action.DELETE, Action.ADMIN}
    assert AUTH_TOKEN not in repr(blast)
    assert_read_only(fake.requests)


def test_main_key_without_account_sid(fake: TwilioFake) -> None:
    result = _run(fake, "twilio_api_key", MAIN_KEY, {"api_key_secret": MAIN_SECRET})
    assert result.verification.status is VerificationStatus.LIVE
    assert result.blast_radius.token_type == "main API key"
    assert any(c.action is Action.ADMIN for c in result.blast_radius.capabilities)
    assert_read_only(fake.requests)


def test_standard_key_confirmed_via_verify_services(fake: TwilioFake) -> None:
    result = _run(fake, "twilio_api_key", STD_KEY, {"secret": STD_SECRET})
    assert result.verification.status is VerificationStatus.LIVE
    blast = result.blast_radius
    assert blast.token_type == "standard API key"
    assert not any(c.action is Action.ADMIN for c in blast.capabilities)
    assert any(c.action is Action.WRITE for c in blast.capabilities)
    assert [r.path for r in fake.requests] == ["/2010-04-01/Accounts.json", "/v2/Services"]
    assert_read_only(fake.requests)


def test_standard_key_with_account_sid_lists_numbers(fake: TwilioFake) -> None:
    result = _run(fake, "twilio_api_key", STD_KEY, {"secret": STD_SECRET, "account_sid": ACCOUNT_SID})
    assert result.verification.status is VerificationStatus.LIVE
    assert any(r.kind == "phone number" for r in result.blast_radius.resources)
    assert_read_only(fake.requests)


def test_revoked_key_is_invalid(fake: TwilioFake) -> None:
    result = _run(fake, "twilio_api_key", STD_KEY, {"secret": "x" * 32})
    assert result.verification.status is VerificationStatus.INVALID
    assert "20003" in result.verification.reason
    revoked_token = _run(fake, "twilio_account", "0" * 32, {"account_sid": ACCOUNT_SID})
    assert revoked_token.verification.status is VerificationStatus.INVALID
    assert_read_only(fake.requests)


def test_key_without_its_secret_is_unverifiable_without_calls(fake: TwilioFake) -> None:
    result = _run(fake, "twilio_api_key", STD_KEY, {})
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert fake.requests == []


def test_rate_limit_retried_then_live(fake: TwilioFake) -> None:
    fake.mode, fake.limited = "rate_limit", 1
    result = _run(fake, "twilio_account", AUTH_TOKEN, {"account_sid": ACCOUNT_SID})
    assert result.verification.status is VerificationStatus.LIVE
    assert_read_only(fake.requests)


def test_rate_limit_persisting_is_unverifiable(fake: TwilioFake) -> None:
    fake.mode, fake.retry_after = "rate_limit", "90"
    result = _run(fake, "twilio_account", AUTH_TOKEN, {"account_sid": ACCOUNT_SID})
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert "429" in result.verification.reason
    assert_read_only(fake.requests)


def test_server_error_is_unverifiable(fake: TwilioFake) -> None:
    fake.mode = "error"
    result = _run(fake, "twilio_account", AUTH_TOKEN, {"account_sid": ACCOUNT_SID})
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert_read_only(fake.requests)

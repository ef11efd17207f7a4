"""Heroku provider against its loopback fake: scope matching, apps by stage, invalid, 429, 5xx."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fixtures.providers._server import assert_read_only
from fixtures.providers.heroku import HerokuFake, HerokuToken
from providers.heroku import PROVIDER
from scanner.model import Action, EnvClass, VerificationStatus
from tests.helpers import context_for, make_credential

GLOBAL = "HRKU-AA" + "g" * 58
READ_ONLY = "HRKU-AA" + "r" * 58
API_KEY = "0f0e0d0c-0b0a-4908-8706-050403020100"
REVOKED = "HRKU-AA" + "x" * 58


@pytest.fixture
def fake() -> Iterator[HerokuFake]:
    server = HerokuFake(tokens={GLOBAL: HerokuToken(("global",)), READ_ONLY: HerokuToken(("read",)),
                                API_KEY: HerokuToken(("global",), listed=False)})
    with server:
        yield server


def _run(fake: HerokuFake, secret: str):
    return PROVIDER.introspect(make_credential("heroku", "heroku_token", secret), context_for(fake.url))


@pytest.mark.parametrize("token", [GLOBAL, READ_ONLY])
def test_oauth_token_apps_by_stage_and_scope_unknown_without_listing_tokens(fake: HerokuFake, token: str) -> None:
    result = _run(fake, token)
    assert result.verification.status is VerificationStatus.LIVE
    blast = result.blast_radius
    assert blast.identity == "dev@acme.test"
    classes = {r.name: r.env_class for r in blast.resources}
    assert classes == {"shop-prod": EnvClass.PRODUCTION, "shop-staging": EnvClass.STAGING,
                       "billing-api": EnvClass.UNKNOWN}
    delete = next(c for c in blast.capabilities if c.action is Action.DELETE)
    assert not delete.certain and {r.name for r in delete.resources} == set(classes)
    assert blast.unknowns and "scope" in blast.unknowns[0]
    # The endpoint that returns other tokens' values is never asked.
    assert [r.path for r in fake.requests if "authorizations" in r.path] == []
    assert_read_only(fake.requests)


def test_account_api_key_is_global(fake: HerokuFake) -> None:
    result = _run(fake, API_KEY)
    assert result.blast_radius.token_type == "account API key"
    assert result.blast_radius.scopes == ("global",)
    assert any(c.action is Action.DELETE and c.certain for c in result.blast_radius.capabilities)
    assert_read_only(fake.requests)


def test_revoked_token_is_invalid(fake: HerokuFake) -> None:
    result = _run(fake, REVOKED)
    assert result.verification.status is VerificationStatus.INVALID
    assert "Invalid credentials provided" in result.verification.reason
    assert [r.path for r in fake.requests] == ["/account"]
    assert_read_only(fake.requests)


def test_rate_limit_retried_then_live(fake: HerokuFake) -> None:
    fake.mode, fake.limited = "rate_limit", 1
    assert _run(fake, GLOBAL).verification.status is VerificationStatus.LIVE
    assert_read_only(fake.requests)


def test_rate_limit_persisting_is_unverifiable(fake: HerokuFake) -> None:
    fake.mode, fake.retry_after = "rate_limit", "120"
    result = _run(fake, GLOBAL)
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert "429" in result.verification.reason
    assert_read_only(fake.requests)


def test_server_error_is_unverifiable(fake: HerokuFake) -> None:
    fake.mode = "error"
    assert _run(fake, GLOBAL).verification.status is VerificationStatus.UNVERIFIABLE
    assert_read_only(fake.requests)

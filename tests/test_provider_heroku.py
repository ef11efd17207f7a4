"""Heroku provider against its loopback fake: scope matching, apps by stage, invalid, 429, 5xx."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from credreach.fakes._server import assert_read_only
from credreach.fakes.heroku import HerokuFake, HerokuToken
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


# --- issue 15.8/15.10: Range pages, the pipeline stage as the environment basis ---------------

def test_apps_are_asked_with_a_range_header_and_stage_wins_over_name() -> None:
    from credreach.fakes.heroku import many_apps
    from providers.heroku import STAGE_BASIS

    with HerokuFake(tokens={GLOBAL: HerokuToken(("global",))}, apps=many_apps(251)) as fake:
        result = _run(fake, GLOBAL)
    app_calls = [r for r in fake.requests if r.path == "/apps"]
    assert [r.header("Range") for r in app_calls] == ["id ..; max=1000"]
    assert len(result.blast_radius.resources) == 251
    ledger = next(r for r in result.blast_radius.resources if r.name == "ledger-dev")
    assert ledger.env_class is EnvClass.PRODUCTION and ledger.env_basis == STAGE_BASIS
    worker = next(r for r in result.blast_radius.resources if r.name == "worker-00000")
    assert worker.env_class is EnvClass.UNKNOWN and worker.env_basis is None
    assert_read_only(fake.requests)


def test_partial_content_next_range_is_followed_for_apps_and_couplings() -> None:
    from credreach.fakes.heroku import many_apps

    apps = many_apps(1251)
    # every app in a pipeline: couplings need two pages as well
    staged = tuple({**a, "stage": a["stage"] or "development"} for a in apps)
    with HerokuFake(tokens={API_KEY: HerokuToken(("global",), listed=False)}, apps=staged) as fake:
        result = _run(fake, API_KEY)
    app_calls = [r for r in fake.requests if r.path == "/apps"]
    assert [r.header("Range") for r in app_calls] == ["id ..; max=1000", "id ]app-00999..; max=1000"]
    coupling_calls = [r for r in fake.requests if r.path == "/pipeline-couplings"]
    assert len(coupling_calls) == 2
    assert len(result.blast_radius.resources) == 1251
    classes = {r.name: r.env_class for r in result.blast_radius.resources}
    assert classes["ledger-dev"] is EnvClass.PRODUCTION  # its coupling is on page 2
    assert classes["worker-01100"] is EnvClass.DEVELOPMENT
    delete = next(c for c in result.blast_radius.capabilities if c.action is Action.DELETE)
    assert delete.certain and len(delete.resources) == 1251
    assert not any("listed" in n for n in result.blast_radius.notes)
    assert_read_only(fake.requests)


def test_heroku_page_cap_is_reported() -> None:
    from credreach.fakes.heroku import many_apps
    from providers.base import MAX_PAGES

    with HerokuFake(tokens={API_KEY: HerokuToken(("global",), listed=False)},
                    apps=many_apps(MAX_PAGES * 1000 + 3)) as fake:
        result = _run(fake, API_KEY)
    assert len([r for r in fake.requests if r.path == "/apps"]) == MAX_PAGES
    assert any(f"listed {MAX_PAGES * 1000:,} apps; more exist" in n for n in result.blast_radius.notes)

"""Vercel provider against its loopback fake: token scopes, team roles, project names, errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fixtures.providers._server import assert_read_only
from fixtures.providers.vercel import VercelFake, VercelToken
from providers.vercel import PROVIDER
from scanner.model import Action, EnvClass, VerificationStatus
from tests.helpers import context_for, make_credential

FULL = "A" * 24
TEAM_ONLY = "B" * 24
REVOKED = "C" * 24


@pytest.fixture
def fake() -> Iterator[VercelFake]:
    server = VercelFake(tokens={
        FULL: VercelToken([{"type": "user", "origin": "manual", "createdAt": 1}]),
        TEAM_ONLY: VercelToken([{"type": "team", "teamId": "team_acme", "origin": "manual", "createdAt": 1}],
                               expires_at=2_000_000_000_000),
    })
    with server:
        yield server


def _run(fake: VercelFake, secret: str):
    return PROVIDER.introspect(make_credential("vercel", "vercel_token", secret), context_for(fake.url))


def test_user_token_reaches_every_team_with_roles(fake: VercelFake) -> None:
    result = _run(fake, FULL)
    assert result.verification.status is VerificationStatus.LIVE
    blast = result.blast_radius
    assert blast.identity == "devacme"
    assert blast.scopes == ("user",)
    names = {r.name: r for r in blast.resources}
    assert set(names) == {"blog", "storefront-production", "storefront-staging", "api", "experiments-dev"}
    assert names["storefront-production"].env_class is EnvClass.PRODUCTION
    assert names["storefront-staging"].env_class is EnvClass.STAGING
    assert names["api"].parent == "team acme"
    deletes = [c for c in blast.capabilities if c.action is Action.DELETE]
    acme_delete = next(c for c in deletes if any(r.name == "api" for r in c.resources))
    assert acme_delete.certain  # OWNER
    # VIEWER team: read only
    viewer_caps = [c for c in blast.capabilities if any(r.name == "experiments-dev" for r in c.resources)]
    assert [c.action for c in viewer_caps] == [Action.READ]
    assert any(c.action is Action.ADMIN for c in blast.capabilities)
    assert any("never expires" in n for n in blast.notes)
    assert all("/env" not in r.path for r in fake.requests)  # env values never requested
    assert_read_only(fake.requests)


def test_team_scoped_token_sees_only_its_team(fake: VercelFake) -> None:
    result = _run(fake, TEAM_ONLY)
    assert result.verification.status is VerificationStatus.LIVE
    blast = result.blast_radius
    assert blast.scopes == ("team:acme",)
    assert {r.name for r in blast.resources} == {"storefront-production", "storefront-staging", "api"}
    assert not any("never expires" in n for n in blast.notes)
    assert_read_only(fake.requests)


def test_revoked_token_is_invalid(fake: VercelFake) -> None:
    result = _run(fake, REVOKED)
    assert result.verification.status is VerificationStatus.INVALID
    assert "forbidden" in result.verification.reason
    assert [r.path for r in fake.requests] == ["/v5/user/tokens/current"]
    assert_read_only(fake.requests)


def test_rate_limit_retried_then_live(fake: VercelFake) -> None:
    fake.mode, fake.limited = "rate_limit", 1
    assert _run(fake, FULL).verification.status is VerificationStatus.LIVE
    assert_read_only(fake.requests)


def test_rate_limit_persisting_is_unverifiable(fake: VercelFake) -> None:
    fake.mode, fake.retry_after = "rate_limit", "60"
    result = _run(fake, FULL)
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert "429" in result.verification.reason
    assert_read_only(fake.requests)


def test_server_error_is_unverifiable(fake: VercelFake) -> None:
    fake.mode = "error"
    assert _run(fake, FULL).verification.status is VerificationStatus.UNVERIFIABLE
    assert_read_only(fake.requests)

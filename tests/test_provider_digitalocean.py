"""DigitalOcean provider against its loopback fake: GET-only scope discovery, env classes, errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fixtures.providers._server import assert_read_only
from fixtures.providers.digitalocean import ALL_READ, DigitalOceanFake
from providers.digitalocean import PROVIDER
from scanner.model import Action, EnvClass, VerificationStatus
from tests.helpers import context_for, make_credential

FULL = "dop_v1_" + "a" * 64
DROPLETS_ONLY = "dop_v1_" + "b" * 64
REVOKED = "dop_v1_" + "c" * 64
REFRESH = "dor_v1_" + "d" * 64


@pytest.fixture
def fake() -> Iterator[DigitalOceanFake]:
    server = DigitalOceanFake(tokens={FULL: ALL_READ, DROPLETS_ONLY: frozenset({"droplet:read"})})
    with server:
        yield server


def _run(fake: DigitalOceanFake, secret: str):
    credential = make_credential("digitalocean", "digitalocean_token", secret)
    return PROVIDER.introspect(credential, context_for(fake.url))


def test_full_read_token_lists_resources_and_possible_deletes(fake: DigitalOceanFake) -> None:
    result = _run(fake, FULL)
    assert result.verification.status is VerificationStatus.LIVE
    blast = result.blast_radius
    assert blast.identity == "ops@acme.test"
    assert set(blast.scopes) == ALL_READ
    classes = {(r.kind, r.name): r.env_class for r in blast.resources}
    assert classes[("droplet", "web-1")] is EnvClass.PRODUCTION  # from its tag
    assert classes[("droplet", "ci-runner-dev")] is EnvClass.DEVELOPMENT
    assert classes[("volume", "uploads")] is EnvClass.STAGING
    assert classes[("project", "Acme")] is EnvClass.PRODUCTION  # project environment field
    assert classes[("app", "storefront-preview")] is EnvClass.DEVELOPMENT
    deletes = {c.operation: c for c in blast.capabilities if c.action is Action.DELETE}
    assert "droplet:delete" in deletes and not deletes["droplet:delete"].certain
    assert any("droplet:delete" in u for u in blast.unknowns)
    assert "Acme Ops" in " ".join(blast.notes)
    assert_read_only(fake.requests)


def test_scoped_token_gets_only_its_read_scope(fake: DigitalOceanFake) -> None:
    result = _run(fake, DROPLETS_ONLY)
    assert result.verification.status is VerificationStatus.LIVE
    assert result.blast_radius.scopes == ("droplet:read",)
    assert {r.kind for r in result.blast_radius.resources} == {"droplet"}
    assert result.blast_radius.identity is None  # account:read missing -> 403, not a failure
    assert_read_only(fake.requests)


def test_revoked_token_is_invalid(fake: DigitalOceanFake) -> None:
    result = _run(fake, REVOKED)
    assert result.verification.status is VerificationStatus.INVALID
    assert "Unable to authenticate you" in result.verification.reason
    assert_read_only(fake.requests)


def test_refresh_token_is_never_sent(fake: DigitalOceanFake) -> None:
    result = _run(fake, REFRESH)
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert fake.requests == []


def test_rate_limit_retried_then_live(fake: DigitalOceanFake) -> None:
    fake.mode, fake.limited = "rate_limit", 1
    assert _run(fake, DROPLETS_ONLY).verification.status is VerificationStatus.LIVE
    assert_read_only(fake.requests)


def test_rate_limit_persisting_is_unverifiable(fake: DigitalOceanFake) -> None:
    fake.mode, fake.retry_after = "rate_limit", "3600"
    result = _run(fake, FULL)
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert "429" in result.verification.reason
    assert_read_only(fake.requests)


def test_server_error_is_unverifiable(fake: DigitalOceanFake) -> None:
    fake.mode = "error"
    assert _run(fake, FULL).verification.status is VerificationStatus.UNVERIFIABLE
    assert_read_only(fake.requests)

"""npm provider against the loopback fake: real HTTP, real parsing, read-only asserted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from credreach.fakes._server import assert_read_only
from credreach.fakes.npm import FakeNpm, FakeNpmToken
from providers.base import HttpSettings, ProviderContext, ReadOnlyHttp
from providers.npm import PROVIDER
from scanner.model import Action, VerificationStatus
from tests.helpers import context_for, make_credential

TOKEN = "npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
OTHER = "npm_ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210"


@pytest.fixture()
def fake() -> Iterator[FakeNpm]:
    server = FakeNpm()
    server.start()
    yield server
    server.stop()


def _check(fake: FakeNpm, **companions: str):
    return PROVIDER.introspect(make_credential("npm", "npm_token", TOKEN, companions), context_for(fake.url))


def test_publish_token_can_publish_maintained_packages(fake: FakeNpm) -> None:
    fake.tokens[TOKEN] = FakeNpmToken(automation=True, packages=["left-pad", "@acme/api-client"])
    fake.tokens[OTHER] = FakeNpmToken(readonly=True)  # another token of the same account
    result = _check(fake)
    assert result.verification.status is VerificationStatus.LIVE
    blast = result.blast_radius
    assert blast.identity == "alice" and blast.token_type == "automation token"
    publish = next(c for c in blast.capabilities if c.action is Action.WRITE)
    assert publish.certain and {r.name for r in publish.resources} == {"left-pad", "@acme/api-client"}
    assert any("two-factor" in n for n in blast.notes)
    search = next(r for r in fake.requests if r.path == "/-/v1/search")
    assert search.query["text"] == ["maintainer:alice"]
    assert_read_only(fake.requests)


def test_read_only_token_cannot_publish(fake: FakeNpm) -> None:
    fake.tokens[TOKEN] = FakeNpmToken(readonly=True, packages=["left-pad"])
    blast = _check(fake).blast_radius
    assert blast.token_type == "read-only token"
    assert {c.action for c in blast.capabilities} == {Action.READ}
    assert_read_only(fake.requests)


def test_granular_token_limited_to_its_package_scopes(fake: FakeNpm) -> None:
    fake.tokens[TOKEN] = FakeNpmToken(packages=["left-pad", "@acme/api-client", "@acme/ui"], granular={
        "name": "ci", "expiry": "2026-12-01", "bypass_2fa": True,
        "permissions": [{"name": "package", "action": "write"}],
        "scopes": [{"type": "package", "name": "@acme/*"}]})
    blast = _check(fake).blast_radius
    assert blast.token_type == "granular access token"
    publish = next(c for c in blast.capabilities if c.action is Action.WRITE)
    assert {r.name for r in publish.resources} == {"@acme/api-client", "@acme/ui"}
    assert "package:@acme/*" in blast.scopes and any("2026-12-01" in n for n in blast.notes)
    assert_read_only(fake.requests)


def test_token_list_needing_otp_leaves_publish_uncertain(fake: FakeNpm) -> None:
    fake.tokens[TOKEN] = FakeNpmToken(otp_required=True, packages=["left-pad"])
    blast = _check(fake).blast_radius
    publish = next(c for c in blast.capabilities if c.action is Action.WRITE)
    assert not publish.certain
    assert any("one-time password" in u for u in blast.unknowns)
    assert_read_only(fake.requests)


def test_revoked_token_is_invalid(fake: FakeNpm) -> None:
    result = _check(fake)
    assert result.verification.status is VerificationStatus.INVALID
    assert TOKEN not in result.verification.reason and len(fake.requests) == 1
    assert_read_only(fake.requests)


def test_token_for_another_registry_is_not_sent(fake: FakeNpm) -> None:
    fake.tokens[TOKEN] = FakeNpmToken()
    ctx = ProviderContext(http=ReadOnlyHttp(fake.url, HttpSettings(timeout=5)), endpoint_overridden=False)
    credential = make_credential("npm", "npm_token", TOKEN, {"registry": "//npm.internal.example/"})
    result = PROVIDER.introspect(credential, ctx)
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert "--endpoint npm=https://npm.internal.example" in result.verification.reason
    assert fake.requests == []
    assert_read_only(fake.requests)


def test_registry_matching_the_endpoint_override_is_checked(fake: FakeNpm) -> None:
    fake.tokens[TOKEN] = FakeNpmToken()
    assert _check(fake, registry=fake.url + "/").verification.status is VerificationStatus.LIVE
    assert_read_only(fake.requests)


def test_rate_limited_once_then_live(fake: FakeNpm) -> None:
    fake.tokens[TOKEN] = FakeNpmToken()
    fake.mode = "ratelimit_once"
    assert _check(fake).verification.status is VerificationStatus.LIVE
    assert [r.path for r in fake.requests[:2]] == ["/-/whoami", "/-/whoami"]
    assert_read_only(fake.requests)


@pytest.mark.parametrize("mode,code", [("ratelimit", "429"), ("error", "503")])
def test_persistent_ratelimit_or_outage_is_unverifiable(fake: FakeNpm, mode: str, code: str) -> None:
    fake.tokens[TOKEN] = FakeNpmToken()
    fake.mode = mode
    result = _check(fake)
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert code in result.verification.reason
    assert_read_only(fake.requests)

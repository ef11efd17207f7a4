"""Anthropic provider against the loopback fake: real HTTP, real parsing, read-only asserted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from credreach.fakes._server import assert_read_only
from credreach.fakes.anthropic import FakeAnthropic, FakeAnthropicKey
from providers.anthropic import PROVIDER
from scanner.model import Action, EnvClass, VerificationStatus
from tests.helpers import context_for, make_credential

API = "sk-ant-api03-" + "a" * 93 + "AA"
ADMIN = "sk-ant-admin01-" + "b" * 93 + "AA"


@pytest.fixture()
def fake() -> Iterator[FakeAnthropic]:
    server = FakeAnthropic()
    server.start()
    yield server
    server.stop()


def _check(fake: FakeAnthropic, kind: str, secret: str):
    return PROVIDER.introspect(make_credential("anthropic", kind, secret), context_for(fake.url))


def test_api_key_spends_and_reads_batches(fake: FakeAnthropic) -> None:
    fake.keys[API] = FakeAnthropicKey(batches=3)
    result = _check(fake, "anthropic_api_key", API)
    assert result.verification.status is VerificationStatus.LIVE
    blast = result.blast_radius
    assert blast.identity == "Acme AI"
    actions = {c.action for c in blast.capabilities}
    assert {Action.READ, Action.BILLING, Action.DELETE} <= actions
    assert Action.ADMIN not in actions
    assert any("3 message batch" in n for n in blast.notes)
    assert all(r.header("anthropic-version") == "2023-06-01" for r in fake.requests)
    assert_read_only(fake.requests)


def test_admin_key_administers_org_and_workspaces(fake: FakeAnthropic) -> None:
    fake.keys[ADMIN] = FakeAnthropicKey(
        admin=True,
        workspaces=[{"id": "wrkspc_1", "type": "workspace", "name": "production", "archived_at": None},
                    {"id": "wrkspc_2", "type": "workspace", "name": "sandbox", "archived_at": None}],
        users=[{"id": "user_1", "type": "user", "email": "ops@acme.example", "name": "Ops", "role": "admin"}],
        api_keys=[{"id": "apikey_1", "type": "api_key", "name": "ci", "workspace_id": "wrkspc_1",
                   "partial_key_hint": "sk-ant-api03-R2D...igAA", "status": "active"}])
    result = _check(fake, "anthropic_admin_key", ADMIN)
    assert result.verification.status is VerificationStatus.LIVE
    blast = result.blast_radius
    admin = next(c for c in blast.capabilities if c.action is Action.ADMIN)
    envs = {r.name: r.env_class for r in admin.resources}
    assert envs["production"] is EnvClass.PRODUCTION and envs["sandbox"] is EnvClass.DEVELOPMENT
    assert any("ops@acme.example" in n and "1 active API key" in n for n in blast.notes)
    assert not any(r.path == "/v1/models" for r in fake.requests)
    assert_read_only(fake.requests)


@pytest.mark.parametrize("kind,secret", [("anthropic_api_key", API), ("anthropic_admin_key", ADMIN)])
def test_revoked_key_is_invalid(fake: FakeAnthropic, kind: str, secret: str) -> None:
    result = _check(fake, kind, secret)
    assert result.verification.status is VerificationStatus.INVALID
    assert "authentication_error" in result.verification.reason
    assert_read_only(fake.requests)


def test_rate_limited_once_then_live(fake: FakeAnthropic) -> None:
    fake.keys[API] = FakeAnthropicKey()
    fake.mode = "ratelimit_once"
    assert _check(fake, "anthropic_api_key", API).verification.status is VerificationStatus.LIVE
    assert [r.path for r in fake.requests[:2]] == ["/v1/models", "/v1/models"]
    assert_read_only(fake.requests)


@pytest.mark.parametrize("mode,code", [("ratelimit", "rate_limit_error"), ("error", "529")])
def test_persistent_ratelimit_or_overload_is_unverifiable(fake: FakeAnthropic, mode: str, code: str) -> None:
    fake.keys[API] = FakeAnthropicKey()
    fake.mode = mode
    result = _check(fake, "anthropic_api_key", API)
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert code in result.verification.reason and API not in result.verification.reason
    assert_read_only(fake.requests)

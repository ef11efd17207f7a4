"""Slack provider against the loopback fake: real HTTP, real parsing, read-only asserted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from credreach.fakes._server import assert_read_only
from credreach.fakes.slack import FakeSlack, FakeSlackToken
from providers.slack import PROVIDER
from scanner.model import Action, EnvClass, VerificationStatus
from tests.helpers import context_for, make_credential

BOT = "xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
USER = "xoxp-1234567890-1234567890-1234567890123-0123456789abcdef0123456789abcdef"


@pytest.fixture()
def fake() -> Iterator[FakeSlack]:
    server = FakeSlack()
    server.start()
    yield server
    server.stop()


def test_bot_token_scopes_channels_and_write(fake: FakeSlack) -> None:
    scopes = ["chat:write", "channels:read", "channels:manage", "files:write"]
    fake.tokens[BOT] = FakeSlackToken(scopes=scopes, channels=["general", "prod-alerts"])
    result = PROVIDER.introspect(make_credential("slack", "slack_bot_token", BOT), context_for(fake.api_url))
    assert result.verification.status is VerificationStatus.LIVE
    blast = result.blast_radius
    assert blast.identity == "deploybot@Acme Corp" and blast.token_type == "bot token"
    assert set(blast.scopes) == {"chat:write", "channels:read", "channels:manage", "files:write"}
    channels = {r.name: r for r in blast.resources if r.kind == "channel"}
    assert set(channels) == {"#general", "#prod-alerts"}
    assert channels["#prod-alerts"].env_class is EnvClass.PRODUCTION
    ops = {(c.action, c.operation) for c in blast.capabilities}
    assert (Action.WRITE, "chat.postMessage (post as this identity)") in ops
    assert any(a is Action.WRITE and "archive" in o for a, o in ops)
    assert any(a is Action.DELETE and "files.delete" in o for a, o in ops)
    auth = fake.requests[0]
    assert auth.method == "POST" and auth.path == "/api/auth.test" and auth.body == b""
    assert_read_only(fake.requests)


def test_user_token_of_admin_with_admin_scope(fake: FakeSlack) -> None:
    fake.tokens[USER] = FakeSlackToken(scopes=["users:read", "admin.users:write"], user="grace",
                                       user_id="W12345678", bot=False, is_admin=True)
    credential = make_credential("slack", "slack_user_token", USER)
    result = PROVIDER.introspect(credential, context_for(fake.api_url))
    blast = result.blast_radius
    admin = [c for c in blast.capabilities if c.action is Action.ADMIN]
    assert any("admin.users:write" in c.operation for c in admin)
    assert any("workspace admin" in c.operation for c in admin)
    assert any("channels reached" in u for u in blast.unknowns)
    assert any(r.path == "/api/users.info" and r.query["user"] == ["W12345678"] for r in fake.requests)
    assert_read_only(fake.requests)


@pytest.mark.parametrize("revoked", [True, False])
def test_revoked_or_unknown_token_is_invalid(fake: FakeSlack, revoked: bool) -> None:
    if revoked:
        fake.tokens[BOT] = FakeSlackToken(scopes=["chat:write"], revoked=True)
    result = PROVIDER.introspect(make_credential("slack", "slack_bot_token", BOT), context_for(fake.api_url))
    assert result.verification.status is VerificationStatus.INVALID
    assert ("token_revoked" if revoked else "invalid_auth") in result.verification.reason
    assert len(fake.requests) == 1
    assert_read_only(fake.requests)


def test_webhook_is_never_called(fake: FakeSlack) -> None:
    url = "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
    result = PROVIDER.introspect(make_credential("slack", "slack_webhook", url), context_for(fake.api_url))
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert "posting" in result.verification.reason
    assert fake.requests == []
    assert_read_only(fake.requests)


def test_ratelimited_once_then_live(fake: FakeSlack) -> None:
    fake.tokens[BOT] = FakeSlackToken(scopes=["chat:write"])
    fake.mode = "ratelimit_once"
    result = PROVIDER.introspect(make_credential("slack", "slack_bot_token", BOT), context_for(fake.api_url))
    assert result.verification.status is VerificationStatus.LIVE
    assert [r.path for r in fake.requests[:2]] == ["/api/auth.test", "/api/auth.test"]
    assert_read_only(fake.requests)


@pytest.mark.parametrize("mode,code", [("ratelimit", "429"), ("error", "503")])
def test_persistent_ratelimit_or_outage_is_unverifiable(fake: FakeSlack, mode: str, code: str) -> None:
    fake.tokens[BOT] = FakeSlackToken(scopes=["chat:write"])
    fake.mode = mode
    result = PROVIDER.introspect(make_credential("slack", "slack_bot_token", BOT), context_for(fake.api_url))
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert code in result.verification.reason and BOT not in result.verification.reason
    assert_read_only(fake.requests)

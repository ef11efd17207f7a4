"""Sentry provider against the fake Sentry API (credreach/fakes/sentry.py)."""

from __future__ import annotations

import pytest

from credreach.fakes._server import assert_read_only
from credreach.fakes.sentry import FakeSentry, SentryToken, make_org_token
from providers.base import ProviderContext, ReadOnlyHttp
from providers.sentry import PROVIDER, org_token_payload
from scanner.model import Action, EnvClass, VerificationStatus
from tests.helpers import context_for, make_credential

ADMIN = "sntryu_" + "a1" * 32
READER = "sntryu_" + "b2" * 32
REVOKED = "sntryu_" + "c3" * 32
ORG_TOKEN = make_org_token("acme-prod")
TOKENS = {
    ADMIN: SentryToken(["org:admin", "org:read", "project:admin", "event:admin", "member:admin"],
                       "owner@acme.test", [("acme-prod", "Acme Production"), ("acme-sandbox", "Sandbox")]),
    READER: SentryToken(["org:read", "project:read", "event:read"], "dev@acme.test", [("acme-dev", "Acme")]),
    ORG_TOKEN: SentryToken(["org:ci"]),
}


def test_admin_user_token() -> None:
    with FakeSentry(TOKENS) as fake:
        result = PROVIDER.introspect(make_credential("sentry", "sentry_user_token", ADMIN), context_for(fake.url))
        assert result.verification.status is VerificationStatus.LIVE
        blast = result.blast_radius
        assert blast.identity == "owner@acme.test"
        caps = {c.operation: c for c in blast.capabilities}
        assert caps["org:admin"].action is Action.ADMIN
        assert caps["project:admin"].action is Action.DELETE
        envs = {r.name: r.env_class for r in caps["project:admin"].resources}
        assert envs == {"acme-prod": EnvClass.PRODUCTION, "acme-sandbox": EnvClass.DEVELOPMENT}
        assert "project:admin: can delete projects in `acme-prod`" in blast.notes
        assert [r.path for r in fake.requests] == ["/api/0/", "/api/0/organizations/"]
        assert all(r.bearer == ADMIN for r in fake.requests)
        assert_read_only(fake.requests)


def test_read_only_user_token() -> None:
    with FakeSentry(TOKENS) as fake:
        result = PROVIDER.introspect(make_credential("sentry", "sentry_user_token", READER), context_for(fake.url))
        assert result.verification.status is VerificationStatus.LIVE
        assert {c.action for c in result.blast_radius.capabilities} == {Action.READ}
        assert_read_only(fake.requests)


def test_org_token_decodes_offline_and_is_ci_only() -> None:
    payload = org_token_payload(ORG_TOKEN)
    assert payload is not None and payload["org"] == "acme-prod"
    with FakeSentry(TOKENS) as fake:
        result = PROVIDER.introspect(make_credential("sentry", "sentry_org_token", ORG_TOKEN), context_for(fake.url))
        assert result.verification.status is VerificationStatus.LIVE
        caps = result.blast_radius.capabilities
        assert [(c.action, c.operation) for c in caps] == [(Action.WRITE, "org:ci")]
        assert caps[0].resources[0].name == "acme-prod"
        assert [r.path for r in fake.requests] == ["/api/0/"]
        assert_read_only(fake.requests)


def test_self_hosted_org_token_needs_permission() -> None:
    token = make_org_token("internal", url="https://sentry.corp.example")
    ctx = ProviderContext(http=ReadOnlyHttp(PROVIDER.default_base_url), endpoint_overridden=False)
    result = PROVIDER.introspect(make_credential("sentry", "sentry_org_token", token), ctx)
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert "self-hosted" in result.verification.reason
    assert result.blast_radius.identity == "organization internal"


def test_revoked_token_is_invalid() -> None:
    with FakeSentry(TOKENS) as fake:
        result = PROVIDER.introspect(make_credential("sentry", "sentry_user_token", REVOKED), context_for(fake.url))
        assert result.verification.status is VerificationStatus.INVALID
        assert REVOKED not in repr(result)
        assert_read_only(fake.requests)


@pytest.mark.parametrize("code", [429, 502])
def test_rate_limit_and_errors_are_unverifiable(code: int) -> None:
    with FakeSentry(TOKENS, fail_status=code) as fake:
        result = PROVIDER.introspect(make_credential("sentry", "sentry_user_token", ADMIN), context_for(fake.url))
        assert result.verification.status is VerificationStatus.UNVERIFIABLE
        assert str(code) in result.verification.reason
        assert len(fake.requests) == 2
        assert_read_only(fake.requests)


def test_organizations_follow_the_cursor_link_until_results_false() -> None:
    """docs.sentry.io/api/pagination/: `Link: <…cursor=0:100:0>; rel="next"; results="true"`; Sentry
    always sends a next link, and `results="false"` on it means the list is over."""
    owner = "sntryu_" + "d4" * 32
    orgs = [(f"team-{i:03d}", f"Team {i}") for i in range(203)] + [("payments-prod", "Payments")]
    tokens = {owner: SentryToken(["org:read", "project:admin"], "owner@acme.test", orgs)}
    with FakeSentry(tokens) as fake:
        result = PROVIDER.introspect(make_credential("sentry", "sentry_user_token", owner), context_for(fake.url))
        cursors = [r.query.get("cursor") for r in fake.requests if r.path == "/api/0/organizations/"]
        assert_read_only(fake.requests)
    assert cursors == [None, ["0:100:0"], ["0:200:0"]]
    deletable = {r.name: r.env_class for r in next(
        c for c in result.blast_radius.capabilities if c.operation == "project:admin").resources}
    assert len(deletable) == 204 and deletable["payments-prod"] is EnvClass.PRODUCTION

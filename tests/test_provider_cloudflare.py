"""Cloudflare provider against its loopback fake: policies, zone-permission fallback, errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fixtures.providers._server import assert_read_only
from fixtures.providers.cloudflare import ACCOUNT, CloudflareFake, CloudflareToken, policy
from providers.cloudflare import PROVIDER
from scanner.model import Action, EnvClass, VerificationStatus
from tests.helpers import context_for, make_credential

ACCOUNT_KEY = f"com.cloudflare.api.account.{ACCOUNT['id']}"
ALL_ZONES = "com.cloudflare.api.account.zone.*"

ADMIN = "cfut_" + "A" * 40 + "0123abcd"
DNS_ONLY = "cfut_" + "B" * 40 + "0123abcd"
DISABLED = "cfut_" + "C" * 40 + "0123abcd"
ACCOUNT_TOKEN = "cfat_" + "D" * 40 + "0123abcd"
REVOKED = "cfut_" + "E" * 40 + "0123abcd"


@pytest.fixture
def fake() -> Iterator[CloudflareFake]:
    admin_policies = [
        policy(["DNS Write", "Zone Write", "Zone Read"], {"com.cloudflare.api.account.zone.zone1": "*"}),
        policy(["Workers Scripts Write", "API Tokens Write"], {ACCOUNT_KEY: "*"}),
        policy(["Billing Write"], {"com.cloudflare.api.account.*": "*"}, effect="deny"),
    ]
    server = CloudflareFake(tokens={
        ADMIN: CloudflareToken("tok-admin", admin_policies),
        DNS_ONLY: CloudflareToken("tok-dns", [policy(["DNS Write"], {ALL_ZONES: "*"})]),
        DISABLED: CloudflareToken("tok-off", [], status="disabled"),
        ACCOUNT_TOKEN: CloudflareToken("tok-acct", [policy(["API Tokens Read", "D1 Write"],
                                                           {ACCOUNT_KEY: "*"})],
                                       account_id=ACCOUNT["id"]),
    })
    with server:
        yield server


def _run(fake: CloudflareFake, secret: str, companions: dict[str, str] | None = None):
    credential = make_credential("cloudflare", "cloudflare_api_token", secret, companions)
    return PROVIDER.introspect(credential, context_for(fake.url))


def test_token_reading_its_policies_maps_permission_groups(fake: CloudflareFake) -> None:
    result = _run(fake, ADMIN)
    assert result.verification.status is VerificationStatus.LIVE
    blast = result.blast_radius
    caps = {c.operation: c for c in blast.capabilities}
    assert caps["DNS Write"].action is Action.WRITE
    assert [r.name for r in caps["DNS Write"].resources] == ["acme.com"]
    assert caps["Zone Write"].action is Action.DELETE and caps["Zone Write"].certain
    assert caps["Workers Scripts Write"].action is Action.WRITE
    assert caps["API Tokens Write"].action is Action.ADMIN
    assert [r.name for r in caps["API Tokens Write"].resources] == ["Acme Corp"]
    assert "Billing Write" not in caps  # deny policy is not a capability
    assert any("Deny policy" in n for n in blast.notes)
    assert "tok-admin" in (blast.token_type or "")
    classes = {r.name: r.env_class for r in blast.resources if r.kind == "zone"}
    assert classes == {"acme.com": EnvClass.UNKNOWN, "staging.acme.dev": EnvClass.STAGING}
    assert not blast.unknowns
    assert_read_only(fake.requests)


def test_token_without_token_read_falls_back_to_zone_permissions(fake: CloudflareFake) -> None:
    result = _run(fake, DNS_ONLY)
    assert result.verification.status is VerificationStatus.LIVE
    blast = result.blast_radius
    assert blast.scopes == ()
    assert all(not c.certain for c in blast.capabilities)
    ops = {(c.operation, c.action) for c in blast.capabilities}
    assert ("#dns_records:edit", Action.WRITE) in ops and ("#zone:edit", Action.DELETE) in ops
    assert blast.unknowns and "permission groups" in blast.unknowns[0]
    assert_read_only(fake.requests)


def test_account_token_needs_account_id_and_uses_account_paths(fake: CloudflareFake) -> None:
    missing = _run(fake, ACCOUNT_TOKEN)
    assert missing.verification.status is VerificationStatus.UNVERIFIABLE
    assert fake.requests == []
    result = _run(fake, ACCOUNT_TOKEN, {"account_id": ACCOUNT["id"]})
    assert result.verification.status is VerificationStatus.LIVE
    caps = {c.operation: c.action for c in result.blast_radius.capabilities}
    assert caps == {"API Tokens Read": Action.READ, "D1 Write": Action.DELETE}
    assert fake.requests[0].path == f"/accounts/{ACCOUNT['id']}/tokens/verify"
    assert_read_only(fake.requests)


def test_revoked_and_disabled_tokens_are_invalid(fake: CloudflareFake) -> None:
    revoked = _run(fake, REVOKED)
    assert revoked.verification.status is VerificationStatus.INVALID
    assert "Invalid API Token" in revoked.verification.reason
    disabled = _run(fake, DISABLED)
    assert disabled.verification.status is VerificationStatus.INVALID
    assert "disabled" in disabled.verification.reason
    assert_read_only(fake.requests)


def test_rate_limit_retried_then_live(fake: CloudflareFake) -> None:
    fake.mode, fake.limited = "rate_limit", 1
    assert _run(fake, ADMIN).verification.status is VerificationStatus.LIVE
    assert_read_only(fake.requests)


def test_rate_limit_persisting_is_unverifiable(fake: CloudflareFake) -> None:
    fake.mode, fake.retry_after = "rate_limit", "300"
    result = _run(fake, ADMIN)
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert "429" in result.verification.reason
    assert_read_only(fake.requests)


def test_server_error_is_unverifiable(fake: CloudflareFake) -> None:
    fake.mode = "error"
    assert _run(fake, ADMIN).verification.status is VerificationStatus.UNVERIFIABLE
    assert_read_only(fake.requests)

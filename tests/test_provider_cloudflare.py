"""Cloudflare provider against its loopback fake: policies, zone-permission fallback, errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from credreach.fakes._server import assert_read_only
from credreach.fakes.cloudflare import ACCOUNT, CloudflareFake, CloudflareToken, many_zones, policy
from providers.cloudflare import PROVIDER, group_for
from scanner.model import Action, EnvClass, Severity, VerificationStatus
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
    caps = {c.operation.split(":")[0]: c for c in blast.capabilities}
    # Issue 15.3: DNS Write is the permission that deletes DNS records (Cloudflare's permission list).
    assert caps["DNS Write"].action is Action.DELETE and caps["DNS Write"].certain
    assert "delete DNS records" in caps["DNS Write"].operation
    assert [r.name for r in caps["DNS Write"].resources] == ["acme.com"]
    assert caps["Zone Write"].action is Action.DELETE and caps["Zone Write"].certain
    assert caps["Workers Scripts Write"].action is Action.DELETE
    assert caps["API Tokens Write"].action is Action.ADMIN
    assert [r.name for r in caps["API Tokens Write"].resources] == ["Acme Corp"]
    assert caps["Zone Read"].action is Action.READ
    assert "Billing Write" not in caps  # deny policy is not a capability
    assert any("Deny policy" in n for n in blast.notes)
    assert "tok-admin" in (blast.token_type or "")
    zones = {r.name: r for r in blast.resources if r.kind == "zone"}
    assert {n: r.env_class for n, r in zones.items()} == {"acme.com": EnvClass.UNKNOWN,
                                                          "staging.acme.dev": EnvClass.STAGING}
    assert {r.env_basis for r in zones.values()} == {"name"}
    assert any("zone classes come from zone names" in n for n in blast.notes)
    assert not blast.unknowns
    assert_read_only(fake.requests)


def test_edit_zone_dns_token_on_a_production_zone_is_critical(fake: CloudflareFake) -> None:
    """The "Edit zone DNS" template (DNS Write on a zone), readable policies: critical, not high."""
    from scanner.policy import assess

    secret = "cfut_" + "F" * 40 + "0123abcd"
    fake.tokens[secret] = CloudflareToken("tok-dnsedit", [
        policy(["DNS Write", "API Tokens Read"], {"com.cloudflare.api.account.zone.zone1": "*"})])
    credential = make_credential("cloudflare", "cloudflare_api_token", secret)
    result = PROVIDER.introspect(credential, context_for(fake.url))
    assessment = assess(credential, result.verification, result.blast_radius)
    assert assessment.severity is Severity.CRITICAL
    assert assessment.reasons[0] == ("can delete zone `acme.com` of account Acme Corp "
                                     "(DNS Write: create, edit and delete DNS records)")
    assert_read_only(fake.requests)


def test_permission_groups_follow_cloudflares_documented_list() -> None:
    expected = {
        "DNS Write": Action.DELETE, "DNS Edit": Action.DELETE, "DNS Read": Action.READ,
        "Zone Write": Action.DELETE, "Zone Settings Write": Action.WRITE, "Cache Purge": Action.WRITE,
        "Workers Scripts Write": Action.DELETE, "Workers R2 Storage Write": Action.DELETE,
        "D1 Write": Action.DELETE, "Workers KV Storage Write": Action.DELETE,
        "Cloudflare Pages Write": Action.DELETE, "Account Settings Write": Action.ADMIN,
        "Account Settings Read": Action.READ, "Memberships Write": Action.ADMIN, "API Tokens Edit": Action.ADMIN,
        "Billing Write": Action.BILLING, "Some New Product Write": Action.WRITE,
    }
    assert {name: group_for(name)[0] for name in expected} == expected
    assert group_for("DNS Write")[2] and group_for("Zone Write")[2] and not group_for("D1 Write")[2]


def test_all_zones_of_an_account_expand_to_its_zones_not_the_account() -> None:
    """Issue 15.4: the nested "all zones of an account" resource, and a zone group on a flat account
    key, reach that account's zones (every page of them) and never the account itself."""
    other = {"id": "acc0000000000000000000000000002", "name": "Other Inc"}
    zones = many_zones(ACCOUNT, 40, production_at=7) + many_zones(other, 21)
    nested = "cfut_" + "G" * 40 + "0123abcd"
    flat = "cfut_" + "H" * 40 + "0123abcd"
    tokens = {
        nested: CloudflareToken("tok-nested", [policy(["Zone Write", "API Tokens Read"],
                                                      {ACCOUNT_KEY: {ALL_ZONES: "*"}})]),
        flat: CloudflareToken("tok-flat", [policy(["DNS Write", "API Tokens Read"], {ACCOUNT_KEY: "*"})]),
    }
    with CloudflareFake(tokens=tokens, zones=zones, accounts=[ACCOUNT, other]) as server:
        for secret, group in ((nested, "Zone Write"), (flat, "DNS Write")):
            blast = _run(server, secret).blast_radius
            cap = next(c for c in blast.capabilities if c.operation.startswith(group))
            assert cap.action is Action.DELETE and cap.certain
            assert all(r.kind == "zone" for r in cap.resources)
            assert len(cap.resources) == 40
            assert {r.parent for r in cap.resources} == {"account Acme Corp"}
            assert "prod.acme.com" in {r.name for r in cap.resources}
            assert not any(r.kind == "account" for c in blast.capabilities for r in c.resources
                           if c.action is not Action.READ)
        assert_read_only(server.requests)


def test_zones_and_accounts_are_read_on_every_page() -> None:
    """Issue 15.2: 61 zones over 2 pages of 50: the 61st (production) zone is there."""
    zones = many_zones(ACCOUNT, 61, production_at=60)
    accounts = [{"id": f"acc{i:029d}", "name": f"Team {i}"} for i in range(55)]
    secret = "cfut_" + "J" * 40 + "0123abcd"
    tokens = {secret: CloudflareToken("tok-all", [policy(["Zone Write", "API Tokens Read"], {ALL_ZONES: "*"})])}
    with CloudflareFake(tokens=tokens, zones=zones, accounts=accounts) as server:
        blast = _run(server, secret).blast_radius
        pages = [(r.path, r.query.get("page", ["1"])[0], r.query.get("per_page")) for r in server.requests
                 if r.path in ("/zones", "/accounts")]
        assert_read_only(server.requests)
    assert pages == [("/zones", "1", ["50"]), ("/zones", "2", ["50"]),
                     ("/accounts", "1", ["50"]), ("/accounts", "2", ["50"])]
    assert len([r for r in blast.resources if r.kind == "zone"]) == 61
    assert len([r for r in blast.resources if r.kind == "account"]) == 55
    zone_write = next(c for c in blast.capabilities if c.operation.startswith("Zone Write"))
    assert "prod.acme.com" in {r.name for r in zone_write.resources}


def test_a_page_cap_on_zones_is_reported() -> None:
    zones = many_zones(ACCOUNT, 520)
    secret = "cfut_" + "K" * 40 + "0123abcd"
    tokens = {secret: CloudflareToken("tok-big", [policy(["DNS Read", "API Tokens Read"], {ALL_ZONES: "*"})])}
    with CloudflareFake(tokens=tokens, zones=zones) as server:
        blast = _run(server, secret).blast_radius
        assert_read_only(server.requests)
    assert "listed 500 of 520 zones (page cap of 10 pages reached); the rest were not inspected" in blast.unknowns


def test_token_without_token_read_falls_back_to_zone_permissions(fake: CloudflareFake) -> None:
    result = _run(fake, DNS_ONLY)
    assert result.verification.status is VerificationStatus.LIVE
    blast = result.blast_radius
    assert blast.scopes == ()
    assert all(not c.certain for c in blast.capabilities)
    assert all("tokens/methods/get" in (c.note or "") for c in blast.capabilities)  # the doc that leaves it open
    ops = {(c.operation.split(" ")[0], c.action) for c in blast.capabilities}
    assert ("#dns_records:edit", Action.DELETE) in ops and ("#zone:edit", Action.DELETE) in ops
    assert blast.unknowns and "permission groups" in blast.unknowns[0]
    assert_read_only(fake.requests)


def test_account_token_needs_account_id_and_uses_account_paths(fake: CloudflareFake) -> None:
    missing = _run(fake, ACCOUNT_TOKEN)
    assert missing.verification.status is VerificationStatus.UNVERIFIABLE
    assert fake.requests == []
    result = _run(fake, ACCOUNT_TOKEN, {"account_id": ACCOUNT["id"]})
    assert result.verification.status is VerificationStatus.LIVE
    caps = {c.operation.split(":")[0]: c.action for c in result.blast_radius.capabilities}
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

"""DigitalOcean provider against its loopback fake: GET-only scope discovery, env classes, errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from credreach.fakes._server import assert_read_only
from credreach.fakes.digitalocean import ALL_READ, DigitalOceanFake
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


# --- issue 15.8/15.10: links.pages.next, the project environment as the basis ----------------

def test_droplets_follow_links_pages_next() -> None:
    from credreach.fakes.digitalocean import big_fleet

    lists, members = big_fleet(230)
    with DigitalOceanFake(tokens={FULL: ALL_READ}, lists=lists, project_resources=members) as fake:
        result = _run(fake, FULL)
    calls = [r for r in fake.requests if r.path == "/v2/droplets"]
    assert [r.query.get("page", ["1"])[0] for r in calls] == ["1", "2"]
    droplets = [r for r in result.blast_radius.resources if r.kind == "droplet"]
    assert len(droplets) == 230
    delete = next(c for c in result.blast_radius.capabilities if c.operation == "droplet:delete")
    assert len(delete.resources) == 230
    assert not delete.certain and delete.note and "docs.digitalocean.com/reference/api/scopes" in delete.note
    assert not any(n.startswith("listed") for n in result.blast_radius.notes)
    assert_read_only(fake.requests)


def test_droplet_in_production_project_is_production_whatever_its_name() -> None:
    from credreach.fakes.digitalocean import big_fleet
    from providers.digitalocean import PROJECT_BASIS

    lists, members = big_fleet(230)
    with DigitalOceanFake(tokens={FULL: ALL_READ}, lists=lists, project_resources=members) as fake:
        result = _run(fake, FULL)
    by_name = {(r.kind, r.name): r for r in result.blast_radius.resources}
    db_dev = by_name[("droplet", "db-dev")]  # on page 2, in the Production project
    assert db_dev.env_class is EnvClass.PRODUCTION
    assert db_dev.env_basis == PROJECT_BASIS and db_dev.parent == "project Shop"
    node = by_name[("droplet", "node-000")]
    assert node.env_class is EnvClass.DEVELOPMENT and node.env_basis == PROJECT_BASIS
    assert by_name[("project", "Shop")].env_basis == PROJECT_BASIS
    resource_calls = {r.path for r in fake.requests if r.path.endswith("/resources")}
    assert resource_calls == {"/v2/projects/p-prod/resources", "/v2/projects/p-dev/resources"}
    dev_pages = [r for r in fake.requests if r.path == "/v2/projects/p-dev/resources"]
    assert len(dev_pages) == 2  # 229 members at 200 a page
    assert_read_only(fake.requests)


def test_name_and_tag_stay_the_fallback_basis(fake: DigitalOceanFake) -> None:
    result = _run(fake, FULL)
    by_name = {(r.kind, r.name): r for r in result.blast_radius.resources}
    assert by_name[("droplet", "web-1")].env_basis == "tag"
    assert by_name[("droplet", "ci-runner-dev")].env_basis == "name"
    assert by_name[("database cluster", "pg-main")].env_basis == "DigitalOcean project environment"


def test_droplet_page_cap_reports_listed_of_total() -> None:
    from providers.base import MAX_PAGES

    droplets = [{"id": i, "name": f"n{i}", "tags": []} for i in range(MAX_PAGES * 200 + 45)]
    with DigitalOceanFake(tokens={DROPLETS_ONLY: frozenset({"droplet:read"})},
                          lists={"/v2/droplets": droplets}) as fake:
        result = _run(fake, DROPLETS_ONLY)
    assert len([r for r in fake.requests if r.path == "/v2/droplets"]) == MAX_PAGES
    expected = f"listed {MAX_PAGES * 200:,} of {MAX_PAGES * 200 + 45:,} droplets"
    assert any(expected in n for n in result.blast_radius.notes)
    assert any(expected in u for u in result.blast_radius.unknowns)

"""Vercel provider against its loopback fake: token scopes, team roles, project names, errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from credreach.fakes._server import assert_read_only
from credreach.fakes.vercel import PRODUCTION, VercelFake, VercelToken
from providers.base import MAX_PAGES
from providers.vercel import PRODUCTION_BASIS, PROVIDER
from scanner.model import Action, EnvClass, Severity, VerificationStatus
from scanner.policy import assess
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
    assert {"blog", "storefront-production", "storefront-staging", "api", "experiments-dev"} <= set(names)
    assert names["storefront-production"].env_class is EnvClass.PRODUCTION
    assert names["storefront-production"].env_basis == PRODUCTION_BASIS
    assert names["storefront-staging"].env_class is EnvClass.STAGING
    assert names["storefront-staging"].env_basis == "name"
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


# --- issue 15.8-15.10: every page, roles from the access-roles doc, production targets ---------

MEMBER_ONLY = "D" * 24


def _member_fake(**extra: object) -> VercelFake:
    return VercelFake(tokens={MEMBER_ONLY: VercelToken([{"type": "team", "teamId": "team_shop",
                                                         "origin": "manual", "createdAt": 1}])}, **extra)


def test_projects_follow_pagination_next_to_page_two() -> None:
    with _member_fake() as fake:
        result = _run(fake, MEMBER_ONLY)
    calls = [r for r in fake.requests if r.path == "/v10/projects" and r.query.get("teamId") == ["team_shop"]]
    assert [r.query.get("from") for r in calls] == [None, ["100"]]
    assert all(r.query["limit"] == ["100"] for r in calls)
    shop = [r for r in result.blast_radius.resources if r.parent == "team shop"]
    assert len(shop) == 130
    assert "storefront-dev" in {r.name for r in shop}  # on page 2
    assert not any("listed" in n for n in result.blast_radius.notes)
    assert_read_only(fake.requests)


def test_member_role_deletes_are_certain_and_critical_on_production() -> None:
    """Vercel's access-roles page: Member has "full control over projects"."""
    with _member_fake() as fake:
        result = _run(fake, MEMBER_ONLY)
    blast = result.blast_radius
    delete = next(c for c in blast.capabilities if c.action is Action.DELETE)
    assert delete.certain and delete.note is None
    assert "storefront-dev" in {r.name for r in delete.resources}
    assert not any(c.action is Action.ADMIN for c in blast.capabilities)  # Member manages no users
    credential = make_credential("vercel", "vercel_token", MEMBER_ONLY)
    assessment = assess(credential, result.verification, blast)
    assert assessment.severity is Severity.CRITICAL
    assert assessment.reasons[0].startswith("can delete")


def test_production_target_beats_a_development_name() -> None:
    with _member_fake() as fake:
        result = _run(fake, MEMBER_ONLY)
    by_name = {r.name: r for r in result.blast_radius.resources}
    dev = by_name["storefront-dev"]
    assert dev.env_class is EnvClass.PRODUCTION and dev.environment == "production"
    assert dev.env_basis == PRODUCTION_BASIS
    worker = by_name["shop-worker-000"]  # no production deployment: its name is all there is
    assert worker.env_class is EnvClass.UNKNOWN and worker.env_basis is None


@pytest.mark.parametrize("role,write,delete_certain", [
    ("OWNER", True, True), ("MEMBER", True, True), ("DEVELOPER", True, False),
    ("CONTRIBUTOR", False, False), ("BILLING", None, None), ("VIEWER", None, None),
])
def test_roles_map_from_the_access_roles_doc(role: str, write: bool | None, delete_certain: bool | None) -> None:
    teams = [{"id": "team_shop", "slug": "shop", "name": "Shop", "membership": {"role": role}}]
    with _member_fake(teams=teams, projects={None: [], "team_shop": [("web", PRODUCTION)]}) as fake:
        blast = _run(fake, MEMBER_ONLY).blast_radius
    writes = [c for c in blast.capabilities if c.action is Action.WRITE]
    deletes = [c for c in blast.capabilities if c.action is Action.DELETE]
    if write is None:
        assert writes == [] and deletes == []
        return
    assert writes[0].certain is write
    assert deletes[0].certain is delete_certain
    if not delete_certain:
        assert deletes[0].note and "vercel.com/docs/rbac/access-roles" in deletes[0].note


def test_project_page_cap_is_reported_not_silent() -> None:
    many: dict[str | None, list[tuple[str, str | None]]] = {
        None: [], "team_shop": [(f"p{i:04d}", None) for i in range(MAX_PAGES * 100 + 7)]}
    with _member_fake(projects=many) as fake:
        result = _run(fake, MEMBER_ONLY)
    calls = [r for r in fake.requests if r.path == "/v10/projects" and r.query.get("teamId") == ["team_shop"]]
    assert len(calls) == MAX_PAGES
    assert any(f"listed {MAX_PAGES * 100:,} projects; more exist" in n for n in result.blast_radius.notes)
    assert any("page cap" in u for u in result.blast_radius.unknowns)

"""OpenAI provider against the loopback fake: real HTTP, real parsing, read-only asserted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from credreach.fakes._server import assert_read_only
from credreach.fakes.openai import FakeOpenAI, FakeOpenAIKey
from providers.openai import PROVIDER
from scanner.model import Action, VerificationStatus
from tests.helpers import context_for, make_credential

PROJ = "sk-proj-" + "A1b2C3d4E5" * 7 + "T3BlbkFJ" + "Z9y8X7w6V5" * 7
ADMIN = "sk-admin-" + "A1b2C3d4E5" * 6 + "T3BlbkFJ" + "Z9y8X7w6V5" * 6
USER = "sk-" + "A1b2C3d4E5" * 2 + "T3BlbkFJ" + "Z9y8X7w6V5" * 2


@pytest.fixture()
def fake() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI()
    server.start()
    yield server
    server.stop()


def _check(fake: FakeOpenAI, kind: str, secret: str):
    return PROVIDER.introspect(make_credential("openai", kind, secret), context_for(fake.url))


def test_unrestricted_project_key_spends_and_deletes(fake: FakeOpenAI) -> None:
    fake.keys[PROJ] = FakeOpenAIKey()
    result = _check(fake, "openai_project_key", PROJ)
    assert result.verification.status is VerificationStatus.LIVE
    blast = result.blast_radius
    assert blast.identity == "org-acme" and blast.scopes == ("all",)
    assert {r.name for r in blast.resources} == {"org-acme", "proj_prod123"}
    billing = next(c for c in blast.capabilities if c.action is Action.BILLING)
    assert billing.certain and billing.resources[0].name == "proj_prod123"
    assert any(c.action is Action.DELETE and c.certain for c in blast.capabilities)
    assert {c.operation for c in blast.capabilities if c.action is Action.READ} >= {"models.list", "files.list"}
    assert_read_only(fake.requests)


def test_restricted_key_reports_missing_scopes_and_unknowns(fake: FakeOpenAI) -> None:
    fake.keys[PROJ] = FakeOpenAIKey(scopes={"api.files.read"})
    result = _check(fake, "openai_project_key", PROJ)
    assert result.verification.status is VerificationStatus.LIVE  # 401 "Missing scopes" is not invalid
    blast = result.blast_radius
    assert blast.scopes == ("restricted",)
    assert any("api.model.read" in n for n in blast.notes)
    reads = {c.operation for c in blast.capabilities if c.action is Action.READ}
    assert reads == {"files.list"}
    assert all(not c.certain for c in blast.capabilities if c.action in (Action.BILLING, Action.DELETE))
    assert any("without writing" in u for u in blast.unknowns)
    assert_read_only(fake.requests)


def test_admin_key_administers_organization(fake: FakeOpenAI) -> None:
    fake.keys[ADMIN] = FakeOpenAIKey(kind="admin", projects=[
        {"id": "proj_1", "object": "organization.project", "name": "production", "created_at": 1711471533,
         "archived_at": None, "status": "active"},
        {"id": "proj_2", "object": "organization.project", "name": "old", "created_at": 1711471533,
         "archived_at": 1711471599, "status": "archived"}],
        users=[{"object": "organization.user", "id": "user-1", "name": "Ann", "email": "ann@acme.example",
                "role": "owner", "added_at": 1711471533}])
    result = _check(fake, "openai_admin_key", ADMIN)
    assert result.verification.status is VerificationStatus.LIVE
    blast = result.blast_radius
    admin = next(c for c in blast.capabilities if c.action is Action.ADMIN)
    assert {r.name for r in admin.resources} == {"org-acme", "production"}
    assert any("ann@acme.example" in n for n in blast.notes)
    assert not any(r.path == "/v1/models" for r in fake.requests)
    assert_read_only(fake.requests)


def test_legacy_user_key_identity_from_me(fake: FakeOpenAI) -> None:
    fake.keys[USER] = FakeOpenAIKey(kind="user")
    blast = _check(fake, "openai_user_key", USER).blast_radius
    assert blast.identity == "dev@acme.example"
    assert any("`owner`" in n for n in blast.notes)
    assert_read_only(fake.requests)


@pytest.mark.parametrize("kind,secret", [("openai_project_key", PROJ), ("openai_admin_key", ADMIN)])
def test_revoked_key_is_invalid(fake: FakeOpenAI, kind: str, secret: str) -> None:
    result = _check(fake, kind, secret)
    assert result.verification.status is VerificationStatus.INVALID
    assert "invalid_api_key" in result.verification.reason and secret not in result.verification.reason
    assert len(fake.requests) == 1
    assert_read_only(fake.requests)


def test_rate_limited_once_then_live(fake: FakeOpenAI) -> None:
    fake.keys[PROJ] = FakeOpenAIKey()
    fake.mode = "ratelimit_once"
    assert _check(fake, "openai_project_key", PROJ).verification.status is VerificationStatus.LIVE
    assert [r.path for r in fake.requests[:2]] == ["/v1/models", "/v1/models"]
    assert_read_only(fake.requests)


@pytest.mark.parametrize("mode,code", [("ratelimit", "429"), ("error", "500")])
def test_persistent_ratelimit_or_outage_is_unverifiable(fake: FakeOpenAI, mode: str, code: str) -> None:
    fake.keys[PROJ] = FakeOpenAIKey()
    fake.mode = mode
    result = _check(fake, "openai_project_key", PROJ)
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert code in result.verification.reason
    assert_read_only(fake.requests)


def test_admin_key_lists_every_project_page_by_page(fake: FakeOpenAI) -> None:
    """Issue 15: `has_more` + `after=<last_id>` (platform.openai.com/docs/api-reference/projects/list);
    the production project on page three is not missed."""
    projects = [{"id": f"proj_{i:03d}", "object": "organization.project", "name": f"app-{i:03d}",
                 "created_at": 1711471533, "archived_at": None, "status": "active"} for i in range(230)]
    projects[-1]["name"] = "production"
    fake.keys[ADMIN] = FakeOpenAIKey(kind="admin", projects=projects, users=[])
    result = _check(fake, "openai_admin_key", ADMIN)
    calls = [r.query.get("after") for r in fake.requests if r.path == "/v1/organization/projects"]
    assert calls == [None, ["proj_099"], ["proj_199"]]
    admin = next(c for c in result.blast_radius.capabilities if c.action is Action.ADMIN)
    assert "production" in {r.name for r in admin.resources}
    assert len([r for r in admin.resources if r.kind == "project"]) == 230
    assert not result.blast_radius.unknowns
    assert_read_only(fake.requests)

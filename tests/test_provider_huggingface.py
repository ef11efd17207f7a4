"""Hugging Face provider against the loopback fake: real HTTP, real parsing, read-only asserted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from credreach.fakes._server import assert_read_only
from credreach.fakes.huggingface import FakeHFToken, FakeHuggingFace
from providers.huggingface import PROVIDER
from scanner.model import Action, VerificationStatus
from tests.helpers import context_for, make_credential

TOKEN = "hf_AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh"
REPOS = {"alice": [("model", "alice/sentiment", False), ("dataset", "alice/private-data", True)],
         "acme": [("space", "acme/demo-prod", False)], "friends": [("model", "friends/toy", False)]}


@pytest.fixture()
def fake() -> Iterator[FakeHuggingFace]:
    server = FakeHuggingFace()
    server.start()
    yield server
    server.stop()


def _check(fake: FakeHuggingFace):
    return PROVIDER.introspect(make_credential("huggingface", "huggingface_token", TOKEN), context_for(fake.url))


def test_write_token_can_delete_own_and_writable_org_repos(fake: FakeHuggingFace) -> None:
    fake.tokens[TOKEN] = FakeHFToken(role="write", orgs={"acme": "admin", "friends": "read"}, repos=REPOS)
    result = _check(fake)
    assert result.verification.status is VerificationStatus.LIVE
    blast = result.blast_radius
    assert blast.identity == "alice" and blast.scopes == ("write",)
    assert {r.name for r in blast.resources} == {"alice/sentiment", "alice/private-data", "acme/demo-prod",
                                                 "friends/toy"}
    delete = next(c for c in blast.capabilities if c.action is Action.DELETE)
    assert {r.name for r in delete.resources} == {"alice/sentiment", "alice/private-data", "acme/demo-prod"}
    assert any(c.action is Action.ADMIN and c.resources[0].name == "acme" for c in blast.capabilities)
    assert_read_only(fake.requests)


def test_read_token_is_read_only(fake: FakeHuggingFace) -> None:
    fake.tokens[TOKEN] = FakeHFToken(role="read", repos=REPOS)
    blast = _check(fake).blast_radius
    assert {c.action for c in blast.capabilities} == {Action.READ}
    assert_read_only(fake.requests)


def test_fine_grained_scoped_permissions(fake: FakeHuggingFace) -> None:
    fake.tokens[TOKEN] = FakeHFToken(role="fineGrained", orgs={"acme": "write"}, repos=REPOS, fine_grained={
        "canReadGatedRepos": True, "global": ["discussion.write"],
        "scoped": [{"entity": {"_id": "1", "type": "model", "name": "alice/sentiment"},
                    "permissions": ["repo.content.read", "repo.write"]},
                   {"entity": {"_id": "2", "type": "org", "name": "acme"},
                    "permissions": ["repo.content.read", "inference.endpoints.write"]}]})
    blast = _check(fake).blast_radius
    assert "model:alice/sentiment:repo.write" in blast.scopes
    deletes = [c for c in blast.capabilities if c.action is Action.DELETE]
    assert {r.name for c in deletes for r in c.resources} == {"alice/sentiment", "acme/demo-prod"}
    assert any(c.action is Action.BILLING for c in blast.capabilities)
    assert any(c.action is Action.WRITE and c.operation == "discussion.write" for c in blast.capabilities)
    assert_read_only(fake.requests)


def test_revoked_token_is_invalid(fake: FakeHuggingFace) -> None:
    result = _check(fake)
    assert result.verification.status is VerificationStatus.INVALID
    assert TOKEN not in result.verification.reason
    assert len(fake.requests) == 1
    assert_read_only(fake.requests)


def test_rate_limited_once_then_live(fake: FakeHuggingFace) -> None:
    fake.tokens[TOKEN] = FakeHFToken(role="read")
    fake.mode = "ratelimit_once"
    assert _check(fake).verification.status is VerificationStatus.LIVE
    assert [r.path for r in fake.requests[:2]] == ["/api/whoami-v2", "/api/whoami-v2"]
    assert_read_only(fake.requests)


@pytest.mark.parametrize("mode,code", [("ratelimit", "429"), ("error", "503")])
def test_persistent_ratelimit_or_outage_is_unverifiable(fake: FakeHuggingFace, mode: str, code: str) -> None:
    fake.tokens[TOKEN] = FakeHFToken()
    fake.mode = mode
    result = _check(fake)
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert code in result.verification.reason
    assert_read_only(fake.requests)


def test_repositories_are_listed_through_the_link_header(fake: FakeHuggingFace) -> None:
    """Issue 15: the Hub pages with `Link: <…cursor=…>; rel="next"` (huggingface.co/docs/hub/api);
    a production space on the third page is not missed."""
    many = [("space", f"acme/space-{i:03d}", False) for i in range(249)] + [("space", "acme/prod-api", False)]
    fake.tokens[TOKEN] = FakeHFToken(role="write", orgs={"acme": "admin"}, repos={"alice": [], "acme": many})
    result = _check(fake)
    spaces = [r for r in fake.requests if r.path == "/api/spaces" and r.query.get("author") == ["acme"]]
    assert [r.query.get("cursor") for r in spaces] == [None, ["100"], ["200"]]
    delete = next(c for c in result.blast_radius.capabilities if c.action is Action.DELETE)
    assert "acme/prod-api" in {r.name for r in delete.resources} and len(delete.resources) == 250
    assert not result.blast_radius.unknowns
    assert_read_only(fake.requests)

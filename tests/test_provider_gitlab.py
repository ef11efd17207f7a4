"""GitLab provider against the loopback fake: real HTTP, real parsing, read-only asserted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fixtures.providers._server import assert_read_only
from fixtures.providers.gitlab import FakeGitLab, FakeGitLabToken, project
from providers.base import HttpSettings, ProviderContext, ReadOnlyHttp
from providers.gitlab import PROVIDER
from scanner.model import Action, VerificationStatus
from tests.helpers import context_for, make_credential

PAT = "glpat-AbCdEfGhIjKlMnOpQrSt"


@pytest.fixture()
def fake() -> Iterator[FakeGitLab]:
    server = FakeGitLab()
    server.start()
    yield server
    server.stop()


def _pat(secret: str = PAT, **companions: str):
    return make_credential("gitlab", "gitlab_pat", secret, companions)


def test_api_token_owner_can_delete_projects(fake: FakeGitLab) -> None:
    fake.tokens[PAT] = FakeGitLabToken(scopes=["api"], projects=[
        project(1, "acme/payments-prod", 50), project(2, "acme/web", 40),
        project(3, "acme/docs", 30, via_group=True), project(4, "other/readme", 10)])
    fake.page_size = 2  # forces the provider to follow X-Next-Page
    result = PROVIDER.introspect(_pat(), context_for(fake.api_url))
    assert result.verification.status is VerificationStatus.LIVE
    blast = result.blast_radius
    assert blast.identity == "alice" and blast.scopes == ("api",)
    assert {r.name for r in blast.resources} == {"acme/payments-prod", "acme/web", "acme/docs",
                                                 "other/readme"}
    deletes = [c for c in blast.capabilities if c.action is Action.DELETE]
    certain = next(c for c in deletes if c.certain)
    assert [r.name for r in certain.resources] == ["acme/payments-prod"]
    assert any(not c.certain and [r.name for r in c.resources] == ["acme/web"] for c in deletes)
    write = next(c for c in blast.capabilities if c.action is Action.WRITE)
    assert {r.name for r in write.resources} == {"acme/payments-prod", "acme/web", "acme/docs"}
    assert any("maintainers may delete" in u for u in blast.unknowns)
    assert sum(1 for r in fake.requests if r.path.endswith("/projects")) == 2
    assert all(r.header("PRIVATE-TOKEN") == PAT for r in fake.requests)
    assert_read_only(fake.requests)


def test_read_user_scope_does_not_list_projects(fake: FakeGitLab) -> None:
    fake.tokens[PAT] = FakeGitLabToken(scopes=["read_user"], projects=[project(1, "a/b", 50)])
    result = PROVIDER.introspect(_pat(), context_for(fake.api_url))
    assert result.verification.status is VerificationStatus.LIVE
    assert result.blast_radius.resources == ()
    assert not [c for c in result.blast_radius.capabilities if c.action is not Action.READ]
    assert any("read_api" in u for u in result.blast_radius.unknowns)
    assert not any(r.path.endswith("/projects") for r in fake.requests)
    assert_read_only(fake.requests)


def test_admin_with_sudo_is_instance_admin(fake: FakeGitLab) -> None:
    fake.tokens[PAT] = FakeGitLabToken(scopes=["api", "sudo"], is_admin=True)
    blast = PROVIDER.introspect(_pat(), context_for(fake.api_url)).blast_radius
    admin = [c for c in blast.capabilities if c.action is Action.ADMIN]
    assert admin and admin[0].resources[0].kind == "instance"
    assert any("ADMINISTRATOR" in n for n in blast.notes)
    assert_read_only(fake.requests)


@pytest.mark.parametrize("state", ["revoked", "expired", "unknown"])
def test_revoked_expired_or_unknown_token_is_invalid(fake: FakeGitLab, state: str) -> None:
    if state != "unknown":
        fake.tokens[PAT] = FakeGitLabToken(scopes=["api"], revoked=state == "revoked",
                                           expired=state == "expired")
    result = PROVIDER.introspect(_pat(), context_for(fake.api_url))
    assert result.verification.status is VerificationStatus.INVALID
    assert "401" in result.verification.reason and PAT not in result.verification.reason
    assert_read_only(fake.requests)


def test_rate_limited_then_success(fake: FakeGitLab) -> None:
    fake.tokens[PAT] = FakeGitLabToken(scopes=["read_api"], projects=[project(1, "a/b", 30)])
    fake.mode = "ratelimit_once"
    result = PROVIDER.introspect(_pat(), context_for(fake.api_url))
    assert result.verification.status is VerificationStatus.LIVE
    assert fake.requests[0].path.endswith("/personal_access_tokens/self") and len(fake.requests) >= 2
    assert_read_only(fake.requests)


@pytest.mark.parametrize("mode", ["ratelimit", "error"])
def test_persistent_throttle_or_outage_is_unverifiable(fake: FakeGitLab, mode: str) -> None:
    fake.tokens[PAT] = FakeGitLabToken(scopes=["api"])
    fake.mode = mode
    result = PROVIDER.introspect(_pat(), context_for(fake.api_url))
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert ("429" if mode == "ratelimit" else "502") in result.verification.reason
    assert len(fake.requests) == 2  # one retry, then give up
    assert_read_only(fake.requests)


def test_self_managed_host_needs_explicit_endpoint(fake: FakeGitLab) -> None:
    ctx = ProviderContext(http=ReadOnlyHttp(fake.api_url, HttpSettings(timeout=5)), endpoint_overridden=False)
    result = PROVIDER.introspect(_pat(host="gitlab.internal.example"), ctx)
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert "--endpoint gitlab=https://gitlab.internal.example/api/v4" in result.verification.reason
    assert fake.requests == []
    assert_read_only(fake.requests)


@pytest.mark.parametrize("kind,secret", [("gitlab_deploy_token", "gldt-AbCdEfGhIjKlMnOpQrSt"),
                                         ("gitlab_runner_token", "glrt-AbCdEfGhIjKlMnOpQrSt")])
def test_deploy_and_runner_tokens_are_never_sent(fake: FakeGitLab, kind: str, secret: str) -> None:
    result = PROVIDER.introspect(make_credential("gitlab", kind, secret), context_for(fake.api_url))
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert result.blast_radius.unknowns
    assert fake.requests == []
    assert_read_only(fake.requests)


def test_connection_refused_is_unverifiable() -> None:
    server = FakeGitLab()
    server.start()
    url = server.api_url
    server.stop()  # the port is closed now: connection refused
    result = PROVIDER.introspect(_pat(), context_for(url, timeout=1))
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert PAT not in result.verification.reason

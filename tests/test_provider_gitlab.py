"""GitLab provider against the loopback fake: real HTTP, real parsing, read-only asserted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from credreach.fakes._server import assert_read_only
from credreach.fakes.gitlab import FakeGitLab, FakeGitLabToken, environment, project, protected_branch
from providers.base import HttpSettings, ProviderContext, ReadOnlyHttp
from providers.gitlab import PROVIDER
from scanner.model import Action, EnvClass, Severity, VerificationStatus
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


def test_api_token_owner_can_delete_projects_and_a_maintainer_cannot(fake: FakeGitLab) -> None:
    """Issue 15.6: GitLab's permissions table makes project deletion Owner-only."""
    fake.tokens[PAT] = FakeGitLabToken(scopes=["api"], projects=[
        project(1, "acme/payments-prod", 50), project(2, "acme/web", 40),
        project(3, "acme/docs", 30, via_group=True), project(4, "other/readme", 10)])
    fake.page_size = 2  # forces the provider to follow X-Next-Page
    result = PROVIDER.introspect(_pat(), context_for(fake.api_url))
    assert result.verification.status is VerificationStatus.LIVE
    blast = result.blast_radius
    assert blast.identity == "alice" and blast.scopes == ("api",)
    assert {r.name for r in blast.resources if r.kind == "project"} == {
        "acme/payments-prod", "acme/web", "acme/docs", "other/readme"}
    project_delete = [c for c in blast.capabilities if c.operation.startswith("DELETE /projects")]
    assert len(project_delete) == 1 and project_delete[0].certain
    assert [r.name for r in project_delete[0].resources] == ["acme/payments-prod"]
    maintainer = next(c for c in blast.capabilities if "protected branches, tags" in c.operation)
    assert maintainer.action is Action.DELETE and maintainer.certain
    assert {r.name for r in maintainer.resources} == {"acme/payments-prod", "acme/web"}
    assert all(c.certain for c in blast.capabilities)  # nothing left "possible" about a Maintainer
    write = next(c for c in blast.capabilities if c.operation.startswith("push to unprotected"))
    assert {r.name for r in write.resources} == {"acme/payments-prod", "acme/web", "acme/docs"}
    assert any("permissions table" in n and "docs.gitlab.com/user/permissions" in n for n in blast.notes)
    assert sum(1 for r in fake.requests if r.path.endswith("/projects")) == 2
    assert all(r.header("PRIVATE-TOKEN") == PAT for r in fake.requests)
    assert_read_only(fake.requests)


def test_maintainer_only_token_is_not_rated_as_project_deleter(fake: FakeGitLab) -> None:
    from scanner.policy import assess

    fake.tokens[PAT] = FakeGitLabToken(scopes=["api"], projects=[
        project(2, "acme/web", 40, protected=[], environments=[environment("dev", "development")])])
    credential = _pat()
    result = PROVIDER.introspect(credential, context_for(fake.api_url))
    reasons = assess(credential, result.verification, result.blast_radius).reasons
    assert not any("DELETE /projects" in r for r in reasons)
    assert not any(r.startswith("may be able to") for r in reasons)
    assert_read_only(fake.requests)


def test_group_roles_are_inherited_by_subgroup_projects(fake: FakeGitLab) -> None:
    """A project in a subgroup of a group the user owns shows no role of its own (as on GitLab),
    yet the Owner role is inherited: the project can be deleted, and so can the group."""
    fake.tokens[PAT] = FakeGitLabToken(scopes=["api"], groups={"acme": 50, "partners": 30}, projects=[
        project(7, "acme/platform/billing", None), project(8, "partners/site", None)])
    fake.page_size = 1  # every list over several pages
    blast = PROVIDER.introspect(_pat(), context_for(fake.api_url)).blast_radius
    project_delete = next(c for c in blast.capabilities if c.operation.startswith("DELETE /projects"))
    assert [r.name for r in project_delete.resources] == ["acme/platform/billing"]
    group_delete = next(c for c in blast.capabilities if c.operation.startswith("DELETE /groups"))
    assert [r.name for r in group_delete.resources] == ["acme"] and group_delete.certain
    assert any("owner" in n and "developer" in n for n in blast.notes)
    groups_pages = [r for r in fake.requests if r.path.endswith("/groups")]
    assert len(groups_pages) > 3  # three role filters, more than one page each
    assert_read_only(fake.requests)


def test_protected_branch_pushes_and_environment_tiers(fake: FakeGitLab) -> None:
    """Developers allowed to push (and force-push) to a protected branch; the project's class from
    GitLab's own environment ``tier``, not from its name."""
    from scanner.policy import assess

    fake.tokens[PAT] = FakeGitLabToken(scopes=["write_repository", "read_api"], projects=[
        project(5, "acme/shop", 30, protected=[protected_branch("main", 30, force=True),
                                                protected_branch("release", 40)],
                environments=[environment("prod-eu", "production"), environment("review/x", "development")]),
        project(6, "acme/staging-tools", 30, protected=[protected_branch("main", 40)],
                environments=[environment("live", "testing")])])
    credential = _pat()
    result = PROVIDER.introspect(credential, context_for(fake.api_url))
    blast = result.blast_radius
    classes = {r.name: (r.env_class, r.env_basis) for r in blast.resources if r.kind == "project"}
    assert classes == {"acme/shop": (EnvClass.PRODUCTION, "GitLab environment tier"),
                       "acme/staging-tools": (EnvClass.DEVELOPMENT, "GitLab environment tier")}
    pushes = next(c for c in blast.capabilities if c.operation == "push to protected branches")
    assert [r.describe() for r in pushes.resources] == ["branch `main` of project acme/shop"]
    force = next(c for c in blast.capabilities if c.operation.startswith("force-push"))
    assert force.action is Action.DELETE and force.certain
    assert assess(credential, result.verification, blast).severity is Severity.CRITICAL
    assert any("environment tiers" in n for n in blast.notes)
    assert_read_only(fake.requests)


def test_a_page_cap_on_projects_is_reported(fake: FakeGitLab) -> None:
    fake.tokens[PAT] = FakeGitLabToken(scopes=["read_api"], projects=[
        project(100 + i, f"acme/p{i:03d}", 20, protected=[]) for i in range(12)])
    fake.page_size = 1
    blast = PROVIDER.introspect(_pat(), context_for(fake.api_url)).blast_radius
    assert ("listed 10 of 12 projects (page cap of 10 pages reached); the rest were not inspected"
            in blast.unknowns)
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

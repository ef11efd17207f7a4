"""Railway provider against the loopback Railway fake (PocketOS world): real HTTP, real GraphQL."""

from __future__ import annotations

import pytest
import requests

from fixtures.providers._server import assert_read_only
from fixtures.providers.railway import (
    GRAPHQL_PATH,
    POCKETOS_ACCOUNT_TOKEN,
    POCKETOS_OAUTH_TOKEN,
    POCKETOS_PROJECT_TOKEN,
    POCKETOS_REVOKED_TOKEN,
    POCKETOS_VIEWER_TOKEN,
    POCKETOS_WORKSPACE_TOKEN,
    Environment,
    Project,
    RailwayFake,
    Token,
    User,
    Workspace,
    World,
    pocketos_world,
)
from providers.base import Introspection
from providers.guard import MutationRefused
from providers.railway import ALLOWED_ROOT_FIELDS, MAX_PROJECTS, PROVIDER
from providers.registry import provider_for_kind
from scanner.model import Action, Capability, EnvClass, VerificationStatus
from tests.helpers import context_for, make_credential


def introspect(fake: RailwayFake, secret: str, kind: str, *, base: str | None = None) -> Introspection:
    credential = make_credential("railway", kind, secret)
    return PROVIDER.introspect(credential, context_for(base or fake.url))


def check_read_only(fake: RailwayFake, result: Introspection | None = None, secret: str = "") -> None:
    """Every test: nothing mutating reached Railway, only allow-listed root fields, no secret leaked."""
    assert_read_only(fake.requests)
    assert fake.mutations == []
    assert set(fake.root_fields) <= ALLOWED_ROOT_FIELDS, fake.root_fields
    assert "variables" not in fake.root_fields  # secret values are never read
    if result is not None and secret:
        assert secret not in repr(result)
        assert secret not in result.verification.reason


def capability(result: Introspection, operation: str) -> Capability:
    return next(c for c in result.blast_radius.capabilities if c.operation == operation)


def test_provider_is_discovered_for_every_railway_kind() -> None:
    for kind in ("railway_account_token", "railway_project_token", "railway_workspace_token",
                 "railway_oauth_token"):
        assert provider_for_kind(kind) is PROVIDER


def test_account_token_can_delete_the_production_volume() -> None:
    with pocketos_world() as fake:
        result = introspect(fake, POCKETOS_ACCOUNT_TOKEN, "railway_account_token")
        check_read_only(fake, result, POCKETOS_ACCOUNT_TOKEN)
    assert result.verification.status is VerificationStatus.LIVE
    blast = result.blast_radius
    assert blast.token_type == "account token"
    assert "jer@pocketos.example" in (blast.identity or "")
    assert "workspace PocketOS: ADMIN" in blast.scopes

    volume_delete = capability(result, "volumeDelete")
    assert volume_delete.action is Action.DELETE and volume_delete.certain
    described = {r.describe() for r in volume_delete.resources}
    assert "volume `pg-data` in environment `production` of project `pocketos`" in described
    prod_volume = next(r for r in volume_delete.resources
                       if r.name == "pg-data" and r.environment == "production")
    assert prod_volume.env_class is EnvClass.PRODUCTION

    for operation, kind in (("serviceDelete", "service"), ("environmentDelete", "environment"),
                            ("projectDelete", "project")):
        cap = capability(result, operation)
        assert cap.action is Action.DELETE and cap.certain
        assert any(r.kind == kind and r.env_class is EnvClass.PRODUCTION for r in cap.resources)
    assert "environment `production` of project `pocketos`" in {
        r.describe() for r in capability(result, "environmentDelete").resources}
    assert capability(result, "variableUpsert").action is Action.WRITE
    assert capability(result, "workspacePermissionChange").action is Action.ADMIN
    # The PR environment is ephemeral: development-class, not unknown (which would count as production).
    pr_env = next(r for r in blast.resources if r.name == "pocketos-pr-42")
    assert pr_env.env_class is EnvClass.DEVELOPMENT
    assert any("volumeDelete removes a volume" in n for n in blast.notes)


def test_project_token_bound_to_staging_reaches_only_staging() -> None:
    with pocketos_world() as fake:
        result = introspect(fake, POCKETOS_PROJECT_TOKEN, "railway_project_token")
        check_read_only(fake, result, POCKETOS_PROJECT_TOKEN)
        first = fake.requests[0]
        assert first.header("Project-Access-Token") == POCKETOS_PROJECT_TOKEN
        assert first.header("Authorization") is None
    assert result.verification.status is VerificationStatus.LIVE
    blast = result.blast_radius
    assert blast.token_type == "project token"
    assert blast.resources
    assert {r.environment for r in blast.resources} == {"staging"}
    assert {r.env_class for r in blast.resources} == {EnvClass.STAGING}
    assert not any(r.kind == "project" for r in blast.resources)
    volume_delete = capability(result, "volumeDelete")
    assert [r.describe() for r in volume_delete.resources] == [
        "volume `pg-data` in environment `staging` of project `pocketos`"]
    assert volume_delete.certain is False  # undocumented for project tokens: possible, not confirmed
    assert any("project token" in u for u in blast.unknowns)
    assert all(not c.certain for c in blast.capabilities if c.action is Action.DELETE)
    assert not any(c.operation == "projectDelete" for c in blast.capabilities)


def test_revoked_token_is_invalid() -> None:
    with pocketos_world() as fake:
        result = introspect(fake, POCKETOS_REVOKED_TOKEN, "railway_account_token")
        check_read_only(fake, result, POCKETOS_REVOKED_TOKEN)
        probes = list(fake.root_fields)
    assert result.verification.status is VerificationStatus.INVALID
    assert "Not Authorized" in result.verification.reason
    assert "Project Token not found" in result.verification.reason
    assert probes == ["me", "externalWorkspaces", "apiToken", "projectToken"]
    assert result.blast_radius.capabilities == ()


def test_rate_limit_then_success_is_retried() -> None:
    with pocketos_world() as fake:
        fake.throttle(times=1, retry_after="1")
        result = introspect(fake, POCKETOS_PROJECT_TOKEN, "railway_project_token")
        check_read_only(fake, result, POCKETOS_PROJECT_TOKEN)
        bodies = [r.body for r in fake.requests]
    assert result.verification.status is VerificationStatus.LIVE
    assert bodies[0] == bodies[1]  # the 429'd query was sent again, unchanged
    assert len(bodies) == 3  # 429, retried projectToken, project


def test_persistent_server_error_is_unverifiable() -> None:
    with pocketos_world() as fake:
        fake.fail()
        result = introspect(fake, POCKETOS_ACCOUNT_TOKEN, "railway_account_token")
        check_read_only(fake, result, POCKETOS_ACCOUNT_TOKEN)
        sent = len(fake.requests)
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert "HTTP 500" in result.verification.reason
    assert sent == 2  # one try plus one retry, then no further probes


def test_persistent_rate_limit_is_unverifiable() -> None:
    with pocketos_world() as fake:
        fake.throttle(times=10, retry_after="30")  # longer than the client is willing to wait
        result = introspect(fake, POCKETOS_ACCOUNT_TOKEN, "railway_account_token")
        check_read_only(fake, result, POCKETOS_ACCOUNT_TOKEN)
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert "429" in result.verification.reason


def test_malformed_json_is_unverifiable() -> None:
    with pocketos_world() as fake:
        fake.break_json()
        result = introspect(fake, POCKETOS_ACCOUNT_TOKEN, "railway_account_token")
        check_read_only(fake, result, POCKETOS_ACCOUNT_TOKEN)
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert "malformed JSON" in result.verification.reason


def test_guard_refuses_a_mutation_before_sending() -> None:
    with pocketos_world() as fake:
        ctx = context_for(fake.url)
        with pytest.raises(MutationRefused):
            ctx.http.graphql(GRAPHQL_PATH, 'mutation { volumeDelete(volumeId: "vol-pg-data") }',
                             headers={"Authorization": f"Bearer {POCKETOS_ACCOUNT_TOKEN}"})
        assert fake.requests == []
        check_read_only(fake)
        assert any(v.name == "pg-data" for p in fake.world.projects for v in p.volumes)


def test_fake_executes_mutations_like_the_real_api_so_the_checks_mean_something() -> None:
    """Sent around credreach (raw requests), a volumeDelete really destroys the volume in the fake."""
    with pocketos_world() as fake:
        answer = requests.post(fake.url + GRAPHQL_PATH, timeout=5,
                               headers={"Authorization": f"Bearer {POCKETOS_ACCOUNT_TOKEN}"},
                               json={"query": 'mutation { volumeDelete(volumeId: "vol-pg-data") }'})
        assert answer.json() == {"data": {"volumeDelete": True}}
        assert len(fake.mutations) == 1
        assert not any(v.name == "pg-data" for p in fake.world.projects for v in p.volumes)
        with pytest.raises(AssertionError, match="mutating requests"):
            assert_read_only(fake.requests)


def test_workspace_token_is_found_by_probing_and_deletes_are_possible() -> None:
    with pocketos_world() as fake:
        result = introspect(fake, POCKETOS_WORKSPACE_TOKEN, "railway_account_token")
        check_read_only(fake, result, POCKETOS_WORKSPACE_TOKEN)
        probes = list(fake.root_fields)
    assert result.verification.status is VerificationStatus.LIVE
    assert result.blast_radius.token_type == "workspace token"
    assert probes[:3] == ["me", "externalWorkspaces", "apiToken"]
    volume_delete = capability(result, "volumeDelete")
    assert volume_delete.certain is False
    assert any(r.name == "pg-data" and r.env_class is EnvClass.PRODUCTION for r in volume_delete.resources)
    assert result.blast_radius.unknowns


def test_viewer_account_token_is_read_only() -> None:
    with pocketos_world() as fake:
        result = introspect(fake, POCKETOS_VIEWER_TOKEN, "railway_account_token")
        check_read_only(fake, result, POCKETOS_VIEWER_TOKEN)
    assert result.verification.status is VerificationStatus.LIVE
    actions = {c.action for c in result.blast_radius.capabilities}
    assert actions == {Action.READ}
    assert "workspace PocketOS: VIEWER" in result.blast_radius.scopes


def test_account_token_in_railway_token_is_recognised_as_account() -> None:
    with pocketos_world() as fake:
        result = introspect(fake, POCKETOS_ACCOUNT_TOKEN, "railway_project_token")
        check_read_only(fake, result, POCKETOS_ACCOUNT_TOKEN)
    assert result.verification.status is VerificationStatus.LIVE
    assert result.blast_radius.token_type == "account token"
    assert any("RAILWAY_TOKEN" in n for n in result.blast_radius.notes)
    assert capability(result, "volumeDelete").certain


def test_oauth_session_token_is_used_as_bearer_only() -> None:
    with pocketos_world() as fake:
        result = introspect(fake, POCKETOS_OAUTH_TOKEN, "railway_oauth_token")
        check_read_only(fake, result, POCKETOS_OAUTH_TOKEN)
        assert all(r.bearer == POCKETOS_OAUTH_TOKEN for r in fake.requests)
        assert all(r.path == GRAPHQL_PATH for r in fake.requests)  # never /oauth/token
    assert result.verification.status is VerificationStatus.LIVE
    assert (result.blast_radius.token_type or "").startswith("OAuth")
    assert any("refresh token" in n for n in result.blast_radius.notes)


def test_expired_oauth_token_is_invalid_without_touching_oauth_endpoints() -> None:
    with pocketos_world() as fake:
        result = introspect(fake, "rlwy_oat_expired_0123456789abcdefghijklmnop", "railway_oauth_token")
        check_read_only(fake, result, "rlwy_oat_expired_0123456789abcdefghijklmnop")
        assert fake.root_fields == ["me", "externalWorkspaces", "apiToken"]  # never projectToken
        assert all(r.path == GRAPHQL_PATH for r in fake.requests)
    assert result.verification.status is VerificationStatus.INVALID
    assert "refresh token is never used" in result.verification.reason


def test_endpoint_given_with_the_graphql_path_works() -> None:
    with pocketos_world() as fake:
        result = introspect(fake, POCKETOS_PROJECT_TOKEN, "railway_project_token",
                            base=fake.url + GRAPHQL_PATH)
        check_read_only(fake, result, POCKETOS_PROJECT_TOKEN)
        assert {r.path for r in fake.requests} == {GRAPHQL_PATH}
    assert result.verification.status is VerificationStatus.LIVE


def test_unreachable_endpoint_is_unverifiable() -> None:
    with pocketos_world() as fake:
        url = fake.url
    result = PROVIDER.introspect(make_credential("railway", "railway_account_token", POCKETOS_ACCOUNT_TOKEN),
                                 context_for(url, timeout=2.0))
    check_read_only(fake, result, POCKETOS_ACCOUNT_TOKEN)
    assert result.verification.status is VerificationStatus.UNVERIFIABLE


def test_many_projects_are_capped_and_uninspected_ones_count_as_production() -> None:
    owner = User("u-1", "Owner", "owner@example.com")
    projects = [Project(f"prj-{i:02d}", f"app-{i:02d}", "ws-1",
                        environments=[Environment(f"env-{i:02d}", "development")])
                for i in range(MAX_PROJECTS + 3)]
    world = World(users=[owner], workspaces=[Workspace("ws-1", "Big", {owner.id: "ADMIN"})],
                  projects=projects, tokens=[Token(POCKETOS_ACCOUNT_TOKEN, "account", user_id=owner.id)])
    with RailwayFake(world) as fake:
        result = introspect(fake, POCKETOS_ACCOUNT_TOKEN, "railway_account_token")
        check_read_only(fake, result, POCKETOS_ACCOUNT_TOKEN)
        project_queries = fake.root_fields.count("project")
    assert project_queries == MAX_PROJECTS
    project_delete = capability(result, "projectDelete")
    classes = {r.name: r.env_class for r in project_delete.resources}
    assert len(classes) == MAX_PROJECTS + 3
    assert classes["app-00"] is EnvClass.DEVELOPMENT
    assert classes[f"app-{MAX_PROJECTS + 2:02d}"] is EnvClass.UNKNOWN
    assert any("Only the first" in n for n in result.blast_radius.notes)

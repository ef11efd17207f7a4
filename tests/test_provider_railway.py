"""Railway provider against the loopback Railway fake (PocketOS world): real HTTP, real GraphQL."""

from __future__ import annotations

import pytest
import requests

from credreach.fakes._server import assert_read_only
from credreach.fakes.railway import (
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
    Service,
    Token,
    User,
    Volume,
    VolumeInstance,
    Workspace,
    World,
    pocketos_world,
)
from providers.base import Introspection
from providers.guard import MutationRefused
from providers.railway import ALLOWED_ROOT_FIELDS, MAX_PROJECTS, PROVIDER
from providers.registry import provider_for_kind
from scanner.model import Action, Capability, EnvClass, Severity, VerificationStatus
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


def test_project_token_bound_to_staging_deletes_the_shared_production_volume_for_certain() -> None:
    """Issue 15.1: Railway scopes no operation away from a project token, and volumeDelete takes a
    volume id whose instances live in every environment it was forked into: the PocketOS call."""
    with pocketos_world() as fake:
        result = introspect(fake, POCKETOS_PROJECT_TOKEN, "railway_project_token")
        check_read_only(fake, result, POCKETOS_PROJECT_TOKEN)
        first = fake.requests[0]
        assert first.header("Project-Access-Token") == POCKETOS_PROJECT_TOKEN
        assert first.header("Authorization") is None
    assert result.verification.status is VerificationStatus.LIVE
    blast = result.blast_radius
    assert blast.token_type == "project token"
    assert not any(r.kind == "project" for r in blast.resources)
    volume_delete = capability(result, "volumeDelete")
    assert volume_delete.certain and volume_delete.note is None
    assert sorted(r.describe() for r in volume_delete.resources) == [
        "volume `pg-data` in environment `production` of project `pocketos`",
        "volume `pg-data` in environment `staging` of project `pocketos`"]
    prod = next(r for r in volume_delete.resources if r.environment == "production")
    assert prod.env_class is EnvClass.PRODUCTION and prod.env_basis == "Railway environment"
    # Everything else the token reaches is its own environment, and every delete there is certain.
    assert {r.environment for r in blast.resources if r.kind != "volume"} == {"staging"}
    assert all(c.certain for c in blast.capabilities)
    assert {r.describe() for r in capability(result, "environmentDelete").resources} == {
        "environment `staging` of project `pocketos`"}
    assert not any(c.operation == "projectDelete" for c in blast.capabilities)
    assert any("no per-operation scoping" in n and "docs.railway.com/integrations/api" in n for n in blast.notes)
    assert any("also has an instance in `production`" in n for n in blast.notes)


def test_project_token_is_critical_and_fails_the_critical_gate() -> None:
    from scanner.policy import assess, at_or_above

    credential = make_credential("railway", "railway_project_token", POCKETOS_PROJECT_TOKEN)
    with pocketos_world() as fake:
        result = PROVIDER.introspect(credential, context_for(fake.url))
        check_read_only(fake, result, POCKETOS_PROJECT_TOKEN)
    assessment = assess(credential, result.verification, result.blast_radius, task_env="staging")
    assert assessment.severity is Severity.CRITICAL
    assert "can delete volume `pg-data` in environment `production` of project `pocketos` (volumeDelete)" \
        in assessment.reasons
    assert at_or_above([assessment], "critical") == [assessment]


def test_project_token_whose_volumes_stay_in_its_environment_is_high_not_critical() -> None:
    """The rule is not "every Railway token is critical": a staging-only reach is destructive on
    non-production (high), and says so with certainty."""
    from scanner.policy import assess

    world = pocketos_world().world
    project = next(p for p in world.projects if p.name == "pocketos")
    for volume in project.volumes:
        volume.instances = [vi for vi in volume.instances if vi.environment_id != "env-stag-0002"]
    project.volumes.append(Volume("vol-cache", "cache", [
        VolumeInstance("vi-cache-stag", "env-stag-0002", "svc-api", "/cache")]))
    credential = make_credential("railway", "railway_project_token", POCKETOS_PROJECT_TOKEN)
    with RailwayFake(world) as fake:
        result = PROVIDER.introspect(credential, context_for(fake.url))
        check_read_only(fake, result, POCKETOS_PROJECT_TOKEN)
    volume_delete = capability(result, "volumeDelete")
    assert [r.describe() for r in volume_delete.resources] == [
        "volume `cache` in environment `staging` of project `pocketos`"]
    assert volume_delete.certain
    assessment = assess(credential, result.verification, result.blast_radius)
    assert assessment.severity is Severity.HIGH
    assert any(reason.startswith("can delete volume `cache`") for reason in assessment.reasons)


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


def test_workspace_token_is_found_by_probing_and_is_critical() -> None:
    """Issue 15.1: a workspace token "has access to all the workspace's resources" and Railway
    documents no per-operation scope, so its deletes are certain and it is critical."""
    from scanner.policy import assess, at_or_above

    credential = make_credential("railway", "railway_account_token", POCKETOS_WORKSPACE_TOKEN)
    with pocketos_world() as fake:
        result = PROVIDER.introspect(credential, context_for(fake.url))
        check_read_only(fake, result, POCKETOS_WORKSPACE_TOKEN)
        probes = list(fake.root_fields)
    assert result.verification.status is VerificationStatus.LIVE
    assert result.blast_radius.token_type == "workspace token"
    assert probes[:3] == ["me", "externalWorkspaces", "apiToken"]
    volume_delete = capability(result, "volumeDelete")
    assert volume_delete.certain
    assert any(r.name == "pg-data" and r.env_class is EnvClass.PRODUCTION for r in volume_delete.resources)
    assert capability(result, "projectDelete").certain
    assert capability(result, "workspacePermissionChange").certain
    assert not any("assumed possible" in u for u in result.blast_radius.unknowns)
    assessment = assess(credential, result.verification, result.blast_radius)
    assert assessment.severity is Severity.CRITICAL
    assert "can delete volume `pg-data` in environment `production` of project `pocketos` (volumeDelete)" \
        in assessment.reasons
    assert at_or_above([assessment], "critical") == [assessment]


def test_unreadable_role_is_possible_and_names_the_doc_that_leaves_it_open() -> None:
    """Model rule: a delete is only *possible* where the docs leave it open, and the note says which."""
    owner = User("u-1", "Guest", "guest@example.com")
    other = Workspace("ws-x", "Elsewhere", {"u-someone": "ADMIN"})
    # A project member from outside the workspace: the project's member list is admin-only, so
    # credreach cannot read this user's role.
    project = Project("prj-x", "shop", other.id, environments=[Environment("env-x", "production")],
                      members={owner.id: "MEMBER"})
    world = World(users=[owner, User("u-someone", "S", "s@example.com")], workspaces=[other],
                  projects=[project], tokens=[Token(POCKETOS_ACCOUNT_TOKEN, "account", user_id=owner.id)])
    with RailwayFake(world) as fake:
        result = introspect(fake, POCKETOS_ACCOUNT_TOKEN, "railway_account_token")
        check_read_only(fake, result, POCKETOS_ACCOUNT_TOKEN)
    writes = [c for c in result.blast_radius.capabilities if c.action is Action.WRITE]
    assert writes and all(not c.certain for c in writes)
    assert all("project-members" in (c.note or "") for c in writes)
    from scanner.policy import describe_capability
    assert "left open by" in describe_capability(writes[0])[0]


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


def _big_workspace(count: int, token_kind: str = "account") -> World:
    """One workspace, ``count`` projects; the last one is the production database nobody looked at."""
    owner = User("u-1", "Owner", "owner@example.com")
    workspace = Workspace("ws-1", "Big", {owner.id: "ADMIN"})
    projects = [Project(f"prj-{i:03d}", f"app-{i:03d}", workspace.id,
                        environments=[Environment(f"env-{i:03d}", "development")]) for i in range(count - 1)]
    prod = Environment("env-billing", "production")
    projects.append(Project("prj-billing", "billing", workspace.id, environments=[prod],
                            services=[Service("svc-db", "db")],
                            volumes=[Volume("vol-ledger", "ledger", [
                                VolumeInstance("vi-ledger", prod.id, "svc-db", "/data")])]))
    token = (Token(POCKETOS_ACCOUNT_TOKEN, "account", user_id=owner.id) if token_kind == "account"
             else Token(POCKETOS_WORKSPACE_TOKEN, "workspace", workspace_id=workspace.id))
    return World(users=[owner], workspaces=[workspace], projects=projects, tokens=[token])


def _after_cursors(fake: RailwayFake) -> list[str]:
    return [r.json()["variables"]["after"] for r in fake.requests
            if (r.json().get("variables") or {}).get("after")]


@pytest.mark.parametrize("kind,secret", [("account", POCKETOS_ACCOUNT_TOKEN), ("workspace", POCKETOS_WORKSPACE_TOKEN)])
def test_a_workspace_with_130_projects_is_listed_page_by_page(kind: str, secret: str) -> None:
    """Issue 15.5: Relay `pageInfo.hasNextPage` / `endCursor` sent back as `after` until the end."""
    with RailwayFake(_big_workspace(130, kind)) as fake:
        result = introspect(fake, secret, "railway_account_token")
        check_read_only(fake, result, secret)
        cursors = _after_cursors(fake)
    assert cursors == ["99"]  # one more page after the first 100 (the fake's cursors are positions)
    project_delete = capability(result, "projectDelete")
    names = {r.name for r in project_delete.resources}
    assert len(names) == 130 and "billing" in names
    assert project_delete.certain
    # Only MAX_PROJECTS are inspected in detail; the rest count as production (unknown), and the note
    # gives the real count, not 100.
    assert any(f"Only the first {MAX_PROJECTS} of 130 projects" in n for n in result.blast_radius.notes)
    billing = next(r for r in project_delete.resources if r.name == "billing")
    assert billing.env_class is EnvClass.UNKNOWN
    assert not any("listed" in u for u in result.blast_radius.unknowns)  # the list is whole


def test_project_environments_services_and_volumes_are_paged() -> None:
    owner = User("u-1", "Owner", "owner@example.com")
    envs = [Environment(f"env-{i:02d}", f"pr-{i:02d}", is_ephemeral=True) for i in range(29)]
    envs.append(Environment("env-prod", "production"))
    services = [Service(f"svc-{i:03d}", f"worker-{i:03d}", environment_ids=["env-prod"]) for i in range(120)]
    volumes = [Volume(f"vol-{i:03d}", f"disk-{i:03d}") for i in range(104)]
    volumes.append(Volume("vol-main", "main-db", [VolumeInstance("vi-main", "env-prod", "svc-000", "/data")]))
    project = Project("prj-1", "fleet", "ws-1", environments=envs, services=services, volumes=volumes)
    world = World(users=[owner], workspaces=[Workspace("ws-1", "W", {owner.id: "ADMIN"})], projects=[project],
                  tokens=[Token(POCKETOS_ACCOUNT_TOKEN, "account", user_id=owner.id)])
    with RailwayFake(world) as fake:
        result = introspect(fake, POCKETOS_ACCOUNT_TOKEN, "railway_account_token")
        check_read_only(fake, result, POCKETOS_ACCOUNT_TOKEN)
        bodies = [r.json()["query"] for r in fake.requests]
    assert any("environments(first: 25, after: $after)" in b for b in bodies)
    assert any("services(first: 100, after: $after)" in b for b in bodies)
    assert any("volumes(first: 100, after: $after)" in b for b in bodies)
    envs_reached = {r.name for r in capability(result, "environmentDelete").resources}
    assert len(envs_reached) == 30 and "production" in envs_reached
    volume_delete = {(r.name, r.environment) for r in capability(result, "volumeDelete").resources}
    assert ("main-db", "production") in volume_delete and ("disk-103", None) in volume_delete
    assert len({r.name for r in capability(result, "serviceDelete").resources}) == 120


def test_the_page_cap_is_reported_never_silent() -> None:
    with RailwayFake(_big_workspace(60), max_page=5) as fake:
        result = introspect(fake, POCKETOS_ACCOUNT_TOKEN, "railway_account_token")
        check_read_only(fake, result, POCKETOS_ACCOUNT_TOKEN)
    shortfall = [u for u in result.blast_radius.unknowns if "projects of workspace `Big`" in u]
    assert shortfall == ["listed 50 projects of workspace `Big`; more exist (page cap of 10 pages reached); "
                         "the rest were not inspected"]


def test_environment_instance_lists_are_read_past_the_first_page() -> None:
    """Issue 15.5: an environment with 130 volume instances; Railway's `Query.environment(id:)`
    continues `volumeInstances(first, after)` until `hasNextPage` is false (railwayapp/cli schema.json)."""
    owner = User("u-1", "Owner", "owner@example.com")
    prod = Environment("env-prod", "production")
    volumes = [Volume(f"vol-{i:03d}", f"disk-{i:03d}", [VolumeInstance(f"vi-{i:03d}", prod.id, None, "/data")])
               for i in range(130)]
    project = Project("prj-1", "fleet", "ws-1", environments=[prod], volumes=volumes)
    world = World(users=[owner], workspaces=[Workspace("ws-1", "W", {owner.id: "ADMIN"})], projects=[project],
                  tokens=[Token(POCKETOS_ACCOUNT_TOKEN, "account", user_id=owner.id)])
    with RailwayFake(world) as fake:
        result = introspect(fake, POCKETOS_ACCOUNT_TOKEN, "railway_account_token")
        check_read_only(fake, result, POCKETOS_ACCOUNT_TOKEN)
        follow_ups = [r.json() for r in fake.requests if "environment(id: $id)" in r.json()["query"]]
    assert [q["variables"] for q in follow_ups] == [{"id": "env-prod", "after": "99"}]
    in_prod = {r.name for r in capability(result, "volumeDelete").resources if r.environment == "production"}
    assert len(in_prod) == 130 and "disk-129" in in_prod
    assert not any("volume instances" in u and "more exist" in u for u in result.blast_radius.unknowns)

"""The PocketOS scenario end to end: real fakes, a real temp machine, the real scan."""

from __future__ import annotations

from credreach.fakes._server import is_mutating
from scanner.demo import run_demo
from scanner.model import Action, EnvClass, Severity, VerificationStatus
from tests.conftest import run_credreach


def test_pocketos_demo_names_the_production_volume_and_stays_read_only() -> None:
    result, world = run_demo("staging")
    by_kind = {a.credential.kind: a for a in result.assessments}
    account = by_kind["railway_account_token"]
    assert account.severity is Severity.CRITICAL
    assert account.verification.status is VerificationStatus.LIVE
    assert account.beyond_task_env
    assert account.credential.locations[0].path.endswith("scripts/domains.sh")
    assert account.credential.locations[0].gitignored
    deletes = {(r.name, r.environment) for c in account.blast_radius.capabilities
               if c.action is Action.DELETE and c.operation == "volumeDelete" for r in c.resources}
    assert ("pg-data", "production") in deletes
    assert any("volume `pg-data` in environment `production`" in reason for reason in account.reasons)
    project = by_kind["railway_project_token"]
    assert {loc.source.value for loc in project.credential.locations} == {"env", "workspace"}
    # The project token's staging environment shares volume `pg-data` with production (issue #15: Railway
    # documents no per-operation scoping, so its volumeDelete reaches production): critical.
    assert project.severity is Severity.CRITICAL
    assert any(r.name == "pg-data" and r.env_class is EnvClass.PRODUCTION for r in project.blast_radius.resources)
    assert by_kind["github_oauth_token"].severity is Severity.CRITICAL
    if "aws" in world.endpoints:
        aws = by_kind["aws_access_key"]
        assert any(c.operation == "rds:DeleteDBInstance" for c in aws.blast_radius.capabilities)
    assert sum(len(log) for log in world.request_logs.values()) > 0
    for log in world.request_logs.values():
        assert not [r for r in log if is_mutating(r)]


def test_demo_command_prints_the_brief() -> None:
    run = run_credreach("demo", env={"COLUMNS": "250"}, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "CRITICAL" in run.stdout and "pg-data" in run.stdout and "mutating requests: 0" in run.stdout
    assert "3f8a2c1e-9b4d-4e6f-a1c2-7d8e9f0a1b2c" not in run.stdout


def test_demo_replays_the_incident_call_through_the_real_guard_hook() -> None:
    result, world = run_demo("staging")
    incident, staging = world.guard_replay
    assert incident.decision == "deny" and incident.exit_code == 0
    assert "blocked: `volumeDelete` on volume `pg-data` (environment `production`, project `pocketos`" in incident.reason
    assert "`scripts/domains.sh`" in incident.reason and "the task is `staging`" in incident.reason
    assert staging.decision == "allow" and "allowed and logged" in staging.reason and "pg-staging" in staging.reason
    for step in world.guard_replay:
        assert "3f8a2c1e-9b4d-4e6f-a1c2-7d8e9f0a1b2c" not in step.command + step.reason

"""Issue 15: the PocketOS demo rates the Railway project token critical, and the CI gate stops it.

The staging project token in the demo reaches volume `pg-data`, whose instances live in staging
*and* production: Railway scopes no operation away from a project token, and `volumeDelete` takes
the volume id. That is the incident's call, so the token must be critical, never "may be able to".
"""

from __future__ import annotations

from pathlib import Path

from credreach.fakes._server import is_mutating
from credreach.fakes.railway import POCKETOS_PROJECT_TOKEN, POCKETOS_WORKSPACE_TOKEN, pocketos_world
from scanner.demo import run_demo
from scanner.model import Action, EnvClass, Severity, VerificationStatus
from scanner.policy import at_or_above
from tests.conftest import run_credreach

PROD_VOLUME = "can delete volume `pg-data` in environment `production` of project `pocketos` (volumeDelete)"


def test_demo_shows_the_project_token_reaching_production_as_critical() -> None:
    result, world = run_demo("staging")
    project = next(a for a in result.assessments if a.credential.kind == "railway_project_token")
    assert project.verification.status is VerificationStatus.LIVE
    assert project.severity is Severity.CRITICAL
    assert PROD_VOLUME in project.reasons
    assert not any(reason.startswith("may be able to") for reason in project.reasons)
    prod = [r for c in project.blast_radius.capabilities if c.action is Action.DELETE and c.certain
            for r in c.resources if r.env_class is EnvClass.PRODUCTION]
    assert [(r.kind, r.name, r.environment) for r in prod] == [("volume", "pg-data", "production")]
    assert project in at_or_above(result.assessments, "critical")
    for log in world.request_logs.values():
        assert not [r for r in log if is_mutating(r)]


def test_fail_on_critical_fails_for_railway_project_and_workspace_tokens(tmp_path: Path) -> None:
    for name, secret in (("RAILWAY_TOKEN", POCKETOS_PROJECT_TOKEN), ("RAILWAY_API_TOKEN", POCKETOS_WORKSPACE_TOKEN)):
        workspace = tmp_path / name
        workspace.mkdir()
        (workspace / ".env").write_text(f"{name}={secret}\n")
        with pocketos_world() as railway:
            run = run_credreach("scan", str(workspace), "-f", "json", "--fail-on", "critical",
                                "--endpoint", f"railway={railway.url}", env={"HOME": str(tmp_path)})
            assert not [r for r in railway.requests if is_mutating(r)]
        assert run.returncode == 1, run.stderr
        (cred,) = [c for c in run.json()["credentials"] if c["provider"] == "railway"]
        assert cred["severity"] == "critical", cred
        assert PROD_VOLUME in cred["reasons"]

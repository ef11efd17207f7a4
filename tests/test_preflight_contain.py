"""`credreach preflight` and `contain` on fixture machines with agent configs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT, run_credreach

MACHINE = PROJECT_ROOT / "fixtures" / "machines" / "covered-laptop"


@pytest.fixture
def machine(tmp_path: Path) -> tuple[Path, Path]:
    shutil.copytree(MACHINE, tmp_path / "m")
    return tmp_path / "m" / "workspace", tmp_path / "m" / "home"


def preflight_json(workspace: Path, home: Path) -> dict:
    run = run_credreach("preflight", str(workspace), "--home-dir", str(home), "--offline", "--no-env",
                        "-f", "json", cwd=workspace, env={"HOME": str(home)})
    assert run.returncode in (0, 1), run.stderr
    return run.json()


def access_of(report: dict, kind: str, path_suffix: str) -> dict:
    for cred in report["credentials"]:
        if cred["kind"] != kind:
            continue
        for where, agents in cred["agent_access"].items():
            if where.split(":")[0].endswith(path_suffix):
                return agents
    raise AssertionError(f"no {kind} at {path_suffix}")


def test_preflight_reports_rule_coverage_and_shell_bypass(machine: tuple[Path, Path]) -> None:
    workspace, home = machine
    report = preflight_json(workspace, home)
    env_access = access_of(report, "railway_project_token", ".env")
    assert env_access["claude-code"]["denied"] is True
    assert env_access["claude-code"]["rule"] == "Read(./.env)"
    assert "Bash(cat:*)" in env_access["claude-code"]["shell"]
    assert env_access["claude-code"]["reachable"] is True
    assert env_access["cursor"]["ignored"] is True
    script_access = access_of(report, "railway_account_token", "scripts/domains.sh")
    assert script_access["claude-code"]["denied"] is False
    assert script_access["cursor"]["ignored"] is False
    aws_access = access_of(report, "aws_access_key", ".aws/credentials")
    assert aws_access["claude-code"]["denied"] is True
    assert aws_access["claude-code"]["rule"] == "Read(~/.aws/**)"
    agents = {c["agent"] for c in report["agent_configs"]}
    assert agents == {"claude-code", "cursor"}


def test_preflight_brief_names_the_worst_first(machine: tuple[Path, Path]) -> None:
    workspace, home = machine
    run = run_credreach("preflight", str(workspace), "--home-dir", str(home), "--offline", "--no-env",
                        "--fail-on", "medium", cwd=workspace, env={"HOME": str(home), "COLUMNS": "200"})
    assert run.returncode == 1
    assert "scripts/domains.sh" in run.stdout and "railway" in run.stdout
    assert "0b7d6c1e-3f2a-4c5d-9e8f-7a6b5c4d3e2f" not in run.stdout


def test_contain_dry_run_changes_nothing(machine: tuple[Path, Path]) -> None:
    workspace, home = machine
    before = (workspace / ".claude" / "settings.json").read_text()
    run = run_credreach("contain", str(workspace), "--home-dir", str(home), "--dry-run",
                        cwd=workspace, env={"HOME": str(home), "COLUMNS": "200"})
    assert run.returncode == 0, run.stderr
    assert "Read(./scripts/domains.sh)" in run.stdout
    assert (workspace / ".claude" / "settings.json").read_text() == before
    assert (workspace / ".cursorignore").read_text() == ".env\n"


def test_contain_merges_rules_without_dropping_existing_ones(machine: tuple[Path, Path]) -> None:
    workspace, home = machine
    run = run_credreach("contain", str(workspace), "--home-dir", str(home),
                        cwd=workspace, env={"HOME": str(home), "COLUMNS": "200"})
    assert run.returncode == 0, run.stderr
    settings = json.loads((workspace / ".claude" / "settings.json").read_text())
    deny = settings["permissions"]["deny"]
    assert deny[:2] == ["Read(./.env)", "Bash(curl:*)"]
    assert "Read(./scripts/domains.sh)" in deny
    assert "Read(~/.aws/credentials)" in deny
    assert settings["permissions"]["allow"] == ["Bash(cat:*)", "Bash(npm run test:*)"]
    ignore = (workspace / ".cursorignore").read_text().splitlines()
    assert ignore[0] == ".env" and "/scripts/domains.sh" in ignore
    # What rules cannot fix is said out loud.
    assert "Bash(cat:*)" in run.stdout or "shell" in run.stdout
    # Second run: everything covered, nothing added twice.
    again = run_credreach("contain", str(workspace), "--home-dir", str(home),
                          cwd=workspace, env={"HOME": str(home), "COLUMNS": "200"})
    assert "already covered" in again.stdout
    settings_again = json.loads((workspace / ".claude" / "settings.json").read_text())
    assert settings_again["permissions"]["deny"] == deny
    report = preflight_json(workspace, home)
    assert access_of(report, "railway_account_token", "scripts/domains.sh")["claude-code"]["denied"] is True


def test_contain_leaves_invalid_settings_untouched(machine: tuple[Path, Path]) -> None:
    workspace, home = machine
    broken = workspace / ".claude" / "settings.json"
    broken.write_text("{ not json,")
    run = run_credreach("contain", str(workspace), "--home-dir", str(home),
                        cwd=workspace, env={"HOME": str(home), "COLUMNS": "200"})
    assert run.returncode == 0 and "Traceback" not in run.stderr
    assert broken.read_text() == "{ not json,"
    assert "not valid JSON" in run.stdout

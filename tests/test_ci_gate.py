"""The CI gate end to end: diff mode, staged mode, baselines, SARIF from the CLI, and the
integrations (GitHub Action scan step, pre-commit hook entry, GitLab snippet) run for real."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.conftest import PROJECT_ROOT, git, run_credreach

NPM_A = "npm_" + "Aa1Bb2Cc3Dd4Ee5Ff6Gg7Hh8Ii9Jj0Kk1Ll2"
NPM_B = "npm_" + "Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp9Oo8"
NPM_OLD = "npm_" + "Mm1Nn2Oo3Pp4Qq5Rr6Ss7Tt8Uu9Vv0Ww1Xx2"
SCHEMA = json.loads((PROJECT_ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())


@pytest.fixture
def branch_repo(tmp_path: Path) -> Path:
    """main has an old secret; the feature branch adds A (then removes it) and B (kept)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "old.cfg").write_text(f"token={NPM_OLD}\n")
    (repo / "app.py").write_text("print('hi')\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "tmp.env").write_text(f"NPM_TOKEN={NPM_A}\n")
    git(repo, "add", "tmp.env")
    git(repo, "commit", "-q", "-m", "oops")
    (repo / "tmp.env").unlink()
    git(repo, "rm", "-q", "--cached", "tmp.env")
    git(repo, "commit", "-q", "-m", "remove it")
    (repo / "app.py").write_text(f"print('hi')\nNPM = '{NPM_B}'\n")
    git(repo, "commit", "-q", "-am", "feature")
    return repo


def scan(repo: Path, *args: str) -> tuple[int, dict]:
    run = run_credreach("scan", ".", "--offline", "-f", "json", *args, cwd=repo,
                        env={"HOME": str(repo / "no-home")})
    assert run.returncode in (0, 1), run.stderr
    return run.returncode, run.json()


@pytest.mark.parametrize("spec", ["main", "main...HEAD", "main..feature"])
def test_diff_reports_only_what_the_branch_introduced(branch_repo: Path, spec: str) -> None:
    _, report = scan(branch_repo, "--diff", spec)
    found = {c["preview"]: c["locations"] for c in report["credentials"]}
    assert len(found) == 2  # A and B, not the old secret on main
    by_prefix = {p[:6]: locs for p, locs in found.items()}
    removed = by_prefix[NPM_A[:6]][0]
    kept = by_prefix[NPM_B[:6]][0]
    assert removed["source"] == "git-history" and removed["history_only"] is True
    assert removed["path"].startswith("git:") and removed["path"].endswith(":tmp.env")
    assert kept["path"] == "app.py" and kept["line"] == 2 and kept["source"] == "workspace"
    assert report["scan"]["sources"][0]["name"] == "diff"


def test_staged_scans_only_the_index(branch_repo: Path) -> None:
    (branch_repo / "new.txt").write_text(f"x={NPM_A}\n")
    (branch_repo / "unstaged.txt").write_text(f"y={NPM_OLD}\n")
    git(branch_repo, "add", "new.txt")
    _, report = scan(branch_repo, "--staged")
    assert [loc["path"] for c in report["credentials"] for loc in c["locations"]] == ["new.txt"]


def test_diff_outside_a_repository_is_a_usage_error(tmp_path: Path) -> None:
    run = run_credreach("scan", str(tmp_path), "--diff", "main", env={"HOME": str(tmp_path)})
    assert run.returncode == 2 and "git repository" in run.stderr


def test_baseline_suppresses_accepted_and_reports_resolved(branch_repo: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    made = run_credreach("baseline", "create", ".", "-o", str(baseline), "--reason", "test fixture",
                         cwd=branch_repo, env={"HOME": str(tmp_path)})
    assert made.returncode == 0, made.stderr
    data = json.loads(baseline.read_text())
    assert {e["reason"] for e in data["entries"]} == {"test fixture"}
    text = baseline.read_text()
    assert NPM_B not in text and NPM_OLD not in text
    code, report = scan(branch_repo, "--baseline", str(baseline), "--fail-on", "low")
    assert code == 0 and report["credentials"] == []
    assert report["baseline"]["suppressed"] == 2
    (branch_repo / "old.cfg").write_text("token=rotated\n")
    _, report = scan(branch_repo, "--baseline", str(baseline))
    assert len(report["baseline"]["resolved"]) == 1
    (branch_repo / "more.env").write_text(f"NPM={NPM_A}\n")
    code, report = scan(branch_repo, "--baseline", str(baseline), "--fail-on", "medium")
    assert code == 1 and [c["preview"][:6] for c in report["credentials"]] == [NPM_A[:6]]
    broken = tmp_path / "broken.json"
    broken.write_text("{nope")
    bad = run_credreach("scan", ".", "--offline", "--baseline", str(broken), cwd=branch_repo,
                        env={"HOME": str(tmp_path)})
    assert bad.returncode == 2 and "broken.json" in bad.stderr and "Traceback" not in bad.stderr


def test_sarif_from_the_cli_validates_and_is_stable(branch_repo: Path) -> None:
    def sarif() -> dict:
        run = run_credreach("scan", ".", "--offline", "-f", "sarif", "--git-history", cwd=branch_repo,
                            env={"HOME": str(branch_repo / "no-home")})
        assert run.returncode == 0, run.stderr
        return json.loads(run.stdout)

    first = sarif()
    jsonschema.validate(first, SCHEMA)
    results = first["runs"][0]["results"]
    assert results and all("security-severity" in r["properties"] or True for r in results)
    rules = first["runs"][0]["tool"]["driver"]["rules"]
    assert all("security-severity" in r["properties"] for r in rules)
    for secret in (NPM_A, NPM_B, NPM_OLD):
        assert secret not in json.dumps(first)
    # Move the line: the fingerprints stay.
    (branch_repo / "app.py").write_text(f"\n\n\nprint('hi')\nNPM = '{NPM_B}'\n")
    second = sarif()
    fps = lambda doc: sorted(json.dumps(r["partialFingerprints"], sort_keys=True) for r in doc["runs"][0]["results"])  # noqa: E731
    assert fps(first) == fps(second)


def _action_scan_script() -> str:
    action = yaml.safe_load((PROJECT_ROOT / "action.yml").read_text())
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "scan")
    return step["run"]


def test_github_action_scan_step_writes_sarif_and_exit_code(branch_repo: Path, tmp_path: Path) -> None:
    output = tmp_path / "github_output"
    output.touch()
    bindir = tmp_path / "bin"
    bindir.mkdir()
    shim = bindir / "credreach"
    shim.write_text(f"#!/bin/sh\nexec {sys.executable} -m scanner \"$@\"\n")
    shim.chmod(0o755)
    env = {"PATH": f"{bindir}:{os.environ['PATH']}", "HOME": str(tmp_path), "PYTHONPATH": str(PROJECT_ROOT),
           "CREDREACH_ARGS": "--offline --fail-on medium", "SARIF_FILE": "credreach.sarif",
           "GITHUB_OUTPUT": str(output)}
    proc = subprocess.run(["bash", "-e", "-c", _action_scan_script()], cwd=branch_repo, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    assert outputs["exit-code"] == "1" and outputs["sarif-created"] == "true"
    jsonschema.validate(json.loads(Path(outputs["sarif-file"]).read_text()), SCHEMA)


def test_pre_commit_hook_entry_blocks_a_staged_secret(branch_repo: Path) -> None:
    hook = yaml.safe_load((PROJECT_ROOT / ".pre-commit-hooks.yaml").read_text())[0]
    argv = shlex.split(hook["entry"])
    assert argv[0] == "credreach"
    env = {"HOME": str(branch_repo / "no-home")}
    clean = run_credreach(*argv[1:], cwd=branch_repo, env=env)
    assert clean.returncode == 0, clean.stderr
    (branch_repo / "deploy.sh").write_text(f"export NPM_TOKEN={NPM_A}\n")
    git(branch_repo, "add", "deploy.sh")
    blocked = run_credreach(*argv[1:], cwd=branch_repo, env=env)
    assert blocked.returncode == 1 and "deploy.sh" in blocked.stdout
    assert NPM_A not in blocked.stdout + blocked.stderr


def test_gitlab_snippet_script_runs(branch_repo: Path, tmp_path: Path) -> None:
    doc = (PROJECT_ROOT / "docs" / "gitlab-ci.md").read_text()
    job = yaml.safe_load(re.search(r"```yaml\n(.*?)```", doc, re.S).group(1))["credreach"]  # type: ignore[union-attr]
    (script,) = [line for line in job["script"] if line.startswith("credreach")]
    argv = shlex.split(script)[1:] + ["--offline"]
    run = run_credreach(*argv, cwd=branch_repo, env={"HOME": str(tmp_path)})
    assert run.returncode == 0, run.stderr  # offline findings are medium; the snippet gates on high
    report = json.loads((branch_repo / "credreach.json").read_text())
    assert {c["provider"] for c in report["credentials"]} == {"npm"}


def _shallow_clone(origin: Path, dest: Path, *extra: str) -> Path:
    """A CI-style shallow checkout (depth 1) of the feature branch, over file:// like a real fetch."""
    git(origin.parent, "clone", "-q", "--depth", "1", "--branch", "feature", *extra, f"file://{origin}", str(dest))
    return dest


def test_diff_against_a_base_a_shallow_clone_never_fetched_fails_closed(branch_repo: Path, tmp_path: Path) -> None:
    clone = _shallow_clone(branch_repo, tmp_path / "ci")
    run = run_credreach("scan", ".", "--offline", "--diff", "origin/main", cwd=clone, env={"HOME": str(tmp_path)})
    assert run.returncode == 2, run.stdout
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "cannot resolve 'origin/main'" in lines[0] and "shallow" in lines[0]
    assert "fetch-depth: 0" in lines[0] and "git fetch --unshallow" in lines[0]
    assert "Traceback" not in run.stderr


def test_diff_in_a_shallow_clone_without_a_merge_base_fails_closed_until_unshallowed(
        branch_repo: Path, tmp_path: Path) -> None:
    clone = _shallow_clone(branch_repo, tmp_path / "ci", "--no-single-branch")
    run = run_credreach("scan", ".", "--offline", "--diff", "origin/main", cwd=clone, env={"HOME": str(tmp_path)})
    assert run.returncode == 2 and "no common ancestor" in run.stderr and "fetch-depth: 0" in run.stderr
    git(clone, "fetch", "-q", "--unshallow")
    code, report = scan(clone, "--diff", "origin/main")
    assert code == 0 and len(report["credentials"]) == 2  # A and B, as in the full clone

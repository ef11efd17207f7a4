"""action.yml's shell steps run for real: bash as the runner starts it, the GITHUB_* variables and
files the runner provides, real git checkouts (full and shallow, cloned over file://), and the
real `credreach` process. The `uses:` steps (setup-python, upload-sarif) are GitHub's own and are
not run; their `if:` conditions are evaluated on the outputs the scan step wrote.

Runner behaviour relied on (https://docs.github.com/en/actions/reference/workflows-and-actions/
workflow-commands and .../metadata-syntax): a composite `shell: bash` step runs as
``bash --noprofile --norc -eo pipefail FILE``; step outputs are ``name=value`` lines appended to
the file named by ``$GITHUB_OUTPUT``; ``$GITHUB_EVENT_PATH`` holds the webhook payload, where a
pull request from a fork has ``pull_request.head.repo.fork: true``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import PROJECT_ROOT, git

NPM_OLD = "npm_" + "Hh1Gg2Ff3Ee4Dd5Cc6Bb7Aa8Zz9Yy0Xx1Ww2"   # only in history
NPM_NOW = "npm_" + "Tt5Rr6Ee7Ww8Qq9Pp0Oo1Ii2Uu3Yy4Ll5Kk6"   # in the working tree
ACTION = yaml.safe_load((PROJECT_ROOT / "action.yml").read_text(encoding="utf-8"))
STEPS = ACTION["runs"]["steps"]
REPOSITORY = "acme/app"


def step(name: str) -> dict[str, Any]:
    return next(s for s in STEPS if s["name"] == name)


# --- a small evaluator for the `${{ }}` expressions action.yml uses ------------------------------

def resolve(expr: str, inputs: dict[str, str], outputs: dict[str, str]) -> str:
    ref = expr.strip()
    if ref.startswith("inputs."):
        name = ref[len("inputs."):]
        return inputs.get(name, str(ACTION["inputs"][name].get("default", "")))
    if ref.startswith("steps.scan.outputs."):
        return outputs.get(ref[len("steps.scan.outputs."):], "")
    raise AssertionError(f"expression not understood by this test: {expr}")


def condition(text: str, inputs: dict[str, str], outputs: dict[str, str]) -> bool:
    """``${{ A == 'x' && B != 'y' }}``: the only shape action.yml's conditions use."""
    body = re.fullmatch(r"\$\{\{(.*)\}\}", text.strip(), re.S)
    assert body, text
    result = True
    for clause in body.group(1).split("&&"):
        match = re.fullmatch(r"\s*([\w.-]+)\s*(==|!=)\s*'([^']*)'\s*", clause)
        assert match, clause
        value = resolve(match.group(1), inputs, outputs)
        result = result and ((value == match.group(3)) == (match.group(2) == "=="))
    return result


def step_env(s: dict[str, Any], inputs: dict[str, str], outputs: dict[str, str]) -> dict[str, str]:
    env = {}
    for key, value in (s.get("env") or {}).items():
        match = re.fullmatch(r"\$\{\{(.*)\}\}", str(value).strip())
        env[key] = resolve(match.group(1), inputs, outputs) if match else str(value)
    return env


class Runner:
    """One job: a tools dir on PATH (`credreach`, `python`), the runner's files and variables."""

    def __init__(self, tmp: Path, workspace: Path, event_name: str = "push", event: dict | None = None,
                 actor: str = "octocat") -> None:
        self.tmp = tmp
        self.workspace = workspace
        bindir = tmp / "bin"
        bindir.mkdir(exist_ok=True)
        for name, target in (("credreach", f"{sys.executable} -m scanner"), ("python", sys.executable)):
            shim = bindir / name
            shim.write_text(f"#!/bin/sh\nexec {target} \"$@\"\n")
            shim.chmod(0o755)
        self.output = tmp / "github_output"
        self.output.write_text("")
        event_path = tmp / "event.json"
        event_path.write_text(json.dumps(event or {}))
        self.env = {"PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}", "HOME": str(tmp / "home"),
                    "LANG": "C.UTF-8", "PYTHONPATH": str(PROJECT_ROOT), "GITHUB_ACTIONS": "true",
                    "GITHUB_OUTPUT": str(self.output), "GITHUB_EVENT_NAME": event_name,
                    "GITHUB_EVENT_PATH": str(event_path), "GITHUB_REPOSITORY": REPOSITORY,
                    "GITHUB_ACTOR": actor, "GITHUB_WORKSPACE": str(workspace)}
        if event_name.startswith("pull_request"):  # the runner sets these for pull request events only
            self.env.update({"GITHUB_BASE_REF": "main", "GITHUB_HEAD_REF": "feature"})
        self.outputs: dict[str, str] = {}

    def run(self, name: str, inputs: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        s = step(name)
        assert s["shell"] == "bash"
        script = self.tmp / f"{s.get('id', 'step')}.sh"
        script.write_text(s["run"])
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                              cwd=self.workspace, env={**self.env, **step_env(s, inputs or {}, self.outputs)},
                              capture_output=True, text=True, timeout=180)
        assert "Traceback" not in proc.stderr
        for secret in (NPM_OLD, NPM_NOW):
            assert secret not in proc.stdout + proc.stderr
        self.outputs = dict(line.split("=", 1) for line in self.output.read_text().splitlines() if "=" in line)
        return proc

    def runs(self, name: str, inputs: dict[str, str] | None = None) -> bool:
        return condition(step(name)["if"], inputs or {}, self.outputs)


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    """main: a token committed then removed (history only), and one still in the tree."""
    repo = tmp_path / "origin"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "old.env").write_text(f"NPM_TOKEN={NPM_OLD}\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "add token")
    git(repo, "rm", "-q", "old.env")
    git(repo, "commit", "-q", "-m", "remove token")
    (repo / "deploy.sh").write_text(f"export NPM_TOKEN={NPM_NOW}\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "deploy")
    return repo


def checkout(origin: Path, dest: Path, *extra: str) -> Path:
    """actions/checkout over file://: ``--depth 1`` is its default, no depth is fetch-depth 0."""
    git(origin.parent, "clone", "-q", *extra, f"file://{origin}", str(dest))
    return dest


def sarif_uris(runner: Runner) -> set[str]:
    doc = json.loads(Path(runner.outputs["sarif-file"]).read_text(encoding="utf-8"))
    return {loc["physicalLocation"]["artifactLocation"]["uri"]
            for r in doc["runs"][0]["results"] for loc in r["locations"]}


ARGS = {"args": "--offline --fail-on medium"}


def test_full_history_checkout_scans_history_and_the_gate_reports_findings(origin: Path, tmp_path: Path) -> None:
    runner = Runner(tmp_path, checkout(origin, tmp_path / "ws"))
    scan = runner.run("Scan", ARGS)
    assert scan.returncode == 0, scan.stderr          # the scan step never fails: the gate step does
    assert "scanning git history too (--git-history)" in scan.stdout
    assert runner.outputs["exit-code"] == "1" and runner.outputs["sarif-created"] == "true"
    assert runner.outputs["upload"] == "true"
    assert sarif_uris(runner) == {"deploy.sh", "old.env"}   # old.env: found in history, anchored at its path
    assert runner.runs("Upload SARIF to code scanning", ARGS)
    assert runner.runs("Gate", ARGS)
    gate = runner.run("Gate", ARGS)
    assert gate.returncode == 1
    assert "::error title=credreach: credentials found::" in gate.stdout and "--fail-on threshold" in gate.stdout
    assert "scan failed" not in gate.stdout

    relaxed = {**ARGS, "fail-on-findings": "false"}
    assert runner.run("Gate", relaxed).returncode == 0
    assert "::warning title=credreach: credentials found::" in runner.run("Gate", relaxed).stdout


def test_shallow_checkout_skips_history_with_a_notice(origin: Path, tmp_path: Path) -> None:
    runner = Runner(tmp_path, checkout(origin, tmp_path / "ws", "--depth", "1"))
    scan = runner.run("Scan", ARGS)
    assert scan.returncode == 0, scan.stderr
    assert "shallow checkout: git history not scanned" in scan.stdout and "fetch-depth: 0" in scan.stdout
    assert sarif_uris(runner) == {"deploy.sh"}


@pytest.mark.parametrize("inputs", [{**ARGS, "git-history": "false"},
                                    {"args": "--offline --fail-on medium --diff HEAD~1"}])
def test_history_is_not_added_when_disabled_or_when_args_choose_the_scope(
        origin: Path, tmp_path: Path, inputs: dict[str, str]) -> None:
    runner = Runner(tmp_path, checkout(origin, tmp_path / "ws"))
    scan = runner.run("Scan", inputs)
    assert scan.returncode == 0, scan.stderr
    assert "--git-history" not in scan.stdout
    assert "old.env" not in sarif_uris(runner)


def test_a_scan_that_cannot_run_is_reported_as_a_scan_error_not_as_findings(origin: Path, tmp_path: Path) -> None:
    # The classic misconfiguration: a PR gate on a shallow checkout that never fetched the base.
    runner = Runner(tmp_path, checkout(origin, tmp_path / "ws", "--depth", "1"))
    inputs = {"args": "--offline --diff origin/does-not-exist", "fail-on-findings": "false"}
    (runner.workspace / "credreach.sarif").write_text("{}")   # stale file from an earlier run
    scan = runner.run("Scan", inputs)
    assert scan.returncode == 0
    assert runner.outputs["exit-code"] == "2" and runner.outputs["sarif-created"] == "false"
    assert "fetch-depth: 0" in scan.stderr                     # credreach's own one-line reason
    assert "wrote no SARIF file" in scan.stdout
    assert not runner.runs("Upload SARIF to code scanning", inputs)
    assert runner.runs("Gate", inputs)
    gate = runner.run("Gate", inputs)
    assert gate.returncode == 2                               # even with fail-on-findings: false
    assert "::error title=credreach: scan failed::" in gate.stdout and "gate could not run" in gate.stdout
    assert "credentials found" not in gate.stdout


def test_a_clean_scan_skips_the_gate(tmp_path: Path) -> None:
    repo = tmp_path / "clean"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "app.py").write_text("print('hi')\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "one")
    runner = Runner(tmp_path, repo)
    scan = runner.run("Scan", ARGS)
    assert scan.returncode == 0 and runner.outputs["exit-code"] == "0"
    assert "a single commit" in scan.stdout and "--git-history" not in scan.stdout
    assert "shallow" not in scan.stdout
    assert not runner.runs("Gate", ARGS)


def test_a_directory_that_is_not_a_git_checkout_is_scanned_without_history(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "deploy.sh").write_text(f"export NPM_TOKEN={NPM_NOW}\n")
    runner = Runner(tmp_path, plain)
    scan = runner.run("Scan", ARGS)
    assert scan.returncode == 0, scan.stderr
    assert "not a git checkout: git history not scanned" in scan.stdout
    assert runner.outputs["exit-code"] == "1" and sarif_uris(runner) == {"deploy.sh"}


def pull_request(fork: bool, head_repo: str) -> dict:
    return {"pull_request": {"number": 7, "head": {"repo": {"fork": fork, "full_name": head_repo}},
                             "base": {"repo": {"fork": False, "full_name": REPOSITORY}}}}


@pytest.mark.parametrize(("event_name", "event", "actor", "upload"), [
    ("pull_request", pull_request(True, "mallory/app"), "mallory", False),
    ("pull_request", pull_request(False, REPOSITORY), "dependabot[bot]", False),
    ("pull_request", pull_request(False, REPOSITORY), "octocat", True),
    ("push", {"ref": "refs/heads/main"}, "octocat", True),
])
def test_upload_is_skipped_for_read_only_pull_request_tokens(
        origin: Path, tmp_path: Path, event_name: str, event: dict, actor: str, upload: bool) -> None:
    runner = Runner(tmp_path, checkout(origin, tmp_path / "ws"), event_name, event, actor)
    scan = runner.run("Scan", ARGS)
    assert scan.returncode == 0, scan.stderr
    assert runner.outputs["upload"] == str(upload).lower()
    assert runner.runs("Upload SARIF to code scanning", ARGS) is upload
    if not upload:
        assert "SARIF upload is skipped" in scan.stdout
    assert runner.runs("Gate", ARGS)                           # the gate still judges the findings


def test_upload_input_false_is_respected(origin: Path, tmp_path: Path) -> None:
    runner = Runner(tmp_path, checkout(origin, tmp_path / "ws"))
    runner.run("Scan", {**ARGS, "upload": "false"})
    assert runner.outputs["upload"] == "false"
    assert not runner.runs("Upload SARIF to code scanning", {**ARGS, "upload": "false"})


def test_upload_never_fails_the_job_and_the_permissions_are_documented() -> None:
    upload = step("Upload SARIF to code scanning")
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["continue-on-error"] is True
    names = [s["name"] for s in STEPS]
    assert names.index("Gate") > names.index("Upload SARIF to code scanning") > names.index("Scan")
    header = (PROJECT_ROOT / "action.yml").read_text(encoding="utf-8").split("\nname:", 1)[0]
    for line in ("contents: read", "security-events: write", "actions: read", "fetch-depth: 0"):
        assert line in header

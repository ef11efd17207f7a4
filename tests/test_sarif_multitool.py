"""Every SARIF log credreach writes is one GitHub code scanning ingests.

Each scan shape the suite produces (workspace files, a secret only in git history, home credential
stores, environment variables, ``--diff`` over a branch that adds and then removes a secret, an
empty scan, and the reporter's own realistic sample) is written by the real CLI as a process on real
temp files and git repositories, then validated with Microsoft's SARIF multitool using GitHub's
ingestion rules (``validate --rule-kind 'Gh;Sarif'``, see tests/sarif_multitool.py): zero errors.
Before results without a file got a location or a notification, GitHub refused the whole upload
(GH1015/GH1017/GH2012).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.report.sarif import render_sarif
from tests import sarif_multitool
from tests.conftest import git, run_credreach
from tests.test_report_sarif import ROOT, sample_result

GH_TOKEN = "ghp_" + "Zq7W3xK9mB2vN5pL8sT1yR4jD6cH0aE3fU9g"
STRIPE_KEY = "sk_live_" + "51Nq8YtWDarjtT1zdp7dcXwRfyZ2mB4kQ"
AWS_KEY_ID = "AKIA" + "QYLPMN5HFIQR7ABC"
AWS_SECRET = "kJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEQ"


@pytest.fixture(scope="module")
def multitool() -> Path:
    return sarif_multitool.require_multitool()


def sarif_scan(cwd: Path, *args: str, env: dict[str, str] | None = None) -> dict:
    run = run_credreach("scan", *args, "--offline", "-f", "sarif", "--no-reach-map", cwd=cwd,
                        env={"HOME": str(cwd / "no-home"), **(env or {})})
    assert run.returncode in (0, 1), run.stderr
    assert "Traceback" not in run.stderr
    assert_ingestible(run.stdout)
    return json.loads(run.stdout)


def assert_ingestible(text: str) -> None:
    errors = sarif_multitool.errors(text)
    assert not errors, "\n".join(f"{e.rule}: {e.text}" for e in errors)


def _repo(path: Path) -> Path:
    path.mkdir()
    git(path, "init", "-q")
    (path / "README.md").write_text("app\n")
    git(path, "add", ".")
    git(path, "commit", "-q", "-m", "base")
    return path


def test_multitool_catches_a_result_without_locations(multitool: Path) -> None:
    """The validator is real: the shape GitHub rejects is reported as an error."""
    doc = json.loads(render_sarif(sample_result(), tool_version="0.1.0", cwd=ROOT))
    assert_ingestible(json.dumps(doc))
    del doc["runs"][0]["results"][0]["locations"]
    rules = {e.rule for e in sarif_multitool.errors(json.dumps(doc))}
    assert {"GH1015", "GH1017", "GH2012"} & rules, rules


def test_workspace_scan_is_ingestible(multitool: Path, tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    (repo / "config").mkdir()
    (repo / "config" / "secret_token.py").write_text(f'GITHUB = "{GH_TOKEN}"\n')
    (repo / ".env").write_text(f"STRIPE_SECRET_KEY={STRIPE_KEY}\n")
    doc = sarif_scan(repo, ".")
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"]}
    assert {"config/secret_token.py", ".env"} <= uris


def test_history_only_scan_is_ingestible(multitool: Path, tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    (repo / "old.env").write_text(f"GITHUB_TOKEN={GH_TOKEN}\n")
    git(repo, "add", "old.env")
    git(repo, "commit", "-q", "-m", "oops")
    git(repo, "rm", "-q", "old.env")
    git(repo, "commit", "-q", "-m", "remove it")
    doc = sarif_scan(repo, ".", "--git-history")
    (result,) = [r for r in doc["runs"][0]["results"] if r["ruleId"] == "github_classic_pat"]
    loc = result["locations"][0]
    assert loc["physicalLocation"]["artifactLocation"]["uri"] == "old.env"
    assert len(loc["properties"]["commit"]) == 40
    assert result["properties"]["historyOnly"] is True
    assert result["properties"]["commit"] == loc["properties"]["commit"]
    assert loc["properties"]["authorDate"] and result["properties"]["authorDate"] == loc["properties"]["authorDate"]


def test_home_scan_is_ingestible(multitool: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "credentials").write_text(
        f"[default]\naws_access_key_id = {AWS_KEY_ID}\naws_secret_access_key = {AWS_SECRET}\n")
    doc = sarif_scan(ws, ".", "--home", "--home-dir", str(home))
    run = doc["runs"][0]
    assert run["results"] == [] and run["properties"]["outsideRepositoryCount"] >= 1
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert any(n.get("properties", {}).get("kind") == "aws_access_key" for n in notes)


def test_env_scan_is_ingestible(multitool: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    doc = sarif_scan(ws, ".", "--env", env={"GITHUB_TOKEN": GH_TOKEN})
    notes = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    (gh,) = [n for n in notes if n.get("properties", {}).get("kind") == "github_classic_pat"]
    assert "environment variable GITHUB_TOKEN" in gh["message"]["text"]
    assert GH_TOKEN not in json.dumps(doc)


def test_diff_of_a_branch_that_adds_then_removes_a_secret_is_ingestible(multitool: Path, tmp_path: Path) -> None:
    """The README's --diff recipe on the case that produced a result without locations."""
    repo = _repo(tmp_path / "repo")
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "tmp.env").write_text(f"GITHUB_TOKEN={GH_TOKEN}\n")
    git(repo, "add", "tmp.env")
    git(repo, "commit", "-q", "-m", "oops")
    git(repo, "rm", "-q", "tmp.env")
    git(repo, "commit", "-q", "-m", "remove it")
    doc = sarif_scan(repo, ".", "--diff", "main")
    results = doc["runs"][0]["results"]
    assert results and all(r["locations"] for r in results)
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "tmp.env"


def test_empty_scan_is_ingestible(multitool: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    doc = sarif_scan(ws, ".")
    assert doc["runs"][0]["results"] == []


def test_reporter_sample_and_show_secrets_are_ingestible(multitool: Path) -> None:
    for show in (False, True):
        assert_ingestible(render_sarif(sample_result(), tool_version="0.1.0", cwd=ROOT, show_secrets=show))

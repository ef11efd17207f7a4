"""The reach map: written by real `preflight`/`scan` processes, safe on disk, stale when old."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from scanner.guard import reachmap
from scanner.guard.engine import SHELL, ToolCall, _fingerprint, evaluate
from scanner.redact import fingerprint
from tests.conftest import run_credreach

TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"


def _machine(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "deploy.sh").write_text(f"export GITHUB_TOKEN={TOKEN}\n")
    env = {"HOME": str(tmp_path / "home"), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    (tmp_path / "home").mkdir()
    return workspace, env


def test_preflight_writes_the_map_and_no_reach_map_opts_out(tmp_path: Path) -> None:
    workspace, env = _machine(tmp_path)
    run = run_credreach("preflight", str(workspace), "--offline", "--no-home", "--no-env", "--no-history",
                        "--no-reach-map", "--fail-on", "none", env=env)
    assert run.returncode == 0, run.stderr
    assert not reachmap.map_path(str(workspace), env).exists()
    run = run_credreach("preflight", str(workspace), "--offline", "--no-home", "--no-env", "--no-history",
                        "--task-env", "staging", "--fail-on", "none", env=env)
    assert run.returncode == 0, run.stderr
    path = reachmap.map_path(str(workspace), env)
    doc = json.loads(path.read_text())
    assert TOKEN not in path.read_text()
    assert fingerprint(TOKEN) in doc["credentials"] and doc["task_env"] == "staging"
    entry = doc["credentials"][fingerprint(TOKEN)]
    assert entry["locations"][0]["abspath"] == str(workspace / "deploy.sh")


def test_scan_reach_map_option_writes_where_asked(tmp_path: Path) -> None:
    workspace, env = _machine(tmp_path)
    target = tmp_path / "elsewhere" / "map.json"
    target.parent.mkdir()
    run = run_credreach("scan", str(workspace), "--offline", "--reach-map", str(target), "-f", "json",
                        "--fail-on", "none", env=env)
    assert run.returncode == 0, run.stderr
    assert fingerprint(TOKEN) in json.loads(target.read_text())["credentials"]
    assert oct(target.stat().st_mode & 0o777) == "0o600"


def test_a_planted_symlink_at_the_map_path_is_not_written_through(tmp_path: Path) -> None:
    workspace, env = _machine(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    path = reachmap.map_path(str(workspace), env)
    path.parent.mkdir(parents=True)
    os.symlink(victim, path)
    run = run_credreach("scan", str(workspace), "--offline", "-f", "json", "--fail-on", "none", env=env)
    assert run.returncode == 0 and "reach map not written" in run.stderr
    assert victim.read_text() == "keep me"


def test_a_stale_map_makes_every_credential_unknown(tmp_path: Path) -> None:
    workspace, env = _machine(tmp_path)
    run = run_credreach("scan", str(workspace), "--offline", "-f", "json", "--fail-on", "none", env=env)
    assert run.returncode == 0, run.stderr
    call = ToolCall("test", SHELL, "Bash", str(workspace), command=f"GH_TOKEN={TOKEN} gh repo view acme/api")
    fresh, reach = evaluate(call, env)
    assert reach is not None and not reach.stale and fresh.credential_ids
    path = reachmap.map_path(str(workspace), env)
    doc = json.loads(path.read_text())
    doc["created_at"] = time.time() - 3 * 86400
    path.write_text(json.dumps(doc))
    stale, reach = evaluate(call, env)
    assert reach is not None and reach.stale and not stale.credential_ids
    assert "stale" in stale.reason


def test_inlined_fingerprint_matches_the_scanners() -> None:
    for value in (TOKEN, "postgres://u:p@h/db", "é-unicode-secret-value"):
        assert _fingerprint(value) == fingerprint(value)


def test_the_streamed_map_is_byte_for_byte_the_whole_document(tmp_path: Path) -> None:
    from scanner.pipeline import ScanOptions, run_scan

    workspace, _env = _machine(tmp_path)
    (workspace / "settings.py").write_text("AWS_ACCESS_KEY_ID = 'AKIAZ3MSJV4WWNKWW5FG'\n"
                                           "password = 'Zq8!vR2#mK5pL-staging'\n")
    (workspace / "copy.sh").write_text(f"export GITHUB_TOKEN={TOKEN}\n")
    result = run_scan(ScanOptions(roots=(str(workspace),), offline=True))
    assert len(result.assessments) >= 3
    whole = json.dumps(reachmap.build(result, str(workspace), base_dir=str(tmp_path), task_env="staging",
                                      now=12.5), sort_keys=True, separators=(",", ":")).encode("utf-8")
    streamed = b"".join(reachmap.encode(result, str(workspace), base_dir=str(tmp_path), task_env="staging",
                                        now=12.5))
    assert streamed == whole
    assert reachmap.parse(streamed).credentials.keys() == json.loads(whole)["credentials"].keys()

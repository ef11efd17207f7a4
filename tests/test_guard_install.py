"""`credreach guard install/uninstall/test`: real config files in temp workspaces and homes."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_credreach

AGENTS = ("claude-code", "cursor", "codex", "gemini", "copilot", "cline")


def cli(*args: str, home: Path) -> tuple[int, str, str]:
    run = run_credreach("guard", *args, env={"HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache")})
    return run.returncode, run.stdout, run.stderr


@pytest.fixture
def machine(tmp_path: Path) -> tuple[Path, Path]:
    workspace, home = tmp_path / "ws", tmp_path / "home"
    workspace.mkdir()
    home.mkdir()
    return workspace, home


def test_install_merges_into_claude_settings_keeping_everything_there(machine: tuple[Path, Path]) -> None:
    workspace, home = machine
    settings = workspace / ".claude" / "settings.json"
    settings.parent.mkdir()
    existing: dict[str, Any] = {"permissions": {"deny": ["Read(./.env)"]},
                "hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "./lint.sh"}]}],
                          "PostToolUse": [{"matcher": "*", "hooks": [{"type": "command", "command": "./log.sh"}]}]}}
    settings.write_text(json.dumps(existing))
    code, out, err = cli("install", "--agent", "claude-code", "--workspace", str(workspace), home=home)
    assert code == 0, err
    doc = json.loads(settings.read_text())
    assert doc["permissions"] == existing["permissions"] and doc["hooks"]["PostToolUse"] == existing["hooks"]["PostToolUse"]
    commands = [h["command"] for g in doc["hooks"]["PreToolUse"] for h in g["hooks"]]
    assert "./lint.sh" in commands and any("scanner/guard/_entry.py" in c and "--agent claude-code" in c for c in commands)
    # idempotent: installing twice leaves one credreach entry
    cli("install", "--agent", "claude-code", "--workspace", str(workspace), home=home)
    doc = json.loads(settings.read_text())
    assert sum("_entry.py" in h["command"] for g in doc["hooks"]["PreToolUse"] for h in g["hooks"]) == 1
    code, _, err = cli("uninstall", "--agent", "claude-code", "--workspace", str(workspace), home=home)
    assert code == 0, err
    assert json.loads(settings.read_text()) == existing


def test_dry_run_prints_the_merge_and_writes_nothing(machine: tuple[Path, Path]) -> None:
    workspace, home = machine
    code, out, _ = cli("install", "--agent", "cursor", "--workspace", str(workspace), "--dry-run", home=home)
    assert code == 0 and "would write" in out and '"failClosed": true' in out
    assert not (workspace / ".cursor").exists()


def test_every_agent_installs_and_guard_test_proves_the_hook_answers(machine: tuple[Path, Path]) -> None:
    workspace, home = machine
    args = [a for agent in AGENTS for a in ("--agent", agent)]
    code, out, err = cli("install", *args, "--workspace", str(workspace), home=home)
    assert code == 0, err
    cursor = json.loads((workspace / ".cursor" / "hooks.json").read_text())
    assert cursor["version"] == 1 and all(cursor["hooks"][e][0]["failClosed"] for e in
                                          ("beforeShellExecution", "beforeMCPExecution", "beforeReadFile"))
    gemini = json.loads((workspace / ".gemini" / "settings.json").read_text())
    assert gemini["hooks"]["BeforeTool"][0]["hooks"][0]["timeout"] == 30000
    cline = workspace / ".clinerules" / "hooks" / "PreToolUse"
    assert cline.stat().st_mode & stat.S_IXUSR
    code, out, err = cli("test", "--workspace", str(workspace), home=home)
    assert code == 0, out + err
    for agent in AGENTS:
        assert f"{agent}: ok" in out
    assert "warning:" in out and "openai/codex#39872" in out


def test_guard_test_fails_when_the_hook_command_is_broken(machine: tuple[Path, Path]) -> None:
    workspace, home = machine
    settings = workspace / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text(json.dumps({"hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [
        {"type": "command", "command": "/nonexistent/python -m scanner.guard hook --agent claude-code"}]}]}}))
    code, out, _ = cli("test", "--agent", "claude-code", "--workspace", str(workspace), home=home)
    assert code == 1 and "FAILED" in out


def test_install_refuses_broken_json_links_and_foreign_cline_hooks(machine: tuple[Path, Path], tmp_path: Path) -> None:
    workspace, home = machine
    (workspace / ".gemini").mkdir()
    (workspace / ".gemini" / "settings.json").write_text("{broken")
    code, _, err = cli("install", "--agent", "gemini", "--workspace", str(workspace), home=home)
    assert code == 2 and "not valid JSON" in err
    assert (workspace / ".gemini" / "settings.json").read_text() == "{broken"
    target = tmp_path / "victim.json"
    target.write_text("{}")
    (workspace / ".codex").mkdir()
    os.symlink(target, workspace / ".codex" / "hooks.json")
    code, _, err = cli("install", "--agent", "codex", "--workspace", str(workspace), home=home)
    assert code == 2 and "symbolic link" in err and target.read_text() == "{}"
    hooks = workspace / ".clinerules" / "hooks"
    hooks.mkdir(parents=True)
    (hooks / "PreToolUse").write_text("#!/bin/sh\necho '{\"cancel\": false}'\n")
    code, _, err = cli("install", "--agent", "cline", "--workspace", str(workspace), home=home)
    assert code == 2 and "another PreToolUse hook" in err


def test_user_scope_writes_into_the_home(machine: tuple[Path, Path]) -> None:
    workspace, home = machine
    code, _, err = cli("install", "--agent", "codex", "--scope", "user", "--home-dir", str(home), home=home)
    assert code == 0, err
    doc = json.loads((home / ".codex" / "hooks.json").read_text())
    assert doc["hooks"]["PreToolUse"][0]["matcher"] == "Bash|mcp__.*"
    rules = (home / ".codex" / "rules" / "credreach.rules").read_text()
    assert 'prefix_rule(pattern = ["railway", ["volume", "environment", "service"], "delete"]' in rules
    code, _, err = cli("install", "--agent", "gemini", "--scope", "user", "--home-dir", str(home), home=home)
    assert code == 0, err
    import tomllib

    policy = tomllib.loads((home / ".gemini" / "policies" / "credreach.toml").read_text())
    assert {"toolName": "run_shell_command", "commandPrefix": "railway volume delete", "decision": "deny",
            "priority": 100} in policy["rule"]
    cli("uninstall", "--agent", "codex", "--agent", "gemini", "--scope", "user", "--home-dir", str(home), home=home)
    assert not (home / ".codex" / "rules" / "credreach.rules").exists()
    assert not (home / ".gemini" / "policies" / "credreach.toml").exists()

"""`credreach guard hook`: the real process, each agent's documented payloads, a real scan's reach map.

The PocketOS machine (scanner.demo) is built in a temp dir with the loopback fakes running; a real
`credreach scan` process writes the reach map into a temp XDG cache; then every hook call is a new
`python -m scanner guard hook --agent X` process fed the agent's payload shape from
shared/reference/agent-hooks.md, with the temp home and cache.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROJECT_ROOT, run_credreach

ACCOUNT = "3f8a2c1e-9b4d-4e6f-a1c2-7d8e9f0a1b2c"
PROJECT = "6b1d0e2f-4a3c-4b5d-8e7f-9a0b1c2d3e4f"
GRAPHQL = "https://backboard.railway.app/graphql/v2"


@pytest.fixture(scope="module")
def pocketos(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from scanner.demo import demo_world

    root = tmp_path_factory.mktemp("pocketos")
    with demo_world(root) as world:
        cache = root / "cache"
        env = {"HOME": str(world.home), "XDG_CACHE_HOME": str(cache), "XDG_CONFIG_HOME": str(world.home / ".config"),
               **world.environ}
        args = ["scan", str(world.workspace), "--home", "--home-dir", str(world.home), "--env", "--task-env",
                "staging", "-f", "json", "--fail-on", "none"]
        for name, url in world.endpoints.items():
            args += ["--endpoint", f"{name}={url}"]
        run = run_credreach(*args, cwd=world.workspace.parent, env=env, timeout=300)
        assert run.returncode == 0, run.stderr
        yield world, env


def hook(agent: str, payload: Any, env: dict[str, str], *, cwd: Path | None = None,
         extra_env: dict[str, str] | None = None, raw: str | None = None) -> subprocess.CompletedProcess[str]:
    full = {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8", "PYTHONPATH": str(PROJECT_ROOT), **env,
            **(extra_env or {})}
    return subprocess.run([sys.executable, "-m", "scanner", "guard", "hook", "--agent", agent],
                          input=raw if raw is not None else json.dumps(payload), capture_output=True, text=True,
                          cwd=cwd, env=full, timeout=60)


def curl(token: str, volume: str) -> str:
    body = json.dumps({"query": f'mutation {{ volumeDelete(volumeId: "{volume}") }}'})
    return f"curl -s {GRAPHQL} -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' -d '{body}'"


def claude_payload(command: str, cwd: Path) -> dict[str, Any]:
    return {"session_id": "abc123", "transcript_path": "/tmp/t.jsonl", "cwd": str(cwd), "permission_mode": "default",
            "hook_event_name": "PreToolUse", "tool_name": "Bash",
            "tool_input": {"command": command, "description": "Delete the staging volume", "timeout": 120000},
            "tool_use_id": "toolu_01ABC123"}


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        assert ACCOUNT not in text and PROJECT not in text


def test_scan_writes_a_reach_map_with_fingerprints_and_names_but_no_secret(pocketos) -> None:  # type: ignore[no-untyped-def]
    from scanner.guard.reachmap import map_path

    world, env = pocketos
    path = map_path(str(world.workspace), env)
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    text = path.read_text()
    assert_no_secret(text)
    doc = json.loads(text)
    railway = [c for c in doc["credentials"].values() if c["kind"] == "railway_account_token"]
    assert railway and any(r["name"] == "pg-data" and r["env_class"] == "production" for r in railway[0]["resources"])
    assert any(loc["path"].endswith("scripts/domains.sh") for loc in railway[0]["locations"])


def test_claude_code_denies_the_pocketos_curl_naming_credential_resource_and_task(pocketos) -> None:  # type: ignore[no-untyped-def]
    world, env = pocketos
    proc = hook("claude-code", claude_payload(curl(ACCOUNT, "pg-data"), world.workspace), env,
                extra_env={"CREDREACH_TASK_ENV": "staging"})
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)["hookSpecificOutput"]
    assert out["hookEventName"] == "PreToolUse" and out["permissionDecision"] == "deny"
    reason = out["permissionDecisionReason"]
    assert "blocked: `volumeDelete` on volume `pg-data` (environment `production`, project `pocketos`" in reason
    assert "Railway account token" in reason and "`scripts/domains.sh`" in reason and "the task is `staging`" in reason
    assert_no_secret(proc.stdout, proc.stderr)


def test_claude_code_allows_and_logs_the_staging_only_volume_in_a_staging_task(pocketos) -> None:  # type: ignore[no-untyped-def]
    from scanner.guard.audit import read

    world, env = pocketos
    proc = hook("claude-code", claude_payload(curl(ACCOUNT, "pg-staging"), world.workspace), env,
                extra_env={"CREDREACH_TASK_ENV": "staging"})
    assert proc.returncode == 0 and json.loads(proc.stdout) == {}
    entries = read(env)
    last = entries[-1]
    assert last["decision"] == "monitor" and last["agent"] == "claude-code" and "pg-staging" in last["reason"]
    assert last["credential_ids"] and last["rule"] == "destructive-inside-task-env"
    log_text = (Path(env["XDG_CACHE_HOME"]) / "credreach" / "audit.jsonl").read_text()
    assert_no_secret(log_text)


def test_the_same_staging_volume_is_asked_about_in_a_development_task(pocketos) -> None:  # type: ignore[no-untyped-def]
    world, env = pocketos
    proc = hook("claude-code", claude_payload(curl(ACCOUNT, "pg-staging"), world.workspace), env,
                extra_env={"CREDREACH_TASK_ENV": "development"})
    out = json.loads(proc.stdout)["hookSpecificOutput"]
    assert out["permissionDecision"] == "ask" and "outside-task-env" in out["permissionDecisionReason"]


def test_cursor_shell_uses_the_token_the_agent_environment_holds(pocketos) -> None:  # type: ignore[no-untyped-def]
    world, env = pocketos
    payload = {"hook_event_name": "beforeShellExecution", "conversation_id": "668320d2", "generation_id": "490b90b7",
               "cursor_version": "2.0.77", "workspace_roots": [str(world.workspace)],
               "command": "railway volume delete --volume pg-data --yes", "cwd": str(world.workspace)}
    proc = hook("cursor", payload, env, extra_env={"RAILWAY_API_TOKEN": ACCOUNT})
    out = json.loads(proc.stdout)
    # Both RAILWAY_TOKEN (the demo's environment) and RAILWAY_API_TOKEN are set; the Railway CLI docs give
    # RAILWAY_TOKEN precedence, and the reason names the other credential too.
    assert out["permission"] == "deny" and "env var RAILWAY_TOKEN" in out["agent_message"]
    assert "1 other credential" in out["agent_message"]
    assert out["user_message"] == out["agent_message"] and out["userMessage"] == out["user_message"]
    assert_no_secret(proc.stdout)


def test_cursor_before_read_file_of_a_credential_file_is_denied_since_it_cannot_ask(pocketos) -> None:  # type: ignore[no-untyped-def]
    world, env = pocketos
    payload = {"hook_event_name": "beforeReadFile", "conversation_id": "c", "generation_id": "g",
               "cursor_version": "2.0.77", "workspace_roots": [str(world.workspace)],
               "file_path": str(world.workspace / "scripts" / "domains.sh"), "content": "", "attachments": []}
    out = json.loads(hook("cursor", payload, env).stdout)
    assert out["permission"] == "deny" and "policy.toml" in out["agent_message"]


def test_codex_turns_ask_into_deny_with_how_to_let_it_through(pocketos) -> None:  # type: ignore[no-untyped-def]
    world, env = pocketos
    payload = {"cwd": str(world.workspace), "hook_event_name": "PreToolUse", "model": "gpt-5-codex",
               "permission_mode": "default", "session_id": "s", "tool_input": {"command":
                                                                               "railway variables --set DEBUG=1"},
               "tool_name": "Bash", "tool_use_id": "t", "transcript_path": None, "turn_id": "turn-1"}
    out = json.loads(hook("codex", payload, env, extra_env={"RAILWAY_API_TOKEN": ACCOUNT}).stdout)
    specific = out["hookSpecificOutput"]
    assert specific["permissionDecision"] == "deny"
    assert "needs approval" in specific["permissionDecisionReason"] and "To let it through" in \
        specific["permissionDecisionReason"]


def test_gemini_sees_through_a_base64_encoded_sh_c(pocketos) -> None:  # type: ignore[no-untyped-def]
    world, env = pocketos
    encoded = base64.b64encode(curl(ACCOUNT, "pg-data").encode()).decode()
    payload = {"session_id": "s", "transcript_path": None, "cwd": str(world.workspace), "hook_event_name": "BeforeTool",
               "timestamp": "2026-01-01T00:00:00Z", "tool_name": "run_shell_command",
               "tool_input": {"command": f'sh -c "$(echo {encoded} | base64 -d)"', "dir_path": str(world.workspace)}}
    proc = hook("gemini", payload, env)
    out = json.loads(proc.stdout)
    assert out["decision"] == "deny" and "volumeDelete" in out["reason"] and "production" in out["reason"]
    assert proc.stdout.count("\n") == 1  # one JSON object, nothing else on stdout


def test_copilot_native_payload_with_tool_args_as_a_json_string(pocketos) -> None:  # type: ignore[no-untyped-def]
    world, env = pocketos
    payload = {"timestamp": 1767225600000, "cwd": str(world.workspace), "toolName": "bash",
               "toolArgs": json.dumps({"command": "bash -lc 'source scripts/domains.sh && railway down'"})}
    out = json.loads(hook("copilot", payload, env).stdout)
    # `source scripts/domains.sh` exports RAILWAY_API_TOKEN, but RAILWAY_TOKEN from the environment takes
    # precedence in the Railway CLI: the reason names it first and counts the sourced one.
    reason = out["permissionDecisionReason"]
    assert out["permissionDecision"] == "deny" and "`deploymentRemove`" in reason and "1 other credential" in reason


def test_cline_cancels_a_railway_mcp_delete(pocketos) -> None:  # type: ignore[no-untyped-def]
    world, env = pocketos
    payload = {"clineVersion": "3.36.0", "hookName": "PreToolUse", "timestamp": "1", "taskId": "t",
               "workspaceRoots": [str(world.workspace)], "userId": "u",
               "preToolUse": {"toolName": "use_mcp_tool", "parameters": {
                   "server_name": "railway", "tool_name": "volume_delete",
                   "arguments": json.dumps({"volumeId": "pg-data"})}}}
    out = json.loads(hook("cline", payload, env).stdout)
    assert out["cancel"] is True and "volumeDelete" in out["errorMessage"]
    benign = dict(payload, preToolUse={"toolName": "execute_command", "parameters": {"command": "ls -la"}})
    assert json.loads(hook("cline", benign, env).stdout) == {"cancel": False}


def test_no_reach_map_means_every_credential_is_unknown_and_counts_as_production(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path / "home"), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    (tmp_path / "ws").mkdir()
    proc = hook("claude-code", claude_payload("railway environment delete staging-old", tmp_path / "ws"), env)
    reason = json.loads(proc.stdout)["hookSpecificOutput"]["permissionDecisionReason"]
    assert "unknown credential" in reason and "no reach map" in reason
    assert json.loads(proc.stdout)["hookSpecificOutput"]["permissionDecision"] == "deny"
    write = hook("claude-code", claude_payload("railway variables --set A=1 -e staging", tmp_path / "ws"), env)
    assert json.loads(write.stdout)["hookSpecificOutput"]["permissionDecision"] == "ask"
    assert json.loads(hook("claude-code", claude_payload("git status", tmp_path / "ws"), env).stdout) == {}


def test_an_internal_error_blocks_in_each_agents_terms(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    for agent in ("claude-code", "cursor", "codex", "gemini", "copilot"):
        proc = hook(agent, None, env, raw="{not json")
        assert proc.returncode == 2 and "blocking to be safe" in proc.stderr, agent
    cline = hook("cline", None, env, raw="[1, 2")
    assert cline.returncode == 0 and json.loads(cline.stdout)["cancel"] is True


def test_workspace_policy_can_only_tighten_and_the_users_can_loosen(pocketos, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    world, env = pocketos
    policy_dir = world.workspace / ".credreach"
    policy_dir.mkdir(exist_ok=True)
    (policy_dir / "policy.toml").write_text('[[rule]]\nname = "hostile"\ndecision = "allow"\n')
    try:
        proc = hook("claude-code", claude_payload(curl(ACCOUNT, "pg-data"), world.workspace), env)
        assert json.loads(proc.stdout)["hookSpecificOutput"]["permissionDecision"] == "deny"
        (policy_dir / "policy.toml").write_text('[[rule]]\nname = "careful"\naction = "read"\ndecision = "ask"\n')
        proc = hook("claude-code", claude_payload("railway status", world.workspace), env,
                    extra_env={"RAILWAY_API_TOKEN": ACCOUNT})
        out = json.loads(proc.stdout)["hookSpecificOutput"]
        assert out["permissionDecision"] == "ask" and "careful (workspace)" in out["permissionDecisionReason"]
    finally:
        (policy_dir / "policy.toml").unlink()
    user_config = tmp_path / "config" / "credreach"
    user_config.mkdir(parents=True)
    (user_config / "policy.toml").write_text('[[rule]]\nname = "mine"\noperation = "volumeDelete"\n'
                                             'target = "production"\ndecision = "ask"\n')
    proc = hook("claude-code", claude_payload(curl(ACCOUNT, "pg-data"), world.workspace), env,
                extra_env={"XDG_CONFIG_HOME": str(tmp_path / "config")})
    out = json.loads(proc.stdout)["hookSpecificOutput"]
    assert out["permissionDecision"] == "ask" and "mine (user)" in out["permissionDecisionReason"]


def test_guard_log_prints_the_redacted_trail(pocketos) -> None:  # type: ignore[no-untyped-def]
    world, env = pocketos
    hook("claude-code", claude_payload(curl(ACCOUNT, "pg-data"), world.workspace), env)
    run = run_credreach("guard", "log", "--json", env=env)
    assert run.returncode == 0, run.stderr
    entries = [json.loads(line) for line in run.stdout.splitlines()]
    assert any(e["decision"] == "block" and e["rule"] == "destructive-on-production" for e in entries)
    assert all({"time", "agent", "tool", "command", "credential_ids", "decision", "rule"} <= set(e) for e in entries)
    assert_no_secret(run.stdout)


def test_claude_read_of_a_file_holding_a_production_token_is_asked(pocketos) -> None:  # type: ignore[no-untyped-def]
    world, env = pocketos
    payload = {"session_id": "s", "transcript_path": "/tmp/t", "cwd": str(world.workspace),
               "permission_mode": "default", "hook_event_name": "PreToolUse", "tool_name": "Read",
               "tool_input": {"file_path": str(world.workspace / "scripts" / "domains.sh")}}
    out = json.loads(hook("claude-code", payload, env).stdout)["hookSpecificOutput"]
    assert out["permissionDecision"] == "ask" and "reads-production-credential" in out["permissionDecisionReason"]
    benign = dict(payload, tool_input={"file_path": str(world.workspace / "README.md")})
    assert json.loads(hook("claude-code", benign, env).stdout) == {}


def test_claude_mcp_tool_call_is_judged_like_the_command(pocketos) -> None:  # type: ignore[no-untyped-def]
    world, env = pocketos
    payload = {"session_id": "s", "transcript_path": "/tmp/t", "cwd": str(world.workspace),
               "permission_mode": "default", "hook_event_name": "PreToolUse",
               "tool_name": "mcp__railway__volume_delete", "tool_input": {"volumeId": "pg-data"}}
    out = json.loads(hook("claude-code", payload, env).stdout)["hookSpecificOutput"]
    assert out["permissionDecision"] == "deny" and "`volumeDelete` on volume `pg-data`" in out["permissionDecisionReason"]
    payload["tool_input"] = {"volumeId": "pg-staging"}
    assert json.loads(hook("claude-code", payload, env, extra_env={"CREDREACH_TASK_ENV": "staging"}).stdout) == {}

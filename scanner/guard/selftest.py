"""``credreach guard test``: run the installed hook command with recorded payloads, check the answer.

Each agent gets its own documented payload shape (agent-hooks.md) for a harmless synthetic
destructive call (``railway volume delete`` of a volume that does not exist, in ``production``) and
for a benign one (``ls``). The first must come back as a block in that agent's format, the second
must not. Known enforcement gaps of each agent are printed as warnings: a hook that answers
correctly can still be ignored by the agent.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from typing import Any

DESTRUCTIVE = "railway volume delete --volume credreach-selftest-volume --environment production --yes"
BENIGN = "ls"

GAPS = {
    "claude-code": ["exit codes other than 0 and 2 fail open: a missing interpreter or a moved checkout disables "
                    "the guard silently (claude-code#85430); re-run `credreach guard test` after upgrades",
                    "hooks are read at session start on older builds: restart the session after installing",
                    "`permissions.deny` still wins over the hook, and an `allow` rule cannot override its deny"],
    "cursor": ["fails open on a crash unless `failClosed` is set (install sets it)",
               "`beforeReadFile` has no ask: asks become denies there"],
    "codex": ["deny is not enforced on some builds (openai/codex#39872, #27833): keep a `prefix_rule` too",
              "ask and allow are not honoured (PR openai/codex#20756 closed): credreach turns ask into deny",
              "project `.codex/hooks.json` loads only in trusted projects"],
    "gemini": ["any non-JSON text on stdout makes Gemini allow the call",
               "hooks have no ask: asks become denies; workspace policies are non-functional (#18186)"],
    "copilot": ["what Copilot does when the hook crashes is not documented: treat the hook as one layer"],
    "cline": ["no ask: asks become cancels", "hooks run on macOS and Linux only; the hook file must be executable"],
}


def payload(agent: str, command: str, cwd: str) -> dict[str, Any]:
    if agent in ("claude-code", "codex"):
        data: dict[str, Any] = {"session_id": "credreach-selftest", "transcript_path": None, "cwd": cwd,
                                "permission_mode": "default", "hook_event_name": "PreToolUse", "tool_name": "Bash",
                                "tool_input": {"command": command, "description": "credreach self-test"},
                                "tool_use_id": "toolu_credreach_selftest"}
        if agent == "codex":
            data.update({"turn_id": "turn-selftest", "model": "gpt-5-codex"})
        return data
    if agent == "cursor":
        return {"hook_event_name": "beforeShellExecution", "conversation_id": "credreach-selftest",
                "generation_id": "selftest", "cursor_version": "2.0.77", "workspace_roots": [cwd],
                "command": command, "cwd": cwd}
    if agent == "gemini":
        return {"session_id": "credreach-selftest", "transcript_path": None, "cwd": cwd,
                "hook_event_name": "BeforeTool", "timestamp": "2026-01-01T00:00:00Z",
                "tool_name": "run_shell_command", "tool_input": {"command": command, "dir_path": cwd}}
    if agent == "copilot":
        return {"timestamp": 1767225600000, "cwd": cwd, "toolName": "bash",
                "toolArgs": json.dumps({"command": command, "description": "credreach self-test"})}
    return {"clineVersion": "3.36.0", "hookName": "PreToolUse", "timestamp": "1767225600000",
            "taskId": "credreach-selftest", "workspaceRoots": [cwd], "userId": "selftest",
            "preToolUse": {"toolName": "execute_command", "parameters": {"command": command,
                                                                         "requires_approval": "false"}}}


def denied(agent: str, stdout: str, code: int) -> bool | None:
    """True = blocked in the agent's format, False = not blocked, None = not that agent's format."""
    if code == 2 and agent != "cline":
        return True
    if code != 0:
        return None
    try:
        out = json.loads(stdout or "{}")
    except ValueError:
        return None
    if not isinstance(out, dict):
        return None
    if agent in ("claude-code", "codex") or (agent == "copilot" and "hookSpecificOutput" in out):
        decision = (out.get("hookSpecificOutput") or {}).get("permissionDecision")
        return decision == "deny" if decision or out == {} else None
    if agent == "copilot":
        return out.get("permissionDecision") == "deny" if out else False
    if agent == "cursor":
        return out.get("permission") == "deny" if "permission" in out else None
    if agent == "gemini":
        return out.get("decision") in ("deny", "block") if out else False
    if agent == "cline":
        return out.get("cancel") is True if "cancel" in out else None
    return None


@dataclass(frozen=True)
class Result:
    agent: str
    ok: bool
    detail: str


def run(agent: str, command: str, cwd: str, env: dict[str, str], timeout: float = 30) -> Result:
    checks = []
    for text, want in ((DESTRUCTIVE, True), (BENIGN, False)):
        try:
            proc = subprocess.run(["sh", "-c", command], input=json.dumps(payload(agent, text, cwd)), text=True,
                                  capture_output=True, timeout=timeout, cwd=cwd, env=env)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return Result(agent, False, f"the hook command did not run: {type(exc).__name__}: {exc}")
        got = denied(agent, proc.stdout, proc.returncode)
        if got is None:
            return Result(agent, False, f"answer not in {agent}'s format (exit {proc.returncode}): "
                                        f"{(proc.stdout or proc.stderr).strip()[:200]}")
        checks.append(got == want)
        if got != want:
            return Result(agent, False, f"`{text}` was {'blocked' if got else 'not blocked'}")
    return Result(agent, all(checks), "blocks the synthetic destructive call, lets `ls` through")

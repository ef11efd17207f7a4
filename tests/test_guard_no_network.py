"""`credreach guard hook` decides without any network call (issue #16: "makes no network call while deciding").

Every hook call here is a real process started the way an agent starts it: the command
``credreach guard install`` writes (``python -I -S scanner/guard/_entry.py --agent X``) and the
``python -m scanner.guard hook --agent X`` module form and the light console entry
(``scanner.guard._console``: ``credreach guard hook --agent X``), each agent's documented stdin payload from
shared/reference/agent-hooks.md (Claude Code ``PreToolUse``, Cursor ``beforeShellExecution`` /
``beforeMCPExecution`` / ``beforeReadFile``, Codex ``PreToolUse``, Gemini ``BeforeTool``, Copilot
native ``toolName``/``toolArgs``, Cline ``preToolUse``), a temp home and cache and a reach map in
place.

The process runs under a small wrapper that installs ``sys.addaudithook`` *before* anything of
credreach is imported. On any network audit event (``socket.connect``, ``socket.getaddrinfo``,
``socket.sendto``, ``urllib.Request``, ``http.client.connect`` and the other name-resolution /
send events) it writes the event to stderr and ends the process with ``os._exit(99)``: an
exception would be caught by the hook's own fail-closed handler and turned into an ordinary
block, which would hide the call. Starting a program (``subprocess.Popen``, ``os.exec``,
``os.posix_spawn``, ``os.system``, ``os.fork``) aborts too, since a child could reach the
network where this process's audit hook cannot see it.

Sanity checks prove the wrapper catches real calls: a child that connects to a real listening
loopback socket (and swallows the error) exits 99, as does one that resolves ``localhost`` or
starts ``true``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from scanner.guard.install import ENTRY, hook_command
from tests.conftest import PROJECT_ROOT

FORBIDDEN = ("socket.connect", "socket.getaddrinfo", "socket.sendto", "socket.sendmsg", "socket.gethostbyname",
             "socket.gethostbyaddr", "socket.getnameinfo", "urllib.Request", "http.client.connect",
             "subprocess.Popen", "os.exec", "os.posix_spawn", "os.spawn", "os.system", "os.fork", "os.forkpty")

WRAPPER = f'''\
import os, runpy, sys

FORBIDDEN = {FORBIDDEN!r}


def _audit(event, args):
    if event in FORBIDDEN:
        try:
            sys.stderr.write(f"NETWORK-AUDIT: {{event}} {{args!r}}\\n")
            sys.stderr.flush()
        finally:
            os._exit(99)


sys.addaudithook(_audit)
if sys.argv[1] == "-m":
    sys.argv = sys.argv[2:]
    runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
elif sys.argv[1] == "-c":
    code = sys.argv[2]
    sys.argv = ["-c", *sys.argv[3:]]
    exec(compile(code, "<sanity>", "exec"), {{"__name__": "__main__"}})
else:
    sys.argv = sys.argv[1:]
    runpy.run_path(sys.argv[0], run_name="__main__")
'''

DESTRUCTIVE = "railway volume delete --volume pg-data"
CURL_DELETE = ("curl -s https://backboard.railway.app/graphql/v2 -H \"Authorization: Bearer $RAILWAY_TOKEN\" "
               "-d '{\"query\":\"mutation { volumeDelete(volumeId: \\\"v1\\\") }\"}'")
DROP = "psql \"$DATABASE_URL\" -c 'DROP TABLE users'"
BENIGN = "git status"


@pytest.fixture()
def machine(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """A workspace, a home, a cache holding a reach map (a production and a staging volume), the wrapper."""
    from scanner.guard import reachmap

    home = tmp_path / "home"
    workspace = tmp_path / "ws"
    home.mkdir()
    workspace.mkdir()
    (workspace / "scripts").mkdir()
    (workspace / "scripts" / "domains.sh").write_text("export RAILWAY_TOKEN=...\n")
    env = {"HOME": str(home), "XDG_CACHE_HOME": str(tmp_path / "cache"), "XDG_CONFIG_HOME": str(home / ".config"),
           "PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8", "PYTHONPATH": str(PROJECT_ROOT),
           "RAILWAY_TOKEN": "3f8a2c1e-9b4d-4e6f-a1c2-7d8e9f0a1b2c",
           "DATABASE_URL": "postgres://app:pw@db.prod.example.com:5432/app"}
    resources = [{"kind": "volume", "name": "pg-data", "environment": e, "env_class": e, "parent": "project `shop`",
                  "id": None} for e in ("production", "staging")]
    doc = {"version": reachmap.MAP_VERSION, "workspace": os.path.realpath(workspace), "created_at": time.time(),
           "task_env": "staging",
           "credentials": {"0" * 32: {"id": "CR-0000000001", "provider": "railway", "kind": "railway_account_token",
                                      "preview": "3f…2c (36 chars)", "status": "live", "identity": "test",
                                      "locations": [{"path": "scripts/domains.sh", "line": 1, "source": "workspace",
                                                     "abspath": str(workspace / "scripts" / "domains.sh")}],
                                      "resources": resources,
                                      "capabilities": [{"action": "delete", "operation": "volumeDelete",
                                                        "certain": True, "resources": [0, 1]}]}}}
    path = reachmap.map_path(str(workspace), env)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(doc))
    wrapper = tmp_path / "audit_wrap.py"
    wrapper.write_text(WRAPPER)
    return workspace, wrapper, env


def _run(wrapper: Path, target: list[str], stdin: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """The wrapper runs ``target`` as the interpreter would: ``-I -S`` for the installed entry file and
    sanity code; plain (``PYTHONPATH``, site) for ``-m scanner.guard``, as an agent's shell would run it."""
    flags = [] if target[0] == "-m" else ["-I", "-S"]
    return subprocess.run([sys.executable, *flags, str(wrapper), *target], input=stdin, capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=60)


def payloads(agent: str, command: str, cwd: Path) -> list[dict[str, Any]]:
    """Each agent's documented PreToolUse-like stdin for a shell command (agent-hooks.md)."""
    c = str(cwd)
    if agent == "claude-code":
        return [{"session_id": "abc123", "transcript_path": "/tmp/t.jsonl", "cwd": c, "permission_mode": "default",
                 "hook_event_name": "PreToolUse", "tool_name": "Bash",
                 "tool_input": {"command": command, "description": "d", "timeout": 120000},
                 "tool_use_id": "toolu_01ABC123"}]
    if agent == "cursor":
        return [{"hook_event_name": "beforeShellExecution", "conversation_id": "668320d2", "generation_id": "490b90b7",
                 "cursor_version": "2.0.77", "workspace_roots": [c], "command": command, "cwd": c},
                {"hook_event_name": "preToolUse", "conversation_id": "668320d2", "cursor_version": "2.0.77",
                 "workspace_roots": [c], "tool_name": "Shell", "tool_input": {"command": command},
                 "tool_use_id": "t1"}]
    if agent == "codex":
        return [{"session_id": "s", "turn_id": "t", "transcript_path": None, "cwd": c, "hook_event_name": "PreToolUse",
                 "model": "gpt-5-codex", "permission_mode": "default", "tool_name": "Bash",
                 "tool_input": {"command": command}, "tool_use_id": "call_1"}]
    if agent == "gemini":
        return [{"session_id": "s", "transcript_path": "/tmp/t.json", "cwd": c, "hook_event_name": "BeforeTool",
                 "timestamp": "2026-01-01T00:00:00Z", "tool_name": "run_shell_command",
                 "tool_input": {"command": command, "description": "d"}}]
    if agent == "copilot":
        return [{"timestamp": 1704614600000, "cwd": c, "toolName": "bash",
                 "toolArgs": json.dumps({"command": command, "description": "d"})},
                {"hook_event_name": "PreToolUse", "cwd": c, "tool_name": "bash", "tool_input": {"command": command}}]
    assert agent == "cline"
    return [{"clineVersion": "3.36.0", "hookName": "PreToolUse", "timestamp": "1", "taskId": "t",
             "workspaceRoots": [c], "userId": "u",
             "preToolUse": {"toolName": "execute_command", "parameters": {"command": command}}}]


def denied(agent: str, out: dict[str, Any]) -> bool:
    if agent in ("claude-code", "codex") or (agent == "copilot" and "hookSpecificOutput" in out):
        return out.get("hookSpecificOutput", {}).get("permissionDecision") == "deny"
    if agent == "cursor":
        return out.get("permission") == "deny"
    if agent == "gemini":
        return out.get("decision") == "deny"
    if agent == "copilot":
        return out.get("permissionDecision") == "deny"
    return out.get("cancel") is True


def allowed(agent: str, out: dict[str, Any]) -> bool:
    if agent == "cursor":
        return out == {"permission": "allow"}
    if agent == "cline":
        return out == {"cancel": False}
    return out == {}


AGENTS = ("claude-code", "cursor", "codex", "gemini", "copilot", "cline")


def _entry_target(agent: str) -> list[str]:
    words = hook_command(agent).split()
    assert words[1:3] == ["-I", "-S"] and words[3].endswith("_entry.py"), words  # what install writes
    return [str(ENTRY), "--agent", agent]


@pytest.mark.parametrize("agent", AGENTS)
def test_installed_hook_decides_every_agent_payload_without_network(agent: str, machine) -> None:  # type: ignore[no-untyped-def]
    workspace, wrapper, env = machine
    for command, want_deny in ((DESTRUCTIVE, True), (CURL_DELETE, True), (DROP, True), (BENIGN, False)):
        for payload in payloads(agent, command, workspace):
            run = _run(wrapper, _entry_target(agent), json.dumps(payload), env, workspace)
            assert run.returncode != 99, f"network/process call while deciding: {run.stderr}"
            assert "NETWORK-AUDIT" not in run.stderr
            assert run.returncode == 0, (command, run.stderr)
            out = json.loads(run.stdout)
            if want_deny:
                assert denied(agent, out), (agent, command, out)
            else:
                assert allowed(agent, out), (agent, command, out)


def test_module_form_and_read_and_mcp_calls_decide_without_network(machine) -> None:  # type: ignore[no-untyped-def]
    workspace, wrapper, env = machine
    c = str(workspace)
    cases = [
        ("claude-code", {"hook_event_name": "PreToolUse", "cwd": c, "session_id": "s", "tool_name": "Bash",
                         "tool_input": {"command": DESTRUCTIVE}}, True),
        ("claude-code", {"hook_event_name": "PreToolUse", "cwd": c, "session_id": "s",
                         "tool_name": "mcp__railway__volume_delete", "tool_input": {"volumeId": "pg-data"}}, True),
        ("cursor", {"hook_event_name": "beforeMCPExecution", "cursor_version": "2.0.77", "workspace_roots": [c],
                    "tool_name": "MCP:railway:volume_delete", "tool_input": json.dumps({"volumeId": "pg-data"})}, True),
        ("claude-code", {"hook_event_name": "PreToolUse", "cwd": c, "session_id": "s", "tool_name": "Read",
                         "tool_input": {"file_path": f"{c}/README.md"}}, False),
        ("cursor", {"hook_event_name": "beforeReadFile", "cursor_version": "2.0.77", "workspace_roots": [c],
                    "file_path": f"{c}/README.md", "content": "hello"}, False),
    ]
    for agent, payload, want_deny in cases:
        for target in (_entry_target(agent), ["-m", "scanner.guard", "hook", "--agent", agent],
                       ["-m", "scanner.guard._console", "guard", "hook", "--agent", agent]):
            run = _run(wrapper, target, json.dumps(payload), env, workspace)
            assert run.returncode != 99, f"network/process call while deciding: {run.stderr}"
            assert run.returncode == 0, run.stderr
            out = json.loads(run.stdout)
            assert denied(agent, out) if want_deny else allowed(agent, out), (target, payload, out)


def _connect_code(port: int) -> str:
    return ("import socket\n"
            "try:\n"
            "    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n"
            f"    s.connect(('127.0.0.1', {port}))\n"
            "except BaseException:\n"
            "    pass\n"
            "print('survived')\n")


def test_the_audit_wrapper_catches_a_real_loopback_connect_even_when_swallowed(machine) -> None:  # type: ignore[no-untyped-def]
    workspace, wrapper, env = machine
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        run = _run(wrapper, ["-c", _connect_code(server.getsockname()[1])], "", env, workspace)
    assert run.returncode == 99
    assert "NETWORK-AUDIT: socket.connect" in run.stderr
    assert "survived" not in run.stdout
    # without the wrapper the same code connects and carries on: the 99 above is the audit hook's doing
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        plain = subprocess.run([sys.executable, "-I", "-S", "-c", _connect_code(server.getsockname()[1])],
                               capture_output=True, text=True, timeout=60)
        conn, _ = server.accept()
        conn.close()
    assert plain.returncode == 0 and "survived" in plain.stdout


@pytest.mark.parametrize("code, event", [
    ("import socket\nsocket.getaddrinfo('localhost', 80)\n", "socket.getaddrinfo"),
    ("import urllib.request\nurllib.request.urlopen('http://127.0.0.1:9/')\n", "urllib.Request"),
    ("import http.client\nhttp.client.HTTPConnection('127.0.0.1', 9).connect()\n", "http.client.connect"),
    ("import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.sendto(b'x', ('127.0.0.1', 9))\n",
     "socket.sendto"),
    ("import subprocess\nsubprocess.run(['true'])\n", "subprocess.Popen"),
])
def test_the_audit_wrapper_catches_each_forbidden_event(code: str, event: str, machine) -> None:  # type: ignore[no-untyped-def]
    workspace, wrapper, env = machine
    run = _run(wrapper, ["-c", code], "", env, workspace)
    assert run.returncode == 99, run.stderr
    assert f"NETWORK-AUDIT: {event}" in run.stderr


# What the hook process must not import: third-party packages (typer, rich, requests, detect-secrets ...),
# and the standard-library modules that cost most of a hook call's start-up and that the decision does
# without (typing, dataclasses/inspect, pathlib, hashlib/hmac: see scanner/guard/_record.py, _digest.py).
HEAVY = ("typer", "rich", "click", "requests", "urllib3", "detect_secrets", "yaml", "graphql", "scanner.cli",
         "scanner.pipeline", "providers", "typing", "dataclasses", "inspect", "pathlib", "hashlib", "hmac",
         "_hashlib", "logging", "argparse", "socket", "ssl", "http", "urllib.request", "subprocess")


@pytest.mark.parametrize("agent", AGENTS)
def test_the_installed_hook_process_imports_nothing_heavy(agent: str, machine) -> None:  # type: ignore[no-untyped-def]
    """``python -X importtime`` on the real installed hook command lists every module it imports."""
    workspace, _, env = machine
    for command in (DESTRUCTIVE, CURL_DELETE, DROP, BENIGN):
        payload = payloads(agent, command, workspace)[0]
        run = subprocess.run([sys.executable, "-X", "importtime", "-I", "-S", str(ENTRY), "--agent", agent],
                             input=json.dumps(payload), capture_output=True, text=True, env=env, cwd=workspace,
                             timeout=60)
        assert run.returncode == 0, run.stderr
        imported = {line.split("|")[-1].strip() for line in run.stderr.splitlines() if line.startswith("import time:")}
        assert "scanner.guard.engine" in imported  # the listing is real
        heavy = sorted(m for m in imported if any(m == h or m.startswith(h + ".") for h in HEAVY))
        assert not heavy, (agent, command, heavy)

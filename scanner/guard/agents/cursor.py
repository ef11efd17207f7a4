"""Cursor hooks: ``beforeShellExecution`` (``command``, ``cwd``), ``beforeMCPExecution``
(``tool_name`` as ``MCP:server:tool`` or a bare name, ``tool_input`` object or JSON string),
``beforeReadFile`` (``file_path``), ``preToolUse`` (``tool_name``, ``tool_input``). Answer:
``permission`` allow/deny/ask with ``user_message`` and ``agent_message`` (camelCase copies too,
for 1.7-era builds). ``beforeReadFile`` has only allow/deny: ask becomes deny there.
"""

from __future__ import annotations

import json

from scanner.guard import policy as pol
from scanner.guard.agents.base import message, tool_call
from scanner.guard.decide import Verdict
from scanner.guard.engine import MCP, READ_FILE, SHELL, ToolCall

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on the hook path
if TYPE_CHECKING:
    from typing import Any

NAME = "cursor"
HAS_ASK = True


def parse(payload: dict[str, Any]) -> ToolCall:
    event = str(payload.get("hook_event_name") or "")
    roots = tuple(str(r) for r in payload.get("workspace_roots") or [] if isinstance(r, str))
    cwd = str(payload.get("cwd") or (roots[0] if roots else ""))
    if event == "beforeShellExecution" or ("command" in payload and not payload.get("tool_name")):
        return ToolCall(NAME, SHELL, "Shell", cwd, command=str(payload.get("command") or ""), workspace_roots=roots,
                        event=event)
    if event == "beforeReadFile":
        return ToolCall(NAME, READ_FILE, "Read", cwd, file_path=str(payload.get("file_path") or ""),
                        workspace_roots=roots, event=event)
    tool = str(payload.get("tool_name") or "")
    if event == "beforeMCPExecution" and not tool.startswith("MCP:"):
        server = str(payload.get("server_name") or payload.get("server") or payload.get("url") or
                     payload.get("command") or "mcp")
        call = tool_call(NAME, f"MCP:{server}:{tool}", payload.get("tool_input") or {}, cwd, roots=roots, event=event)
        if call.kind == MCP:
            return call
    return tool_call(NAME, tool, payload.get("tool_input") or {}, cwd, roots=roots, event=event)


def render(verdict: Verdict, call: ToolCall) -> tuple[str, int]:
    has_ask = HAS_ASK and call.event != "beforeReadFile"
    if verdict.decision == pol.BLOCK or (verdict.decision == pol.ASK and not has_ask):
        permission = "deny"
    elif verdict.decision == pol.ASK:
        permission = "ask"
    else:
        permission = "allow"
    out: dict[str, Any] = {"permission": permission}
    if permission != "allow":
        text = message(verdict, has_ask)
        out.update({"user_message": text, "agent_message": text, "userMessage": text, "agentMessage": text})
    return json.dumps(out), 0

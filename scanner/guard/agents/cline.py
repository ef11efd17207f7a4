"""Cline ``PreToolUse`` hook file: stdin ``{"hookName": "PreToolUse", "workspaceRoots": [...],
"preToolUse": {"toolName": "execute_command", "parameters": {...}}}``; answer ``{"cancel": true,
"errorMessage": ...}`` or ``{"cancel": false}``. No ask: ask becomes cancel with a message.
Tools: ``execute_command`` (``command``), ``read_file`` (``path``), ``use_mcp_tool``
(``server_name``, ``tool_name``, ``arguments`` as a JSON string).
"""

from __future__ import annotations

import json

from scanner.guard.agents.base import is_denied, message, tool_call
from scanner.guard.decide import Verdict
from scanner.guard.engine import MCP, READ_FILE, SHELL, ToolCall

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on the hook path
if TYPE_CHECKING:
    from typing import Any

NAME = "cline"
HAS_ASK = False


def parse(payload: dict[str, Any]) -> ToolCall:
    roots = tuple(str(r) for r in payload.get("workspaceRoots") or [] if isinstance(r, str))
    cwd = roots[0] if roots else ""
    inner = payload.get("preToolUse") or {}
    tool = str(inner.get("toolName") or "")
    params = inner.get("parameters") or {}
    if tool == "execute_command":
        return ToolCall(NAME, SHELL, tool, cwd, command=str(params.get("command") or ""), workspace_roots=roots,
                        event="PreToolUse")
    if tool == "read_file":
        path = str(params.get("path") or "")
        return ToolCall(NAME, READ_FILE, tool, cwd, file_path=path, workspace_roots=roots, event="PreToolUse")
    if tool == "use_mcp_tool":
        arguments: Any = params.get("arguments") or {}
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments)
            except ValueError:
                arguments = {}
        return ToolCall(NAME, MCP, tool, cwd, mcp_server=str(params.get("server_name") or ""),
                        mcp_tool=str(params.get("tool_name") or ""), arguments=arguments, workspace_roots=roots,
                        event="PreToolUse")
    return tool_call(NAME, tool, params, cwd, roots=roots, event="PreToolUse")


def render(verdict: Verdict, call: ToolCall) -> tuple[str, int]:
    if is_denied(verdict, HAS_ASK):
        return json.dumps({"cancel": True, "errorMessage": message(verdict, HAS_ASK)}), 0
    return json.dumps({"cancel": False}), 0

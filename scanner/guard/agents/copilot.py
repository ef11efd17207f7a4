"""GitHub Copilot CLI ``preToolUse``: native stdin ``toolName`` + ``toolArgs`` (a JSON *string*) +
``cwd``, answered ``{"permissionDecision": ..., "permissionDecisionReason": ...}``; or the
Claude-compatible shape (``hook_event_name: PreToolUse``, ``tool_name``, ``tool_input``) answered
with ``hookSpecificOutput``. MCP tools arrive as ``server-tool``.
"""

from __future__ import annotations

import json

from scanner.guard import policy as pol
from scanner.guard.agents.base import SHELL_TOOLS, message, tool_call
from scanner.guard.decide import Verdict
from scanner.guard.engine import MCP, ToolCall

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on the hook path
if TYPE_CHECKING:
    from typing import Any

NAME = "copilot"
HAS_ASK = True
_KNOWN_SERVERS = ("railway", "supabase", "github", "vercel", "fly", "heroku", "stripe", "aws", "postgres", "neon")


def parse(payload: dict[str, Any]) -> ToolCall:
    claude_shape = "tool_name" in payload
    tool = str(payload.get("tool_name") if claude_shape else payload.get("toolName") or "")
    args = payload.get("tool_input") if claude_shape else payload.get("toolArgs")
    cwd = str(payload.get("cwd") or "")
    call = tool_call(NAME, tool, args or {}, cwd, event="PreToolUse" if claude_shape else "preToolUse")
    if call.kind not in (MCP,) and tool not in SHELL_TOOLS and "-" in tool:
        server, _, name = tool.partition("-")
        if server in _KNOWN_SERVERS:
            parsed = args if isinstance(args, dict) else {}
            if isinstance(args, str):
                try:
                    parsed = json.loads(args)
                except ValueError:
                    parsed = {}
            return ToolCall(NAME, MCP, tool, cwd, mcp_server=server, mcp_tool=name, arguments=parsed,
                            event=call.event)
    return call


def render(verdict: Verdict, call: ToolCall) -> tuple[str, int]:
    if verdict.decision not in (pol.BLOCK, pol.ASK):
        return "{}", 0
    decision = "deny" if verdict.decision == pol.BLOCK else "ask"
    reason = message(verdict, HAS_ASK)
    if call.event == "PreToolUse":
        return json.dumps({"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": decision,
                                                  "permissionDecisionReason": reason}}), 0
    return json.dumps({"permissionDecision": decision, "permissionDecisionReason": reason}), 0

"""Claude Code ``PreToolUse``: stdin ``tool_name``/``tool_input``/``cwd``; exit 0 with
``hookSpecificOutput.permissionDecision`` deny/ask and ``permissionDecisionReason``.

Allow and monitor print ``{}`` (no decision: Claude's own permission flow goes on; a guard never
auto-approves). Internal errors exit 2 with the reason on stderr, the one code Claude treats as a
block (any other non-zero code fails open).
"""

from __future__ import annotations

import json

from scanner.guard import policy as pol
from scanner.guard.agents.base import message, tool_call
from scanner.guard.decide import Verdict
from scanner.guard.engine import ToolCall

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on the hook path
if TYPE_CHECKING:
    from typing import Any

NAME = "claude-code"
HAS_ASK = True
EVENT = "PreToolUse"


def parse(payload: dict[str, Any]) -> ToolCall:
    return tool_call(NAME, str(payload.get("tool_name") or ""), payload.get("tool_input") or {},
                     str(payload.get("cwd") or ""), event=str(payload.get("hook_event_name") or EVENT))


def render(verdict: Verdict, call: ToolCall) -> tuple[str, int]:
    if verdict.decision in (pol.BLOCK, pol.ASK):
        decision = "deny" if verdict.decision == pol.BLOCK else "ask"
        out = {"hookSpecificOutput": {"hookEventName": EVENT, "permissionDecision": decision,
                                      "permissionDecisionReason": message(verdict, HAS_ASK)},
               "systemMessage": f"credreach {'blocked' if decision == 'deny' else 'asks about'} "
                                f"`{verdict.operation.operation if verdict.operation else call.tool}`"}
        return json.dumps(out), 0
    return "{}", 0

"""Codex CLI ``PreToolUse``: Claude-shaped stdin (``turn_id``, nullable ``transcript_path``);
``hookSpecificOutput.permissionDecision: "deny"`` is the only answer Codex reliably enforces
(PR openai/codex#20756 for allow/ask was closed), so ask becomes deny with a let-it-through message.
"""

from __future__ import annotations

import json

from scanner.guard.agents.base import is_denied, message, tool_call
from scanner.guard.decide import Verdict
from scanner.guard.engine import ToolCall

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on the hook path
if TYPE_CHECKING:
    from typing import Any

NAME = "codex"
HAS_ASK = False


def parse(payload: dict[str, Any]) -> ToolCall:
    return tool_call(NAME, str(payload.get("tool_name") or ""), payload.get("tool_input") or {},
                     str(payload.get("cwd") or ""), event=str(payload.get("hook_event_name") or "PreToolUse"))


def render(verdict: Verdict, call: ToolCall) -> tuple[str, int]:
    if is_denied(verdict, HAS_ASK):
        return json.dumps({"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "deny",
                                                  "permissionDecisionReason": message(verdict, HAS_ASK)}}), 0
    return "{}", 0

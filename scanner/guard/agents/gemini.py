"""Gemini CLI ``BeforeTool``: stdin ``tool_name`` (``run_shell_command``, ``read_file``,
``mcp_<server>_<tool>``), ``tool_input``; answer ``{"decision": "deny", "reason": ...}``. Hooks have
no ask (``ask_user`` exists only in the policy engine), so ask becomes deny. Exactly one JSON
object on stdout: any other text there makes Gemini allow.
"""

from __future__ import annotations

import json

from scanner.guard.agents.base import is_denied, message, tool_call
from scanner.guard.decide import Verdict
from scanner.guard.engine import ToolCall

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on the hook path
if TYPE_CHECKING:
    from typing import Any

NAME = "gemini"
HAS_ASK = False


def parse(payload: dict[str, Any]) -> ToolCall:
    return tool_call(NAME, str(payload.get("tool_name") or ""), payload.get("tool_input") or {},
                     str(payload.get("cwd") or ""), event=str(payload.get("hook_event_name") or "BeforeTool"))


def render(verdict: Verdict, call: ToolCall) -> tuple[str, int]:
    if is_denied(verdict, HAS_ASK):
        return json.dumps({"decision": "deny", "reason": message(verdict, HAS_ASK)}), 0
    return "{}", 0

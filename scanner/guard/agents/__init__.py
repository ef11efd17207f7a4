"""One protocol adapter per agent: its hook's stdin fields in, its decision format out.

Each module has ``NAME``, ``parse(payload) -> ToolCall`` and ``render(verdict, call) -> (stdout,
exit code)``, plus ``HAS_ASK``: where an agent has no "ask" (Codex enforces only deny, Cursor's
``beforeReadFile`` is allow/deny, Gemini hooks and Cline cancel), ask becomes deny with a message
telling the user how to let the call through. Formats are from ``shared/reference/agent-hooks.md``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

AGENTS = {"claude-code": "claude_code", "claude": "claude_code", "cursor": "cursor", "codex": "codex",
          "gemini": "gemini", "copilot": "copilot", "cline": "cline"}
NAMES = ("claude-code", "cursor", "codex", "gemini", "copilot", "cline")


def adapter(agent: str) -> ModuleType:
    try:
        return importlib.import_module(f"scanner.guard.agents.{AGENTS[agent]}")
    except KeyError:
        raise ValueError(f"unknown agent {agent!r}; choose from {', '.join(NAMES)}") from None

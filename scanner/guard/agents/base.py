"""What every adapter shares: tool-name aliases, MCP name splitting, the let-it-through message."""

from __future__ import annotations

import json

from scanner.guard import policy as pol
from scanner.guard.decide import Verdict
from scanner.guard.engine import MCP, OTHER, READ_FILE, SHELL, ToolCall

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on the hook path
if TYPE_CHECKING:
    from typing import Any

SHELL_TOOLS = {"Bash", "Shell", "bash", "shell", "run_shell_command", "execute_command", "exec_command",
               "shell_command", "run_terminal_cmd", "terminal", "powershell"}
READ_TOOLS = {"Read", "read_file", "view", "read", "ReadFile", "NotebookRead", "readFile", "str_replace_editor"}


def let_through(verdict: Verdict) -> str:
    """How the user can let an asked-for call through on an agent without an "ask" answer."""
    op = verdict.operation.operation if verdict.operation else "this call"
    return ("credreach asks a person before this runs, and this agent cannot ask. To let it through: run it "
            "yourself, or add a rule to ~/.config/credreach/policy.toml, e.g. [[rule]] operation = \""
            f"{op}\" decision = \"allow\" (or set CREDREACH_TASK_ENV to the environment you mean).")


def tool_call(agent: str, tool: str, tool_input: Any, cwd: str, *, roots: tuple[str, ...] = (),
              event: str = "") -> ToolCall:
    if isinstance(tool_input, str):
        try:
            tool_input = json.loads(tool_input)
        except ValueError:
            tool_input = {"command": tool_input} if tool in SHELL_TOOLS else {}
    args = tool_input if isinstance(tool_input, dict) else {}
    if tool in SHELL_TOOLS or ("command" in args and isinstance(args.get("command"), str) and not tool.startswith(
            ("mcp", "MCP"))):
        command = args.get("command") or args.get("cmd") or ""
        if isinstance(command, list):
            command = " ".join(str(c) for c in command)
        workdir = args.get("dir_path") or args.get("cwd") or args.get("workdir") or cwd
        return ToolCall(agent, SHELL, tool, str(workdir), command=str(command), workspace_roots=roots, event=event)
    if tool in READ_TOOLS or "file_path" in args and tool.lower().startswith("read"):
        path = args.get("file_path") or args.get("absolute_path") or args.get("path") or ""
        return ToolCall(agent, READ_FILE, tool, cwd, file_path=str(path), workspace_roots=roots, event=event)
    from scanner.guard.commands.mcp import split_name

    split = split_name(tool)
    if split:
        return ToolCall(agent, MCP, tool, cwd, mcp_server=split[0], mcp_tool=split[1], arguments=args,
                        workspace_roots=roots, event=event)
    return ToolCall(agent, OTHER, tool, cwd, workspace_roots=roots, event=event)


def is_denied(verdict: Verdict, has_ask: bool) -> bool:
    return verdict.decision == pol.BLOCK or (verdict.decision == pol.ASK and not has_ask)


def message(verdict: Verdict, has_ask: bool) -> str:
    reason = verdict.reason.rstrip()
    text = "credreach: " + (reason if reason.endswith((".", "!", "?")) else reason + ".")
    if verdict.decision == pol.ASK and not has_ask:
        text += " " + let_through(verdict)
    elif verdict.decision == pol.BLOCK:
        text += (" Do not retry with another credential or another tool; ask the user, and use a credential "
                 "scoped to the task's environment.")
    return text

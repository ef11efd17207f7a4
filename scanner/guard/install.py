"""``credreach guard install/uninstall --agent X``: merge the hook into the agent's own config.

What is there stays there: the file is parsed, only credreach's own entries (recognised by the hook
command) are replaced or removed, every other hook, matcher and setting is kept, and a file that
does not parse is left alone with an error instead of being overwritten. Writes are atomic and
never follow a link. The command is the absolute interpreter and entry path, quoted (hooks run
with a different PATH; an unquoted or missing path silently disables a hook, claude-code#85430),
and fail-closed is set where the agent has a switch for it (Cursor ``failClosed``).
"""

from __future__ import annotations

import copy
import json
import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.guard.safe_write import ensure_dir, write_bytes

MARKERS = ("scanner/guard/_entry.py", "credreach guard hook", "scanner.guard hook")
ENTRY = Path(__file__).resolve().parent / "_entry.py"


class InstallError(Exception):
    """A config the guard will not touch (unparseable, a link, someone else's hook file)."""


@dataclass(frozen=True)
class Change:
    agent: str
    path: Path
    before: str | None
    after: str | None
    """None: remove the file (uninstall of a file credreach owns)."""
    mode: int = 0o644


def hook_command(agent: str, python: str | None = None) -> str:
    return f"{shlex.quote(python or sys.executable)} -I -S {shlex.quote(str(ENTRY))} --agent {agent}"


def ours(command: Any) -> bool:
    return isinstance(command, str) and any(m in command for m in MARKERS)


def config_path(agent: str, scope: str, workspace: Path, home: Path) -> Path:
    project = scope == "project"
    paths = {
        "claude-code": (workspace / ".claude" / "settings.json", home / ".claude" / "settings.json"),
        "codex": (workspace / ".codex" / "hooks.json", home / ".codex" / "hooks.json"),
        "gemini": (workspace / ".gemini" / "settings.json", home / ".gemini" / "settings.json"),
        "cursor": (workspace / ".cursor" / "hooks.json", home / ".cursor" / "hooks.json"),
        "copilot": (workspace / ".github" / "hooks" / "credreach.json", home / ".copilot" / "hooks" / "hooks.json"),
        "cline": (workspace / ".clinerules" / "hooks" / "PreToolUse",
                  home / "Documents" / "Cline" / "Hooks" / "PreToolUse"),
    }
    return paths[agent][0 if project else 1]


def _read_json(path: Path) -> tuple[dict[str, Any], str | None]:
    if path.is_symlink():
        raise InstallError(f"{path} is a symbolic link; credreach does not write through links")
    if not path.exists():
        return {}, None
    text = path.read_text(encoding="utf-8")
    if not text.strip():
        return {}, text
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise InstallError(f"{path} is not valid JSON ({exc}); fix it first, credreach will not overwrite it") from None
    if not isinstance(doc, dict):
        raise InstallError(f"{path} is not a JSON object; credreach will not overwrite it")
    return doc, text


def _strip_matcher_groups(groups: list[Any]) -> list[Any]:
    """Claude/Codex/Gemini shape: drop credreach handlers; drop groups left empty by that."""
    out = []
    for group in groups:
        if isinstance(group, dict) and isinstance(group.get("hooks"), list):
            kept = [h for h in group["hooks"] if not (isinstance(h, dict) and ours(h.get("command")))]
            if not kept and group["hooks"]:
                continue
            group = {**group, "hooks": kept}
        out.append(group)
    return out


def _strip_flat(handlers: list[Any], key: str = "command") -> list[Any]:
    return [h for h in handlers if not (isinstance(h, dict) and (ours(h.get(key)) or ours(h.get("bash"))))]


def merged(agent: str, doc: dict[str, Any], command: str | None) -> dict[str, Any]:
    """``doc`` with credreach's hook set (``command``) or removed (None)."""
    doc = copy.deepcopy(doc)
    hooks = doc.get("hooks")
    if hooks is not None and not isinstance(hooks, dict):
        raise InstallError("`hooks` is not an object")
    hooks = dict(hooks or {})
    if agent in ("claude-code", "codex", "gemini"):
        event, matcher = {"claude-code": ("PreToolUse", "Bash|Read|mcp__.*"),
                          "codex": ("PreToolUse", "Bash|mcp__.*"),
                          "gemini": ("BeforeTool", "run_shell_command|read_file|mcp_.*")}[agent]
        groups = _strip_matcher_groups(list(hooks.get(event) or []))
        if command:
            handler: dict[str, Any] = {"type": "command", "command": command,
                                       "timeout": 30000 if agent == "gemini" else 30}
            if agent == "gemini":
                handler["name"] = "credreach-guard"
            groups.append({"matcher": matcher, "hooks": [handler]})
        if groups:
            hooks[event] = groups
        else:
            hooks.pop(event, None)
    elif agent == "cursor":
        doc.setdefault("version", 1)
        for event in ("beforeShellExecution", "beforeMCPExecution", "beforeReadFile"):
            handlers = _strip_flat(list(hooks.get(event) or []))
            if command:
                handlers.append({"command": command, "timeout": 30, "failClosed": True})
            if handlers:
                hooks[event] = handlers
            else:
                hooks.pop(event, None)
    elif agent == "copilot":
        doc.setdefault("version", 1)
        handlers = _strip_flat(list(hooks.get("preToolUse") or []))
        if command:
            handlers.append({"type": "command", "bash": command, "timeoutSec": 30})
        if handlers:
            hooks["preToolUse"] = handlers
        else:
            hooks.pop("preToolUse", None)
    if hooks:
        doc["hooks"] = hooks
    else:
        doc.pop("hooks", None)
    return doc


def plan(agent: str, *, scope: str, workspace: Path, home: Path, remove: bool = False,
         python: str | None = None) -> Change:
    path = config_path(agent, scope, workspace, home)
    command = None if remove else hook_command(agent, python)
    if agent == "cline":
        before = path.read_text(encoding="utf-8", errors="replace") if path.exists() and not path.is_symlink() else None
        if path.is_symlink():
            raise InstallError(f"{path} is a symbolic link; credreach does not write through links")
        if before is not None and not ours(before):
            raise InstallError(f"{path} is another PreToolUse hook; Cline runs one file per hook, so credreach "
                               "will not replace it. Call `" + hook_command(agent, python) + "` from it instead.")
        if remove:
            return Change(agent, path, before, None if before is not None else before, 0o755)
        script = ("#!/bin/sh\n# credreach guard: judges each Cline tool call by what its credential reaches.\n"
                  f"exec {command}\n")
        return Change(agent, path, before, script, 0o755)
    doc, before = _read_json(path)
    new = merged(agent, doc, command)
    if remove and not new and before is not None and agent == "copilot" and scope == "project":
        return Change(agent, path, before, None)
    after = json.dumps(new, indent=2) + "\n"
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    return Change(agent, path, before, after, mode)


def apply(change: Change) -> None:
    if change.after is None:
        if change.before is not None and change.path.exists() and not change.path.is_symlink():
            os.unlink(change.path)
        return
    ensure_dir(change.path.parent, 0o755)
    write_bytes(change.path, change.after.encode("utf-8"), change.mode)


def installed_command(agent: str, path: Path) -> str | None:
    """The credreach command configured in ``path`` for ``agent`` (for ``guard test``)."""
    if not path.exists():
        return None
    if agent == "cline":
        text = path.read_text(encoding="utf-8", errors="replace")
        for line in text.splitlines():
            if line.startswith("exec ") and ours(line):
                return line[5:].strip()
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return None
    hooks = doc.get("hooks") if isinstance(doc, dict) else None
    if not isinstance(hooks, dict):
        return None
    for handlers in hooks.values():
        for item in handlers if isinstance(handlers, list) else []:
            if not isinstance(item, dict):
                continue
            for handler in item.get("hooks", [item]) if isinstance(item.get("hooks"), list) else [item]:
                if isinstance(handler, dict):
                    command = handler.get("command") or handler.get("bash")
                    if ours(command):
                        return str(command)
    return None


# --- second layers where the hook alone is not enforced everywhere --------------------------------
# Codex: some builds ignore a hook's deny (openai/codex#39872, #27833); exec-policy rules are a
# separate enforcement point. Gemini: the policy engine denies before any hook runs; only the user
# tier works (workspace policies are non-functional, google-gemini/gemini-cli#18186). Both are
# prefix lists, so they hold only the plain spellings; the hook is still what sees through wrappers.

_LAYER_MARKER = "credreach guard second layer"
_PREFIXES = (
    ("railway", ("volume", "environment", "service"), "delete"), ("railway", "delete"), ("railway", "down"),
    ("terraform", "destroy"), ("pulumi", "destroy"), ("prisma", "migrate", "reset"), ("drizzle-kit", "drop"),
    ("heroku", "pg:reset"), ("heroku", "apps:destroy"), ("fly", "apps", "destroy"), ("vercel", "remove"),
    ("supabase", "db", "reset"), ("gh", "repo", "delete"), ("kubectl", "delete"), ("helm", "uninstall"),
)


def _codex_rules() -> str:
    lines = [f"# {_LAYER_MARKER}: destructive commands are forbidden here too; the credreach hook judges the rest.",
             "# Written by `credreach guard install --agent codex`; removed by `credreach guard uninstall`."]
    for prefix in _PREFIXES:
        pattern = ", ".join(json.dumps(list(p)) if isinstance(p, tuple) else json.dumps(p) for p in prefix)
        lines.append(f"prefix_rule(pattern = [{pattern}], decision = \"forbidden\", justification = "
                     "\"Destructive: ask the user (credreach guard). Use a credential scoped to the task.\")")
    return "\n".join(lines) + "\n"


def _gemini_policy() -> str:
    lines = [f"# {_LAYER_MARKER}: written by `credreach guard install --agent gemini --scope user`."]
    for prefix in _PREFIXES:
        variants = [[]]  # type: list[list[str]]
        for part in prefix:
            variants = [v + [p] for v in variants for p in (part if isinstance(part, tuple) else (part,))]
        for words in variants:
            lines += ["", "[[rule]]", 'toolName = "run_shell_command"',
                      f"commandPrefix = {json.dumps(' '.join(words))}", 'decision = "deny"', "priority = 100"]
    return "\n".join(lines) + "\n"


def extra_layers(agent: str, *, scope: str, workspace: Path, home: Path, remove: bool = False) -> list[Change]:
    if agent == "codex":
        base = workspace / ".codex" if scope == "project" else home / ".codex"
        path, text = base / "rules" / "credreach.rules", _codex_rules()
    elif agent == "gemini" and scope == "user":
        path, text = home / ".gemini" / "policies" / "credreach.toml", _gemini_policy()
    else:
        return []
    if path.is_symlink():
        raise InstallError(f"{path} is a symbolic link; credreach does not write through links")
    before = path.read_text(encoding="utf-8", errors="replace") if path.exists() else None
    if before is not None and _LAYER_MARKER not in before:
        raise InstallError(f"{path} exists and was not written by credreach; leaving it alone")
    return [Change(agent, path, before, None if remove else text, 0o644)]

"""What the agent can actually read: agent configurations and the shell that walks around them.

Reads Claude Code permission rules (``.claude/settings.json``, ``.claude/settings.local.json``,
``~/.claude/settings.json``: ``permissions.deny`` / ``allow``, https://code.claude.com/docs/en/settings)
and the ignore files other agents honour (``.cursorignore``, ``.aiderignore``, ``.geminiignore``,
``.codeiumignore``, ``.clineignore``, ``.rooignore``, ``.agentsignore``; gitignore syntax). For each
credential location it says whether a rule covers it and whether an allowed shell tool still
reaches it: a ``Read`` deny does not stop ``cat .env`` through Bash, and ignore files are advice
to the agent's own file tools, not a wall.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from dataclasses import dataclass
from typing import Any

import pathspec

from scanner.model import Assessment, Location, ScanResult, SourceKind
from scanner.safe_io import read_config
from scanner.sources.base import SkipReason, decode

# Ignore files in gitignore syntax that coding agents document: Cursor, Aider, Gemini CLI,
# Windsurf/Codeium, Cline (docs.cline.bot/customization/clineignore), Roo Code
# (docs.roocode.com/features/rooignore), Docker's agent (.agentsignore, docs.docker.com/ai/docker-agent).
IGNORE_FILES = {
    ".cursorignore": "cursor",
    ".aiderignore": "aider",
    ".geminiignore": "gemini",
    ".codeiumignore": "codeium",
    ".clineignore": "cline",
    ".rooignore": "roo",
    ".agentsignore": "docker-agent",
}
CLAUDE_PROJECT_FILES = (".claude/settings.json", ".claude/settings.local.json")
CLAUDE_USER_FILE = ".claude/settings.json"
# Shell commands that print or copy a file: an allow rule for any of them reaches every file.
FILE_READING_COMMANDS = {
    "cat", "head", "tail", "less", "more", "grep", "rg", "awk", "sed", "python", "python3", "node",
    "bash", "sh", "zsh", "xxd", "od", "strings", "cp", "base64", "tac", "nl", "jq", "yq", "find",
}
ENV_READING_COMMANDS = {"env", "printenv", "bash", "sh", "zsh", "python", "python3", "node", "echo", "set"}
_RULE = re.compile(r"^(?P<tool>[A-Za-z][\w-]*)(?:\((?P<spec>.*)\))?$")


@dataclass(frozen=True)
class ClaudeRule:
    tool: str
    spec: str | None
    base: str
    """Directory a relative spec is resolved against."""
    source: str
    """The settings file the rule came from."""

    @property
    def text(self) -> str:
        return f"{self.tool}({self.spec})" if self.spec is not None else self.tool


@dataclass(frozen=True)
class AgentConfig:
    agent: str
    path: str
    deny: tuple[ClaudeRule, ...] = ()
    allow: tuple[ClaudeRule, ...] = ()
    ignore_patterns: tuple[str, ...] = ()
    bypass_mode: bool = False
    error: str | None = None


def load_json_text(text: str) -> Any:
    """``json.loads`` that turns every failure into a ValueError with a short reason.

    A hostile settings file nested thousands of levels deep makes the parser raise RecursionError
    (not a ValueError); it is reported like any other invalid JSON instead of ending the command.
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise ValueError("not read: JSON nested too deeply") from None
    except ValueError as exc:
        raise ValueError(f"not valid JSON ({str(exc)[:80]})") from None


def _load_json(path: str, root: str) -> tuple[dict[str, Any] | None, str | None]:
    data = read_config(path, (root,))
    if isinstance(data, SkipReason):
        return None, None if data == "vanished during the scan" else f"{path}: {data}"
    try:
        loaded = load_json_text(decode(data)[0])
    except ValueError as exc:
        return None, f"{path}: {exc}"
    return (loaded if isinstance(loaded, dict) else {}), None


def _claude_config(path: str, base: str, root: str) -> AgentConfig | None:
    """The config at ``path``; it must resolve inside ``root`` (a link out is reported, not followed)."""
    if not os.path.lexists(path):
        return None
    data, error = _load_json(path, root)
    if data is None:
        return AgentConfig("claude-code", path, error=error or f"{path}: unreadable")
    perms = data.get("permissions") if isinstance(data.get("permissions"), dict) else {}

    def rules(key: str) -> tuple[ClaudeRule, ...]:
        out = []
        values = perms.get(key) if isinstance(perms, dict) else None
        for raw in values if isinstance(values, list) else []:
            match = _RULE.match(str(raw).strip())
            if match:
                out.append(ClaudeRule(match["tool"], match["spec"], base, path))
        return tuple(out)

    mode = perms.get("defaultMode") if isinstance(perms, dict) else None
    return AgentConfig("claude-code", path, deny=rules("deny"), allow=rules("allow"),
                       bypass_mode=mode == "bypassPermissions")


def discover_agent_configs(workspace: str, home: str | None) -> list[AgentConfig]:
    """Agent configurations present for this workspace and user."""
    configs: list[AgentConfig] = []
    for rel in CLAUDE_PROJECT_FILES:
        config = _claude_config(os.path.join(workspace, rel), workspace, workspace)
        if config:
            configs.append(config)
    if home:
        config = _claude_config(os.path.join(home, CLAUDE_USER_FILE), os.path.join(home, ".claude"), home)
        if config:
            configs.append(config)
    for name, agent in IGNORE_FILES.items():
        path = os.path.join(workspace, name)
        if not os.path.lexists(path):
            continue
        data = read_config(path, (workspace,))
        if isinstance(data, SkipReason):
            configs.append(AgentConfig(agent, path, error=f"{path}: {data}"))
            continue
        lines = tuple(line for line in decode(data)[0].splitlines()
                      if line.strip() and not line.lstrip().startswith("#"))
        configs.append(AgentConfig(agent, path, ignore_patterns=lines))
    return configs


def agents_in_use(workspace: str, home: str | None, configs: list[AgentConfig]) -> set[str]:
    used = {c.agent for c in configs}
    if os.path.isdir(os.path.join(workspace, ".claude")) or (home and os.path.isdir(os.path.join(home, ".claude"))):
        used.add("claude-code")
    if os.path.isdir(os.path.join(workspace, ".cursor")):
        used.add("cursor")
    if os.path.isdir(os.path.join(workspace, ".gemini")):
        used.add("gemini")
    return used


def _resolve_spec(rule: ClaudeRule, workspace: str, home: str | None) -> tuple[str, str] | None:
    """(base directory, gitignore-style pattern) for a Read rule's path spec."""
    spec = rule.spec
    if spec is None or spec in ("", "*", "**"):
        return "/", "**"
    if spec.startswith("//"):
        return "/", spec[2:]
    if spec.startswith("~/"):
        return (home or os.path.expanduser("~")), spec[2:]
    if spec.startswith("/"):
        return rule.base, spec[1:]
    if spec.startswith("./"):
        return workspace, spec[2:]
    return workspace, spec


def _abs_location(loc: Location, workspace: str) -> str | None:
    if loc.source is SourceKind.ENV or loc.source is SourceKind.GIT_HISTORY:
        return None
    return os.path.abspath(loc.path if os.path.isabs(loc.path) else os.path.join(os.getcwd(), loc.path))


def _matches(rule: ClaudeRule, path: str, workspace: str, home: str | None) -> bool:
    resolved = _resolve_spec(rule, workspace, home)
    if resolved is None:
        return False
    base, pattern = resolved
    base = os.path.abspath(base)
    if not (path == base or path.startswith(base.rstrip("/") + "/")):
        return False
    rel = os.path.relpath(path, base)
    spec = pathspec.GitIgnoreSpec.from_lines([pattern if pattern.startswith("**") else "/" + pattern])
    return spec.match_file(rel)


def _shell_rule(rules: tuple[ClaudeRule, ...], commands: set[str]) -> ClaudeRule | None:
    for rule in rules:
        if rule.tool != "Bash":
            continue
        if rule.spec is None or rule.spec.strip() in ("", "*", ":*"):
            return rule
        first = re.split(r"[\s:]", rule.spec.strip(), maxsplit=1)[0]
        if first in commands or first == "*":
            return rule
    return None


def location_access(loc: Location, configs: list[AgentConfig], workspace: str,
                    home: str | None) -> dict[str, Any]:
    """Per agent: is this location covered by a rule, and does an allowed shell still reach it?"""
    out: dict[str, Any] = {}
    path = _abs_location(loc, workspace)
    claude = [c for c in configs if c.agent == "claude-code" and c.error is None]
    if claude:
        deny = tuple(r for c in claude for r in c.deny)
        allow = tuple(r for c in claude for r in c.allow)
        covering = None
        if path is not None:
            covering = next((r for r in deny if r.tool == "Read" and _matches(r, path, workspace, home)), None)
        commands = ENV_READING_COMMANDS if loc.source is SourceKind.ENV else FILE_READING_COMMANDS
        shell = _shell_rule(allow, commands)
        bypass_mode = any(c.bypass_mode for c in claude)
        entry: dict[str, Any] = {"denied": covering is not None,
                                 "rule": covering.text if covering else None,
                                 "rule_file": covering.source if covering else None}
        if bypass_mode:
            entry["shell"] = "defaultMode bypassPermissions: every shell command runs unasked"
        elif shell is not None:
            entry["shell"] = f"allowed shell rule `{shell.text}` reads it regardless of Read rules"
        else:
            entry["shell"] = "shell commands need approval"
        entry["reachable"] = not entry["denied"] or shell is not None or bypass_mode
        out["claude-code"] = entry
    for config in configs:
        if config.agent == "claude-code" or config.error is not None:
            continue
        ignored = False
        if path is not None and config.ignore_patterns:
            base = os.path.dirname(os.path.abspath(config.path))
            if path.startswith(base.rstrip("/") + "/"):
                spec = pathspec.GitIgnoreSpec.from_lines(config.ignore_patterns)
                ignored = spec.match_file(os.path.relpath(path, base))
        out[config.agent] = {"ignored": ignored, "file": config.path, "reachable": True,
                             "shell": "ignore files are advice to the agent's own tools; its terminal "
                                      "can still read the file"}
    return out


def annotate(result: ScanResult, workspace: str, home: str | None) -> tuple[ScanResult, list[AgentConfig]]:
    """Attach per-location agent access to each assessment."""
    configs = discover_agent_configs(workspace, home)
    if not configs:
        return result, configs
    annotated: list[Assessment] = []
    for a in result.assessments:
        access = {f"{loc.path}:{loc.line or 0}": location_access(loc, configs, workspace, home)
                  for loc in a.credential.locations}
        annotated.append(dataclasses.replace(a, agent_access=access))
    return dataclasses.replace(result, assessments=tuple(annotated)), configs

"""`credreach contain`: write deny/ignore rules for the credential locations an agent can reach.

Rules are merged into what is there (existing rules are never dropped or reordered); a settings
file that is not valid JSON is left untouched and reported. What rules cannot fix (environment
variables, git history, an allowed shell, a live token) is listed as needing rotation or moving.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from scanner.model import Assessment, Location, SourceKind
from scanner.reach import IGNORE_FILES, AgentConfig, load_json_text
from scanner.safe_io import UnsafePath, atomic_write_text, read_config
from scanner.sources.base import SkipReason, decode

HEADER = "# added by credreach contain: credential files an agent must not read"


@dataclass
class Plan:
    """The edits contain would make, file by file, and what only rotation can fix."""

    claude_rules: list[str] = field(default_factory=list)
    ignore_patterns: list[str] = field(default_factory=list)
    edits: dict[str, str] = field(default_factory=dict)
    """path -> new full content."""
    added: dict[str, list[str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    rotate: list[str] = field(default_factory=list)
    workspace: str | None = None
    """Every edit must stay inside this directory (links out of it are refused, see safe_io)."""


def _rel_to_workspace(loc: Location, workspace: str) -> str | None:
    path = os.path.abspath(loc.path)
    root = os.path.abspath(workspace)
    if path.startswith(root.rstrip("/") + "/"):
        return os.path.relpath(path, root)
    return None


def _claude_rule_for(loc: Location, workspace: str, home: str | None) -> str | None:
    if loc.source in (SourceKind.ENV, SourceKind.GIT_HISTORY):
        return None
    rel = _rel_to_workspace(loc, workspace)
    if rel is not None:
        return f"Read(./{rel})"
    path = os.path.abspath(loc.path)
    if home and path.startswith(os.path.abspath(home).rstrip("/") + "/"):
        return f"Read(~/{os.path.relpath(path, home)})"
    return f"Read(/{path})"


def plan(assessments: list[Assessment], workspace: str, home: str | None, agents: set[str],
         configs: list[AgentConfig]) -> Plan:
    result = Plan(workspace=os.path.abspath(workspace))
    for a in assessments:
        cred = a.credential
        for loc in cred.locations:
            rule = _claude_rule_for(loc, workspace, home)
            if rule and rule not in result.claude_rules:
                result.claude_rules.append(rule)
            rel = _rel_to_workspace(loc, workspace) if loc.source is SourceKind.WORKSPACE else None
            if rel and "/" + rel not in result.ignore_patterns:
                result.ignore_patterns.append("/" + rel)
        result.rotate.extend(_rotation_needs(a))
    if "claude-code" in agents:
        _merge_claude(os.path.join(workspace, ".claude", "settings.json"), result, workspace)
    for name, agent in IGNORE_FILES.items():
        if agent in agents:
            _merge_ignore(os.path.join(workspace, name), result, workspace)
    for config in configs:
        if config.error:
            result.problems.append(config.error)
    return result


def _rotation_needs(a: Assessment) -> list[str]:
    cred = a.credential
    label = f"{cred.provider} {cred.kind} {cred.preview}"
    needs = []
    for loc in cred.locations:
        if loc.source is SourceKind.ENV:
            needs.append(f"{label}: in environment variable {loc.path[4:]}; a deny rule cannot hide it "
                         "from a shell: unset it for agent sessions and rotate it")
        elif loc.source is SourceKind.GIT_HISTORY:
            needs.append(f"{label}: in git history ({loc.path}); anyone with the repository has it: rotate it")
    shells = {entry.get("shell") for access in a.agent_access.values() if isinstance(access, dict)
              for entry in access.values() if isinstance(entry, dict)}
    if any(s and "allowed shell rule" in s or s and "bypassPermissions" in s for s in shells):
        needs.append(f"{label}: an allowed shell tool still reads it; move it out of reach or rotate it")
    if a.verification.status.value == "live" and a.severity.rank >= 3:
        needs.append(f"{label}: live and {a.severity.value}: {a.reasons[0] if a.reasons else ''}; "
                     "replace it with a narrower token")
    return needs


def _merge_claude(path: str, result: Plan, workspace: str) -> None:
    data: dict[str, object] = {}
    if os.path.lexists(path):
        raw = read_config(path, (workspace,))
        if isinstance(raw, SkipReason):
            result.problems.append(f"{path}: {raw}; not changed")
            return
        try:
            loaded = load_json_text(decode(raw)[0])
        except ValueError as exc:
            result.problems.append(f"{path}: {exc}; not changed")
            return
        if not isinstance(loaded, dict):
            result.problems.append(f"{path}: top level is not an object; not changed")
            return
        data = loaded
    permissions = data.setdefault("permissions", {})
    if not isinstance(permissions, dict):
        result.problems.append(f"{path}: `permissions` is not an object; not changed")
        return
    deny = permissions.setdefault("deny", [])
    if not isinstance(deny, list):
        result.problems.append(f"{path}: `permissions.deny` is not a list; not changed")
        return
    new = [r for r in result.claude_rules if r not in deny]
    if not new:
        return
    deny.extend(new)
    result.edits[path] = json.dumps(data, indent=2) + "\n"
    result.added[path] = new


def _merge_ignore(path: str, result: Plan, workspace: str) -> None:
    existing = ""
    if os.path.lexists(path):
        raw = read_config(path, (workspace,))
        if isinstance(raw, SkipReason):
            result.problems.append(f"{path}: {raw}; not changed")
            return
        existing = decode(raw)[0]
    present = {line.strip() for line in existing.splitlines()}
    new = [p for p in result.ignore_patterns if p not in present]
    if not new:
        return
    text = existing if not existing or existing.endswith("\n") else existing + "\n"
    if HEADER not in present:
        text += HEADER + "\n"
    text += "\n".join(new) + "\n"
    result.edits[path] = text
    result.added[path] = new


def apply(result: Plan) -> dict[str, str]:
    """Write every edit through :mod:`scanner.safe_io`; returns path -> why, for edits refused (also in problems).

    A refused edit (a link out of the workspace, a planted link at the target) never stops the
    others: each file is checked and written on its own.
    """
    refused: dict[str, str] = {}
    for path, content in result.edits.items():
        try:
            atomic_write_text(path, content, allowed_root=result.workspace, make_dirs=True)
        except (UnsafePath, OSError) as exc:
            refused[path] = str(exc.strerror or exc)
            result.problems.append(f"{path}: not changed ({refused[path]})")
    return refused

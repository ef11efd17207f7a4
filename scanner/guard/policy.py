"""The decision table: destructiveness x environment class of the target x task -> decision.

Defaults (the issue's): delete and admin on a production-class or unknown target -> **block**;
writes (and opaque commands carrying a credential) to production -> **ask**; anything aimed outside
the task's environment -> **ask**; the rest -> **monitor** (allowed, logged). Plain reads -> allow.

Policy files change it: ``.credreach/policy.toml`` in the workspace and ``policy.toml`` in the
user's config dir (``$XDG_CONFIG_HOME/credreach``). Each holds ``[[rule]]`` tables, first match
wins within a file::

    [[rule]]
    name = "staging-deletes-are-fine"
    action = ["delete"]            # read, write, delete, admin, opaque, read-credential, or "any"
    target = ["staging", "development"]   # production, staging, development, unknown, local-unknown, any
    task = "inside"                # inside, outside, any
    provider = "railway"           # optional
    operation = "volumeDelete"     # optional
    decision = "monitor"           # allow, monitor, ask, block

The user's file may loosen the defaults (it is the user's machine); the workspace's file can only
make a decision stricter, never looser, because the workspace is input an agent or a cloned
repository controls. So where both match, the stricter wins, and the user's wins where stricter.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from scanner.guard import envclass
from scanner.guard._record import dataclass
from scanner.guard.commands.model import ADMIN, DELETE, OPAQUE, READ, READ_CREDENTIAL, WRITE

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on the hook path
if TYPE_CHECKING:
    from typing import Any

ALLOW = "allow"
MONITOR = "monitor"
ASK = "ask"
BLOCK = "block"
RANK = {ALLOW: 0, MONITOR: 1, ASK: 2, BLOCK: 3}
LOCAL_UNKNOWN = "local-unknown"


@dataclass(frozen=True)
class Rule:
    name: str
    decision: str
    actions: tuple[str, ...] = ("any",)
    targets: tuple[str, ...] = ("any",)
    task: str = "any"
    provider: str | None = None
    operation: str | None = None
    origin: str = "built-in"

    def matches(self, action: str, cls: str, outside: bool, provider: str, operation: str) -> bool:
        if "any" not in self.actions and action not in self.actions:
            return False
        if "any" not in self.targets and cls not in self.targets:
            return False
        if self.task == "inside" and outside or self.task == "outside" and not outside:
            return False
        if self.provider and self.provider != provider:
            return False
        return not (self.operation and self.operation != operation)


@dataclass(frozen=True)
class Policy:
    user_rules: tuple[Rule, ...] = ()
    workspace_rules: tuple[Rule, ...] = ()
    problems: tuple[str, ...] = ()


def default_decision(action: str, cls: str, outside: bool, has_known_credential: bool,
                     destructive_reach: bool) -> tuple[str, str]:
    """(decision, rule name) from the built-in table."""
    production = cls in (envclass.PRODUCTION, envclass.UNKNOWN)
    if action in (DELETE, ADMIN):
        if production:
            return BLOCK, "destructive-on-production"
        if cls == LOCAL_UNKNOWN:
            return ASK, "destructive-local-unknown"
        if outside:
            return ASK, "outside-task-env"
        return MONITOR, "destructive-inside-task-env"
    if action == WRITE:
        if production or cls == LOCAL_UNKNOWN:
            return ASK, "write-to-production"
        if outside:
            return ASK, "outside-task-env"
        return MONITOR, "write-inside-task-env"
    if action == OPAQUE:
        if has_known_credential:
            return ASK, "opaque-with-credential"
        return MONITOR, "opaque"
    if action == READ_CREDENTIAL:
        if destructive_reach:
            return ASK, "reads-production-credential"
        return MONITOR, "reads-credential"
    if action == READ:
        return (MONITOR, "read-with-credential") if has_known_credential else (ALLOW, "read")
    return MONITOR, "monitor"


def apply(policy: Policy, decision: str, rule: str, *, action: str, cls: str, outside: bool, provider: str,
          operation: str) -> tuple[str, str]:
    """The built-in decision changed by the policy files (workspace: stricter only)."""
    for user_rule in policy.user_rules:
        if user_rule.matches(action, cls, outside, provider, operation):
            decision, rule = user_rule.decision, f"{user_rule.name} ({user_rule.origin})"
            break
    for ws_rule in policy.workspace_rules:
        if ws_rule.matches(action, cls, outside, provider, operation):
            if RANK[ws_rule.decision] > RANK[decision]:
                decision, rule = ws_rule.decision, f"{ws_rule.name} ({ws_rule.origin})"
            break
    return decision, rule


def _as_tuple(value: Any, default: tuple[str, ...]) -> tuple[str, ...]:
    if value is None:
        return default
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ValueError(f"expected a string or a list of strings, got {value!r}")


def parse_rules(doc: Mapping[str, Any], origin: str) -> list[Rule]:
    rules = []
    for index, raw in enumerate(doc.get("rule") or []):
        if not isinstance(raw, dict):
            raise ValueError(f"rule {index + 1} is not a table")
        decision = raw.get("decision")
        if decision not in RANK:
            raise ValueError(f"rule {index + 1}: decision must be one of allow, monitor, ask, block")
        rules.append(Rule(str(raw.get("name") or f"rule-{index + 1}"), decision, _as_tuple(raw.get("action"), ("any",)),
                          _as_tuple(raw.get("target"), ("any",)), str(raw.get("task") or "any"),
                          raw.get("provider"), raw.get("operation"), origin))
    return rules


def _load_file(path: str, origin: str) -> tuple[list[Rule], str | None]:
    from scanner.guard.safe_write import read_small

    if not os.path.exists(path) and not os.path.islink(path):
        return [], None
    data = read_small(path, 256 * 1024)
    if data is None:
        return [], f"{origin} policy {path} not read (a link, not a regular file, or too big)"
    try:
        try:
            import tomllib as toml
        except ImportError:  # Python 3.10
            import tomli as toml  # type: ignore[no-redef]
        doc = toml.loads(data.decode("utf-8"))
        return parse_rules(doc, origin), None
    except Exception as exc:  # a broken policy file must never crash the hook
        return [], f"{origin} policy {path} ignored: {type(exc).__name__}: {exc}"[:300]


def load(workspace: str, environ: Mapping[str, str]) -> Policy:
    from scanner.guard.reachmap import _config_base

    user_rules, user_problem = _load_file(os.path.join(_config_base(environ), "policy.toml"), "user")
    ws_rules: list[Rule] = []
    ws_problem = None
    if workspace:
        ws_path = os.path.join(workspace, ".credreach", "policy.toml")
        real = os.path.realpath(ws_path)
        if real.startswith(os.path.realpath(workspace) + os.sep):
            ws_rules, ws_problem = _load_file(ws_path, "workspace")
    problems = tuple(p for p in (user_problem, ws_problem) if p)
    if ws_problem:
        # A workspace policy that does not parse is treated as asking for everything non-read:
        # a broken file must not quietly fall back to looser behaviour than its author meant.
        ws_rules = [Rule("unreadable-workspace-policy", ASK, (WRITE, DELETE, ADMIN, OPAQUE), origin="workspace")]
    return Policy(tuple(user_rules), tuple(ws_rules), problems)

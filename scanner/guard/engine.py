"""One tool call -> one verdict, offline: the agent-neutral core every protocol adapter calls.

The environment the agent would run the command with is the hook's own (agents run hooks with
their environment), so ``$RAILWAY_TOKEN`` in a command is resolved from ``os.environ`` and
fingerprinted, never printed. No network call is made; the reach map is found by the workspace's
real path, walking up from the call's working directory.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from scanner.guard import policy as pol
from scanner.guard._record import dataclass, field
from scanner.guard.decide import ALLOW_NOTHING, Verdict, decide
from scanner.guard.reachmap import ReachMap, find

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on the hook path
if TYPE_CHECKING:
    from typing import Any

SHELL = "shell"
MCP = "mcp"
READ_FILE = "read"
OTHER = "other"


@dataclass(frozen=True)
class ToolCall:
    agent: str
    kind: str
    tool: str
    cwd: str
    command: str | None = None
    file_path: str | None = None
    mcp_server: str | None = None
    mcp_tool: str | None = None
    arguments: Any = None
    workspace_roots: tuple[str, ...] = ()
    event: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


_KEY: list[bytes] = []


def _fingerprint(value: str) -> str:
    """:func:`scanner.redact.fingerprint`, inlined (that module pulls in logging; a test keeps them equal)."""
    from scanner.guard._digest import hmac_sha256_hex  # hmac/hashlib load OpenSSL: milliseconds per hook call

    if not _KEY:
        _KEY.append(os.environ.get("CREDREACH_FINGERPRINT_KEY", "credreach-fingerprint-v1").encode())
    return hmac_sha256_hex(_KEY[0], value.encode("utf-8", "surrogateescape"))[:32]


def evaluate(call: ToolCall, environ: Mapping[str, str] | None = None, *, task_env: str | None = None,
             reach_path: str | None = None) -> tuple[Verdict, ReachMap | None]:
    env = dict(os.environ if environ is None else environ)
    cwd = call.cwd or (call.workspace_roots[0] if call.workspace_roots else os.getcwd())
    reach = find(cwd, env, explicit=reach_path or env.get("CREDREACH_REACH_MAP"))
    workspace = reach.workspace if reach and reach.workspace else os.path.realpath(
        call.workspace_roots[0] if call.workspace_roots else cwd)
    home = os.path.realpath(env.get("HOME") or os.path.expanduser("~"))
    task = task_env or env.get("CREDREACH_TASK_ENV") or (reach.task_env if reach else None)
    policy = pol.load(workspace, env)
    if call.kind == OTHER:
        return ALLOW_NOTHING, reach
    from scanner.guard.commands.context import Ctx

    ctx = Ctx(cwd=os.path.realpath(cwd), workspace=workspace, home=home, env=env, reach=reach,
              fingerprint=_fingerprint)
    if call.kind == SHELL and call.command:
        from scanner.guard.commands.run import judge_text

        judge_text(call.command, ctx)
    elif call.kind == MCP:
        from scanner.guard.commands.mcp import judge_mcp

        judge_mcp(call.mcp_server or "", call.mcp_tool or call.tool, call.arguments, ctx)
    elif call.kind == READ_FILE and call.file_path:
        from scanner.guard.commands.model import READ_CREDENTIAL, Operation

        refs = ctx.file_refs(call.file_path)
        if refs:
            ctx.add(Operation("local", f"{call.tool} {os.path.basename(call.file_path)}", READ_CREDENTIAL,
                              credentials=tuple(refs),
                              summary=f"`{call.tool}` of `{call.file_path}`, which holds a credential"))
    verdict = decide(ctx.ops, reach, task, policy, workspace, home)
    return verdict, reach

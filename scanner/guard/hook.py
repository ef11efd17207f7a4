"""``credreach guard hook --agent X``: stdin JSON in, one decision in the agent's protocol out.

Fail closed: any internal error (bad JSON, a bug, an unreadable payload) answers with a block in
that agent's terms (exit 2 with the reason on stderr for the agents where 2 blocks; Cline's
``cancel``), never with the non-zero codes agents treat as "proceed". Exactly one JSON object goes
to stdout; nothing else is printed there.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on the hook path
if TYPE_CHECKING:
    from typing import IO, Any

MAX_STDIN = 4 * 1024 * 1024


def run(agent: str, stdin: IO[str], stdout: IO[str], stderr: IO[str], *, task_env: str | None = None,
        reach_path: str | None = None, environ: Mapping[str, str] | None = None) -> int:
    env = os.environ if environ is None else environ
    try:
        from scanner.guard.agents import adapter

        module = adapter(agent)
    except ValueError as exc:
        stderr.write(f"credreach: {exc}\n")
        return 2
    try:
        raw = stdin.read(MAX_STDIN + 1)
        if len(raw) > MAX_STDIN:
            raise ValueError("hook payload larger than 4 MiB")
        payload = json.loads(raw) if raw.strip() else {}
        if not isinstance(payload, dict):
            raise ValueError("hook payload is not a JSON object")
        call = module.parse(payload)
        from scanner.guard.engine import evaluate

        verdict, reach = evaluate(call, env, task_env=task_env, reach_path=reach_path)
        out, code = module.render(verdict, call)
        if verdict.operation is not None:
            _audit(agent, call, verdict, reach, env)
        stdout.write(out + "\n")
        stdout.flush()
        return code
    except Exception as exc:  # fail closed, in the agent's own terms
        reason = f"credreach guard failed ({type(exc).__name__}); blocking to be safe. Run `credreach guard test`."
        if os.environ.get("CREDREACH_DEBUG_TRACEBACK"):
            raise
        if agent == "cline":
            stdout.write(json.dumps({"cancel": True, "errorMessage": reason}) + "\n")
            return 0
        stderr.write(reason + "\n")
        return 2


def _audit(agent: str, call: Any, verdict: Any, reach: Any, env: Mapping[str, str]) -> None:
    from scanner.guard.audit import record, redact_command
    from scanner.guard.engine import _fingerprint as fingerprint

    known = reach.credentials if reach is not None else None
    summary = call.command or call.file_path or f"{call.mcp_server}:{call.mcp_tool}" if call.kind else call.tool
    record({"agent": agent, "tool": call.tool, "event": call.event,
            "command": redact_command(str(summary or ""), fingerprint, known),
            "credential_ids": list(verdict.credential_ids), "decision": verdict.decision, "rule": verdict.rule,
            "env_class": verdict.env_class, "reason": redact_command(verdict.reason, fingerprint, known)}, env)


def main(argv: list[str] | None = None) -> int:
    """``--agent X [--task-env E] [--reach-map F]`` (hand-parsed: argparse costs more than a decision)."""
    args = list(sys.argv[1:] if argv is None else argv)
    values: dict[str, str] = {}
    while args:
        flag = args.pop(0)
        name, eq, value = flag.partition("=")
        if name not in ("--agent", "--task-env", "--reach-map"):
            sys.stderr.write(f"credreach guard hook: unknown option {flag}\n")
            return 2
        if not eq:
            if not args:
                sys.stderr.write(f"credreach guard hook: {flag} needs a value\n")
                return 2
            value = args.pop(0)
        values[name] = value
    if "--agent" not in values:
        sys.stderr.write("credreach guard hook: --agent is required\n")
        return 2
    return run(values["--agent"], sys.stdin, sys.stdout, sys.stderr, task_env=values.get("--task-env"),
               reach_path=values.get("--reach-map"))

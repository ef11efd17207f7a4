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
    from scanner.redact import fingerprint

    known = reach.credentials if reach is not None else None
    summary = call.command or call.file_path or f"{call.mcp_server}:{call.mcp_tool}" if call.kind else call.tool
    record({"agent": agent, "tool": call.tool, "event": call.event,
            "command": redact_command(str(summary or ""), fingerprint, known),
            "credential_ids": list(verdict.credential_ids), "decision": verdict.decision, "rule": verdict.rule,
            "env_class": verdict.env_class, "reason": redact_command(verdict.reason, fingerprint, known)}, env)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="credreach guard hook")
    parser.add_argument("--agent", required=True)
    parser.add_argument("--task-env")
    parser.add_argument("--reach-map")
    args = parser.parse_args(argv)
    return run(args.agent, sys.stdin, sys.stdout, sys.stderr, task_env=args.task_env, reach_path=args.reach_map)

"""The end of `credreach demo`: the incident's own tool call, sent through the real hook process.

After the demo's scan, the reach map is written (into the demo's temp dir, never the user's cache),
and two Claude Code ``PreToolUse`` payloads go to ``python -m scanner guard hook --agent
claude-code`` as separate processes, exactly as Claude Code would run the hook:

1. the PocketOS call: a Bash ``curl`` of a ``volumeDelete`` GraphQL mutation to Railway carrying
   the token the agent found in ``scripts/domains.sh``, aimed at ``pg-data`` (the volume the
   agent believed was staging; it has an instance in production too) -> denied, with the reason;
2. the same mutation against a staging-only volume, in the staging task -> allowed and logged.

Nothing is sent to any provider: the hook decides offline, and the curl is never run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RAILWAY_GRAPHQL = "https://backboard.railway.app/graphql/v2"


@dataclass(frozen=True)
class ReplayStep:
    title: str
    command: str
    """The command as shown (token replaced by its preview)."""
    decision: str
    reason: str
    exit_code: int
    raw: dict[str, Any]


def _target_id(reach: Any, name: str, environment: str | None) -> str:
    """The id the map holds for volume ``name`` (what a real call sends), else its name."""
    for cred in reach.credentials.values():
        for resource in cred.resources:
            if resource.kind == "volume" and resource.name == name and (environment is None or
                                                                        resource.environment == environment):
                return resource.id or resource.name
    return name


def curl_volume_delete(token: str, volume: str) -> str:
    body = json.dumps({"query": f'mutation {{ volumeDelete(volumeId: "{volume}") }}'})
    return (f"curl -s -X POST {RAILWAY_GRAPHQL} -H 'Content-Type: application/json' "
            f"-H 'Authorization: Bearer {token}' -d '{body}'")


def run_hook(payload: dict[str, Any], env: dict[str, str], cwd: Path, timeout: float = 60) -> tuple[int, str, str]:
    project_root = str(Path(__file__).resolve().parents[2])
    full_env = {**env, "PYTHONPATH": project_root + os.pathsep + env.get("PYTHONPATH", "")}
    proc = subprocess.run([sys.executable, "-m", "scanner", "guard", "hook", "--agent", "claude-code"],
                          input=json.dumps(payload), capture_output=True, text=True, timeout=timeout,
                          cwd=cwd, env=full_env)
    return proc.returncode, proc.stdout, proc.stderr


def replay(result: Any, world: Any, task_env: str, account_token: str, staging_volume: str | None) -> list[ReplayStep]:
    from scanner.guard import reachmap
    from scanner.redact import preview

    cache = Path(world.home).parent / "cache"
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(world.home), "XDG_CACHE_HOME": str(cache),
           "XDG_CONFIG_HOME": str(Path(world.home) / ".config"), "LANG": "C.UTF-8",
           **{k: v for k, v in world.environ.items()}}
    reachmap.write(result, str(world.workspace), base_dir=str(Path(world.workspace).parent), task_env=task_env,
                   environ=env)
    reach = reachmap.load(reachmap.map_path(str(world.workspace), env))
    steps = []
    targets = [("The incident's call: volumeDelete of `pg-data` with the token from scripts/domains.sh",
                _target_id(reach, "pg-data", "production"))]
    if staging_volume:
        targets.append((f"The same mutation on the staging-only volume `{staging_volume}`, staging task",
                        _target_id(reach, staging_volume, "staging")))
    for title, volume in targets:
        command = curl_volume_delete(account_token, volume)
        payload = {"session_id": "pocketos-replay", "transcript_path": None, "cwd": str(world.workspace),
                   "permission_mode": "bypassPermissions", "hook_event_name": "PreToolUse", "tool_name": "Bash",
                   "tool_input": {"command": command, "description": "Delete the staging volume"},
                   "tool_use_id": "toolu_pocketos"}
        code, out, err = run_hook(payload, {**env, "CREDREACH_TASK_ENV": task_env}, Path(world.workspace))
        try:
            raw = json.loads(out) if out.strip() else {}
        except ValueError:
            raw = {"unparsed": out[:200]}
        specific = raw.get("hookSpecificOutput") or {}
        decision = specific.get("permissionDecision") or ("deny" if code == 2 else "allow")
        reason = specific.get("permissionDecisionReason") or err.strip()
        if decision == "allow":
            logged = [e for e in _read_log(cache) if e.get("tool") == "Bash"]
            reason = logged[-1]["reason"] if logged else "allowed (nothing logged)"
        steps.append(ReplayStep(title, command.replace(account_token, preview(account_token)), decision, reason,
                                code, raw))
    return steps


def _read_log(cache: Path) -> list[dict[str, Any]]:
    path = cache / "credreach" / "audit.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


STAGING_VOLUME = "pg-staging"


def add_staging_only_volume(world: Any) -> str:
    """Give the demo's Railway world a volume that exists only in a staging-class environment.

    ``pg-data`` has instances in production and staging, so deleting it is a production delete
    whatever the agent believes; the replay's allowed case needs a volume that really is staging
    only. It lives in its own environment (``staging-2``) so the staging project token's reach,
    and so the demo's report above the replay, stay as they were.
    """
    from credreach.fakes.railway import Environment, Volume, VolumeInstance

    project = next(p for p in world.projects if p.name == "pocketos")
    env = Environment("env-stag-0003", "staging-2")
    project.environments.append(env)
    project.volumes.append(Volume("vol-pg-staging", STAGING_VOLUME, [
        VolumeInstance("vi-pgs-stag2", env.id, "svc-postgres", "/var/lib/postgresql/data")]))
    return STAGING_VOLUME

"""``credreach guard ...``: hook, check, install, uninstall, test, log (thin wiring only)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

guard_app = typer.Typer(no_args_is_help=True, help="Stop destructive agent tool calls by what their credential "
                                                   "reaches (pre-tool hooks for coding agents).")

AgentOpt = Annotated[str, typer.Option("--agent", help="claude-code, cursor, codex, gemini, copilot or cline.")]
AgentsOpt = Annotated[list[str] | None, typer.Option(
    "--agent", help="claude-code, cursor, codex, gemini, copilot, cline.")]
ScopeOpt = Annotated[str, typer.Option("--scope", help="project (the workspace's config) or user (your home's).")]
WorkspaceOpt = Annotated[Path, typer.Option("--workspace", help="The agent's workspace.")]
HomeOpt = Annotated[Path | None, typer.Option("--home-dir", help="Home directory instead of ~.")]


def _agent_names(values: list[str] | None) -> list[str]:
    from scanner.guard.agents import AGENTS, NAMES

    names = values or []
    for name in names:
        if name not in AGENTS:
            raise typer.BadParameter(f"unknown agent {name!r}; choose from {', '.join(NAMES)}")
    return ["claude-code" if n == "claude" else n for n in names]


@guard_app.command("hook")
def hook(agent: AgentOpt,
         task_env: Annotated[str | None, typer.Option("--task-env", help="The task's environment (else "
                                                      "CREDREACH_TASK_ENV, else the one preflight recorded).")] = None,
         reach_map: Annotated[str | None, typer.Option("--reach-map", help="Reach map file to use.")] = None) -> None:
    """Read the agent's hook JSON on stdin and answer in its protocol (used by the agent, not by you)."""
    from scanner.guard.hook import run

    raise typer.Exit(run(agent, sys.stdin, sys.stdout, sys.stderr, task_env=task_env, reach_path=reach_map))


@guard_app.command("check")
def check(command: Annotated[str, typer.Argument(help="A shell command, judged as an agent's Bash call would be.")],
          cwd: Annotated[Path, typer.Option("--cwd", help="Directory the command would run in.")] = Path("."),
          task_env: Annotated[str | None, typer.Option("--task-env")] = None,
          reach_map: Annotated[str | None, typer.Option("--reach-map")] = None) -> None:
    """Show what the guard would decide for COMMAND, and why (no hook, no agent needed)."""
    from scanner.guard.engine import SHELL, ToolCall, evaluate

    verdict, reach = evaluate(ToolCall("cli", SHELL, "Bash", str(cwd.resolve()), command=command),
                              task_env=task_env, reach_path=reach_map)
    print(f"{verdict.decision}: {verdict.reason}")
    raise typer.Exit(0)


def _changes(agents: list[str], scope: str, workspace: Path, home: Path, remove: bool):  # type: ignore[no-untyped-def]
    from scanner.guard.install import InstallError, extra_layers, plan

    out = []
    for agent in agents:
        try:
            out.append(plan(agent, scope=scope, workspace=workspace, home=home, remove=remove))
            out.extend(extra_layers(agent, scope=scope, workspace=workspace, home=home, remove=remove))
        except InstallError as exc:
            print(f"credreach: error: {agent}: {exc}", file=sys.stderr)
            raise typer.Exit(2) from None
    return out


def _install(agent: list[str] | None, scope: str, workspace: Path, home_dir: Path | None, dry_run: bool,
             remove: bool) -> None:
    from scanner.guard.install import apply

    agents = _agent_names(agent)
    if not agents:
        raise typer.BadParameter("name at least one --agent")
    if scope not in ("project", "user"):
        raise typer.BadParameter("--scope is project or user")
    home = home_dir or Path(os.path.expanduser("~"))
    for change in _changes(agents, scope, workspace.resolve(), home, remove):
        verb = {(True, True): "would remove from", (True, False): "would write", (False, True): "removed from",
                (False, False): "wrote"}[(dry_run, remove)]
        if change.after == change.before:
            print(f"{change.agent}: {change.path} already {'clean' if remove else 'up to date'}")
            continue
        print(f"{change.agent}: {verb} {change.path}")
        if dry_run:
            print(change.after if change.after is not None else "(file removed)")
        else:
            apply(change)
    if not dry_run and not remove:
        print("Run `credreach guard test` to prove the hook answers; restart the agent's session to load it.")
    raise typer.Exit(0)


@guard_app.command("install")
def install(agent: AgentsOpt = None, scope: ScopeOpt = "project", workspace: WorkspaceOpt = Path("."),
            home_dir: HomeOpt = None,
            dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the merged config, write nothing.")] = False,
            ) -> None:
    """Merge the guard hook into each agent's config, keeping every other setting and hook."""
    _install(agent, scope, workspace, home_dir, dry_run, remove=False)


@guard_app.command("uninstall")
def uninstall(agent: AgentsOpt = None, scope: ScopeOpt = "project", workspace: WorkspaceOpt = Path("."),
              home_dir: HomeOpt = None,
              dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the result, write nothing.")] = False,
              ) -> None:
    """Remove only credreach's hook entries from each agent's config."""
    _install(agent, scope, workspace, home_dir, dry_run, remove=True)


@guard_app.command("test")
def test(agent: AgentsOpt = None, scope: ScopeOpt = "project", workspace: WorkspaceOpt = Path("."),
         home_dir: HomeOpt = None) -> None:
    """Run each installed hook command with a recorded payload and check the answer's format."""
    from scanner.guard.agents import NAMES
    from scanner.guard.install import config_path, installed_command
    from scanner.guard.selftest import GAPS, run

    home = home_dir or Path(os.path.expanduser("~"))
    agents = _agent_names(agent) or list(NAMES)
    failures = 0
    tested = 0
    for name in agents:
        path = config_path(name, scope, workspace.resolve(), home)
        command = installed_command(name, path)
        if command is None:
            if agent:
                print(f"{name}: not installed in {path}")
                failures += 1
            continue
        tested += 1
        result = run(name, command, str(workspace.resolve()), dict(os.environ))
        print(f"{name}: {'ok' if result.ok else 'FAILED'}: {result.detail} ({path})")
        failures += 0 if result.ok else 1
        for gap in GAPS.get(name, []):
            print(f"  warning: {gap}")
    if not tested and not agent:
        print("No credreach hook installed here; `credreach guard install --agent claude-code` installs one.")
    raise typer.Exit(1 if failures else 0)


@guard_app.command("log")
def log(limit: Annotated[int, typer.Option("--limit", "-n", help="How many entries, newest last.")] = 20,
        as_json: Annotated[bool, typer.Option("--json", help="Print the JSONL entries as they are.")] = False) -> None:
    """Show the audit trail of judged tool calls (redacted)."""
    from scanner.guard.audit import log_path, read

    entries = read(limit=limit)
    if not entries:
        print(f"No guard decisions logged yet ({log_path()}).")
        raise typer.Exit(0)
    for entry in entries:
        if as_json:
            print(json.dumps(entry, sort_keys=True))
            continue
        ids = ",".join(entry.get("credential_ids") or []) or "-"
        print(f"{entry.get('time')} {entry.get('agent')} {entry.get('tool')} {str(entry.get('decision')).upper()} "
              f"rule={entry.get('rule')} cred={ids}: {entry.get('command')}")
    raise typer.Exit(0)


def write_reach_map(result: object, roots: tuple[str, ...] | list[str], *, path: Path | None = None,
                    disabled: bool = False, task_env: str | None = None) -> list[Path]:
    """Write the reach map for each scanned directory (``scan``/``preflight`` call this).

    A failure to write is a warning on stderr, never a failed scan: the guard then sees no map and
    treats every credential as unknown, which is the strict side.
    """
    if disabled:
        return []
    from scanner.guard import reachmap
    from scanner.guard.safe_write import UnsafePath

    written: list[Path] = []
    directories = [r for r in roots if os.path.isdir(r)]
    try:
        if path is not None:
            written.append(reachmap.write(result, directories[0] if directories else ".", path=path,
                                          task_env=task_env))
        else:
            for root in directories:
                written.append(reachmap.write(result, root, task_env=task_env))
    except (OSError, UnsafePath) as exc:
        print(f"credreach: warning: reach map not written: {exc}", file=sys.stderr)
    return written

"""The `credreach` command line: thin wiring of sources, providers, policy and reporters."""

from __future__ import annotations

import enum
import gc
import logging
import os
import sys
from collections.abc import Iterable, Iterator
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from scanner.model import ScanResult
from scanner.pipeline import ScanOptions, run_scan
from scanner.policy import at_or_above
from scanner.redact import REDACTOR, RedactingFilter, safe_error

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Which credentials can an AI coding agent discover on its own, "
                       "and what could it destroy with them?")
baseline_app = typer.Typer(no_args_is_help=True, help="Accept known findings so CI gates only new ones.")
app.add_typer(baseline_app, name="baseline")
from scanner.guard.cli import guard_app, write_reach_map  # noqa: E402  (credreach guard ...)

app.add_typer(guard_app, name="guard")

log = logging.getLogger("credreach")


def tool_version() -> str:
    try:
        return version("credreach")
    except PackageNotFoundError:
        return "0.0.0"


def _print_version(value: bool) -> None:
    if value:
        print(f"credreach {tool_version()}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    show_version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                               help="Print credreach's version and exit.")] = False,
) -> None:
    """Which credentials can an AI coding agent discover on its own, and what could it destroy with them?"""


class OutputFormat(str, enum.Enum):
    table = "table"
    json = "json"
    sarif = "sarif"
    markdown = "markdown"


class FailOn(str, enum.Enum):
    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"
    info = "info"
    none = "none"


class Profile(str, enum.Enum):
    workspace = "workspace"
    agent = "agent"


class UsageError(Exception):
    """A mistake in how credreach was called: exit code 2 with a one-line message."""


def parse_endpoints(values: list[str] | None) -> dict[str, str]:
    endpoints: dict[str, str] = {}
    for value in values or []:
        name, sep, url = value.partition("=")
        if not sep or not name or not url.startswith(("http://", "https://", "postgresql://", "postgres://")):
            raise UsageError(f"--endpoint expects NAME=URL (e.g. railway=https://host/graphql/v2), got {value!r}")
        endpoints[name.strip().lower()] = url.strip()
    return endpoints


def parse_size(value: str) -> int:
    text = value.strip().upper()
    units = {"K": 1024, "KB": 1024, "M": 1024**2, "MB": 1024**2, "G": 1024**3, "GB": 1024**3}
    for unit, factor in sorted(units.items(), key=lambda kv: -len(kv[0])):
        if text.endswith(unit):
            try:
                return int(float(text[: -len(unit)]) * factor)
            except ValueError:
                break
    try:
        return int(text)
    except ValueError:
        raise UsageError(f"--max-file-size expects a size like 5MB or 200K, got {value!r}") from None


def setup_logging(verbose: int, debug: bool, show_secrets: bool) -> None:
    REDACTOR.enabled = not show_secrets
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("credreach: %(levelname)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    level = logging.DEBUG if debug or verbose >= 2 else logging.INFO if verbose == 1 else logging.WARNING
    root.setLevel(level)
    for noisy in ("urllib3", "detect-secrets"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def emit(result: ScanResult, fmt: OutputFormat, output: Path | None, show_secrets: bool,
         extra: dict[str, object] | None = None, hidden: int = 0) -> None:
    """Write the report; ``hidden`` is how many credentials a display filter left out."""
    if fmt is OutputFormat.table and output is None:
        from scanner.report.table import render_table

        render_table(result, Console(stderr=False, highlight=False), show_secrets=show_secrets, hidden=hidden)
        return
    chunks = _with_final_newline(render_chunks(result, fmt, show_secrets, extra, hidden))
    if output is None:
        for chunk in chunks:
            sys.stdout.write(chunk)
        return
    from scanner.safe_io import atomic_write_text

    try:
        atomic_write_text(str(output), chunks)
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None


def _with_final_newline(chunks: Iterable[str]) -> Iterator[str]:
    last = ""
    for chunk in chunks:
        if chunk:
            last = chunk
            yield chunk
    if not last.endswith("\n"):
        yield "\n"


def render_chunks(result: ScanResult, fmt: OutputFormat, show_secrets: bool,
                  extra: dict[str, object] | None = None, hidden: int = 0) -> Iterable[str]:
    """:func:`render` as pieces written one by one: a JSON report is never one whole string."""
    if fmt is OutputFormat.json:
        from scanner.report.json_report import render_json_chunks

        if hidden:
            extra = {**(extra or {}), "display_filter": {"hidden": hidden}}
        return render_json_chunks(result, tool_version=tool_version(), show_secrets=show_secrets, extra=extra)
    return [render(result, fmt, show_secrets, extra, hidden)]


def check_output(output: Path | None) -> None:
    """Refuse an ``-o`` path that cannot be written (or is a link) before the scan, not after it."""
    if output is None:
        return
    from scanner.safe_io import check_writable

    try:
        check_writable(str(output))
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None


def render(result: ScanResult, fmt: OutputFormat, show_secrets: bool,
           extra: dict[str, object] | None = None, hidden: int = 0) -> str:
    if fmt is OutputFormat.json:
        from scanner.report.json_report import render_json

        if hidden:
            extra = {**(extra or {}), "display_filter": {"hidden": hidden}}
        return render_json(result, tool_version=tool_version(), show_secrets=show_secrets, extra=extra)
    if fmt is OutputFormat.sarif:
        from scanner.report.sarif import render_sarif

        return render_sarif(result, tool_version=tool_version(), show_secrets=show_secrets)
    if fmt is OutputFormat.markdown:
        from scanner.report.markdown import render_markdown

        return render_markdown(result, show_secrets=show_secrets, hidden=hidden)
    from io import StringIO

    from scanner.report.table import render_table

    buffer = StringIO()
    render_table(result, Console(file=buffer, width=160, no_color=True), show_secrets=show_secrets, hidden=hidden)
    return buffer.getvalue()


def progress_callback(enabled: bool):  # type: ignore[no-untyped-def]
    """A rich progress line on stderr (files, bytes, rate, elapsed) for long scans.

    Quiet when stderr is not a terminal (CI logs, pipes), and transient: it disappears once the
    scan ends. It shows counts only, never a path or a value, so it cannot leak a secret.
    """
    if not enabled or not sys.stderr.isatty():
        return None, None
    from rich.progress import (
        FileSizeColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TransferSpeedColumn,
    )

    progress = Progress(SpinnerColumn(), TextColumn("scanning {task.fields[files]:,} files"), FileSizeColumn(),
                        TransferSpeedColumn(), TimeElapsedColumn(), console=Console(stderr=True),
                        transient=True)
    task = progress.add_task("scanning", total=None, files=0)

    def update(files: int, size: int) -> None:
        progress.update(task, completed=size, files=files)

    return progress, update


def check_roots(options: ScanOptions) -> None:
    for root in options.roots:
        if not os.path.exists(root):
            raise UsageError(f"no such file or directory: {root}")
    if options.diff or options.staged:
        from scanner.sources.diff import repo_root
        from scanner.sources.git import GitError

        for root in options.roots:
            try:
                repo = repo_root(root)
            except GitError as exc:
                raise UsageError(f"--diff/--staged need a git repository: {root} ({exc})") from None
            if options.diff:  # fail closed: an unresolvable range (shallow checkout) is exit 2, not a pass
                from scanner.sources.diff import DiffRangeError, check_range, parse_range

                try:
                    check_range(repo, *parse_range(options.diff))
                except DiffRangeError as exc:
                    raise UsageError(str(exc)) from None


_frozen = False


def freeze_imports() -> None:
    """Set what the imports built (modules, compiled rules, typer's and rich's objects) apart from
    the cyclic garbage collector, once per process: a scan makes hundreds of collections, and each
    older-generation one walked those ~33,000 objects again (about half the parent's GC time on
    the medium corpus of ``bench/``; a worker freezes its own ~77,000, rules and plugins included)."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.freeze()


def run_with_progress(options: ScanOptions) -> ScanResult:
    from scanner.sources.diff import DiffRangeError

    freeze_imports()
    progress, update = progress_callback(True)
    try:
        if progress is None:
            return run_scan(options)
        with progress:
            return run_scan(options, update)
    except DiffRangeError as exc:  # a diff read only in part: the gate cannot judge it (exit 2)
        raise UsageError(str(exc)) from None


def with_control_trust(options: ScanOptions, baseline: Path | None) -> ScanOptions:
    """Decide how far the tree's own control files are trusted (scanner/controls.py)."""
    import dataclasses
    import os

    from scanner.controls import decide

    controls = decide(options.roots, diff=options.diff, staged=options.staged,
                      baseline=str(baseline) if baseline else None, environ=os.environ)
    return dataclasses.replace(options, controls=controls)


def load_baseline_or_fail(path: Path):  # type: ignore[no-untyped-def]
    from scanner.baseline import BaselineError, load_baseline

    try:
        return load_baseline(str(path))
    except BaselineError as exc:
        raise UsageError(str(exc)) from None


def check_rule_files(paths: list[Path] | None, strict_checksums: bool) -> tuple[str, ...]:
    """Validate ``--rules`` files before the scan (a bad file is one clear line, exit 2)."""
    from scanner.detect.catalog import RuleFileError, load_rule_file
    from scanner.detect.checksums import STRICT_ENV

    if strict_checksums:
        os.environ[STRICT_ENV] = "1"  # detection workers are child processes: they inherit it
    for path in paths or ():
        try:
            load_rule_file(path)
        except RuleFileError as exc:
            raise UsageError(str(exc)) from None
    return tuple(str(p) for p in paths or ())


# Shared option declarations -------------------------------------------------------------------
FormatOpt = Annotated[OutputFormat, typer.Option("--format", "-f", help="Report format.")]
OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", help="Write the report to FILE.")]
FailOnOpt = Annotated[FailOn, typer.Option("--fail-on", help="Exit 1 if any finding is at or above this.")]
ShowSecretsOpt = Annotated[bool, typer.Option("--show-secrets", help="Print raw secret values (never by default).")]
OfflineOpt = Annotated[bool, typer.Option("--offline", help="Make no network calls at all.")]
EndpointOpt = Annotated[list[str] | None, typer.Option(
    "--endpoint", help="NAME=URL: send NAME's credentials to URL instead of its default API host.")]
TaskEnvOpt = Annotated[str | None, typer.Option(
    "--task-env", help="The environment the agent's task is about (e.g. staging); reach beyond it is flagged.")]
VerboseOpt = Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log output (redacted).")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Debug log output (still redacted).")]
MinSeverityOpt = Annotated[FailOn | None, typer.Option(
    "--min-severity", help="Show only credentials at or above this severity (display only; --fail-on still sees all).")]
ResultsOpt = Annotated[str | None, typer.Option(
    "--results", help="Show only these verification results, comma-separated: verified (live), "
                      "unverified (rejected by the provider), unknown (not checked or the check failed).")]


def parse_results(value: str | None) -> tuple[str, ...] | None:
    from scanner.report.common import RESULT_CLASSES

    if value is None:
        return None
    wanted = tuple(v.strip().lower() for v in value.split(",") if v.strip())
    unknown = [v for v in wanted if v not in RESULT_CLASSES]
    if unknown or not wanted:
        raise UsageError(f"--results expects a comma-separated list of {', '.join(RESULT_CLASSES)}; got {value!r}")
    return wanted


def apply_display_filter(result: ScanResult, min_severity: FailOn | None,
                         results: str | None) -> tuple[ScanResult, int]:
    """What the report shows; the exit code is decided on the unfiltered result."""
    from scanner.model import Severity
    from scanner.report.common import display_filter

    wanted = parse_results(results)
    floor = None if min_severity is None or min_severity is FailOn.none else Severity(min_severity.value)
    if floor is None and wanted is None:
        return result, 0
    return display_filter(result, min_severity=floor, results=wanted)
ReachMapOpt = Annotated[Path | None, typer.Option(
    "--reach-map", help="Write the reach map `credreach guard` decides from to FILE (default: the user cache dir).")]
NoReachMapOpt = Annotated[bool, typer.Option("--no-reach-map", help="Do not write the reach map for `credreach guard`.")]


@app.command()
def scan(
    paths: Annotated[list[Path] | None, typer.Argument(help="Roots to scan (default: current directory).")] = None,
    fmt: FormatOpt = OutputFormat.table,
    output: OutputOpt = None,
    fail_on: FailOnOpt = FailOn.high,
    include: Annotated[list[str] | None, typer.Option("--include", help="Only scan files matching GLOB (gitignore syntax).")] = None,
    exclude: Annotated[list[str] | None, typer.Option("--exclude", help="Skip files matching GLOB (gitignore syntax).")] = None,
    max_file_size: Annotated[str, typer.Option("--max-file-size", help="Skip files larger than this.")] = "5MB",
    no_default_excludes: Annotated[bool, typer.Option("--no-default-excludes", help="Also scan node_modules, .venv and caches.")] = False,
    profile: Annotated[Profile, typer.Option("--profile", help="agent = workspace + git history + home + env.")] = Profile.workspace,
    git_history: Annotated[bool, typer.Option("--git-history", help="Scan every blob reachable in git history.")] = False,
    history_only: Annotated[bool, typer.Option(
        "--history-only", help="Scan git history only, not the work tree's files (like `gitleaks git`).")] = False,
    home: Annotated[bool, typer.Option("--home", help="Scan credential stores in the home directory.")] = False,
    home_dir: Annotated[Path | None, typer.Option("--home-dir", help="Home directory to scan instead of ~.")] = None,
    env: Annotated[bool, typer.Option("--env", help="Scan this process's environment variables.")] = False,
    env_of: Annotated[list[int] | None, typer.Option("--env-of", help="Scan the environment of process PID.")] = None,
    offline: OfflineOpt = False,
    endpoint: EndpointOpt = None,
    verify_timeout: Annotated[float, typer.Option("--verify-timeout", help="Total seconds for all provider checks.")] = 60.0,
    request_timeout: Annotated[float, typer.Option("--request-timeout", help="Seconds per provider request.")] = 10.0,
    verify_embedded_hosts: Annotated[bool, typer.Option(
        "--verify-embedded-hosts", help="Check database URLs and kubeconfig credentials against the host they name.")] = False,
    task_env: TaskEnvOpt = None,
    diff: Annotated[str | None, typer.Option(
        "--diff", help="Only credentials introduced by BASE..HEAD (or BASE...HEAD), e.g. origin/main.")] = None,
    staged: Annotated[bool, typer.Option("--staged", help="Only credentials the staged changes add (pre-commit).")] = False,
    baseline: Annotated[Path | None, typer.Option("--baseline", help="Suppress credentials accepted in this baseline file.")] = None,
    reach_map: ReachMapOpt = None,
    no_reach_map: NoReachMapOpt = False,
    show_secrets: ShowSecretsOpt = False,
    min_severity: MinSeverityOpt = None,
    results: ResultsOpt = None,
    rules: Annotated[list[Path] | None, typer.Option(
        "--rules", help="Add detection rules from FILE (TOML/YAML, the shape of the built-in catalog).")] = None,
    show_filtered: Annotated[bool, typer.Option(
        "--show-filtered", help="List matches dropped as false alarms, with the filter that dropped each (JSON).")] = False,
    strict_checksums: Annotated[bool, typer.Option(
        "--strict-checksums", help="Drop GitHub/npm tokens whose CRC32 checksum fails instead of reporting them.")] = False,
    verbose: VerboseOpt = 0,
    debug: DebugOpt = False,
) -> None:
    """Scan what an agent can reach and report the credentials and their blast radius."""
    setup_logging(verbose, debug, show_secrets)
    rule_files = check_rule_files(rules, strict_checksums)
    if diff and staged:
        raise UsageError("--diff and --staged cannot be combined")
    if history_only and (diff or staged):
        raise UsageError("--history-only scans whole histories; --diff and --staged scan one change")
    parse_results(results)  # a bad value fails before the scan, not after it
    agent = profile is Profile.agent
    options = ScanOptions(
        roots=tuple(str(p) for p in (paths or [Path(".")])),
        include=tuple(include or ()), exclude=tuple(exclude or ()),
        max_file_size=parse_size(max_file_size), default_excludes=not no_default_excludes,
        workspace=not history_only, git_history=git_history or agent or history_only, home=home or agent,
        home_dir=str(home_dir) if home_dir else None, env=env or agent, env_of=tuple(env_of or ()),
        offline=offline, endpoints=parse_endpoints(endpoint), verify_timeout=verify_timeout,
        request_timeout=request_timeout, allow_embedded_hosts=verify_embedded_hosts, task_env=task_env,
        diff=diff, staged=staged, show_filtered=show_filtered, rule_files=rule_files,
    )
    from scanner.precommit import print_block_hint, staged_files_options  # pre-commit passes file names

    options = staged_files_options(options)
    options = with_control_trust(options, baseline)
    check_roots(options)
    check_output(output)
    accepted = load_baseline_or_fail(baseline) if baseline else None
    result = run_with_progress(options)
    write_reach_map(result, options.roots, path=reach_map, disabled=no_reach_map or bool(diff or staged), task_env=task_env)
    if accepted is not None and options.controls.baseline:
        from scanner.baseline import apply_baseline

        result = apply_baseline(result, accepted)
    shown, hidden = apply_display_filter(result, min_severity, results)
    emit(shown, fmt, output, show_secrets, hidden=hidden)
    failing = at_or_above(result.assessments, fail_on.value)
    if failing and staged:
        print_block_hint(baseline, len(failing))
    raise typer.Exit(EXIT_FINDINGS if failing else EXIT_OK)


@app.command("providers")
def list_providers(fmt: FormatOpt = OutputFormat.table) -> None:
    """List every provider, the credential kinds it recognises and what introspection reveals."""
    from rich.table import Table

    from providers.registry import all_providers

    rows = [(p.name, p.display_name, sorted(p.kinds), p.default_base_url, p.reveals) for p in all_providers()]
    if fmt is OutputFormat.json:
        import json

        print(json.dumps([{"name": n, "display_name": d, "kinds": k, "default_endpoint": u, "reveals": r}
                          for n, d, k, u, r in rows], indent=2))
        return
    table = Table(title="Providers")
    for column in ("name", "kinds", "default endpoint", "introspection reveals"):
        table.add_column(column)
    for name, _display, kinds, url, reveals in rows:
        table.add_row(name, "\n".join(kinds), url, reveals)
    Console().print(table)


def main() -> None:
    """Entry point: no traceback ever reaches the user; secrets are scrubbed from any message."""
    try:
        code = app(standalone_mode=False)
        sys.exit(code if isinstance(code, int) else EXIT_OK)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except UsageError as exc:
        print(f"credreach: error: {REDACTOR.scrub(str(exc))}", file=sys.stderr)
        sys.exit(EXIT_ERROR)
    except (typer.Abort, KeyboardInterrupt):
        print("credreach: interrupted", file=sys.stderr)
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:  # click usage errors and anything unforeseen
        import click

        # typer >= 0.16 vendors click: its usage errors subclass typer.TyperException, not click's.
        if isinstance(exc, (click.exceptions.ClickException, typer.TyperException)) and hasattr(exc, "show"):
            exc.show()
            sys.exit(EXIT_ERROR)
        print(f"credreach: fatal error: {safe_error(exc)}", file=sys.stderr)
        if os.environ.get("CREDREACH_DEBUG_TRACEBACK"):
            raise
        sys.exit(EXIT_ERROR)


def _brief_line(a, workspace: str) -> str:  # type: ignore[no-untyped-def]
    from scanner.report.common import location_text

    cred = a.credential
    loc = cred.locations[0]
    where = location_text(loc)
    more = f" (+{len(cred.locations) - 1} more places)" if len(cred.locations) > 1 else ""
    what = a.reasons[0] if a.reasons else a.verification.reason
    return f"{cred.provider} {cred.kind} {cred.preview} in `{where}`{more}: {what}"


def _agent_summary(a) -> list[str]:  # type: ignore[no-untyped-def]
    lines = []
    for where, agents in a.agent_access.items():
        for agent, entry in agents.items():
            if agent == "claude-code":
                state = f"denied by `{entry['rule']}`" if entry["denied"] else "not denied"
                lines.append(f"{where}: {agent} {state}; {entry['shell']}")
            else:
                state = "ignored" if entry["ignored"] else "not ignored"
                lines.append(f"{where}: {agent} {state} ({entry['file']}); {entry['shell']}")
    return lines


@app.command()
def preflight(
    workspace: Annotated[Path, typer.Argument(help="The agent's workspace (default: current directory).")] = Path("."),
    task_env: TaskEnvOpt = None,
    fmt: FormatOpt = OutputFormat.table,
    output: OutputOpt = None,
    fail_on: FailOnOpt = FailOn.high,
    home_dir: Annotated[Path | None, typer.Option("--home-dir", help="Home directory to check instead of ~.")] = None,
    no_home: Annotated[bool, typer.Option("--no-home", help="Skip home credential stores.")] = False,
    no_env: Annotated[bool, typer.Option("--no-env", help="Skip environment variables.")] = False,
    no_history: Annotated[bool, typer.Option("--no-history", help="Skip git history.")] = False,
    offline: OfflineOpt = False,
    endpoint: EndpointOpt = None,
    verify_timeout: Annotated[float, typer.Option("--verify-timeout", help="Total seconds for all provider checks.")] = 30.0,
    verify_embedded_hosts: Annotated[bool, typer.Option("--verify-embedded-hosts")] = False,
    limit: Annotated[int, typer.Option("--limit", help="How many credentials the brief lists.")] = 10,
    reach_map: ReachMapOpt = None,
    no_reach_map: NoReachMapOpt = False,
    show_secrets: ShowSecretsOpt = False,
    verbose: VerboseOpt = 0,
    debug: DebugOpt = False,
) -> None:
    """Before an agent session: what could the agent discover here, and what could it destroy?"""
    setup_logging(verbose, debug, show_secrets)
    from scanner.reach import annotate

    if not workspace.is_dir():
        raise UsageError(f"workspace is not a directory: {workspace}")
    check_output(output)
    home = str(home_dir) if home_dir else os.path.expanduser("~")
    options = ScanOptions(
        roots=(str(workspace),), git_history=not no_history, home=not no_home, home_dir=home,
        env=not no_env, offline=offline, endpoints=parse_endpoints(endpoint), verify_timeout=verify_timeout,
        allow_embedded_hosts=verify_embedded_hosts, task_env=task_env,
    )
    result, configs = annotate(run_with_progress(options), str(workspace), home)
    write_reach_map(result, (str(workspace),), path=reach_map, disabled=no_reach_map, task_env=task_env)
    failing = at_or_above(result.assessments, fail_on.value)
    if fmt is not OutputFormat.table or output is not None:
        extra: dict[str, object] = {"agent_configs": [{"agent": c.agent, "path": c.path, "error": c.error} for c in configs]}
        emit(result, fmt, output, show_secrets, extra)
        raise typer.Exit(EXIT_FINDINGS if failing else EXIT_OK)
    console = Console(highlight=False)
    scrub = (lambda s: s) if show_secrets else REDACTOR.scrub
    stats = result.stats
    task = f" for a `{task_env}` task" if task_env else ""
    console.print(f"[bold]credreach preflight[/]{task}: {len(result.assessments)} credentials an agent "
                  f"can reach ({stats.files_scanned} items scanned in {stats.duration_seconds:.1f}s).")
    from scanner.report.table import SEVERITY_STYLE

    for a in list(result.assessments)[:limit]:
        console.print(f"[{SEVERITY_STYLE[a.severity]}]{a.severity.value.upper():8}[/] "
                      + escape(scrub(_brief_line(a, str(workspace)))), markup=True, soft_wrap=True)
        if a.beyond_task_env:
            console.print(f"         beyond the task environment `{task_env}`", style="bold red")
        for line in _agent_summary(a)[:3]:
            console.print("         " + scrub(line), style="dim", markup=False)
    if len(result.assessments) > limit:
        console.print(f"… {len(result.assessments) - limit} more: `credreach scan --profile agent` lists all.")
    if not configs:
        console.print("No agent configuration found (.claude/settings.json, .cursorignore, …): "
                      "nothing tells an agent to stay away from these files. `credreach contain` writes rules.")
    if stats.skipped:
        console.print(f"Skipped {len(stats.skipped)} paths (see --format json for why).", style="dim")
    raise typer.Exit(EXIT_FINDINGS if failing else EXIT_OK)


@app.command()
def contain(
    workspace: Annotated[Path, typer.Argument(help="The agent's workspace (default: current directory).")] = Path("."),
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the rules instead of writing them.")] = False,
    agent: Annotated[list[str] | None, typer.Option(
        "--agent", help="Write rules for this agent even if no config of it exists "
                        "(claude-code, cursor, aider, gemini, codeium, cline, roo, docker-agent).")] = None,
    home_dir: Annotated[Path | None, typer.Option("--home-dir", help="Home directory to check instead of ~.")] = None,
    no_home: Annotated[bool, typer.Option("--no-home", help="Skip home credential stores.")] = False,
    offline: Annotated[bool, typer.Option("--offline/--verify", help="Verify tokens to rank what to rotate.")] = True,
    endpoint: EndpointOpt = None,
    verbose: VerboseOpt = 0,
) -> None:
    """Write deny/ignore rules for every credential location, and say what only rotation fixes."""
    setup_logging(verbose, False, False)
    from scanner import contain as containment
    from scanner.reach import agents_in_use, annotate

    home = str(home_dir) if home_dir else os.path.expanduser("~")
    options = ScanOptions(roots=(str(workspace),), git_history=True, home=not no_home, home_dir=home,
                          env=True, offline=offline, endpoints=parse_endpoints(endpoint))
    result, configs = annotate(run_scan(options), str(workspace), home)
    from scanner.reach import IGNORE_FILES

    known = {"claude-code", *IGNORE_FILES.values()}
    for name in agent or []:
        if name not in known:
            raise UsageError(f"unknown agent {name!r}; choose from {', '.join(sorted(known))}")
    agents = agents_in_use(str(workspace), home, configs) | set(agent or [])
    the_plan = containment.plan(list(result.assessments), str(workspace), home, agents, configs)
    console = Console(highlight=False)
    # Written before the summary, so a refused write (a link out of the workspace) is not listed as added.
    refused = {} if dry_run else containment.apply(the_plan)
    for path in refused:
        the_plan.added.pop(path, None)
    if not agents:
        console.print("No agent configuration in use here; pass --agent claude-code (or cursor, aider, …) "
                      "to write rules anyway.")
    for path, rules in the_plan.added.items():
        verb = "would add to" if dry_run else "added to"
        console.print(f"{verb} {path}:", markup=False)
        for rule in rules:
            console.print(f"  {rule}", markup=False)
    if not the_plan.added and agents:
        console.print("Every credential location is already covered by the agent configs in use.")
    for problem in the_plan.problems:
        console.print(f"warning: {problem}", style="yellow", markup=False)
    if the_plan.rotate:
        console.print("\nRules cannot fix these; rotate the credential or move it out of the agent's reach:",
                      style="bold")
        for line in dict.fromkeys(the_plan.rotate):
            console.print(f"  - {REDACTOR.scrub(line)}", markup=False)
    raise typer.Exit(EXIT_OK)


@app.command()
def demo(
    task_env: Annotated[str, typer.Option("--task-env", help="The environment the demo task is about.")] = "staging",
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Rebuild the PocketOS incident offline (loopback fakes, temp machine) and scan it for real."""
    setup_logging(0, False, False)
    from credreach.fakes._server import is_mutating
    from scanner.demo import TASK, run_demo

    try:
        result, world = run_demo(task_env)
    except RuntimeError as exc:
        raise UsageError(str(exc)) from None
    if fmt is not OutputFormat.table:
        emit(result, fmt, None, False)
        raise typer.Exit(EXIT_OK)
    console = Console(highlight=False)
    console.print(f"[bold]PocketOS demo[/]: an agent is asked to \"{TASK}\" (task environment `{task_env}`).")
    console.print("Machine: staging workspace with an unrelated scripts/domains.sh, gh hosts.yml, ~/.aws/credentials, "
                  "RAILWAY_TOKEN in the environment. Providers: loopback fakes.\n")
    for a in result.assessments:
        console.print(f"[{_style(a)}]{a.severity.value.upper():8}[/] {escape(REDACTOR.scrub(_brief_line(a, '')))}",
                      soft_wrap=True)
        for reason in a.reasons[1:4]:
            console.print(f"         {REDACTOR.scrub(reason)}", markup=False, soft_wrap=True)
    console.print()
    from scanner.report.table import render_table

    render_table(result, console)
    sent = {name: len(log) for name, log in world.request_logs.items()}
    mutating = sum(1 for log in world.request_logs.values() for r in log if is_mutating(r))
    console.print(f"\nRequests the fakes received: {sent}; mutating requests: {mutating}.")
    for note in world.notes:
        console.print(f"note: {note}", style="dim", markup=False)
    for step in world.guard_replay:  # `credreach guard hook --agent claude-code`, a real process
        console.print(f"\n[bold]credreach guard[/]: {escape(step.title)}", soft_wrap=True)
        console.print(f"  $ {step.command}", markup=False, soft_wrap=True)
        console.print(f"  -> {step.decision}: {REDACTOR.scrub(step.reason)}", markup=False, soft_wrap=True)
    raise typer.Exit(EXIT_OK)


def _style(a) -> str:  # type: ignore[no-untyped-def]
    from scanner.report.table import SEVERITY_STYLE

    return SEVERITY_STYLE[a.severity]


@baseline_app.command("create")
def baseline_create(
    paths: Annotated[list[Path] | None, typer.Argument(help="Roots to scan (default: current directory).")] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="Baseline file to write.")] = Path(".credreach-baseline.json"),
    reason: Annotated[str, typer.Option("--reason", help="Why these credentials are accepted.")] = "accepted when the baseline was created",
    profile: Annotated[Profile, typer.Option("--profile", help="agent = workspace + git history + home + env.")] = Profile.workspace,
    git_history: Annotated[bool, typer.Option("--git-history", help="Include git history.")] = False,
    exclude: Annotated[list[str] | None, typer.Option("--exclude", help="Skip files matching GLOB.")] = None,
    offline: Annotated[bool, typer.Option("--offline/--verify", help="Verify tokens before accepting them.")] = True,
    endpoint: EndpointOpt = None,
) -> None:
    """Write the fingerprints (never the secrets) of every credential found now, with a reason."""
    setup_logging(0, False, False)
    from scanner.baseline import BaselineError, write_baseline

    agent = profile is Profile.agent
    options = ScanOptions(roots=tuple(str(p) for p in (paths or [Path(".")])), exclude=tuple(exclude or ()),
                          git_history=git_history or agent, home=agent, env=agent, offline=offline,
                          endpoints=parse_endpoints(endpoint))
    check_roots(options)
    check_output(output)
    previous = load_baseline_or_fail(output) if output.exists() else None
    result = run_with_progress(options)
    try:
        data = write_baseline(str(output), result, reason, previous=previous)
    except (BaselineError, OSError) as exc:
        raise UsageError(f"cannot write baseline {output}: {exc}") from None
    print(f"wrote {output}: {len(data['entries'])} accepted credentials (fingerprints only)")
    raise typer.Exit(EXIT_OK)


from scanner.baseline_cli import register as _register_baseline_maintenance  # noqa: E402

_register_baseline_maintenance(baseline_app)  # credreach baseline update / prune / audit

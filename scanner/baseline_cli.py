"""``credreach baseline update | prune | audit``: keep a committed baseline in step with the code.

* ``update`` scans and adds the credentials the baseline lacks (with ``--reason``); every
  existing entry stays, with its reason and first locations. A missing baseline file is created.
* ``prune`` scans and drops the entries the scan no longer finds (rotated or deleted secrets).
  Scan with the scope the baseline was made with (``--git-history``, ``--profile agent``):
  an entry only in history looks gone to a workspace scan. ``--dry-run`` lists without writing.
* ``audit`` lists every entry (redacted preview, reason) as ``present`` (with where it is now) or
  ``stale``; ``--format json`` for tools. It never writes.

Entries are sorted by fingerprint and an update or prune that changes nothing does not rewrite
the file, so the baseline's diff in a pull request shows only real changes. Writes go through
:mod:`scanner.safe_io` (temp file + rename, a link at the target is refused). Nothing here ever
holds or prints a secret: entries are fingerprints, redacted previews and location texts.
"""

from __future__ import annotations

import enum
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from scanner.baseline import Baseline, Maintenance

DEFAULT_BASELINE = Path(".credreach-baseline.json")

PathsArg = Annotated[list[Path] | None, typer.Argument(help="Roots to scan (default: current directory).")]
BaselineOpt = Annotated[Path, typer.Option("--baseline", "-b", "--output", "-o", help="The baseline file.")]
ProfileOpt = Annotated[str, typer.Option(
    "--profile", help="workspace, or agent = workspace + git history + home + env.")]
HistoryOpt = Annotated[bool, typer.Option("--git-history", help="Include git history.")]
ExcludeOpt = Annotated[list[str] | None, typer.Option("--exclude", help="Skip files matching GLOB.")]
OfflineOpt = Annotated[bool, typer.Option("--offline/--verify", help="Verify tokens while scanning.")]
EndpointOpt = Annotated[list[str] | None, typer.Option(
    "--endpoint", help="NAME=URL: send NAME's credentials to URL instead of its default API host.")]


class AuditFormat(str, enum.Enum):
    text = "text"
    json = "json"


def _scan(paths: list[Path] | None, profile: str, git_history: bool, exclude: list[str] | None,
          offline: bool, endpoint: list[str] | None):  # type: ignore[no-untyped-def]
    """The same scan as ``baseline create`` (no baseline applied: every credential counts)."""
    from scanner import cli
    from scanner.pipeline import ScanOptions

    if profile not in ("workspace", "agent"):
        raise cli.UsageError(f"--profile expects workspace or agent, got {profile!r}")
    agent = profile == "agent"
    options = ScanOptions(roots=tuple(str(p) for p in (paths or [Path(".")])), exclude=tuple(exclude or ()),
                          git_history=git_history or agent, home=agent, env=agent, offline=offline,
                          endpoints=cli.parse_endpoints(endpoint))
    cli.check_roots(options)
    return cli.run_with_progress(options)


def _load(path: Path, *, missing_ok: bool) -> Baseline:
    from scanner import cli
    from scanner.baseline import Baseline

    if not os.path.lexists(path):
        if missing_ok:
            return Baseline(version=1, generated_at="", entries=(), path=str(path))
        raise cli.UsageError(f"baseline {path}: file not found (create it with `credreach baseline create`)")
    baseline: Baseline = cli.load_baseline_or_fail(path)
    return baseline


def _write(path: Path, outcome: Maintenance, changed: bool) -> bool:
    from scanner import cli
    from scanner.baseline import BaselineError, write_document

    if not changed and os.path.lexists(path):
        return False
    cli.check_output(path)
    try:
        write_document(str(path), outcome.data)
    except BaselineError as exc:
        raise cli.UsageError(str(exc)) from None
    return True


def _maintain(action, *args):  # type: ignore[no-untyped-def]
    from scanner import cli
    from scanner.baseline import BaselineError

    try:
        return action(*args)
    except BaselineError as exc:
        raise cli.UsageError(str(exc)) from None


def baseline_update(
    paths: PathsArg = None,
    baseline: BaselineOpt = DEFAULT_BASELINE,
    reason: Annotated[str, typer.Option(
        "--reason", help="Why the new credentials are accepted.")] = "accepted by `credreach baseline update`",
    profile: ProfileOpt = "workspace",
    git_history: HistoryOpt = False,
    exclude: ExcludeOpt = None,
    offline: OfflineOpt = True,
    endpoint: EndpointOpt = None,
) -> None:
    """Add the credentials found now that the baseline lacks; keep every existing entry."""
    from scanner import cli
    from scanner.baseline import update_baseline

    cli.setup_logging(0, False, False)
    cli.check_output(baseline)  # a link at the baseline path is refused before it is read
    previous = _load(baseline, missing_ok=True)
    result = _scan(paths, profile, git_history, exclude, offline, endpoint)
    outcome: Maintenance = _maintain(update_baseline, previous, result, reason)
    wrote = _write(baseline, outcome, bool(outcome.added) or outcome.marks_changed)
    state = (f"added {len(outcome.added)}" + (", resolved marks updated" if outcome.marks_changed else "")
             if wrote else "unchanged")
    stale = (f"; {len(outcome.stale)} no longer found, marked resolved (`credreach baseline prune` drops them)"
             if outcome.stale else "")
    print(f"{baseline}: {state}, {len(outcome.entries)} accepted credentials (fingerprints only){stale}")
    raise typer.Exit(cli.EXIT_OK)


def baseline_prune(
    paths: PathsArg = None,
    baseline: BaselineOpt = DEFAULT_BASELINE,
    profile: ProfileOpt = "workspace",
    git_history: HistoryOpt = False,
    exclude: ExcludeOpt = None,
    offline: OfflineOpt = True,
    endpoint: EndpointOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would be dropped; write nothing.")] = False,
) -> None:
    """Drop the entries this scan no longer finds (scan with the scope the baseline was made with)."""
    from scanner import cli
    from scanner.baseline import prune_baseline
    from scanner.redact import REDACTOR

    cli.setup_logging(0, False, False)
    if not dry_run:
        cli.check_output(baseline)
    previous = _load(baseline, missing_ok=False)
    result = _scan(paths, profile, git_history, exclude, offline, endpoint)
    outcome: Maintenance = _maintain(prune_baseline, previous, result)
    by_fp = {e.fingerprint: e for e in previous.entries}
    verb = "would drop" if dry_run else "dropped"
    for fp in outcome.dropped:
        entry = by_fp[fp]
        print(REDACTOR.scrub(f"{verb} {fp[:16]}  {entry.provider} {entry.kind}  {entry.preview}  ({entry.reason})"))
    if not dry_run:
        _write(baseline, outcome, bool(outcome.dropped) or outcome.marks_changed)
    state = f"{verb} {len(outcome.dropped)}" if outcome.dropped else "unchanged"
    print(f"{baseline}: {state}, {len(outcome.entries)} accepted credentials kept")
    raise typer.Exit(cli.EXIT_OK)


def baseline_audit(
    paths: PathsArg = None,
    baseline: BaselineOpt = DEFAULT_BASELINE,
    profile: ProfileOpt = "workspace",
    git_history: HistoryOpt = False,
    exclude: ExcludeOpt = None,
    offline: OfflineOpt = True,
    endpoint: EndpointOpt = None,
    fmt: Annotated[AuditFormat, typer.Option("--format", "-f", help="text or json.")] = AuditFormat.text,
    interactive: Annotated[bool, typer.Option(
        "--interactive", "-i", help="Ask, for each entry without a verdict, true or false positive; "
                                    "answers are saved in the baseline (t/f/s=skip/q=quit, read from stdin).")] = False,
) -> None:
    """List every baseline entry as present (where it is now) or stale; values are never shown."""
    from scanner import cli
    from scanner.baseline import audit_baseline
    from scanner.redact import REDACTOR

    cli.setup_logging(0, False, False)
    if interactive:
        cli.check_output(baseline)
    previous = _load(baseline, missing_ok=False)
    result = _scan(paths, profile, git_history, exclude, offline, endpoint)
    statuses = _maintain(audit_baseline, previous, result)
    if interactive:
        _ask_verdicts(baseline, previous, statuses)
        raise typer.Exit(cli.EXIT_OK)
    if fmt is AuditFormat.json:
        doc = {"baseline": str(baseline), "entries": [
            {**s.entry.to_json(), "status": "present" if s.present else "stale", "found_at": list(s.locations)}
            for s in statuses]}
        print(REDACTOR.scrub(json.dumps(doc, indent=2, ensure_ascii=False)))
        raise typer.Exit(cli.EXIT_OK)
    for s in statuses:
        _print_status(s)
    present = sum(1 for s in statuses if s.present)
    stale = len(statuses) - present
    hint = " (`credreach baseline prune` drops the stale ones)" if stale else ""
    print(f"{baseline}: {len(statuses)} entries, {present} present, {stale} stale{hint}")
    raise typer.Exit(cli.EXIT_OK)


def _print_status(s) -> None:  # type: ignore[no-untyped-def]
    from scanner.redact import REDACTOR

    e = s.entry
    marks = "".join(f"  ({m})" for m in (e.verdict, "marked resolved" if e.resolved else None) if m)
    print(REDACTOR.scrub(f"{'present' if s.present else 'stale':8} {e.fingerprint[:16]}  {e.provider} "
                         f"{e.kind}  {e.preview}{marks}"))
    print(REDACTOR.scrub(f"         reason: {e.reason}"))
    for loc in s.locations if s.present else e.first_locations:
        print(REDACTOR.scrub(f"         {'at' if s.present else 'was at'}: {loc}"))


ANSWERS = {"t": "true-positive", "f": "false-positive"}


def _ask_verdicts(path: Path, previous: Baseline, statuses) -> None:  # type: ignore[no-untyped-def]
    """One question per entry without a verdict; answers are written once, at the end (or at q/EOF)."""
    import sys

    from scanner import cli
    from scanner.baseline import BaselineError, with_verdicts, write_document

    verdicts: dict[str, str] = {}
    pending = [s for s in statuses if not s.entry.verdict]
    for number, status in enumerate(pending, start=1):
        print(f"[{number}/{len(pending)}]")
        _print_status(status)
        answer = ""
        while answer not in ("t", "f", "s", "q"):
            print("  a real secret (t), a false positive (f), skip (s), quit (q)? ", end="", flush=True)
            line = sys.stdin.readline()
            if not line:  # end of input: stop asking, keep what was answered
                answer = "q"
                print()
                break
            answer = line.strip().lower()[:1]
        if answer == "q":
            break
        if answer in ANSWERS:
            verdicts[status.entry.fingerprint] = ANSWERS[answer]
    try:
        data = with_verdicts(previous, verdicts)
        if verdicts:
            write_document(str(path), data)
    except BaselineError as exc:
        raise cli.UsageError(str(exc)) from None
    print(f"{path}: {len(verdicts)} verdicts recorded, {len(pending) - len(verdicts)} entries left without one")


def register(baseline_app: typer.Typer) -> None:
    """Add update/prune/audit to ``credreach baseline`` (called once from :mod:`scanner.cli`)."""
    baseline_app.command("update")(baseline_update)
    baseline_app.command("prune")(baseline_prune)
    baseline_app.command("audit")(baseline_audit)

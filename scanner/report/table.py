"""The terminal report, worst first: where each credential is, whether it is live, what it can do.

Two layouts, chosen by the terminal width:

- at :data:`WIDE_COLUMNS` columns or more, when every location fits its column on one line, a
  table with one row per credential;
- otherwise, one block per credential (like gitleaks' and trufflehog's verbose output), because
  five columns in 80 characters wrap every cell into a column of fragments.

Neither layout ever truncates a location: the location column folds long paths onto the next
line instead of cutting them with an ellipsis (a truncated path names a file that does not exist),
and blocks print each location on its own line with soft wrapping.

Every credential shows its id (``CR-…``, the handle ``baseline``/JSON use). A check that failed on
the network shows ``error: network`` and one summary line below the report explains it, instead of
the same exception text in every row. Only free text (verification reasons, policy's reasons,
identity, warnings) is redacted; kinds, providers and paths are printed as they are.
"""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.table import Table
from rich.text import Text

from scanner.model import Assessment, ScanResult, Severity
from scanner.report.common import Scrubber, location_text, network_failure, network_summary, status_text

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}
MAX_LOCATIONS_SHOWN = 3
WIDE_COLUMNS = 120
"""Below this width the report is one block per credential instead of a table."""


def _locations(a: Assessment, limit: int | None = MAX_LOCATIONS_SHOWN) -> list[str]:
    locs = a.credential.locations
    shown = [location_text(loc) for loc in (locs if limit is None else locs[:limit])]
    if limit is not None and len(locs) > limit:
        shown.append(f"… {len(locs) - limit} more (see --format json)")
    return shown


def _status(a: Assessment, scrub: Scrubber) -> str:
    v = a.verification
    if network_failure(v) or not v.reason:
        return status_text(v)
    return f"{v.status.value}: {scrub.text(v.reason)}"


def _secret(a: Assessment, show_secrets: bool) -> str:
    return a.credential.secret if show_secrets else a.credential.preview


def render_table(result: ScanResult, console: Console, *, show_secrets: bool = False,
                 hidden: int = 0) -> None:
    """Print the report; ``hidden`` is how many credentials a display filter left out."""
    scrub = Scrubber(result, show_secrets)
    stats = result.stats
    if not result.assessments:
        console.print(f"[green]No credentials found[/] in {stats.files_scanned} files "
                      f"({stats.bytes_scanned:,} bytes).")
    elif _table_fits(result, console.width):
        _wide(result, console, scrub, show_secrets)
    else:
        _blocks(result, console, scrub, show_secrets)
    counts = Counter(a.severity.value for a in result.assessments)
    summary = ", ".join(f"{counts[s.value]} {s.value}" for s in Severity if counts.get(s.value))
    console.print(f"Scanned {stats.files_scanned} items ({stats.bytes_scanned:,} bytes) "
                  f"in {stats.duration_seconds:.2f}s. {summary or 'Nothing found.'}", markup=False)
    history = next((src for src in stats.sources if src.name == "git-history"), None)
    if history is not None and history.mb_per_second is not None:
        console.print(f"Git history: {history.items:,} blobs, {history.bytes / 1e6:.1f} MB read in "
                      f"{history.seconds:.2f}s ({history.mb_per_second:.1f} MB/s).", style="dim", markup=False)
    if hidden:
        console.print(f"{hidden} more credentials hidden by --min-severity/--results "
                      "(the exit code still counts them).", style="dim", markup=False)
    network = network_summary(result.assessments, scrub)
    if network:
        console.print(network, style="yellow", markup=False, soft_wrap=True)
    if stats.skipped:
        reasons = Counter(scrub.text(s.reason) for s in stats.skipped)
        console.print("Skipped: " + "; ".join(f"{n} {reason}" for reason, n in reasons.most_common()),
                      style="dim", markup=False)
    if stats.warnings:
        for warning in stats.warnings[:10]:
            console.print(f"warning: {scrub.text(warning)}", style="dim", markup=False)
        if len(stats.warnings) > 10:
            console.print(f"… and {len(stats.warnings) - 10} more warnings (see --format json)", style="dim")
    if result.suppressed or result.resolved:
        console.print(f"Baseline: {result.suppressed} suppressed, {len(result.resolved)} resolved.")


def _table_fits(result: ScanResult, width: int) -> bool:
    """A table only when it is wide enough and every location fits its column on one line.

    A folded path is split over lines and cannot be copied; a block prints it whole.
    """
    if width < WIDE_COLUMNS:
        return False
    longest = max((len(text) for a in result.assessments for text in _locations(a)), default=0)
    return longest <= width // 2 - 10


def _wide(result: ScanResult, console: Console, scrub: Scrubber, show_secrets: bool) -> None:
    table = Table(title="Credentials an agent can reach", show_lines=True, expand=False)
    table.add_column("Severity", no_wrap=True)
    table.add_column("Credential", overflow="fold")
    longest = max((len(text) for a in result.assessments for text in _locations(a)), default=0)
    table.add_column("Where an agent finds it", overflow="fold", min_width=max(20, longest))
    table.add_column("Status", overflow="fold")
    table.add_column("What it can do", overflow="fold")
    for a in result.assessments:
        cred = a.credential
        identity = f"\n{scrub.text(a.blast_radius.identity)}" if a.blast_radius.identity else ""
        table.add_row(
            Text(a.severity.value.upper(), style=SEVERITY_STYLE[a.severity]),
            Text(f"{cred.id}\n{cred.provider} · {cred.kind}\n{_secret(a, show_secrets)}{identity}"),
            Text("\n".join(_locations(a))),
            Text(_status(a, scrub)),
            Text("\n".join(scrub.texts(a.reasons))),
        )
    console.print(table)


def _blocks(result: ScanResult, console: Console, scrub: Scrubber, show_secrets: bool) -> None:
    console.print("Credentials an agent can reach", style="bold", markup=False)
    for a in result.assessments:
        cred = a.credential
        console.print()
        head = Text()
        head.append(f"{a.severity.value.upper():8}", style=SEVERITY_STYLE[a.severity])
        head.append(f" {cred.id}  {cred.provider} · {cred.kind}  {_secret(a, show_secrets)}")
        console.print(head, soft_wrap=True)
        lines: list[tuple[str, str]] = [("where", loc) for loc in _locations(a)]
        lines.append(("status", _status(a, scrub)))
        if a.blast_radius.identity:
            lines.append(("identity", scrub.text(a.blast_radius.identity)))
        lines += [("why", reason) for reason in scrub.texts(a.reasons)]
        previous = ""
        for label, value in lines:
            shown = f"{label}:" if label != previous else ""
            previous = label
            console.print(f"  {shown:10}{value}", markup=False, soft_wrap=True, highlight=False)

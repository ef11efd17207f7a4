"""The terminal report: a rich table, worst first, with where each credential is and what it can do."""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.table import Table
from rich.text import Text

from scanner.model import ScanResult, Severity
from scanner.redact import REDACTOR
from scanner.report.common import location_text

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}
MAX_LOCATIONS_SHOWN = 3


def render_table(result: ScanResult, console: Console, *, show_secrets: bool = False) -> None:
    scrub = (lambda s: s) if show_secrets else REDACTOR.scrub
    stats = result.stats
    if not result.assessments:
        console.print(f"[green]No credentials found[/] in {stats.files_scanned} files "
                      f"({stats.bytes_scanned:,} bytes).")
    else:
        table = Table(title="Credentials an agent can reach", show_lines=True, expand=False)
        table.add_column("Severity", no_wrap=True)
        table.add_column("Credential")
        table.add_column("Where an agent finds it")
        table.add_column("Status")
        table.add_column("What it can do")
        for a in result.assessments:
            cred = a.credential
            locations = [location_text(loc) for loc in cred.locations[:MAX_LOCATIONS_SHOWN]]
            if len(cred.locations) > MAX_LOCATIONS_SHOWN:
                locations.append(f"… {len(cred.locations) - MAX_LOCATIONS_SHOWN} more")
            shown = cred.secret if show_secrets else cred.preview
            identity = f"\n{a.blast_radius.identity}" if a.blast_radius.identity else ""
            table.add_row(
                Text(a.severity.value.upper(), style=SEVERITY_STYLE[a.severity]),
                Text(scrub(f"{cred.provider} · {cred.kind}\n{shown}{identity}")),
                Text(scrub("\n".join(locations))),
                Text(scrub(a.verification.status.value + (f"\n{a.verification.reason}"
                                                          if a.verification.reason else ""))),
                Text(scrub("\n".join(a.reasons))),
            )
        console.print(table)
    counts = Counter(a.severity.value for a in result.assessments)
    summary = ", ".join(f"{counts[s.value]} {s.value}" for s in Severity if counts.get(s.value))
    console.print(f"Scanned {stats.files_scanned} items ({stats.bytes_scanned:,} bytes) "
                  f"in {stats.duration_seconds:.2f}s. {summary or 'Nothing found.'}")
    if stats.skipped:
        reasons = Counter(s.reason for s in stats.skipped)
        console.print("Skipped: " + "; ".join(f"{n} {reason}" for reason, n in reasons.most_common()),
                      style="dim", markup=False)
    if stats.warnings:
        for warning in stats.warnings[:10]:
            console.print(f"warning: {scrub(warning)}", style="dim", markup=False)
        if len(stats.warnings) > 10:
            console.print(f"… and {len(stats.warnings) - 10} more warnings (see --format json)", style="dim")
    if result.suppressed or result.resolved:
        console.print(f"Baseline: {result.suppressed} suppressed, {len(result.resolved)} resolved.")

"""Markdown for a pull-request or merge-request comment.

Layout: a heading, one summary line (counts by severity), a table with one row per credential
(severity, provider/kind, preview, where, what it can do), then one collapsed ``<details>`` block
per credential with every location, the verification, the blast radius and how to rotate.

Paths, store profiles, provider notes and even previews come from outside (a file name may hold
``|``, a backtick or ``<img>``), so every such string goes through :func:`md_escape` (Markdown
and table-safe) or :func:`html_escape` (inside the ``<summary>`` HTML). No code spans are used for
such text, because a backtick inside one cannot be escaped portably.

Free text (verification reasons, policy's reasons, provider notes, identity) is redacted before
it is escaped; structured text (kinds, providers, paths, ids, previews) is only escaped.

A pull-request comment holds 65,536 characters, so the comment is capped at :data:`MAX_CHARS`:
as many credentials as fit (worst first, row and details together), then one line saying how
many more there are and where to see them.
"""

from __future__ import annotations

import html
import re

from scanner.model import Assessment, ScanResult, Severity
from scanner.report.common import (
    Scrubber,
    capability_lines,
    kind_description,
    location_text,
    reason_sentences,
    rotation_advice,
    severity_counts,
    sort_assessments,
    status_text,
    summary_line,
)

HEADING = "## credreach: credentials an AI coding agent can reach"
MAX_CHARS = 60_000
"""Cap on the whole comment (GitHub's limit for a PR comment body is 65,536 characters)."""
MAX_LOCATIONS_IN_TABLE = 1
MAX_LOCATIONS_IN_DETAILS = 25

_ICON = {
    Severity.CRITICAL: "🔴",
    Severity.HIGH: "🟠",
    Severity.MEDIUM: "🟡",
    Severity.LOW: "🔵",
    Severity.INFO: "⚪",
}
# Characters with a meaning anywhere in CommonMark/GFM inline text or tables; characters that only
# matter at the start of a line (list, heading, quote markers) are handled by _LEADING_*.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_LEADING_MARK = re.compile(r"^([-+#>=])")
_LEADING_NUMBER = re.compile(r"^(\d+)([.)])")


def md_escape(text: str) -> str:
    """Text safe inside Markdown paragraphs, list items and table cells.

    HTML-escapes ``& < >`` (no raw HTML from a file name), backslash-escapes Markdown
    punctuation (``|`` included, so a path cannot split a table cell), escapes list/heading
    markers at the start, folds newlines and shows other control characters as escapes.
    """
    text = _printable(re.sub(r"[\r\n]+", " ", text))
    text = _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))
    text = _LEADING_MARK.sub(r"\\\1", text)
    return _LEADING_NUMBER.sub(r"\1\\\2", text)


def html_escape(text: str) -> str:
    """Text safe inside an HTML element such as ``<summary>``."""
    return html.escape(_printable(re.sub(r"[\r\n]+", " ", text)), quote=True)


def _printable(text: str) -> str:
    """Control and separator characters (which some renderers treat as line breaks) shown as
    escapes such as ``\\x1e``, the way the file source prints odd file names."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii")
                   for ch in text)


def render_markdown(result: ScanResult, show_secrets: bool = False, *, max_chars: int = MAX_CHARS,
                    hidden: int = 0) -> str:
    """The PR comment as Markdown text (trailing newline), at most ``max_chars`` characters.

    ``hidden`` is how many credentials a display filter (``--min-severity``/``--results``) left out.
    """
    return _Renderer(result, show_secrets, hidden).render(max_chars)


class _Renderer:
    """Holds the scrubber so every outside string is redacted *before* it is escaped (escaping
    first would hide a secret containing ``_`` or ``|`` from the redaction pass)."""

    def __init__(self, result: ScanResult, show_secrets: bool, hidden: int = 0) -> None:
        self.result = result
        self.show_secrets = show_secrets
        self.hidden = hidden
        self.scrub = Scrubber(result, show_secrets)

    def md(self, text: str) -> str:
        """Structured text (paths, kinds, providers, previews): escaped, never rewritten."""
        return md_escape(text)

    def free(self, text: str) -> str:
        """Free text (reasons, provider messages, notes): redacted, then escaped."""
        return md_escape(self.scrub.text(text))

    def h(self, text: str) -> str:
        return html_escape(text)

    def render(self, max_chars: int = MAX_CHARS) -> str:
        result = self.result
        assessments = sort_assessments(result.assessments)
        head = [HEADING, "", self.summary(), ""]
        tail = self.baseline_notes()
        if self.hidden:
            tail += ["", f"{self.hidden} more credential(s) hidden by --min-severity/--results."]
        if not assessments:
            return "\n".join([*head, "No credential within an agent's reach was found. ✅", *tail]).rstrip() + "\n"
        table_head = ["| Severity | Provider / kind | Preview | Where | What it can do |",
                      "| --- | --- | --- | --- | --- |"]
        rows = [self.row(a) for a in assessments]
        details = ["\n".join(self.details(a)) for a in assessments]
        fixed = len("\n".join([*head, *table_head, "", "### Details", "", *tail])) + 400
        shown, used = 0, fixed
        for row, detail in zip(rows, details, strict=True):
            cost = len(row) + len(detail) + 2
            if used + cost > max_chars:
                break
            used += cost
            shown += 1
        more: list[str] = []
        if shown < len(assessments):
            rest = len(assessments) - shown
            more = ["", f"… {rest} more credential(s) not shown: this comment is capped at {max_chars:,} "
                        "characters. The JSON or SARIF report (`--format json`/`sarif`) lists every one."]
        lines = [*head, *table_head, *rows[:shown], *more]
        if shown:
            lines += ["", "### Details", "", *details[:shown]]
        lines += tail
        return "\n".join(lines).rstrip()[:max_chars - 1] + "\n"

    def summary(self) -> str:
        counts = severity_counts(self.result)
        worst = [f"{_ICON[s]} **{n} {s.value}**" for s, n in counts.items() if n]
        bold = " · ".join(worst) if worst else "nothing found"
        return f"{bold} — {self.md(summary_line(self.result))}"

    def where(self, a: Assessment) -> str:
        locs = sorted(a.credential.locations, key=lambda loc: loc.sort_key())
        if not locs:
            return "—"
        shown = ", ".join(self.md(location_text(loc)) for loc in locs[:MAX_LOCATIONS_IN_TABLE])
        rest = len(locs) - MAX_LOCATIONS_IN_TABLE
        return shown + (f" (+{rest} more)" if rest > 0 else "")

    def can_do(self, a: Assessment) -> str:
        sentences = reason_sentences(a)
        if not sentences:
            sentences = capability_lines(a.blast_radius)[:1]
        return self.free(" ".join(sentences[:2]) if sentences else status_text(a.verification))

    def row(self, a: Assessment) -> str:
        cred = a.credential
        cells = [
            f"{_ICON[a.severity]} {a.severity.value}",
            f"{self.md(cred.provider)} / {self.md(cred.kind)}",
            self.md(cred.preview),
            self.where(a),
            self.can_do(a),
        ]
        return "| " + " | ".join(cells) + " |"

    def details(self, a: Assessment) -> list[str]:
        cred, v, blast = a.credential, a.verification, a.blast_radius
        summary = (f"{_ICON[a.severity]} <b>{self.h(a.severity.value)}</b> "
                   f"{self.h(cred.provider)} / {self.h(cred.kind)} — {self.h(cred.preview)}")
        out = ["<details>", f"<summary>{summary}</summary>", ""]
        out += [self.md(kind_description(cred.kind, cred.provider)), ""]
        out += [f"Credential id: {self.md(cred.id)}", ""]
        if self.show_secrets:
            out += [f"**Secret (shown because of --show-secrets):** {md_escape(cred.secret)}", ""]

        locs = sorted(cred.locations, key=lambda loc: loc.sort_key())
        out += [f"**Where an agent can read it** ({len(locs)}):", ""]
        out += [f"- {self.md(location_text(loc))}" for loc in locs[:MAX_LOCATIONS_IN_DETAILS]]
        if len(locs) > MAX_LOCATIONS_IN_DETAILS:
            out.append(f"- … and {len(locs) - MAX_LOCATIONS_IN_DETAILS} more")
        out.append("")

        verification = f"**Verification:** {self.md(status_text(v))}"
        if v.reason:
            verification += f" — {self.free(v.reason)}"
        if v.endpoint:
            verification += f" (asked {self.md(v.endpoint)})"
        out += [verification, ""]
        facts = []
        if blast.identity:
            facts.append(f"identity {self.free(blast.identity)}")
        if blast.token_type:
            facts.append(f"token type {self.md(blast.token_type)}")
        if blast.scopes:
            facts.append("scopes " + ", ".join(self.md(s) for s in blast.scopes))
        if facts:
            out += [f"**Who it is:** {'; '.join(facts)}", ""]

        out += ["**Why this severity:**", ""]
        out += [f"- {self.free(s)}" for s in reason_sentences(a)]
        out.append("")
        caps = capability_lines(blast)
        if caps or blast.notes:
            out += ["**Blast radius:**", ""]
            out += [f"- {self.md(c)}" for c in caps]
            out += [f"- {self.free(n)}" for n in blast.notes]
            out.append("")
        if blast.unknowns:
            out += ["**Could not be checked without writing (never probed):**", ""]
            out += [f"- {self.free(u)}" for u in blast.unknowns]
            out.append("")
        out += [f"**How to rotate:** {self.md(rotation_advice(cred.kind))}", ""]
        out += [f"<sub>fingerprint {self.h(cred.fingerprint)}</sub>", "", "</details>", ""]
        return out

    def baseline_notes(self) -> list[str]:
        out: list[str] = []
        if self.result.suppressed:
            out += ["", f"{self.result.suppressed} known credential(s) hidden by the baseline."]
        if self.result.resolved:
            out += ["", f"{len(self.result.resolved)} baselined credential(s) no longer found; "
                    "remove them from the baseline once rotated."]
        return out

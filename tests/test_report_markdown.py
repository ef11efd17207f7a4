"""Markdown PR comment: summary, one table row per credential, details blocks, safe escaping."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.detect.rules import KIND_ROTATION
from scanner.model import Location, SourceKind
from scanner.redact import preview
from scanner.report.markdown import HEADING, md_escape, render_markdown
from tests.test_report_sarif import (
    ALL_SECRETS,
    AWS_SECRET_KEY,
    GITHUB_SECRET,
    PIPE_PATH,
    RAILWAY_SECRET,
    sample_result,
)


def table_rows(text: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index("| Severity | Provider / kind | Preview | Where | What it can do |")
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def cells(row: str) -> list[str]:
    """Split a GFM table row on unescaped pipes (a backslash escapes the next character)."""
    parts, current, i = [], [], 0
    while i < len(row):
        ch = row[i]
        if ch == "\\" and i + 1 < len(row):
            current.append(row[i:i + 2])
            i += 2
            continue
        if ch == "|":
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    parts.append("".join(current))
    assert parts[0] == "" and parts[-1] == "", row
    return [p.strip() for p in parts[1:-1]]


def test_heading_summary_and_order() -> None:
    text = render_markdown(sample_result())
    assert text.startswith(HEADING + "\n")
    summary = text.splitlines()[2]
    assert "**1 critical**" in summary and "**1 high**" in summary and "**1 info**" in summary
    assert "5 credentials: 1 critical, 1 high, 1 medium, 1 low, 1 info" in summary
    rows = table_rows(text)
    assert [cells(r)[0].split()[-1] for r in rows] == ["critical", "high", "medium", "low", "info"]


def test_every_row_has_five_cells_even_with_a_pipe_in_the_path() -> None:
    text = render_markdown(sample_result())
    rows = table_rows(text)
    assert len(rows) == 5
    for row in rows:
        assert len(cells(row)) == 5, row
    github_row = next(r for r in rows if "github\\_classic\\_pat" in r)
    where = cells(github_row)[3]
    assert where == "docs/notes \\|draft\\` v2.md:10:5 \\[gitignored\\]"
    assert PIPE_PATH not in text  # never unescaped


def test_row_content() -> None:
    rows = table_rows(render_markdown(sample_result()))
    railway = cells(rows[0])
    assert railway[0] == "🔴 critical"
    assert railway[1] == "railway / railway\\_account\\_token"
    assert railway[2] == md_escape(preview(RAILWAY_SECRET))
    assert railway[3] == "app/.env:3:19 (+2 more)"
    assert "can delete volume \\`pg-data\\` in production" in railway[4]


def test_details_blocks() -> None:
    text = render_markdown(sample_result())
    assert text.count("<details>") == text.count("</details>") == 5
    block = text[text.index("<details>"):text.index("</details>")]
    assert "<summary>🔴 <b>critical</b> railway / railway_account_token" in block
    assert "git history: config/old.env:2:19 in commit 1a2b3c4d5e6f (no longer in the working tree)" in block
    assert "environment variable RAILWAY\\_API\\_TOKEN" in block
    assert "**Verification:** live — viewer query succeeded (asked https://backboard.railway.com/graphql/v2)" \
        in block
    assert "- can delete volume \\`pg-data\\` in environment \\`production\\` of project pocketos (volumeDelete)" \
        in block
    assert "- may be able to write" in block
    assert "never probed" in block
    assert f"**How to rotate:** {md_escape(KIND_ROTATION['railway_account_token'])}" in block
    assert "**Who it is:** identity ops@pocketos.example; token type account" in block


def test_html_in_a_path_is_neutralised() -> None:
    result = sample_result()
    github = next(a for a in result.assessments if a.credential.kind == "github_classic_pat")
    evil = Location("<img src=x onerror=alert(1)>.env", 1, 1, SourceKind.WORKSPACE)
    moved = replace(github, credential=replace(github.credential, locations=(evil,)))
    text = render_markdown(replace(result, assessments=(moved,)))
    assert "<img" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;.env" in text


def test_md_escape() -> None:
    assert md_escape("a|b`c*d_e[f]") == "a\\|b\\`c\\*d\\_e\\[f\\]"
    assert md_escape("- item") == "\\- item"
    assert md_escape("1. first") == "1\\. first"
    assert md_escape("line\nbreak") == "line break"
    assert md_escape("x & <y>") == "x &amp; &lt;y&gt;"


def test_no_raw_secret_unless_asked() -> None:
    text = render_markdown(sample_result())
    for secret in ALL_SECRETS:
        assert secret not in text
        assert md_escape(secret) not in text
    shown = render_markdown(sample_result(), show_secrets=True)
    assert md_escape(GITHUB_SECRET) in shown


def test_a_leaked_secret_is_redacted_before_escaping() -> None:
    """A secret with ``_`` would hide from a redaction pass run after Markdown escaping."""
    result = sample_result()
    github = next(a for a in result.assessments if a.credential.kind == "github_classic_pat")
    leaky = replace(github, reasons=(f"echoed {GITHUB_SECRET} back",),
                    blast_radius=replace(github.blast_radius, notes=(f"secret key {AWS_SECRET_KEY}",)))
    text = render_markdown(replace(result, assessments=(leaky, *result.assessments[:3])))
    assert GITHUB_SECRET not in text and md_escape(GITHUB_SECRET) not in text
    assert AWS_SECRET_KEY not in text and md_escape(AWS_SECRET_KEY) not in text
    assert md_escape(preview(GITHUB_SECRET)) in text


def test_empty_result_and_baseline_notes() -> None:
    result = replace(sample_result(), assessments=(), suppressed=2, resolved=("ab" * 16,))
    text = render_markdown(result)
    assert "No credential within an agent's reach was found." in text
    assert "| Severity |" not in text
    assert "2 known credential(s) hidden by the baseline." in text
    assert "1 baselined credential(s) no longer found" in text


@settings(max_examples=150, deadline=None)
@given(path=st.text(min_size=1, max_size=40))
def test_any_path_keeps_the_table_intact(path: str) -> None:
    result = sample_result()
    github = next(a for a in result.assessments if a.credential.kind == "github_classic_pat")
    moved = replace(github, credential=replace(
        github.credential, locations=(Location(path, 3, 1, SourceKind.WORKSPACE),)))
    text = render_markdown(replace(result, assessments=(moved,)))
    rows = table_rows(text)
    assert len(rows) == 1 and len(cells(rows[0])) == 5
    assert "<" not in rows[0]

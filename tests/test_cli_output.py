"""Terminal and CLI output on real trees, run as real processes.

- the table never truncates a location: below 120 columns (or when a path does not fit) one block
  per credential, with its id; at 200 columns a table that still shows the whole path;
- a network failure shows ``error: network`` and one summary line, not the exception in every row;
- ``--min-severity`` and ``--results`` filter what is shown, never the exit code;
- Markdown is capped at 60,000 characters with an "N more" line;
- ``-v`` logs each provider request (method, host, path, status, time) with no secret in it;
- ``--version``.
"""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import pytest

from credreach.fakes.github import FakeToken, GitHubFake
from scanner.model import (
    Assessment,
    BlastRadius,
    Credential,
    Location,
    ScanResult,
    ScanStats,
    Severity,
    SourceKind,
    Verification,
    VerificationStatus,
)
from scanner.redact import fingerprint, preview
from scanner.report.markdown import MAX_CHARS, render_markdown
from tests.conftest import run_credreach

GH_TOKEN = "ghp_" + "Lm4T8xK2qB9vN5pW1sR7yH3jD0cG6aE8fZ2u"
GH_TOKEN_2 = "ghp_" + "Xc7Y2wP5nQ8rT1vB4mK9jL3hG6fD0sA2eZ5u"
DEEP = "/".join(["services", "payments", "internal", "deployment", "configuration", "environments",
                 "production", "eu-west-1", "secrets-for-the-billing-worker"]) + "/settings.env"


def scan(cwd: Path, *args: str, columns: int = 80, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    run = run_credreach("scan", ".", "--no-reach-map", *args, cwd=cwd,
                        env={"HOME": str(cwd / "no-home"), "COLUMNS": str(columns), **(env or {})})
    assert run.returncode in (0, 1, 2), run.stderr
    assert "Traceback" not in run.stderr
    return run


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    (tmp_path / DEEP).parent.mkdir(parents=True)
    (tmp_path / DEEP).write_text(f"GITHUB_TOKEN={GH_TOKEN}\n")
    (tmp_path / "app.py").write_text('password = "Zr8#mQ2pLx9v"\n')
    return tmp_path


def test_narrow_terminal_prints_one_block_per_credential_with_the_whole_path(tree: Path) -> None:
    run = scan(tree, "--offline", columns=80)
    assert DEEP in run.stdout  # whole, on one line
    where = [line for line in run.stdout.splitlines() if line.startswith("  where:")]
    assert len(where) == 2 and not any("…" in line for line in where)  # no path cut short
    data = json.loads(scan(tree, "--offline", "-f", "json").stdout)
    for cred in data["credentials"]:
        assert re.search(rf"^\w+\s+{cred['id']}\s+{cred['provider']} · {cred['kind']}", run.stdout, re.M), cred["id"]
    assert "  where:    " + DEEP + ":1:14" in run.stdout


def test_wide_terminal_table_shows_ids_and_whole_paths(tree: Path) -> None:
    run = scan(tree, "--offline", columns=240)
    assert DEEP + ":1:14" in run.stdout
    assert "CR-" in run.stdout
    short = tree / "short"
    short.mkdir()
    (short / ".env").write_text(f"GITHUB_TOKEN={GH_TOKEN}\n")
    table = scan(short, "--offline", columns=200)
    assert "Where an agent finds it" in table.stdout and ".env:1:14" in table.stdout
    assert "CR-" in table.stdout


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_network_failure_is_one_summary_line_not_per_row_exceptions(tmp_path: Path) -> None:
    for i, token in enumerate((GH_TOKEN, GH_TOKEN_2)):
        (tmp_path / f"t{i}.env").write_text(f"GITHUB_TOKEN={token}\n")
    dead = f"http://127.0.0.1:{_closed_port()}"
    run = scan(tmp_path, f"--endpoint=github={dead}", "--verify-timeout", "20", "--request-timeout", "3",
               columns=80)
    assert run.stdout.count("status:   error: network") == 2, run.stdout
    summary = [line for line in run.stdout.splitlines() if "could not be verified" in line]
    assert len(summary) == 1 and summary[0].startswith("2 credentials"), run.stdout
    assert "--offline" in summary[0]
    body = run.stdout.split("Scanned")[0]
    assert "ConnectionError" not in body and "Max retries" not in body and "cannot connect" not in body
    report = json.loads(scan(tmp_path, f"--endpoint=github={dead}", "--request-timeout", "3", "-f", "json").stdout)
    assert all(c["verification"]["reason"] for c in report["credentials"])  # JSON keeps the detail


def test_display_filters_change_what_is_shown_not_the_exit_code(tree: Path) -> None:
    full = json.loads(scan(tree, "--offline", "-f", "json").stdout)
    severities = {c["severity"] for c in full["credentials"]}
    assert "low" in severities and "medium" in severities, severities
    shown = scan(tree, "--offline", "-f", "json", "--min-severity", "medium", "--fail-on", "low")
    data = json.loads(shown.stdout)
    assert {c["severity"] for c in data["credentials"]} == {"medium"}
    assert data["display_filter"]["hidden"] == len(full["credentials"]) - len(data["credentials"]) > 0
    assert shown.returncode == 1
    verified_only = scan(tree, "--offline", "--results", "verified", "--fail-on", "medium")
    assert verified_only.returncode == 1  # offline nothing is verified, but the gate still sees them
    assert "hidden by --min-severity/--results" in verified_only.stdout
    unknown = json.loads(scan(tree, "--offline", "-f", "json", "--results", "unknown,unverified").stdout)
    assert len(unknown["credentials"]) == len(full["credentials"])
    bad = scan(tree, "--offline", "--results", "live")
    assert bad.returncode == 2 and "--results expects" in bad.stderr


def _many(n: int) -> ScanResult:
    assessments = []
    for i in range(n):
        secret = f"ghp_{i:06d}" + "Q7wErTyUiOpAsDfGhJkLzXcVbNm1234"[:30]
        fp = fingerprint(secret)
        cred = Credential(id=f"CR-{fp[:10]}", provider="github", kind="github_classic_pat", fingerprint=fp,
                          preview=preview(secret), secret=secret,
                          locations=(Location(f"pkg{i}/config/settings_{i}.env", 1, 14, SourceKind.WORKSPACE),))
        assessments.append(Assessment(cred, Verification(VerificationStatus.NOT_ATTEMPTED, "offline"),
                                      BlastRadius(), Severity.MEDIUM, ("GitHub token; unknown until verified",)))
    return ScanResult(ScanStats(roots=(".",), files_scanned=n, bytes_scanned=n * 50, skipped=()), tuple(assessments))


def test_markdown_is_capped_with_an_n_more_line() -> None:
    text = render_markdown(_many(800))
    assert len(text) <= MAX_CHARS
    match = re.search(r"… (\d+) more credential\(s\) not shown", text)
    assert match
    shown = text.count("<details>")
    assert shown + int(match.group(1)) == 800 and shown > 10
    small = render_markdown(_many(3))
    assert "not shown" not in small and small.count("<details>") == 3


def test_verbose_logs_each_provider_request_without_the_token(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"GITHUB_TOKEN={GH_TOKEN}\n")
    with GitHubFake({GH_TOKEN: FakeToken(kind="classic", login="octo", scopes=("repo",))}) as fake:
        run = scan(tmp_path, f"--endpoint=github={fake.api_url}", "-v", "-f", "json")
        requests = list(fake.requests)
    assert requests
    lines = [line for line in run.stderr.splitlines() if re.search(r" -> \d{3} in \d+\.\d\ds$", line)]
    assert len(lines) == len(requests), run.stderr
    host = fake.api_url.split("://", 1)[1].split("/", 1)[0]
    assert any(f"GET {host} /user -> 200 in " in line for line in lines), lines
    assert GH_TOKEN not in run.stderr
    quiet = scan(tmp_path, f"--endpoint=github={fake.api_url}", "-f", "json")
    assert " -> 200 in " not in quiet.stderr


def test_version_flag(tmp_path: Path) -> None:
    run = run_credreach("--version", cwd=tmp_path)
    assert run.returncode == 0
    assert re.fullmatch(r"credreach \d+\.\d+\.\d+\S*\n", run.stdout), run.stdout


def test_python_dash_m_credreach_runs_the_cli(tmp_path: Path) -> None:
    import subprocess
    import sys
    run = subprocess.run([sys.executable, "-m", "credreach", "--version"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert re.fullmatch(r"credreach \d+\.\d+\.\d+\S*\n", run.stdout), run.stdout

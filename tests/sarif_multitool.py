"""Validate SARIF with Microsoft's SARIF multitool, using GitHub's ingestion rules.

``Sarif.Multitool validate --rule-kind 'Gh;Sarif'`` applies the rules GitHub code scanning applies
on upload (GH1015/GH1017/GH2012: every result needs a ``locations`` array with a physical
location, ...), so a log with zero errors here is one ``upload-sarif`` accepts.

The binary is looked for at ``$SARIF_MULTITOOL``, then in the project-local
``.cache/sarif-multitool/`` that ``tests/sarif_multitool.sh`` installs into (``npm install
--prefix``), then on ``PATH``. Without it a test is skipped with the reason — except in CI
(``CI=true``), where a missing validator fails the test instead of silently passing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
LOCAL = PROJECT / ".cache" / "sarif-multitool" / "node_modules" / "@microsoft" / "sarif-multitool-linux" / "Sarif.Multitool"
RULE_KIND = "Gh;Sarif"


def find_multitool() -> Path | None:
    configured = os.environ.get("SARIF_MULTITOOL")
    candidates = [Path(configured)] if configured else []
    candidates.append(LOCAL)
    on_path = shutil.which("Sarif.Multitool") or shutil.which("sarif-multitool")
    if on_path:
        candidates.append(Path(on_path))
    return next((c for c in candidates if c.is_file() and os.access(c, os.X_OK)), None)


def require_multitool() -> Path:
    """The binary, or skip (fail in CI) saying how to install it."""
    tool = find_multitool()
    if tool is not None:
        return tool
    message = ("Microsoft SARIF multitool not installed: run tests/sarif_multitool.sh "
               "(npm install --prefix .cache/sarif-multitool @microsoft/sarif-multitool)")
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{message}; CI must install it (.ci/run)")
    pytest.skip(message)


@dataclass(frozen=True)
class Finding:
    rule: str
    level: str
    text: str


def validate(sarif_text: str, tool: Path | None = None) -> list[Finding]:
    """Every finding of ``validate --rule-kind Gh;Sarif`` on the log (errors, warnings, notes)."""
    tool = tool or require_multitool()
    with tempfile.TemporaryDirectory(prefix="credreach-sarif-") as tmp:
        log = Path(tmp) / "input.sarif"
        out = Path(tmp) / "validation.sarif"
        log.write_text(sarif_text, encoding="utf-8")
        proc = subprocess.run([str(tool), "validate", "--rule-kind", RULE_KIND, "--output", str(out), str(log)],
                              capture_output=True, text=True, timeout=120)
        assert out.exists(), f"multitool wrote no validation log (exit {proc.returncode}): {proc.stdout}{proc.stderr}"
        report = json.loads(out.read_text(encoding="utf-8-sig"))
    findings: list[Finding] = []
    for run in report.get("runs", []):
        rules = run.get("tool", {}).get("driver", {}).get("rules", [])
        for result in run.get("results", []):
            index = result.get("ruleIndex")
            rule = rules[index] if isinstance(index, int) and index < len(rules) else {}
            level = result.get("level") or rule.get("defaultConfiguration", {}).get("level", "warning")
            message = result.get("message", {})
            text = message.get("text") or " ".join(str(a) for a in message.get("arguments", []))
            findings.append(Finding(result.get("ruleId", "?"), level, text))
        for invocation in run.get("invocations", []):
            for note in invocation.get("toolExecutionNotifications", []):
                if note.get("level") == "error":
                    findings.append(Finding("tool", "error", note.get("message", {}).get("text", "")))
    return findings


def errors(sarif_text: str) -> list[Finding]:
    return [f for f in validate(sarif_text) if f.level == "error"]

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
from collections.abc import Sequence
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
    return validate_many([sarif_text], tool)[0]


def validate_many(sarif_texts: Sequence[str], tool: Path | None = None) -> list[list[Finding]]:
    """:func:`validate` for many logs in one multitool process (it takes ~2 s to start).

    The findings come back per input, in input order; a tool error not tied to one input (e.g. a
    log that is not JSON) is attached to every input so that it cannot go unnoticed.
    """
    if not sarif_texts:
        return []
    tool = tool or require_multitool()
    with tempfile.TemporaryDirectory(prefix="credreach-sarif-") as tmp:
        logs = [Path(tmp) / f"input-{i}.sarif" for i in range(len(sarif_texts))]
        for log, text in zip(logs, sarif_texts, strict=True):
            log.write_text(text, encoding="utf-8")
        out = Path(tmp) / "validation.sarif"
        proc = subprocess.run([str(tool), "validate", "--rule-kind", RULE_KIND, "--output", str(out),
                               *map(str, logs)], capture_output=True, text=True, timeout=300)
        assert out.exists(), f"multitool wrote no validation log (exit {proc.returncode}): {proc.stdout}{proc.stderr}"
        report = json.loads(out.read_text(encoding="utf-8-sig"))
        index_of = {log.resolve().as_uri(): i for i, log in enumerate(logs)}
    per_input: list[list[Finding]] = [[] for _ in sarif_texts]
    for run in report.get("runs", []):
        rules = run.get("tool", {}).get("driver", {}).get("rules", [])
        for result in run.get("results", []):
            index = result.get("ruleIndex")
            rule = rules[index] if isinstance(index, int) and index < len(rules) else {}
            level = result.get("level") or rule.get("defaultConfiguration", {}).get("level", "warning")
            message = result.get("message", {})
            text = message.get("text") or " ".join(str(a) for a in message.get("arguments", []))
            finding = Finding(result.get("ruleId", "?"), level, text)
            uris = [loc.get("physicalLocation", {}).get("artifactLocation", {}).get("uri", "")
                    for loc in result.get("locations", [])]
            targets = {index_of[u] for u in uris if u in index_of}
            for i in targets or range(len(sarif_texts)):
                per_input[i].append(finding)
        for invocation in run.get("invocations", []):
            for note in invocation.get("toolExecutionNotifications", []):
                if note.get("level") == "error":
                    for findings in per_input:
                        findings.append(Finding("tool", "error", note.get("message", {}).get("text", "")))
    return per_input


def errors(sarif_text: str) -> list[Finding]:
    return [f for f in validate(sarif_text) if f.level == "error"]


def assert_ingestible(*sarif_texts: str) -> None:
    """Zero multitool errors (GitHub's ingestion rules and SARIF's) for every log given."""
    for i, findings in enumerate(validate_many(sarif_texts)):
        bad = [f for f in findings if f.level == "error"]
        assert not bad, f"log {i}: " + "\n".join(f"{f.rule}: {f.text}" for f in bad)

"""credreach's own output files are never findings.

A baseline, a reach map, a JSON report or a SARIF file committed to (or written into) the scanned
tree holds HMAC fingerprints: 32 hex digits that every entropy detector flags. Re-scanning the
tree would then "find" them, and each ``baseline create`` would add an entry for the previous
one's fingerprints. Recognition is by *shape*, never by file name alone, because the scanned tree
is hostile: a JSON document counts as credreach output only when it has the top-level shape one
of credreach's writers produces, and inside it only values that look like fingerprints (hex,
16-64 digits, alone or inside a value such as SARIF's ``kind:FINGERPRINT``) are dropped. A real
secret placed in such a file in another shape (a token, a password, a URL) is still reported;
the cost of the shape test is that a hex-only key disguised as a fingerprint inside a
credreach-shaped file is not reported there (it is still reported everywhere else it occurs).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

FILTER_REASON = "credreach_output"
"""``filtered_by`` of a fingerprint found in a credreach output file (listed with --show-filtered)."""

MAX_PARSE_BYTES = 16 * 1024 * 1024
_MARKERS = ('"fingerprint', '"partialFingerprints"', '"credreach reach map')
_HEX = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{16,64}(?![0-9a-fA-F])")
# A fragment of a baseline (diff mode sees only the lines a commit added, which do not parse):
# exactly the line shape scanner.baseline writes, lower-case hex as it writes it.
_BASELINE_LINE = re.compile(r'^\s*"(?:fingerprint|fingerprint_key_id)": "([0-9a-f]{16,64})",?\s*$', re.M)


def _is_credreach_output(doc: Any) -> bool:
    if not isinstance(doc, dict):
        return False
    if "fingerprint_key_id" in doc and isinstance(doc.get("entries"), list):
        return True  # baseline (scanner.baseline)
    if str(doc.get("note", "")).startswith("credreach reach map"):
        return True  # reach map (scanner.guard.reachmap)
    tool = doc.get("tool")
    if isinstance(tool, dict) and tool.get("name") == "credreach":
        return True  # JSON report (scanner.report.json_report)
    runs = doc.get("runs")
    if isinstance(runs, list):  # SARIF (scanner.report.sarif)
        for run in runs:
            driver = run.get("tool", {}).get("driver", {}) if isinstance(run, dict) else {}
            if isinstance(driver, dict) and driver.get("name") == "credreach":
                return True
    return False


def _strings(node: Any) -> Iterator[str]:
    """Every key and string value, iteratively (a hostile document may nest deeply)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            for key, value in item.items():
                yield str(key)
                stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)


def fingerprint_values(text: str) -> frozenset[str]:
    """Fingerprint-shaped values of ``text`` when it is a credreach output file, else empty."""
    if len(text) > MAX_PARSE_BYTES or not any(marker in text for marker in _MARKERS):
        return frozenset()
    if text[:256].lstrip()[:1] != "{":
        return frozenset(_BASELINE_LINE.findall(text))
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        return frozenset(_BASELINE_LINE.findall(text))
    if not _is_credreach_output(doc):
        return frozenset()
    # Whole values (baseline fingerprints, reach-map keys) and hex runs inside values (SARIF's
    # ``"credreach/v1": "kind:FINGERPRINT"``, ``primaryLocationLineHash``).
    return frozenset(found for s in _strings(doc) for found in _HEX.findall(s))

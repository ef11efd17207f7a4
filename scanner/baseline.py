"""Baselines: accept known credentials once, report only new ones, and notice the ones that went away.

A baseline is a small JSON file meant to be committed::

    {
      "version": 1,
      "generated_at": "2025-01-31T12:00:00Z",
      "fingerprint_key_id": "3f1c...",
      "entries": [
        {"fingerprint": "9a0b...", "provider": "github", "kind": "github_classic_pat",
         "preview": "ghp_ab…yz (40 chars)", "reason": "test fixture, revoked",
         "first_locations": ["tests/fixtures/.env:3:14"]}
      ]
    }

It never holds a secret: entries are keyed by the HMAC fingerprint (see :mod:`scanner.redact`)
and carry only the redacted preview and location texts. Matching is by fingerprint alone, so a
baselined secret stays baselined when it moves to another file or line, and a *rotated* secret
(new value, new fingerprint) is reported again. ``fingerprint_key_id`` is the HMAC of a fixed
string under the key in use, so a baseline written under another ``CREDREACH_FINGERPRINT_KEY`` is
refused with a clear error instead of silently un-suppressing everything.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

from scanner.model import Location, ScanResult
from scanner.redact import fingerprint
from scanner.report.common import Scrubber, location_text, sort_assessments
from scanner.safe_io import atomic_write_text
from scanner.sources.base import SKIP_VANISHED, read_regular_file

BASELINE_VERSION = 1
MAX_FIRST_LOCATIONS = 5
MAX_BASELINE_BYTES = 16 * 1024 * 1024
_KEY_CHECK_INPUT = "credreach-baseline-key-check"
_FINGERPRINT_RE = re.compile(r"^[0-9a-fA-F]{16,128}$")
VERDICTS = ("true-positive", "false-positive")


class BaselineError(ValueError):
    """A baseline file that cannot be used; the message names the file and the problem.

    Messages never quote the file's values, in case someone pasted a secret into it.
    """

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"baseline {path}: {problem}")


@dataclass(frozen=True)
class BaselineEntry:
    fingerprint: str
    """HMAC fingerprint of the secret (lower-case hex); the only field used for matching."""
    provider: str
    kind: str
    preview: str
    """Redacted preview, so a reviewer can tell which credential an entry is."""
    reason: str
    """Why it was accepted (``credreach baseline --reason``)."""
    first_locations: tuple[str, ...] = ()
    """Where it was when baselined (location texts, at most five)."""
    verdict: str | None = None
    """``true-positive`` (a real secret, accepted anyway) or ``false-positive``, set by
    ``credreach baseline audit --interactive``; informational, written only when set."""
    resolved: bool = False
    """``credreach baseline update`` found it no longer (``"resolved": true`` in the file; the key is
    written only when true). Still matched: a reverted file does not re-open it."""

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"fingerprint": self.fingerprint, "provider": self.provider, "kind": self.kind,
                               "preview": self.preview, "reason": self.reason,
                               "first_locations": list(self.first_locations)}
        if self.verdict:
            doc["verdict"] = self.verdict
        if self.resolved:
            doc["resolved"] = True
        return doc


@dataclass(frozen=True)
class Baseline:
    version: int
    generated_at: str
    entries: tuple[BaselineEntry, ...]
    fingerprint_key_id: str | None = None
    """See the module docstring; ``None`` for files written without it (no check is made)."""
    path: str | None = None
    """Where it was loaded from, for error messages."""

    @property
    def fingerprints(self) -> frozenset[str]:
        return frozenset(e.fingerprint for e in self.entries)


def fingerprint_key_id() -> str:
    """Identifies the fingerprint key in use without revealing it (HMAC of a fixed string)."""
    return fingerprint(_KEY_CHECK_INPUT)[:16]


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def create_baseline(result: ScanResult, reason: str, *, generated_at: str | None = None,
                    previous: Baseline | None = None) -> dict[str, Any]:
    """The baseline document for every credential in ``result``.

    Build it from a scan *without* a baseline applied (suppressed credentials are no longer in
    the result). Entries already in ``previous`` keep their original reason and locations, so
    regenerating a baseline does not rewrite history; new entries get ``reason``.
    """
    scrub = Scrubber(result)
    kept = {e.fingerprint: e for e in previous.entries} if previous else {}
    entries: dict[str, BaselineEntry] = {}
    for a in sort_assessments(result.assessments):
        cred = a.credential
        fp = cred.fingerprint.lower()
        if fp in entries:
            continue
        if fp in kept:
            entries[fp] = replace(kept[fp], resolved=False)
            continue
        locations = sorted(cred.locations, key=Location.sort_key)[:MAX_FIRST_LOCATIONS]
        entries[fp] = BaselineEntry(
            fingerprint=fp, provider=cred.provider, kind=cred.kind, preview=scrub.text(cred.preview),
            reason=scrub.text(reason), first_locations=tuple(scrub.text(location_text(loc))
                                                             for loc in locations))
    return {
        "version": BASELINE_VERSION,
        "generated_at": generated_at or _now(),
        "fingerprint_key_id": fingerprint_key_id(),
        "entries": [entries[fp].to_json() for fp in sorted(entries)],
    }


def write_baseline(path: str, result: ScanResult, reason: str, *, generated_at: str | None = None,
                   previous: Baseline | None = None) -> dict[str, Any]:
    """Write :func:`create_baseline` to ``path`` atomically (temp file + rename); returns the data."""
    data = create_baseline(result, reason, generated_at=generated_at, previous=previous)
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    try:
        # O_EXCL|O_NOFOLLOW temp file next to the target + rename; a baseline that is a link is refused.
        atomic_write_text(path, text, mode=0o644)
    except OSError as exc:
        raise BaselineError(path, f"cannot write: {exc.strerror or type(exc).__name__}") from None
    return data


def load_baseline(path: str) -> Baseline:
    """Read and validate a baseline file; :class:`BaselineError` for anything unusable."""
    if os.path.isdir(path):
        raise BaselineError(path, "is a directory, not a baseline file")
    data = read_regular_file(path, max_size=MAX_BASELINE_BYTES)
    if data is SKIP_VANISHED:
        raise BaselineError(path, "file not found")
    if not isinstance(data, bytes):
        raise BaselineError(path, f"cannot read: {data}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BaselineError(path, "not UTF-8 text") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(path, f"not valid JSON ({exc.msg} at line {exc.lineno}, "
                                  f"column {exc.colno})") from None
    except RecursionError:  # a hostile baseline nested thousands of levels deep
        raise BaselineError(path, "not valid JSON (nested too deeply)") from None
    return _parse(path, doc)


def _parse(path: str, doc: Any) -> Baseline:
    if not isinstance(doc, dict):
        raise BaselineError(path, "expected a JSON object at the top level")
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise BaselineError(path, "missing or non-integer 'version'")
    if version > BASELINE_VERSION:
        raise BaselineError(path, f"version {version} was written by a newer credreach "
                                  f"(this one reads up to {BASELINE_VERSION})")
    if version < 1:
        raise BaselineError(path, f"unsupported version {version}")
    generated_at = doc.get("generated_at", "")
    if not isinstance(generated_at, str):
        raise BaselineError(path, "'generated_at' must be a string")
    key_id = doc.get("fingerprint_key_id")
    if key_id is not None and not isinstance(key_id, str):
        raise BaselineError(path, "'fingerprint_key_id' must be a string")
    raw_entries = doc.get("entries")
    if not isinstance(raw_entries, list):
        raise BaselineError(path, "missing 'entries' list")
    entries = tuple(_parse_entry(path, i, raw) for i, raw in enumerate(raw_entries, start=1))
    return Baseline(version=version, generated_at=generated_at, entries=entries,
                    fingerprint_key_id=key_id, path=path)


def _parse_entry(path: str, index: int, raw: Any) -> BaselineEntry:
    where = f"entry {index}"
    if not isinstance(raw, dict):
        raise BaselineError(path, f"{where}: expected an object")
    fp = raw.get("fingerprint")
    if not isinstance(fp, str) or not _FINGERPRINT_RE.match(fp):
        raise BaselineError(path, f"{where}: 'fingerprint' must be a string of 16-128 hex digits")
    fields: dict[str, str] = {}
    for name in ("provider", "kind", "preview", "reason"):
        value = raw.get(name, "")
        if not isinstance(value, str):
            raise BaselineError(path, f"{where}: '{name}' must be a string")
        fields[name] = value
    locations = raw.get("first_locations", [])
    if not isinstance(locations, list) or not all(isinstance(x, str) for x in locations):
        raise BaselineError(path, f"{where}: 'first_locations' must be a list of strings")
    resolved = raw.get("resolved", False)
    if not isinstance(resolved, bool):
        raise BaselineError(path, f"{where}: 'resolved' must be true or false")
    verdict = raw.get("verdict")
    if verdict is not None and verdict not in VERDICTS:
        raise BaselineError(path, f"{where}: 'verdict' must be one of {', '.join(VERDICTS)}")
    return BaselineEntry(fingerprint=fp.lower(), first_locations=tuple(locations), resolved=resolved,
                         verdict=verdict, **fields)


def apply_baseline(result: ScanResult, baseline: Baseline) -> ScanResult:
    """``result`` without the baselined credentials.

    ``suppressed`` counts the credentials removed; ``resolved`` lists baseline fingerprints this
    scan did not find (rotated, deleted, or outside what this scan looked at). Both add to any
    values ``result`` already had.
    """
    if baseline.fingerprint_key_id and baseline.fingerprint_key_id != fingerprint_key_id():
        raise BaselineError(
            baseline.path or "<baseline>",
            "was written with a different fingerprint key (CREDREACH_FINGERPRINT_KEY); set the same "
            "key or regenerate the baseline with `credreach baseline`")
    known = baseline.fingerprints
    kept = tuple(a for a in result.assessments if a.credential.fingerprint.lower() not in known)
    found = {a.credential.fingerprint.lower() for a in result.assessments}
    resolved = sorted(set(result.resolved) | (known - found))
    removed = len(result.assessments) - len(kept)
    return replace(result, assessments=kept, suppressed=result.suppressed + removed,
                   resolved=tuple(resolved))


# --- maintenance: `credreach baseline update / prune / audit` --------------------------------------

@dataclass(frozen=True)
class EntryStatus:
    """One baseline entry against a fresh scan (``credreach baseline audit``)."""

    entry: BaselineEntry
    present: bool
    """Found again by this scan; ``False`` means stale (rotated, deleted, or outside its scope)."""
    locations: tuple[str, ...] = ()
    """Where this scan found it (redacted location texts, at most five)."""


@dataclass(frozen=True)
class Maintenance:
    """What update/prune did: the new document and the fingerprints added, dropped, stale."""

    data: dict[str, Any]
    added: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()
    stale: tuple[str, ...] = ()
    marks_changed: bool = False
    """An entry gained or lost its ``resolved`` mark."""

    @property
    def entries(self) -> list[dict[str, Any]]:
        return list(self.data["entries"])


def check_key(baseline: Baseline) -> None:
    """Refuse a baseline written under another fingerprint key: every entry would look stale."""
    if baseline.fingerprint_key_id and baseline.fingerprint_key_id != fingerprint_key_id():
        raise BaselineError(
            baseline.path or "<baseline>",
            "was written with a different fingerprint key (CREDREACH_FINGERPRINT_KEY); set the same "
            "key or regenerate the baseline with `credreach baseline create`")


def _document(previous: Baseline, entries: dict[str, BaselineEntry], changed: bool,
              generated_at: str | None) -> dict[str, Any]:
    """``generated_at`` moves only when the entries changed: an idle update rewrites nothing."""
    stamp = previous.generated_at if not changed and previous.generated_at else generated_at or _now()
    return {
        "version": BASELINE_VERSION,
        "generated_at": stamp,
        "fingerprint_key_id": fingerprint_key_id(),
        "entries": [entries[fp].to_json() for fp in sorted(entries)],
    }


def update_baseline(previous: Baseline, result: ScanResult, reason: str, *,
                    generated_at: str | None = None) -> Maintenance:
    """Every entry of ``previous`` (reasons and locations kept) plus the credentials of ``result``
    it lacks (with ``reason``); entries are sorted by fingerprint, so the file is deterministic.

    Entries this scan does not find are marked ``resolved`` (kept, still matched); a resolved
    entry found again loses the mark. An update that changes none of this yields the previous
    document unchanged (same ``generated_at``).
    """
    check_key(previous)
    fresh = create_baseline(result, reason, generated_at="-")
    found = {raw["fingerprint"] for raw in fresh["entries"]}
    entries = {e.fingerprint: replace(e, resolved=e.fingerprint not in found) for e in previous.entries}
    changed = any(e.resolved != entries[e.fingerprint].resolved for e in previous.entries)
    added = []
    for raw in fresh["entries"]:
        if raw["fingerprint"] not in entries:
            entries[raw["fingerprint"]] = _parse_entry(previous.path or "<scan>", 0, raw)
            added.append(raw["fingerprint"])
    stale = tuple(sorted(fp for fp in previous.fingerprints if fp not in found))
    return Maintenance(_document(previous, entries, changed or bool(added), generated_at), tuple(added), (),
                       stale, changed)


def prune_baseline(previous: Baseline, result: ScanResult, *, generated_at: str | None = None) -> Maintenance:
    """``previous`` without the entries ``result`` no longer finds (order and reasons kept)."""
    check_key(previous)
    found = {a.credential.fingerprint.lower() for a in result.assessments}
    kept = {e.fingerprint: replace(e, resolved=False) for e in previous.entries if e.fingerprint in found}
    dropped = tuple(sorted(e.fingerprint for e in previous.entries if e.fingerprint not in found))
    marks = any(e.resolved for e in previous.entries if e.fingerprint in found)
    return Maintenance(_document(previous, kept, bool(dropped) or marks, generated_at), (), dropped, (), marks)


def audit_baseline(previous: Baseline, result: ScanResult) -> list[EntryStatus]:
    """Each entry of ``previous`` in fingerprint order, present or stale in ``result``."""
    check_key(previous)
    scrub = Scrubber(result)
    where: dict[str, tuple[str, ...]] = {}
    for a in result.assessments:
        cred = a.credential
        locations = sorted(cred.locations, key=Location.sort_key)[:MAX_FIRST_LOCATIONS]
        where.setdefault(cred.fingerprint.lower(), tuple(scrub.text(location_text(loc)) for loc in locations))
    return [EntryStatus(e, e.fingerprint in where, where.get(e.fingerprint, ()))
            for e in sorted(previous.entries, key=lambda e: e.fingerprint)]


def write_document(path: str, data: dict[str, Any]) -> None:
    """Write a baseline document atomically, never through a link (:mod:`scanner.safe_io`)."""
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    try:
        atomic_write_text(path, text, mode=0o644)
    except OSError as exc:
        raise BaselineError(path, f"cannot write: {exc.strerror or type(exc).__name__}") from None


def with_verdicts(previous: Baseline, verdicts: dict[str, str], *, generated_at: str | None = None) -> dict[str, Any]:
    """``previous`` with ``verdicts`` (fingerprint -> one of :data:`VERDICTS`) recorded."""
    check_key(previous)
    entries = {e.fingerprint: replace(e, verdict=verdicts.get(e.fingerprint, e.verdict)) for e in previous.entries}
    changed = any(entries[e.fingerprint].verdict != e.verdict for e in previous.entries)
    return _document(previous, entries, changed, generated_at)

"""JSON report: the documented, stable machine-readable form of a scan (schema in the README).

Secrets appear only as ``preview`` and ``fingerprint`` unless ``show_secrets`` is set, in which
case each credential also carries ``secret``. Free-text values (verification reasons, policy's
reasons, provider notes and unknowns, identity, warnings, skip reasons) are redacted one by one
as they are put in the report; structured fields (ids, kinds, providers, rules, paths,
fingerprints, resource names) are written as they are.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from scanner.model import (
    Assessment,
    BlastRadius,
    Capability,
    Location,
    Resource,
    ScanResult,
    ScanStats,
    SourceStats,
    Verification,
)
from scanner.report.common import Scrubber

SCHEMA_VERSION = "1"
MAX_SKIPPED_EXAMPLES = 20


def location_dict(loc: Location) -> dict[str, Any]:
    data: dict[str, Any] = {
        "path": loc.path,
        "line": loc.line,
        "column": loc.column,
        "source": loc.source.value,
        "gitignored": loc.gitignored,
        "tracked": loc.tracked,
        "readable": loc.readable,
    }
    for name in ("store", "profile", "commit", "author_date"):
        value = getattr(loc, name)
        if value is not None:
            data[name] = value
    if loc.history_only:
        data["history_only"] = True
    return data


def resource_dict(resource: Resource) -> dict[str, Any]:
    """A resource; ``env_basis`` (when known) says why it got its environment class."""
    data: dict[str, Any] = {"kind": resource.kind, "name": resource.name, "environment": resource.environment,
                            "env_class": resource.env_class.value, "parent": resource.parent}
    if resource.env_basis:
        data["env_basis"] = resource.env_basis
    return data


def capability_dict(cap: Capability, scrub: Scrubber | None = None) -> dict[str, Any]:
    """A capability; a possible one carries ``left_open_by``: the provider document that leaves it open."""
    data: dict[str, Any] = {"action": cap.action.value, "operation": cap.operation, "certain": cap.certain,
                            "resources": [resource_dict(r) for r in cap.resources]}
    if cap.note:
        data["left_open_by"] = _free(scrub, cap.note)
    return data


def _free(scrub: Scrubber | None, text: str) -> str:
    return scrub.text(text) if scrub is not None else text


def verification_dict(verification: Verification, scrub: Scrubber | None = None) -> dict[str, Any]:
    return {"status": verification.status.value, "reason": _free(scrub, verification.reason),
            "endpoint": verification.endpoint}


def blast_dict(blast: BlastRadius, scrub: Scrubber | None = None) -> dict[str, Any]:
    return {
        "identity": _free(scrub, blast.identity) if blast.identity else blast.identity,
        "token_type": blast.token_type,
        "scopes": list(blast.scopes),
        "resources": [resource_dict(r) for r in blast.resources],
        "capabilities": [capability_dict(c, scrub) for c in blast.capabilities],
        "notes": [_free(scrub, n) for n in blast.notes],
        "unknowns": [_free(scrub, u) for u in blast.unknowns],
    }


def assessment_dict(a: Assessment, show_secrets: bool = False, scrub: Scrubber | None = None) -> dict[str, Any]:
    """One credential; ``scrub`` redacts its free-text values (None: the caller already did)."""
    cred = a.credential
    data: dict[str, Any] = {
        "id": cred.id,
        "provider": cred.provider,
        "kind": cred.kind,
        "fingerprint": cred.fingerprint,
        "preview": cred.preview,
        "locations": [location_dict(loc) for loc in cred.locations],
        "verification": verification_dict(a.verification, scrub),
        "blast_radius": blast_dict(a.blast_radius, scrub),
        "severity": a.severity.value,
        "reasons": [_free(scrub, r) for r in a.reasons],
        "beyond_task_env": a.beyond_task_env,
        "rules": list(cred.rules),
    }
    if a.agent_access:
        data["agent_access"] = a.agent_access
    if show_secrets:
        data["secret"] = cred.secret
    return data


def _source_dict(source: SourceStats) -> dict[str, Any]:
    data: dict[str, Any] = {"name": source.name, "items": source.items, "hits": source.hits}
    if source.bytes:
        data["bytes"] = source.bytes
    rate = source.mb_per_second
    if rate is not None:
        data["seconds"], data["mb_per_second"] = source.seconds, round(rate, 2)
    return data


def skipped_dict(stats: ScanStats, scrub: Scrubber | None = None) -> dict[str, Any]:
    counts = Counter(s.reason for s in stats.skipped)
    examples: dict[str, list[str]] = {}
    for s in stats.skipped:
        shown = examples.setdefault(s.reason, [])
        if len(shown) < MAX_SKIPPED_EXAMPLES:
            shown.append(s.path)
    out: dict[str, Any] = {}
    for reason, count in counts.most_common():
        out[_free(scrub, reason)] = {"count": count, "examples": examples[reason]}
    return out


class Encoded(list[Any]):
    """A report list built item by item as it is written (:func:`layout`), not held whole.

    A 1 GB tree yields ~100,000 credential locations; their dicts, built all at once, were the
    largest allocation of the run (tens of MB on top of the result itself). Only :func:`layout`
    encodes it; ``json.dumps`` would see an empty list, so ``result_dict`` returns one only when
    asked (``lazy=True``)."""

    def __init__(self, items: Sequence[Any], build: Callable[[Any], Any]) -> None:
        super().__init__()
        self.items, self.build = items, build

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Any]:
        return map(self.build, self.items)


def result_dict(result: ScanResult, *, tool_version: str, show_secrets: bool = False,
                extra: dict[str, Any] | None = None, lazy: bool = False) -> dict[str, Any]:
    """The report as plain data; ``lazy``: the credential list is an :class:`Encoded` (for layout)."""
    stats = result.stats
    scrub = Scrubber(result, show_secrets)
    counts = Counter(a.severity.value for a in result.assessments)
    data: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "credreach", "version": tool_version},
        "scan": {
            "roots": list(stats.roots),
            "files_scanned": stats.files_scanned,
            "bytes_scanned": stats.bytes_scanned,
            "duration_seconds": stats.duration_seconds,
            "skipped": skipped_dict(stats, scrub),
            "warnings": scrub.texts(stats.warnings),
            "sources": [_source_dict(s) for s in stats.sources],
        },
        "summary": {sev: counts.get(sev, 0) for sev in ("critical", "high", "medium", "low", "info")},
        "credentials": (Encoded(result.assessments, lambda a: assessment_dict(a, show_secrets, scrub)) if lazy
                        else [assessment_dict(a, show_secrets, scrub) for a in result.assessments]),
    }
    if result.filtered:  # only with --show-filtered: matches dropped as false alarms, values redacted
        data["filtered"] = [{"provider": f.provider, "kind": f.kind, "rule": f.rule, "filtered_by": f.filtered_by,
                             "preview": f.preview if not show_secrets else f.preview,
                             "location": location_dict(f.location)} for f in result.filtered]
    if result.resolved or result.suppressed:
        data["baseline"] = {"suppressed": result.suppressed, "resolved": list(result.resolved)}
    if extra:
        data.update(extra)
    return data


def render_json(result: ScanResult, *, tool_version: str, show_secrets: bool = False,
                extra: dict[str, Any] | None = None) -> str:
    return "".join(render_json_chunks(result, tool_version=tool_version, show_secrets=show_secrets, extra=extra))


def render_json_chunks(result: ScanResult, *, tool_version: str, show_secrets: bool = False,
                       extra: dict[str, Any] | None = None) -> Iterator[str]:
    """:func:`render_json` as pieces to write one after the other (no whole-report string)."""
    return layout_chunks(result_dict(result, tool_version=tool_version, show_secrets=show_secrets, extra=extra,
                                     lazy=True))


def layout(data: dict[str, Any]) -> str:
    """The report as JSON with one top-level key per line and one list item (a credential) per line.

    ``json.dumps(indent=2)`` runs Python's pure-Python encoder (the C one takes no indent) and cost
    a second per 25,000 credentials in the parent process, serial to every worker. Each line here
    is encoded by the C encoder; the layout also keeps one credential per line for grep and diff.
    """
    return "".join(layout_chunks(data))


def layout_chunks(data: dict[str, Any]) -> Iterator[str]:
    """:func:`layout` in pieces: one per top-level key, one per list item."""
    yield "{\n"
    items = list(data.items())
    for position, (key, value) in enumerate(items):
        comma = "," if position < len(items) - 1 else ""
        name = json.dumps(key)
        if isinstance(value, list) and value:
            yield f"  {name}: [\n"
            separator = ""
            for item in value:
                yield f"{separator}    {json.dumps(item)}"
                separator = ",\n"
            yield f"\n  ]{comma}\n"
        else:
            yield f"  {name}: {json.dumps(value)}{comma}\n"
    yield "}"

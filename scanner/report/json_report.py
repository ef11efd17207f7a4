"""JSON report: the documented, stable machine-readable form of a scan (schema in the README).

Secrets appear only as ``preview`` and ``fingerprint`` unless ``show_secrets`` is set, in which
case each credential also carries ``secret``.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from scanner.model import (
    Assessment,
    BlastRadius,
    Capability,
    Location,
    Resource,
    ScanResult,
    ScanStats,
    Verification,
)
from scanner.redact import REDACTOR

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
    return {"kind": resource.kind, "name": resource.name, "environment": resource.environment,
            "env_class": resource.env_class.value, "parent": resource.parent}


def capability_dict(cap: Capability) -> dict[str, Any]:
    return {"action": cap.action.value, "operation": cap.operation, "certain": cap.certain,
            "resources": [resource_dict(r) for r in cap.resources]}


def verification_dict(verification: Verification) -> dict[str, Any]:
    return {"status": verification.status.value, "reason": verification.reason,
            "endpoint": verification.endpoint}


def blast_dict(blast: BlastRadius) -> dict[str, Any]:
    return {
        "identity": blast.identity,
        "token_type": blast.token_type,
        "scopes": list(blast.scopes),
        "resources": [resource_dict(r) for r in blast.resources],
        "capabilities": [capability_dict(c) for c in blast.capabilities],
        "notes": list(blast.notes),
        "unknowns": list(blast.unknowns),
    }


def assessment_dict(a: Assessment, show_secrets: bool = False) -> dict[str, Any]:
    cred = a.credential
    data: dict[str, Any] = {
        "id": cred.id,
        "provider": cred.provider,
        "kind": cred.kind,
        "fingerprint": cred.fingerprint,
        "preview": cred.preview,
        "locations": [location_dict(loc) for loc in cred.locations],
        "verification": verification_dict(a.verification),
        "blast_radius": blast_dict(a.blast_radius),
        "severity": a.severity.value,
        "reasons": list(a.reasons),
        "beyond_task_env": a.beyond_task_env,
        "rules": list(cred.rules),
    }
    if a.agent_access:
        data["agent_access"] = a.agent_access
    if show_secrets:
        data["secret"] = cred.secret
    return data


def skipped_dict(stats: ScanStats) -> dict[str, Any]:
    counts = Counter(s.reason for s in stats.skipped)
    out: dict[str, Any] = {}
    for reason, count in counts.most_common():
        examples = [s.path for s in stats.skipped if s.reason == reason][:MAX_SKIPPED_EXAMPLES]
        out[reason] = {"count": count, "examples": examples}
    return out


def result_dict(result: ScanResult, *, tool_version: str, show_secrets: bool = False,
                extra: dict[str, Any] | None = None) -> dict[str, Any]:
    stats = result.stats
    counts = Counter(a.severity.value for a in result.assessments)
    data: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "credreach", "version": tool_version},
        "scan": {
            "roots": list(stats.roots),
            "files_scanned": stats.files_scanned,
            "bytes_scanned": stats.bytes_scanned,
            "duration_seconds": stats.duration_seconds,
            "skipped": skipped_dict(stats),
            "warnings": list(stats.warnings),
            "sources": [{"name": s.name, "items": s.items, "hits": s.hits} for s in stats.sources],
        },
        "summary": {sev: counts.get(sev, 0) for sev in ("critical", "high", "medium", "low", "info")},
        "credentials": [assessment_dict(a, show_secrets) for a in result.assessments],
    }
    if result.resolved or result.suppressed:
        data["baseline"] = {"suppressed": result.suppressed, "resolved": list(result.resolved)}
    if extra:
        data.update(extra)
    return data


def render_json(result: ScanResult, *, tool_version: str, show_secrets: bool = False,
                extra: dict[str, Any] | None = None) -> str:
    text = json.dumps(result_dict(result, tool_version=tool_version, show_secrets=show_secrets,
                                  extra=extra), indent=2)
    return text if show_secrets else REDACTOR.scrub(text)

"""SARIF 2.1.0 for GitHub code scanning (and any other SARIF consumer).

One result per credential, one rule per credential kind. What code scanning needs and why the
output looks the way it does:

Workspace files
    ``physicalLocation`` with a URI relative to the scan root (``uriBaseId`` ``%SRCROOT%``,
    percent-encoded so that spaces, ``|`` or ``:`` in file names still make a valid
    ``uri-reference``) and a ``region`` (``startLine``, ``startColumn``; ``endColumn`` when the
    secret sits on one line). At most 10 physical locations (code scanning's limit); the first is
    the one code scanning annotates.

Git history, home credential stores, environment variables
    These are *not* files of the analysed commit, so they get no ``physicalLocation`` and no
    invented path: a ``git:`` URI scheme makes the upload fail ("SARIF URI scheme did not match
    the checkout URI scheme"), and a location carrying only ``logicalLocations`` makes GitHub
    reject the whole file ("expected a physical location", forcedotcom/code-analyzer#1970).
    Instead every such place is described in ``result.properties.credreachLocations`` (source,
    commit and path for history, variable name for env, store and profile for home) and named in
    the message text ("also in git history: config/old.env:2 in commit 1a2b3c4d ..."). A credential
    found *only* there becomes a result without ``locations``: the file still uploads, code
    scanning keeps it as a repository-level result (it may not show it in the alert list), and the
    JSON, table and Markdown reports show it in full. ``properties.credreachSource`` lists every
    source kind the credential was found in.

Identity across runs
    ``partialFingerprints`` holds ``credreach/v1`` = ``kind:fingerprint`` (the HMAC fingerprint of
    the secret, never the secret) and a ``primaryLocationLineHash`` derived from the same value.
    Code scanning only reads ``primaryLocationLineHash``; deriving it from the credential rather
    than from the line's text keeps one alert per credential when lines move, the file is
    renamed or the secret is also found elsewhere, and gives history/env-only results an identity.

Severity
    ``level`` per result (critical/high → error, medium → warning, low/info → note) and
    ``properties.security-severity`` (critical 9.5, high 8.0, medium 5.5, low 3.0, info 1.0) on each
    result. Code scanning reads ``security-severity`` from the *rule*, and rules are per kind, so
    each rule carries the worst severity among its results in this run.

Messages carry the redacted preview and policy's reasons (the blast radius), never the secret.
Everything emitted passes through :class:`~scanner.report.common.Scrubber` unless ``show_secrets``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from scanner.model import Assessment, Location, ScanResult, Severity, SourceKind
from scanner.report.common import (
    Scrubber,
    env_var_name,
    git_location,
    kind_description,
    location_text,
    reason_sentences,
    rotation_advice,
    sort_assessments,
    summary_line,
    workspace_relpath,
)

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "credreach"
FINGERPRINT_KEY = "credreach/v1"
MAX_PHYSICAL_LOCATIONS = 10
"""Code scanning accepts at most 10 locations per result."""

SECURITY_SEVERITY: dict[Severity, str] = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}
LEVEL: dict[Severity, str] = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}

_SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
# RFC 3986 unreserved characters plus "/" stay literal; everything else is percent-encoded.
_URI_SAFE = "/-._~"


def render_sarif(result: ScanResult, *, tool_version: str, show_secrets: bool = False,
                 cwd: str | None = None) -> str:
    """The SARIF log as JSON text (UTF-8, trailing newline).

    ``cwd`` is the directory relative workspace paths are relative to (default: the process's
    working directory, which is what the file source uses).
    """
    scrub = Scrubber(result, show_secrets)
    roots = tuple(result.stats.roots) or (".",)
    base = cwd or os.getcwd()
    assessments = sort_assessments(result.assessments)

    rule_ids = sorted({a.credential.kind for a in assessments})
    rule_index = {kind: i for i, kind in enumerate(rule_ids)}
    rules = [_rule(kind, [a for a in assessments if a.credential.kind == kind]) for kind in rule_ids]
    results = [_result(a, rule_index[a.credential.kind], roots, base, show_secrets)
               for a in assessments]

    driver: dict[str, Any] = {"name": TOOL_NAME, "fullName": f"{TOOL_NAME} {tool_version}",
                              "version": tool_version, "rules": rules}
    if _SEMVER.match(tool_version):
        driver["semanticVersion"] = tool_version
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "originalUriBaseIds": _uri_base_ids(roots, base),
        "columnKind": "unicodeCodePoints",
        "invocations": [_invocation(result)],
        "results": results,
        "properties": {
            "summary": summary_line(result),
            "suppressed": result.suppressed,
            "resolvedFingerprints": list(result.resolved),
        },
    }
    log = {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}
    return json.dumps(scrub.tree(log), indent=2, ensure_ascii=False) + "\n"


def _base_id(index: int) -> str:
    return "%SRCROOT%" if index == 0 else f"SRCROOT{index + 1}"


def _uri_base_ids(roots: tuple[str, ...], base: str) -> dict[str, Any]:
    out = {}
    for i, root in enumerate(roots):
        absolute = os.path.normpath(os.path.join(base, root))
        out[_base_id(i)] = {"uri": Path(absolute).as_uri().rstrip("/") + "/",
                            "description": {"text": "A root given to `credreach scan`."}}
    return out


def _invocation(result: ScanResult) -> dict[str, Any]:
    invocation: dict[str, Any] = {"executionSuccessful": True}
    notes = [{"level": "warning", "message": {"text": w}} for w in result.stats.warnings]
    if notes:
        invocation["toolExecutionNotifications"] = notes
    return invocation


def _rule(kind: str, members: list[Assessment]) -> dict[str, Any]:
    provider = members[0].credential.provider if members else ""
    worst = max((a.severity for a in members), key=lambda s: s.rank, default=Severity.MEDIUM)
    description = kind_description(kind, provider)
    rotation = rotation_advice(kind)
    why = ("credreach reports a credential when an AI coding agent working in this repository or "
           "on this machine could read it, and says what the provider allows it to do.")
    return {
        "id": kind,
        "name": "".join(part.capitalize() for part in kind.split("_")) or kind,
        "shortDescription": {"text": _first_sentence(description)[:1024]},
        "fullDescription": {"text": f"{description} {why}"[:1024]},
        "help": {
            "text": f"{description}\n\nHow to rotate: {rotation}\n\n{why}",
            "markdown": f"**{description}**\n\n**How to rotate:** {rotation}\n\n{why}",
        },
        "defaultConfiguration": {"level": LEVEL[worst]},
        "properties": {
            "tags": ["security", "secret", "credential", provider] if provider else
                    ["security", "secret", "credential"],
            "precision": "high",
            "security-severity": SECURITY_SEVERITY[worst],
            "provider": provider,
        },
    }


def _first_sentence(text: str) -> str:
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    return match.group(1) if match else text


def _identity(assessment: Assessment) -> str:
    return f"{assessment.credential.kind}:{assessment.credential.fingerprint}"


def partial_fingerprints(assessment: Assessment) -> dict[str, str]:
    """Stable across runs, line moves and renames: derived from kind and secret fingerprint only."""
    identity = _identity(assessment)
    line_hash = hashlib.sha256(identity.encode()).hexdigest()[:16]
    return {FINGERPRINT_KEY: identity, "primaryLocationLineHash": f"{line_hash}:1"}


def _region(location: Location, secret: str) -> dict[str, Any]:
    region: dict[str, Any] = {"startLine": location.line if location.line and location.line > 0 else 1}
    if location.line and location.column and location.column > 0:
        region["startColumn"] = location.column
        if secret and "\n" not in secret:
            region["endColumn"] = location.column + len(secret)
    return region


def _physical(location: Location, rel: str, base_id: str, secret: str) -> dict[str, Any]:
    props: dict[str, Any] = {"credreachSource": location.source.value, "readable": location.readable,
                             "gitignored": location.gitignored, "tracked": location.tracked}
    if not location.line:
        props["lineUnknown"] = True
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": quote(rel, safe=_URI_SAFE), "uriBaseId": base_id},
            "region": _region(location, secret),
        },
        "message": {"text": location_text(location)},
        "properties": props,
    }


def _described(location: Location) -> dict[str, Any]:
    """A non-file location as plain properties (see the module docstring for why)."""
    entry: dict[str, Any] = {"source": location.source.value, "text": location_text(location)}
    if location.source is SourceKind.GIT_HISTORY:
        commit, path = git_location(location)
        entry.update(commit=commit, path=path, historyOnly=location.history_only)
        if location.author_date:
            entry["authorDate"] = location.author_date
    elif location.source is SourceKind.ENV:
        entry["variable"] = env_var_name(location)
    else:
        entry["path"] = location.path
        if location.store:
            entry["store"] = location.store
        if location.profile:
            entry["profile"] = location.profile
    if location.line:
        entry["line"] = location.line
    entry["readable"] = location.readable
    return entry


def _result(a: Assessment, rule_index: int, roots: tuple[str, ...], base: str,
            show_secrets: bool) -> dict[str, Any]:
    cred = a.credential
    physical: list[dict[str, Any]] = []
    described: list[dict[str, Any]] = []
    elsewhere: list[str] = []
    for loc in sorted(cred.locations, key=Location.sort_key):
        if loc.source is SourceKind.WORKSPACE:
            for i, root in enumerate(roots):
                rel = workspace_relpath(loc.path, (root,), base)
                if rel is not None:
                    physical.append(_physical(loc, rel, _base_id(i), cred.secret))
                    break
            else:
                described.append(_described(loc))
                elsewhere.append(location_text(loc))
        else:
            described.append(_described(loc))
            elsewhere.append(location_text(loc))

    reasons = " ".join(s if s.endswith((".", "!", "?")) else s + "." for s in reason_sentences(a))
    label = cred.kind.replace("_", " ")
    if cred.provider and not cred.kind.startswith(cred.provider):
        label = f"{cred.provider} {label}"
    text = (f"{a.severity.value.capitalize()}: {label} {cred.preview} is within reach of an AI "
            f"coding agent. {reasons}")
    if elsewhere:
        lead = "Also readable" if physical else "Readable"
        shown = "; ".join(elsewhere[:5]) + (f"; and {len(elsewhere) - 5} more" if len(elsewhere) > 5 else "")
        text += f" {lead} outside the repository's files: {shown}."
    if len(physical) > MAX_PHYSICAL_LOCATIONS:
        text += f" Found in {len(physical)} files in the repository; the first {MAX_PHYSICAL_LOCATIONS} are listed."

    blast = a.blast_radius
    props: dict[str, Any] = {
        "security-severity": SECURITY_SEVERITY[a.severity],
        "credreachSeverity": a.severity.value,
        "credreachSource": sorted({loc.source.value for loc in cred.locations}),
        "provider": cred.provider,
        "kind": cred.kind,
        "preview": cred.preview,
        "verification": a.verification.status.value,
        "verificationReason": a.verification.reason,
        "beyondTaskEnv": a.beyond_task_env,
        "reasons": list(a.reasons),
        "capabilities": [
            {"action": c.action.value, "operation": c.operation, "certain": c.certain,
             "resources": [r.describe() for r in c.resources]}
            for c in blast.capabilities
        ],
        "unknowns": list(blast.unknowns),
        "credreachLocations": described,
        "physicalLocationCount": len(physical),
    }
    if blast.identity:
        props["identity"] = blast.identity
    if a.verification.endpoint:
        props["endpoint"] = a.verification.endpoint
    if show_secrets:
        props["secret"] = cred.secret

    out: dict[str, Any] = {
        "ruleId": cred.kind,
        "ruleIndex": rule_index,
        "level": LEVEL[a.severity],
        "message": {"text": text},
        "partialFingerprints": partial_fingerprints(a),
        "properties": props,
    }
    if physical:
        out["locations"] = physical[:MAX_PHYSICAL_LOCATIONS]
    return out

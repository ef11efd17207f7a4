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
    GitHub rejects the *whole* upload when any result lacks a physical location (ingestion errors
    GH1015/GH1017/GH2012 of Microsoft's SARIF multitool, ``--rule-kind Gh``), and a ``git:`` URI
    scheme fails too ("SARIF URI scheme did not match the checkout URI scheme"). So:

    - every place outside the repository's files is described in
      ``result.properties.credreachLocations`` (source, commit and path for history, variable
      name for env, store and profile for home) and named in the message text;
    - a credential found *only in git history* is anchored at the path it had in the commit
      that holds it (``%SRCROOT%``-relative, the repository's own path), with ``commit`` and
      ``authorDate`` in the location's and the result's ``properties``; the file may no longer
      exist in the checkout, which code scanning accepts (the alert names the path);
    - a credential found *only outside the repository* (home stores, environment variables, a
      workspace file outside every scan root) is not a code-scanning result, because there is
      no file of the repository to anchor it to and an invented path would name a file that does
      not exist. It is listed in ``invocations[0].toolExecutionNotifications`` (one notification
      per credential with its id, kind, preview and where it is, plus one summary notification
      with the count), and counted in ``run.properties.outsideRepositoryCount``. The JSON, table
      and Markdown reports show it in full.

Identity across runs
    ``partialFingerprints`` holds ``credreach/v1`` = ``kind:fingerprint`` (the HMAC fingerprint of
    the secret, never the secret) and a ``primaryLocationLineHash`` derived from the same value.
    Code scanning only reads ``primaryLocationLineHash``; deriving it from the credential rather
    than from the line's text keeps one alert per credential when lines move, the file is
    renamed or the secret is also found elsewhere, and gives history/env-only results an identity.

Severity
    ``level`` per result (critical/high → error, medium → warning, low/info → note) and
    ``properties.security-severity`` (critical 9.5, high 8.0, medium 5.5, low 3.0, info 1.0) on each
    result. Code scanning reads ``security-severity`` from the *rule*, so the rule's value is stable
    per kind (the same in every run, whatever was found): 8.0 for a provider credential, 7.0 for
    a generic secret (keyword password, private key without a provider), 3.0 for test-mode keys.

Run identity
    ``tool.driver.informationUri`` points at the project; ``automationDetails.id`` is
    ``credreach/`` (or ``CATEGORY/`` when a category is given), so code scanning keeps
    credreach's alerts apart from other tools' and from other credreach categories.

Messages carry the redacted preview and policy's reasons (the blast radius), never the secret.
Free text (verification reasons, policy's reasons, notes, unknowns, identity, warnings) passes
through :class:`~scanner.report.common.Scrubber` where it is put in the log, unless
``show_secrets``; rule ids, kinds, providers and paths are never rewritten.
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
from scanner.policy import GENERIC_PROVIDERS, TEST_MODE_KINDS
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
from scanner.sources.base import raw_name

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "credreach"
INFORMATION_URI = "https://pypi.org/project/credreach/"
AUTOMATION_CATEGORY = "credreach"
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
                 cwd: str | None = None, category: str = AUTOMATION_CATEGORY) -> str:
    """The SARIF log as JSON text (UTF-8, trailing newline).

    ``cwd`` is the directory relative workspace paths are relative to (default: the process's
    working directory, which is what the file source uses). ``category`` becomes
    ``automationDetails.id`` (``category/``).
    """
    scrub = Scrubber(result, show_secrets)
    roots = tuple(result.stats.roots) or (".",)
    base = cwd or os.getcwd()
    assessments = sort_assessments(result.assessments)

    results: list[dict[str, Any]] = []
    outside: list[Assessment] = []
    kinds: list[str] = []
    built: list[tuple[Assessment, dict[str, Any]]] = []
    for a in assessments:
        entry = _result(a, roots, base, show_secrets, scrub)
        if "locations" in entry:
            built.append((a, entry))
            kinds.append(a.credential.kind)
        else:
            outside.append(a)
    rule_ids = sorted(set(kinds))
    rule_index = {kind: i for i, kind in enumerate(rule_ids)}
    rules = [_rule(kind, [a for a, _ in built if a.credential.kind == kind]) for kind in rule_ids]
    for a, entry in built:
        entry["ruleIndex"] = rule_index[a.credential.kind]
        results.append(entry)

    driver: dict[str, Any] = {"name": TOOL_NAME, "fullName": f"{TOOL_NAME} {tool_version}",
                              "version": tool_version, "informationUri": INFORMATION_URI, "rules": rules}
    if _SEMVER.match(tool_version):
        driver["semanticVersion"] = tool_version
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "automationDetails": {"id": f"{category.strip('/') or AUTOMATION_CATEGORY}/"},
        "originalUriBaseIds": _uri_base_ids(roots, base),
        "columnKind": "unicodeCodePoints",
        "invocations": [_invocation(result, outside, scrub)],
        "results": results,
        "properties": {
            "summary": summary_line(result),
            "suppressed": result.suppressed,
            "resolvedFingerprints": list(result.resolved),
            "outsideRepositoryCount": len(outside),
        },
    }
    log = {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _base_id(index: int) -> str:
    return "%SRCROOT%" if index == 0 else f"SRCROOT{index + 1}"


def _uri_base_ids(roots: tuple[str, ...], base: str) -> dict[str, Any]:
    out = {}
    for i, root in enumerate(roots):
        absolute = os.path.normpath(os.path.join(base, root))
        out[_base_id(i)] = {"uri": Path(absolute).as_uri().rstrip("/") + "/",
                            "description": {"text": "A root given to `credreach scan`."}}
    return out


def _invocation(result: ScanResult, outside: list[Assessment], scrub: Scrubber) -> dict[str, Any]:
    """Warnings, and the credentials that have no file of the repository to anchor them to."""
    invocation: dict[str, Any] = {"executionSuccessful": True}
    notes: list[dict[str, Any]] = [{"level": "warning", "message": {"text": scrub.text(w)}}
                                   for w in result.stats.warnings]
    if outside:
        noun = "credential was" if len(outside) == 1 else "credentials were"
        counts: dict[str, int] = {}
        for a in outside:
            for source in sorted({loc.source.value for loc in a.credential.locations}):
                counts[source] = counts.get(source, 0) + 1
        where = ", ".join(f"{source}: {n}" for source, n in sorted(counts.items()))
        notes.append({
            "level": "warning",
            "message": {"text": f"{len(outside)} {noun} found only outside the repository's files "
                                f"({where}); they are listed below and in the JSON report, not as "
                                "code-scanning results, because no file of the repository holds them."},
            "properties": {"outsideRepositoryCount": len(outside), "bySource": counts},
        })
        for a in outside:
            cred = a.credential
            places = "; ".join(location_text(loc) for loc in sorted(cred.locations, key=Location.sort_key)[:5])
            more = len(cred.locations) - 5
            notes.append({
                "level": LEVEL[a.severity],
                "message": {"text": f"{a.severity.value.capitalize()}: {cred.provider} {cred.kind} "
                                    f"{cred.preview} ({cred.id}) is readable at {places}"
                                    + (f" and {more} more places" if more > 0 else "") + "."},
                "properties": {"credentialId": cred.id, "kind": cred.kind, "provider": cred.provider,
                               "fingerprint": cred.fingerprint, "credreachSeverity": a.severity.value,
                               "verification": a.verification.status.value,
                               "credreachLocations": [_described(loc) for loc in cred.locations]},
            })
    if notes:
        invocation["toolExecutionNotifications"] = notes
    return invocation


def rule_severity(kind: str, provider: str) -> Severity:
    """The stable severity of a rule (a credential kind), independent of any one run's results."""
    if kind in TEST_MODE_KINDS:
        return Severity.LOW
    if provider in GENERIC_PROVIDERS or not provider:
        return Severity.MEDIUM
    return Severity.HIGH


RULE_SECURITY_SEVERITY: dict[Severity, str] = {Severity.HIGH: "8.0", Severity.MEDIUM: "7.0", Severity.LOW: "3.0"}
RULE_LEVEL: dict[Severity, str] = {Severity.HIGH: "error", Severity.MEDIUM: "error", Severity.LOW: "note"}


def _rule(kind: str, members: list[Assessment]) -> dict[str, Any]:
    provider = members[0].credential.provider if members else ""
    stable = rule_severity(kind, provider)
    description = kind_description(kind, provider)
    rotation = rotation_advice(kind)
    why = ("credreach reports a credential when an AI coding agent working in this repository or "
           "on this machine could read it, and says what the provider allows it to do.")
    name = "".join(part.capitalize() for part in kind.split("_")) or kind
    if name.lower() == kind.lower():  # SARIF1001: a rule's name must differ from its id
        name += "Credential"
    return {
        "id": kind,
        "name": name,
        "shortDescription": {"text": _first_sentence(description)[:1024]},
        "fullDescription": {"text": f"{description} {why}"[:1024]},
        "help": {
            "text": f"{description}\n\nHow to rotate: {rotation}\n\n{why}",
            "markdown": f"**{description}**\n\n**How to rotate:** {rotation}\n\n{why}",
        },
        "defaultConfiguration": {"level": RULE_LEVEL[stable]},
        "properties": {
            "tags": ["security", "secret", "credential", provider] if provider else
                    ["security", "secret", "credential"],
            "precision": "high",
            "security-severity": RULE_SECURITY_SEVERITY[stable],
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
    if location.source is SourceKind.GIT_HISTORY:
        props.update(commit=location.commit or git_location(location)[0], historyOnly=location.history_only)
        if location.author_date:
            props["authorDate"] = location.author_date
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": quote(rel.encode("utf-8", "surrogateescape"), safe=_URI_SAFE),
                                 "uriBaseId": base_id},
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


def _history_path(location: Location) -> str | None:
    """The repository-relative path a history location had in its commit, if it is usable."""
    _, shown = git_location(location)
    path = os.fsdecode(raw_name(shown)).replace("\\", "/").lstrip("/")
    if not path or path.startswith("../") or "/../" in path or path == "..":
        return None
    return path


def _result(a: Assessment, roots: tuple[str, ...], base: str, show_secrets: bool,
            scrub: Scrubber) -> dict[str, Any]:
    """One result; it has ``locations`` unless no file of the repository holds the credential."""
    cred = a.credential
    physical: list[dict[str, Any]] = []
    described: list[dict[str, Any]] = []
    elsewhere: list[str] = []
    history: list[dict[str, Any]] = []
    for loc in sorted(cred.locations, key=Location.sort_key):
        if loc.source is SourceKind.WORKSPACE:
            for i, root in enumerate(roots):
                rel = workspace_relpath(os.fsdecode(raw_name(loc.path)), (root,), base)
                if rel is not None:
                    physical.append(_physical(loc, rel, _base_id(i), cred.secret))
                    break
            else:
                described.append(_described(loc))
                elsewhere.append(location_text(loc))
        else:
            described.append(_described(loc))
            elsewhere.append(location_text(loc))
            rel = _history_path(loc) if loc.source is SourceKind.GIT_HISTORY else None
            if rel is not None:
                history.append(_physical(loc, rel, _base_id(0), cred.secret))
    anchored_in_history = not physical and bool(history)
    if anchored_in_history:
        physical = history

    reasons = " ".join(s if s.endswith((".", "!", "?")) else s + "."
                       for s in scrub.texts(reason_sentences(a)))
    label = cred.kind.replace("_", " ")
    if cred.provider and not cred.kind.startswith(cred.provider):
        label = f"{cred.provider} {label}"
    text = (f"{a.severity.value.capitalize()}: {label} {cred.preview} is within reach of an AI "
            f"coding agent. {reasons}")
    if anchored_in_history:
        text += (" Found only in git history (the location is the file's path in the commit that holds "
                 "it; it is no longer in the working tree).")
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
        "verificationReason": scrub.text(a.verification.reason),
        "beyondTaskEnv": a.beyond_task_env,
        "reasons": scrub.texts(a.reasons),
        "capabilities": [
            {"action": c.action.value, "operation": c.operation, "certain": c.certain,
             "resources": [r.describe() for r in c.resources]}
            for c in blast.capabilities
        ],
        "unknowns": scrub.texts(blast.unknowns),
        "credreachLocations": described,
        "physicalLocationCount": len(physical),
        "credentialId": cred.id,
    }
    if anchored_in_history:
        first = next(loc for loc in sorted(cred.locations, key=Location.sort_key)
                     if loc.source is SourceKind.GIT_HISTORY and _history_path(loc) is not None)
        props["historyOnly"] = True
        props["commit"] = first.commit or git_location(first)[0]
        if first.author_date:
            props["authorDate"] = first.author_date
    if blast.identity:
        props["identity"] = scrub.text(blast.identity)
    if a.verification.endpoint:
        props["endpoint"] = a.verification.endpoint
    if show_secrets:
        props["secret"] = cred.secret

    out: dict[str, Any] = {
        "ruleId": cred.kind,
        "level": LEVEL[a.severity],
        "message": {"text": text},
        "partialFingerprints": partial_fingerprints(a),
        "properties": props,
    }
    if physical:
        out["locations"] = physical[:MAX_PHYSICAL_LOCATIONS]
    return out

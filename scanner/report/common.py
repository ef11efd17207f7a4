"""Helpers every reporter shares, so table, JSON, SARIF and Markdown say the same thing.

The API is deliberately small; each function takes model values and returns plain strings:

- :func:`sort_assessments` – the report order: worst first, then live before the rest, then stable.
- :func:`severity_counts` / :func:`summary_line` – "1 critical, 2 high, ..." for headings.
- :func:`location_text` – one human line for a :class:`Location` (workspace, git history, env, home).
- :func:`git_location` / :func:`env_var_name` – parse the ``git:COMMIT:path`` and ``env:NAME`` forms.
- :func:`workspace_relpath` – a workspace path relative to the scan root it lies under, or ``None``.
- :func:`reason_sentences` – why the credential got its severity, as sentences (policy's reasons,
  or sentences rebuilt from verification and blast radius when policy gave none).
- :func:`capability_lines` – one line per capability: "can delete volume `db` in ... (volumeDelete)".
- :func:`kind_description` / :func:`rotation_advice` – what a kind is and how to rotate it.
- :class:`Scrubber` – the reporters' final redaction pass over every string they emit.

Nothing here prints or formats for one medium; escaping for Markdown/HTML stays in the reporter.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from scanner.detect.rules import KIND_DESCRIPTIONS, KIND_ROTATION
from scanner.model import (
    Assessment,
    BlastRadius,
    Location,
    ScanResult,
    Severity,
    SourceKind,
    VerificationStatus,
)
from scanner.policy import describe_capability, worst_first
from scanner.redact import REDACTOR, preview

__all__ = [
    "SEVERITIES_WORST_FIRST",
    "GENERIC_ROTATION",
    "Scrubber",
    "capability_lines",
    "env_var_name",
    "git_location",
    "kind_description",
    "location_text",
    "reason_sentences",
    "rotation_advice",
    "severity_counts",
    "sort_assessments",
    "summary_line",
    "workspace_relpath",
]

SEVERITIES_WORST_FIRST: tuple[Severity, ...] = tuple(sorted(Severity, key=lambda s: -s.rank))

MAX_RESOURCES_PER_CAPABILITY = 10

GENERIC_ROTATION = (
    "Revoke or rotate it at the provider, issue a narrower replacement, and move it out of the "
    "agent's reach (secret manager, or an agent deny rule for the file)."
)

def sort_assessments(assessments: Iterable[Assessment]) -> list[Assessment]:
    """Worst first, in the one order the policy defines (see :func:`scanner.policy.worst_first`)."""
    return worst_first(assessments)


def severity_counts(result: ScanResult) -> dict[Severity, int]:
    """Count per severity, every severity present (zero included), worst first."""
    counts = Counter(a.severity for a in result.assessments)
    return {sev: counts.get(sev, 0) for sev in SEVERITIES_WORST_FIRST}


def summary_line(result: ScanResult) -> str:
    """E.g. ``3 credentials: 1 critical, 2 high, 0 medium, 0 low, 0 info (1 baselined, 1 resolved)``."""
    total = len(result.assessments)
    noun = "credential" if total == 1 else "credentials"
    parts = ", ".join(f"{n} {sev.value}" for sev, n in severity_counts(result).items())
    text = f"{total} {noun}: {parts}"
    extra = []
    if result.suppressed:
        extra.append(f"{result.suppressed} baselined")
    if result.resolved:
        extra.append(f"{len(result.resolved)} resolved since the baseline")
    if extra:
        text += f" ({', '.join(extra)})"
    return text


def git_location(location: Location) -> tuple[str | None, str]:
    """``(commit, path)`` of a git-history location.

    Accepts the ``git:COMMIT:path`` form of :attr:`Location.path`; falls back to
    :attr:`Location.commit` and the bare path when the source wrote them separately.
    """
    path = location.path
    if path.startswith("git:"):
        _, _, rest = path.partition(":")
        commit, sep, inner = rest.partition(":")
        if sep:
            return (commit or location.commit), inner
        return location.commit, rest
    return location.commit, path


def env_var_name(location: Location) -> str:
    """The variable name of an ``env:NAME`` location (the path itself when not in that form)."""
    return location.path[4:] if location.path.startswith("env:") else location.path


def _home_relative(path: str) -> str:
    home = os.path.expanduser("~")
    if home and home != "/" and (path == home or path.startswith(home.rstrip("/") + "/")):
        return "~" + path[len(home.rstrip("/")):]
    return path


def _line_col(location: Location) -> str:
    if location.line is None:
        return ""
    text = f":{location.line}"
    if location.column is not None:
        text += f":{location.column}"
    return text


def location_text(location: Location) -> str:
    """One line a person can act on, e.g.

    - ``app/.env:3:14`` (workspace; ``[gitignored]``/``[not readable]`` appended when relevant)
    - ``git history: config/old.env:2 in commit 1a2b3c4d (deleted from the working tree)``
    - ``environment variable OPENAI_API_KEY``
    - ``~/.aws/credentials:2 [profile prod] (aws-credentials)``
    """
    if location.source is SourceKind.ENV:
        return f"environment variable {env_var_name(location)}"
    if location.source is SourceKind.GIT_HISTORY:
        commit, path = git_location(location)
        text = f"git history: {path}{_line_col(location)}"
        if commit:
            text += f" in commit {commit[:12]}"
        if location.history_only:
            text += " (no longer in the working tree)"
        return text
    if location.source is SourceKind.HOME:
        text = _home_relative(location.path) + _line_col(location)
        if location.profile:
            text += f" [profile {location.profile}]"
        if location.store:
            text += f" ({location.store})"
    else:
        text = location.path + _line_col(location)
    flags = []
    if location.gitignored:
        flags.append("gitignored")
    if not location.readable:
        flags.append("not readable by this user")
    if flags:
        text += f" [{', '.join(flags)}]"
    return text


def workspace_relpath(path: str, roots: Sequence[str], cwd: str | None = None) -> str | None:
    """``path`` relative to the first scan root containing it, with ``/`` separators.

    Workspace paths are written relative to the working directory (see
    ``scanner.sources.files.display_path``) or absolute; roots may be either too. ``None`` means
    the file lies outside every root, so it is not part of the scanned repository.
    """
    base = cwd or os.getcwd()
    absolute = os.path.normpath(os.path.join(base, path))
    for root in roots or (".",):
        root_abs = os.path.normpath(os.path.join(base, root))
        rel = os.path.relpath(absolute, root_abs)
        if rel != os.pardir and not rel.startswith(os.pardir + os.sep) and not os.path.isabs(rel):
            return rel.replace(os.sep, "/")
    return None


def capability_lines(blast: BlastRadius) -> list[str]:
    """One line per capability and resource, e.g. ``can delete volume `pg-data` in environment
    `production` of project `pocketos` (volumeDelete)``, worded by the policy that ranks them."""
    return [line for cap in blast.capabilities for line in describe_capability(cap, limit=MAX_RESOURCES_PER_CAPABILITY)]


def reason_sentences(assessment: Assessment) -> list[str]:
    """Why this credential has its severity, as sentences.

    Policy's reasons come first and verbatim; when policy gave none (e.g. a result built by hand
    or by an older pipeline) sentences are rebuilt from verification and the blast radius.
    """
    if assessment.reasons:
        return [r for r in assessment.reasons if r]
    v = assessment.verification
    out = []
    if v.status is VerificationStatus.LIVE:
        out.append("The provider accepted it: it is live.")
    elif v.status is VerificationStatus.INVALID:
        out.append("The provider rejected it (revoked or invalid)." + (f" {v.reason}" if v.reason else ""))
    else:
        out.append(f"Verification {v.status.value}" + (f": {v.reason}" if v.reason else "") + ".")
    caps = capability_lines(assessment.blast_radius)
    if caps:
        out.append("It " + "; ".join(caps[:3]) + ("; ..." if len(caps) > 3 else "") + ".")
    if assessment.beyond_task_env:
        out.append("It reaches beyond the environment the agent's task needs.")
    return out


def kind_description(kind: str, provider: str) -> str:
    """What a credential kind is; a generic sentence for kinds without a rule description."""
    known = KIND_DESCRIPTIONS.get(kind)
    if known:
        return known
    readable = kind.replace("_", " ")
    return f"{provider} credential ({readable})." if provider else f"Credential ({readable})."


def rotation_advice(kind: str) -> str:
    """How to rotate a kind; the generic advice when no rule says more."""
    return KIND_ROTATION.get(kind) or GENERIC_ROTATION


class Scrubber:
    """Final redaction pass: no reporter output may contain a raw secret or companion value.

    Knows every secret (and companion value) in the result, replaces them by their preview, then
    runs the global :data:`~scanner.redact.REDACTOR`. With ``show_secrets`` it passes text through.
    """

    def __init__(self, result: ScanResult, show_secrets: bool = False) -> None:
        self.enabled = not show_secrets
        values: set[str] = set()
        for a in result.assessments:
            values.add(a.credential.secret)
            values.update(v for v in a.credential.companions.values() if isinstance(v, str))
        # Longest first so a secret containing another secret is replaced whole.
        self._values = sorted((v for v in values if len(v) >= 6), key=len, reverse=True)

    def text(self, value: str) -> str:
        if not self.enabled or not value:
            return value
        for secret in self._values:
            if secret in value:
                value = value.replace(secret, preview(secret))
        return REDACTOR.scrub(value)

    def tree(self, value: Any) -> Any:
        """Scrub every string (keys included) in a JSON-like structure of dicts, lists and scalars."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(k) if isinstance(k, str) else k: self.tree(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.tree(v) for v in value]
        return value

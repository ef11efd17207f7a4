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
- :func:`network_failure` / :func:`status_text` / :func:`network_summary` – a check that failed on
  the network as ``error: network`` in a cell and one summary line for all of them.
- :func:`display_filter` – ``--min-severity``/``--results``: what a report shows (never the gate).
- :class:`Scrubber` – redaction of the free-text values a reporter emits (never of paths, kinds, ids).

Nothing here prints or formats for one medium; escaping for Markdown/HTML stays in the reporter.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace

from scanner.detect.rules import KIND_DESCRIPTIONS, KIND_ROTATION
from scanner.model import (
    Assessment,
    BlastRadius,
    Location,
    ScanResult,
    Severity,
    SourceKind,
    Verification,
    VerificationStatus,
)
from scanner.policy import describe_capability, worst_first
from scanner.redact import NON_SECRET_COMPANIONS, REDACTOR, Redactor

__all__ = [
    "SEVERITIES_WORST_FIRST",
    "GENERIC_ROTATION",
    "RESULT_CLASSES",
    "Scrubber",
    "capability_lines",
    "display_filter",
    "network_failure",
    "network_summary",
    "result_class",
    "status_text",
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
    """Redaction of free text, applied by reporters to each free-text value where they build it.

    Free text is what came from outside credreach's own structure: verification reasons
    (provider messages, exception text), policy's reason sentences (which quote them),
    provider-derived identity, notes and unknowns, scan warnings and skip reasons. Structured
    fields (kind, provider, rule id, path, fingerprint, credential id, resource names, previews)
    are never passed through it: replacing a detected value there turned ``config/secret_token.py``
    into ``config/****_token.py`` and a ``postgres`` provider into ``****``.

    Knows every redactable secret and companion value of the result (so a result built without
    the scan pipeline is covered too) and then applies the global
    :data:`~scanner.redact.REDACTOR`. With ``show_secrets`` it passes text through.
    """

    def __init__(self, result: ScanResult, show_secrets: bool = False) -> None:
        self.enabled = not show_secrets
        self._local = Redactor()
        self._done: dict[str, tuple[tuple[int, bool], str]] = {}
        """Text -> (the global redactor's state, scrubbed text): a report repeats the same few
        sentences for thousands of credentials ("offline: verification not attempted")."""
        if self.enabled:
            for a in result.assessments:
                self._local.register(a.credential.secret)
                for key, value in a.credential.companions.items():
                    if isinstance(value, str) and key not in NON_SECRET_COMPANIONS:
                        self._local.register(value)

    def text(self, value: str) -> str:
        if not self.enabled or not value:
            return value
        state = (REDACTOR.version, REDACTOR.enabled)  # read first: a value registered meanwhile
        done = self._done.get(value)                   # makes the remembered entry stale
        if done is not None and done[0] == state:
            return done[1]
        scrubbed = REDACTOR.scrub(self._local.scrub(value))
        if len(self._done) < _REMEMBERED_TEXTS:
            self._done[value] = (state, scrubbed)
        return scrubbed

    def texts(self, values: Iterable[str]) -> list[str]:
        return [self.text(v) for v in values]


_REMEMBERED_TEXTS = 4096


# Reasons the HTTP client (providers/base.py) and requests/urllib3 give when the network, not the
# provider, failed. One summary line explains them instead of the same exception in every row.
_NETWORK_FAILURE = re.compile(
    r"cannot connect to|cannot reach|timed out after|too slow \(over|Name or service not known|"
    r"Temporary failure in name resolution|NameResolutionError|Failed to resolve|"
    r"Failed to establish a new connection|Network is unreachable|No route to host|"
    r"Connection refused|Connection reset|Max retries exceeded|ConnectTimeout|ReadTimeout|"
    r"SSLError|CERTIFICATE_VERIFY_FAILED", re.I)


def network_failure(verification: Verification) -> bool:
    """True when verification failed because the provider could not be reached at all."""
    return (verification.status in (VerificationStatus.ERROR, VerificationStatus.UNVERIFIABLE)
            and bool(_NETWORK_FAILURE.search(verification.reason or "")))


def status_text(verification: Verification) -> str:
    """The short status a table cell shows: ``live``, ``invalid``, ..., or ``error: network``."""
    return "error: network" if network_failure(verification) else verification.status.value


def network_summary(assessments: Sequence[Assessment], scrub: Scrubber) -> str | None:
    """One line for every credential whose check failed on the network, or None when none did."""
    failed = [a for a in assessments if network_failure(a.verification)]
    if not failed:
        return None
    noun = "credential" if len(failed) == 1 else "credentials"
    example = scrub.text(failed[0].verification.reason)
    example = example if len(example) <= 160 else example[:160] + "…"
    return (f"{len(failed)} {noun} could not be verified because the provider could not be reached "
            f"(network error; e.g. {example}). Check connectivity, or pass --offline to skip verification.")


RESULT_CLASSES = ("verified", "unverified", "unknown")
"""``--results`` values, as trufflehog names them: verified = the provider accepted it (live);
unverified = the provider rejected it (invalid); unknown = not checked or the check failed."""


def result_class(verification: Verification) -> str:
    if verification.status is VerificationStatus.LIVE:
        return "verified"
    if verification.status is VerificationStatus.INVALID:
        return "unverified"
    return "unknown"


def display_filter(result: ScanResult, *, min_severity: Severity | None = None,
                   results: Iterable[str] | None = None) -> tuple[ScanResult, int]:
    """The result with only the credentials the user asked to see, and how many were hidden.

    A display filter changes what is shown, never the exit code: the gate (``--fail-on``) is
    decided on the unfiltered result so hiding a row cannot pass a build.
    """
    wanted = set(results) if results is not None else set(RESULT_CLASSES)
    kept = tuple(a for a in result.assessments
                 if (min_severity is None or a.severity.rank >= min_severity.rank)
                 and result_class(a.verification) in wanted)
    hidden = len(result.assessments) - len(kept)
    return (replace(result, assessments=kept) if hidden else result), hidden

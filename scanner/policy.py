"""Severity and reasons: turns what a provider said into a judgement a person acts on.

critical = live and able to delete or administer something production-class (unknown counts as
production); high = live with write, or destructive on non-production, or reaching beyond the
task's environment; medium = live read-only, or a known-provider token that could not be checked;
low = invalid/revoked or generic hits; info = test-mode keys.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from scanner.detect.rules import KIND_DESCRIPTIONS
from scanner.model import (
    Action,
    Assessment,
    BlastRadius,
    Capability,
    Credential,
    EnvClass,
    Location,
    Resource,
    Severity,
    Verification,
    VerificationStatus,
)

GENERIC_PROVIDERS = {"generic"}
TEST_MODE_KINDS = {"stripe_test_key"}
DESTRUCTIVE = {Action.DELETE, Action.ADMIN}
_VERBS = {
    Action.DELETE: "delete",
    Action.ADMIN: "administer",
    Action.WRITE: "write to",
    Action.READ: "read",
    Action.BILLING: "change billing of",
}
MAX_REASONS = 6


def production_like(resource: Resource) -> bool:
    return resource.env_class in (EnvClass.PRODUCTION, EnvClass.UNKNOWN)


def _task_class(task_env: str | None) -> EnvClass | None:
    if not task_env:
        return None
    from providers.base import classify_environment

    cls = classify_environment(task_env)
    return cls if cls is not EnvClass.UNKNOWN else EnvClass.PRODUCTION


def beyond_task(blast: BlastRadius, task_env: str | None) -> list[Resource]:
    """Resources reached whose environment is not the task's (unknown counts as beyond)."""
    task_class = _task_class(task_env)
    if task_class is None:
        return []
    task_name = (task_env or "").lower()
    out = []
    for resource in blast.resources:
        if resource.kind != "environment" and resource.environment is None:
            continue
        name = (resource.environment or resource.name).lower()
        if name == task_name or resource.env_class is task_class and resource.env_class is not EnvClass.UNKNOWN:
            continue
        out.append(resource)
    return out


def describe_capability(cap: Capability, limit: int = 3) -> list[str]:
    verb = _VERBS[cap.action]
    prefix = "can" if cap.certain else "may be able to"
    if not cap.resources:
        open_by = f"; left open by {cap.note}" if not cap.certain and cap.note else ""
        return [f"{prefix} {verb} ({cap.operation}{open_by})"]
    ordered = sorted(cap.resources, key=lambda r: (not production_like(r), r.name))
    lines = [f"{prefix} {verb} {r.describe()} ({cap.operation})" for r in ordered[:limit]]
    if len(ordered) > limit:
        lines.append(f"… and {len(ordered) - limit} more for {cap.operation}")
    if not cap.certain and cap.note:
        # Possible, never silently: say which document leaves it open (see scanner.model.granted).
        lines[0] = f"{lines[0][:-1]}; left open by {cap.note})"
    return lines


_NAMING_COMPANIONS = (("profile", "profile"), ("context", "context"), ("current_context", "context"),
                      ("cluster", "cluster"), ("host", "host"), ("database", "database"), ("server", "server"))


def named_environments(credential: Credential) -> tuple[Resource, ...]:
    """What the credential's store names say about its environment (AWS profile ``prod-admin``,
    kube context ``prod``, host ``db.prod.example.com``), for a credential nobody verified.

    Offline, or when the provider cannot be asked, a name is all there is; it must still count.
    """
    from scanner.guard.envclass import DEVELOPMENT, PRODUCTION, STAGING, classify

    classes = {PRODUCTION: EnvClass.PRODUCTION, STAGING: EnvClass.STAGING, DEVELOPMENT: EnvClass.DEVELOPMENT}
    seen: dict[tuple[str, str], Resource] = {}
    named: list[tuple[str, str]] = [("profile", loc.profile) for loc in credential.locations if loc.profile]
    named += [(kind, credential.companions[key]) for key, kind in _NAMING_COMPANIONS
              if isinstance(credential.companions.get(key), str) and credential.companions[key]]
    for kind, name in named:
        env_class = classes.get(classify(name))
        if env_class is not None and (kind, name) not in seen:
            seen[(kind, name)] = Resource(kind, name, None, env_class, env_basis="name in the credential store")
    return tuple(seen.values())


def assess(credential: Credential, verification: Verification, blast: BlastRadius,
           task_env: str | None = None) -> Assessment:
    if verification.status is not VerificationStatus.LIVE and not blast.resources:
        named = named_environments(credential)
        if named:
            blast = replace(blast, resources=named)
    severity, reasons = _severity(credential, verification, blast)
    prod_names = [r for r in blast.resources if r.env_basis == "name in the credential store"
                  and r.env_class is EnvClass.PRODUCTION]
    if prod_names and verification.status is not VerificationStatus.INVALID \
            and credential.kind not in TEST_MODE_KINDS and credential.kind != "private_key_encrypted":
        labels = ", ".join(f"{r.kind} `{r.name}`" for r in prod_names)
        reasons.insert(0, f"named for production ({labels}); not verified, so what it can do there is unknown")
        if severity.rank < Severity.HIGH.rank:
            severity = Severity.HIGH
    outside = beyond_task(blast, task_env) if verification.status is VerificationStatus.LIVE else []
    if outside:
        names = sorted({r.environment or r.name for r in outside})
        reasons.insert(0, f"reaches beyond the task environment `{task_env}`: {', '.join(names)}")
        if severity.rank < Severity.HIGH.rank:
            severity = Severity.HIGH
    return Assessment(credential, verification, blast, severity, tuple(reasons[:MAX_REASONS]),
                      beyond_task_env=bool(outside))


def _severity(credential: Credential, verification: Verification,
              blast: BlastRadius) -> tuple[Severity, list[str]]:
    status = verification.status
    generic = credential.provider in GENERIC_PROVIDERS
    if status is VerificationStatus.INVALID:
        return Severity.LOW, [f"{verification.reason or 'rejected by the provider'} (invalid or revoked)"]
    if status is not VerificationStatus.LIVE:
        reason = verification.reason or status.value
        if credential.kind in TEST_MODE_KINDS:
            return Severity.INFO, ["test-mode key", reason]
        if generic:
            return Severity.LOW, [f"generic secret ({credential.kind}); {reason}"]
        described = KIND_DESCRIPTIONS.get(credential.kind, f"{credential.provider} credential")
        return Severity.MEDIUM, [f"{described.rstrip('.')}; what it can do is unknown until verified"]
    if credential.kind in TEST_MODE_KINDS:
        return Severity.INFO, ["live test-mode key (no real money moves)", *blast.notes[:2]]

    destructive = [c for c in blast.capabilities if c.action in DESTRUCTIVE]
    writes = [c for c in blast.capabilities if c.action in (Action.WRITE, Action.BILLING)]
    critical = [c for c in destructive if c.certain and (not c.resources or any(production_like(r)
                                                                                  for r in c.resources))]
    reasons: list[str] = []
    if critical:
        for cap in sorted(critical, key=lambda c: c.action is not Action.DELETE):
            reasons.extend(describe_capability(cap))
        return Severity.CRITICAL, reasons
    if destructive or writes:
        for cap in destructive + writes:
            reasons.extend(describe_capability(cap))
        return Severity.HIGH, reasons
    reads = [c for c in blast.capabilities if c.action is Action.READ]
    for cap in reads:
        reasons.extend(describe_capability(cap))
    if not reasons:
        reasons.append(f"live {credential.provider} credential" +
                       (f" for {blast.identity}" if blast.identity else "") + "; read-only as far as can be told")
    return Severity.MEDIUM, reasons


def _production_reach(a: Assessment) -> int:
    """How many production-class resources the credential can delete or administer."""
    return len({r for c in a.blast_radius.capabilities if c.action in DESTRUCTIVE
                for r in c.resources if production_like(r)})


_VERIFICATION_ORDER = {
    VerificationStatus.LIVE: 0,
    VerificationStatus.UNVERIFIABLE: 1,
    VerificationStatus.ERROR: 2,
    VerificationStatus.NOT_ATTEMPTED: 3,
    VerificationStatus.INVALID: 4,
}


def worst_first(assessments: Iterable[Assessment]) -> list[Assessment]:
    """Severity, reach beyond the task, production it can destroy, live before unchecked, then a
    stable tiebreak (provider, kind, first location, fingerprint) that keeps report diffs quiet."""

    def key(a: Assessment) -> tuple[int, bool, int, int, str, str, tuple[str, int, int], str]:
        locations = sorted(a.credential.locations, key=Location.sort_key)
        first = locations[0].sort_key() if locations else ("", 0, 0)
        return (-a.severity.rank, not a.beyond_task_env, -_production_reach(a),
                _VERIFICATION_ORDER.get(a.verification.status, 9), a.credential.provider, a.credential.kind,
                first, a.credential.fingerprint)

    return sorted(assessments, key=key)


def at_or_above(assessments: list[Assessment] | tuple[Assessment, ...], threshold: str) -> list[Assessment]:
    if threshold == "none":
        return []
    limit = Severity.parse(threshold).rank
    return [a for a in assessments if a.severity.rank >= limit]

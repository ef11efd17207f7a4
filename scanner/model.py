"""The values that flow through credreach, one stage to the next.

sources -> detect -> credentials -> reach -> providers -> policy -> reports.
Every value is a frozen dataclass so no stage can reach back and change an earlier one.
Raw secret values live only in :class:`Hit` and :class:`Credential` and are excluded from
their ``repr`` so that a stray log line or traceback cannot print them.
"""

from __future__ import annotations

import enum
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


class SourceKind(str, enum.Enum):
    """Where an agent would come across a credential."""

    WORKSPACE = "workspace"
    GIT_HISTORY = "git-history"
    HOME = "home"
    ENV = "env"


class Severity(str, enum.Enum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    @classmethod
    def parse(cls, value: str) -> Severity:
        return cls(value.strip().lower())


_SEVERITY_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


class EnvClass(str, enum.Enum):
    """How production-like a resource looks. Unknown counts as production until named otherwise."""

    PRODUCTION = "production"
    STAGING = "staging"
    DEVELOPMENT = "development"
    UNKNOWN = "unknown"


class VerificationStatus(str, enum.Enum):
    LIVE = "live"
    INVALID = "invalid"
    UNVERIFIABLE = "unverifiable"
    ERROR = "error"
    NOT_ATTEMPTED = "not attempted"


@dataclass(frozen=True, slots=True)
class Location:
    """One place an agent could read a credential."""

    path: str
    """File path, ``env:NAME`` for an environment variable, or ``git:COMMIT:path`` for history."""
    line: int | None
    column: int | None
    source: SourceKind
    readable: bool = True
    """Whether the user running the scan (and so an agent running as that user) can read it."""
    gitignored: bool = False
    tracked: bool = False
    store: str | None = None
    """Name of the credential store (e.g. ``aws-credentials``) when found by a store parser."""
    profile: str | None = None
    """Profile, host or context inside the store (AWS profile, gh host, kube user, ...)."""
    commit: str | None = None
    author_date: str | None = None
    history_only: bool = False
    """A secret seen in git history but no longer in the working tree."""

    def __post_init__(self) -> None:
        # A name with undecodable bytes (surrogateescape) from any source is shown as \xNN, so
        # no reporter ever meets a lone surrogate ("surrogates not allowed", issue 13.2).
        if not self.path.isascii() and any("\ud800" <= ch <= "\udfff" for ch in self.path):
            object.__setattr__(self, "path", "".join(
                f"\\x{ord(ch) - 0xDC00:02x}" if "\udc80" <= ch <= "\udcff"
                else ("\ufffd" if "\ud800" <= ch <= "\udfff" else ch) for ch in self.path))

    def sort_key(self) -> tuple[str, int, int]:
        return (self.path, self.line or 0, self.column or 0)

    def at(self, line: int | None, column: int | None) -> Location:
        """This location at another line and column: ``dataclasses.replace`` without its field
        introspection, which detection pays once per match (tests/test_model.py keeps the two equal)."""
        return Location(self.path, line, column, self.source, self.readable, self.gitignored, self.tracked,
                        self.store, self.profile, self.commit, self.author_date, self.history_only)


@dataclass(frozen=True, slots=True)
class Hit:
    """A single detector match: one secret at one location."""

    provider: str
    kind: str
    secret: str = field(repr=False)
    location: Location
    rule: str
    """The detector that matched (our rule id or a detect-secrets plugin name)."""
    companions: Mapping[str, str] = field(default_factory=dict, repr=False)
    """Other values needed to use the secret (AWS secret key next to its key id, DB host...)."""
    specific: bool = True
    """False for generic hits (entropy, keyword); a specific rule wins when both match."""
    filtered_by: str | None = None
    """Set when a false-alarm filter dropped this match (``placeholder``, ``low_entropy``, ...):
    such a hit is not a credential; it is only listed with ``--show-filtered``."""

    def moved(self, location: Location) -> Hit:
        """The same match at ``location`` (a copy of a file already detected)."""
        return Hit(self.provider, self.kind, self.secret, location, self.rule, self.companions, self.specific,
                   self.filtered_by)

    def dropped(self, reason: str) -> Hit:
        """The same match, set apart by the false-alarm filter ``reason``."""
        return Hit(self.provider, self.kind, self.secret, self.location, self.rule, self.companions, self.specific,
                   reason)

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        # Hits cross from detection workers by the hundred thousand: rebuilt with the repeated
        # names (provider, kind, rule) shared and no empty companions dict of their own.
        return (restore_hit, (self.provider, self.kind, self.secret, self.location, self.rule,
                              dict(self.companions) if self.companions else None, self.specific,
                              self.filtered_by))


_NO_COMPANIONS: Mapping[str, str] = MappingProxyType({})


_SHARED_SECRETS: dict[str, str] = {}
"""One string per credential value received from workers (a value found in 100 copies of a file
arrives 100 times); dropped matches are not kept, so this holds what the report holds anyway."""


def restore_hit(provider: str, kind: str, secret: str, location: Location, rule: str,
                companions: dict[str, str] | None, specific: bool, filtered_by: str | None) -> Hit:
    """A hit received from a detection worker (unpickled or unpacked), its repeated names shared."""
    if filtered_by is None:
        secret = _SHARED_SECRETS.setdefault(secret, secret)
    return Hit(sys.intern(provider), sys.intern(kind), secret, location, sys.intern(rule),
               companions or _NO_COMPANIONS, specific,
               None if filtered_by is None else sys.intern(filtered_by))


@dataclass(frozen=True, slots=True)
class FilteredHit:
    """A match a false-alarm filter dropped, as ``--show-filtered`` lists it (no secret value kept)."""

    provider: str
    kind: str
    rule: str
    location: Location
    filtered_by: str
    preview: str


@dataclass(frozen=True)
class Credential:
    """One credential, deduplicated by fingerprint, with every place it was found."""

    id: str
    provider: str
    kind: str
    fingerprint: str
    preview: str
    locations: tuple[Location, ...]
    secret: str = field(repr=False, compare=False)
    companions: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)
    rules: tuple[str, ...] = ()


@dataclass(frozen=True)
class Resource:
    """Something a credential reaches: a project, environment, volume, repository, bucket..."""

    kind: str
    name: str
    environment: str | None = None
    env_class: EnvClass = EnvClass.UNKNOWN
    parent: str | None = None
    """Human path of the owner, e.g. ``project pocketos``."""
    env_basis: str | None = None
    """What ``env_class`` was read from: the provider's own field (``DigitalOcean project
    environment``, ``Vercel production target``, ``Heroku pipeline stage``, ``Railway environment``)
    or ``name`` when only a name was there to go on. None when nothing classified it."""

    def describe(self) -> str:
        text = f"{self.kind} `{self.name}`"
        if self.environment and not (self.kind == "environment" and self.environment == self.name):
            text += f" in environment `{self.environment}`"
        if self.parent:
            text += f" of {self.parent}"
        return text


class Action(str, enum.Enum):
    READ = "read"
    WRITE = "write"
    DELETE = "delete"
    ADMIN = "admin"
    BILLING = "billing"


@dataclass(frozen=True)
class Capability:
    """An action the credential allows, tied to the resources it reaches."""

    action: Action
    operation: str
    """Provider's own name for it: ``volumeDelete``, ``delete_repo``, ``rds:DeleteDBInstance``."""
    resources: tuple[Resource, ...] = ()
    certain: bool = True
    """False where only a write probe could tell; such capabilities are reported as possible."""
    note: str | None = None
    """For a possible (not certain) capability: the provider document that leaves it open, e.g.
    ``GitHub fine-grained PAT permissions are not readable (docs.github.com/...)``. See :func:`granted`."""


def granted(action: Action, operation: str, resources: tuple[Resource, ...] | list[Resource] = (), *,
            left_open_by: str | None = None) -> Capability:
    """The rule every provider follows for what a token can do: never understate.

    An operation the token's reach includes is *certain* unless the provider's own documentation
    leaves it open (a per-token permission not readable without writing, an org setting, a role
    credreach cannot see). Only then is it *possible*, and ``left_open_by`` names that document so
    the report can say why. Silence in the docs is not a scope: Railway documents no per-operation
    scoping, so a Railway token can run every mutation its reach includes.
    """
    return Capability(action, operation, tuple(resources), certain=left_open_by is None, note=left_open_by)


@dataclass(frozen=True)
class BlastRadius:
    identity: str | None = None
    token_type: str | None = None
    scopes: tuple[str, ...] = ()
    resources: tuple[Resource, ...] = ()
    capabilities: tuple[Capability, ...] = ()
    notes: tuple[str, ...] = ()
    unknowns: tuple[str, ...] = ()
    """Permissions that cannot be learned without writing; reported as unknown, never probed."""


@dataclass(frozen=True)
class Verification:
    status: VerificationStatus
    reason: str = ""
    endpoint: str | None = None
    """Base URL the secret was sent to, for the report (never a host found next to the secret)."""
    checked_at: str | None = None


NOT_ATTEMPTED = Verification(VerificationStatus.NOT_ATTEMPTED, "verification not attempted")


@dataclass(frozen=True)
class Assessment:
    """A credential with what its provider said about it and the severity policy gave it."""

    credential: Credential
    verification: Verification
    blast_radius: BlastRadius
    severity: Severity
    reasons: tuple[str, ...]
    beyond_task_env: bool = False
    agent_access: Mapping[str, object] = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class SkippedPath:
    path: str
    reason: str


@dataclass(frozen=True)
class SourceStats:
    name: str
    items: int
    """Files, blobs, variables or store files read by this source."""
    hits: int
    bytes: int = 0
    """Text bytes this source sent to detection."""
    seconds: float = 0.0
    """Wall time spent reading this source (detection overlaps it in worker processes)."""

    @property
    def mb_per_second(self) -> float | None:
        return self.bytes / 1e6 / self.seconds if self.seconds > 0 and self.bytes else None


@dataclass(frozen=True)
class ScanStats:
    roots: tuple[str, ...]
    files_scanned: int
    bytes_scanned: int
    skipped: tuple[SkippedPath, ...]
    warnings: tuple[str, ...] = ()
    sources: tuple[SourceStats, ...] = ()
    duration_seconds: float = 0.0


@dataclass(frozen=True)
class ScanResult:
    stats: ScanStats
    assessments: tuple[Assessment, ...]
    resolved: tuple[str, ...] = ()
    """Baseline fingerprints no longer found (reported as resolved)."""
    suppressed: int = 0
    filtered: tuple[FilteredHit, ...] = ()
    """Matches dropped by false-alarm filters; filled only with ``--show-filtered``."""

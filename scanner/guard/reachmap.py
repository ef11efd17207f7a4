"""The reach map: what `scan`/`preflight` learned, kept for the guard to decide from offline.

One JSON file per workspace (keyed by the workspace's real path) under the user's cache dir
(``$XDG_CACHE_HOME/credreach/reach/`` or ``~/.cache/credreach/reach/``), mode 0600 in a 0700
directory, outside the workspace so a repository cannot plant or read it. It holds, per credential
fingerprint: provider, kind, redacted preview, where it was found, and the verified resources with
their environment class and the operations the credential can run on them. **Never a secret
value**: the fingerprint is the HMAC credreach already uses for baselines, so the guard recognises
a token it sees in a command by fingerprinting it, without the map holding anything to steal.
Names of services, volumes, hosts and repositories are identifiers, kept as they are.

A map older than ``max_age`` seconds (default 24 h, ``CREDREACH_GUARD_MAX_AGE``) is stale: the
guard then treats every credential as unknown, and unknown counts as production.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator, Mapping

from scanner.guard import envclass
from scanner.guard._record import dataclass, field
from scanner.guard.safe_write import ensure_dir, read_small, write_bytes

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on the hook path
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

MAP_VERSION = 1
DEFAULT_MAX_AGE = 24 * 3600
MAX_MAP_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class MapResource:
    kind: str
    name: str
    environment: str | None
    env_class: str
    parent: str | None = None
    id: str | None = None
    """The provider's id when the scan learned it (e.g. a Railway volume id); names always."""

    def describe(self) -> str:
        """``volume `pg-data` (environment `production`, project `pocketos`)``."""
        bits = []
        if self.environment and not (self.kind == "environment" and self.environment == self.name):
            bits.append(f"environment `{self.environment}`")
        elif self.kind != "environment" and not self.environment:
            bits.append(f"class {self.env_class}")
        if self.parent:
            bits.append(self.parent)
        return f"{self.kind} `{self.name}`" + (f" ({', '.join(bits)})" if bits else "")


@dataclass(frozen=True)
class MapCapability:
    action: str
    operation: str
    certain: bool
    resources: tuple[int, ...]
    """Indexes into the credential's ``resources``."""


@dataclass(frozen=True)
class MapLocation:
    path: str
    """As the scan reported it: a path, ``env:NAME`` or ``git:COMMIT:path``."""
    abspath: str | None
    """Absolute, normalised path of a file location (None for env and history)."""
    line: int | None
    source: str
    store: str | None = None
    profile: str | None = None

    @property
    def env_var(self) -> str | None:
        return self.path[4:] if self.path.startswith("env:") else None


@dataclass(frozen=True)
class MapCredential:
    fingerprint: str
    id: str
    provider: str
    kind: str
    preview: str
    status: str
    identity: str | None
    locations: tuple[MapLocation, ...]
    resources: tuple[MapResource, ...]
    capabilities: tuple[MapCapability, ...]

    def reach(self, action: str | None = None, operation: str | None = None) -> list[MapResource]:
        """Resources this credential reaches with ``operation`` (else any op of ``action``, else all)."""
        if operation:
            hits = [self.resources[i] for c in self.capabilities if c.operation == operation for i in c.resources]
            if hits:
                return hits
        if action:
            hits = [self.resources[i] for c in self.capabilities if c.action == action for i in c.resources]
            if hits:
                return hits
        return list(self.resources)


@dataclass(frozen=True)
class ReachMap:
    workspace: str
    created_at: float
    task_env: str | None
    credentials: Mapping[str, MapCredential]
    source_path: str | None = None
    stale: bool = False
    by_path: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Absolute file path -> fingerprints of the credentials found in it."""
    by_env: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Environment variable name -> fingerprints seen in it."""

    @property
    def usable(self) -> bool:
        return not self.stale

    def of_provider(self, provider: str) -> list[MapCredential]:
        return [c for c in self.credentials.values() if c.provider == provider]


EMPTY = ReachMap(workspace="", created_at=0.0, task_env=None, credentials={})


# --- where ----------------------------------------------------------------------------------------

# The hook path works on ``str`` paths (``_cache_base``, ``_map_file``): importing pathlib costs more
# than a decision. The public helpers return :class:`~pathlib.Path` as before.

def _cache_base(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME") or os.path.join(env.get("HOME") or os.path.expanduser("~"), ".cache")
    return os.path.join(base, "credreach")


def _config_base(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or os.path.join(env.get("HOME") or os.path.expanduser("~"), ".config")
    return os.path.join(base, "credreach")


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    from pathlib import Path

    return Path(_cache_base(environ))


def config_dir(environ: Mapping[str, str] | None = None) -> Path:
    from pathlib import Path

    return Path(_config_base(environ))


def workspace_key(workspace: str) -> str:
    from scanner.guard._digest import sha256  # hashlib loads OpenSSL: milliseconds per hook call

    return str(sha256(os.path.realpath(workspace).encode("utf-8", "surrogateescape")).hexdigest())[:24]


def _map_file(workspace: str, environ: Mapping[str, str] | None = None) -> str:
    return os.path.join(_cache_base(environ), "reach", f"{workspace_key(workspace)}.json")


def map_path(workspace: str, environ: Mapping[str, str] | None = None) -> Path:
    from pathlib import Path

    return Path(_map_file(workspace, environ))


# --- write ----------------------------------------------------------------------------------------

def build(result: Any, workspace: str, *, base_dir: str | None = None, task_env: str | None = None,
          now: float | None = None) -> dict[str, Any]:
    """The JSON document for a :class:`scanner.model.ScanResult` (no secret is read from it)."""
    base = base_dir or os.getcwd()
    credentials = {a.credential.fingerprint: _credential_entry(a, base) for a in result.assessments}
    return {**_header(workspace, task_env, now), "credentials": credentials}


def _header(workspace: str, task_env: str | None, now: float | None) -> dict[str, Any]:
    return {"version": MAP_VERSION, "workspace": os.path.realpath(workspace),
            "created_at": time.time() if now is None else now, "task_env": task_env,
            "note": "credreach reach map: fingerprints and identifiers only, never a secret value"}


def _credential_entry(assessment: Any, base: str) -> dict[str, Any]:
    cred = assessment.credential
    blast = assessment.blast_radius
    resources: list[dict[str, Any]] = []
    index: dict[tuple[Any, ...], int] = {}

    def add(resource: Any) -> int:
        key = (resource.kind, resource.name, resource.environment, resource.parent)
        if key not in index:
            index[key] = len(resources)
            env_class = getattr(resource.env_class, "value", str(resource.env_class))
            resources.append({"kind": resource.kind, "name": resource.name,
                              "environment": resource.environment, "env_class": env_class,
                              "parent": resource.parent,
                              "id": getattr(resource, "id", None) or getattr(resource, "resource_id", None)})
        return index[key]

    for resource in blast.resources:
        add(resource)
    capabilities = [{"action": cap.action.value, "operation": cap.operation, "certain": cap.certain,
                     "resources": sorted({add(r) for r in cap.resources})}
                    for cap in blast.capabilities]
    locations = []
    for loc in cred.locations:
        file_like = not (loc.path.startswith("env:") or loc.path.startswith("git:") or loc.history_only)
        locations.append({
            "path": loc.path, "line": loc.line, "source": loc.source.value, "store": loc.store,
            "profile": loc.profile,
            "abspath": os.path.normpath(os.path.join(base, loc.path)) if file_like else None,
        })
    return {
        "id": cred.id, "provider": cred.provider, "kind": cred.kind, "preview": cred.preview,
        "status": assessment.verification.status.value, "identity": blast.identity,
        "locations": locations, "resources": resources, "capabilities": capabilities,
    }


def encode(result: Any, workspace: str, *, base_dir: str | None = None, task_env: str | None = None,
           now: float | None = None) -> Iterator[bytes]:
    """``json.dumps(build(...), sort_keys=True, separators=(",", ":"))`` as UTF-8, byte for byte,
    in pieces: one credential's entry is built, encoded and written at a time (a map of 100,000
    locations built whole was the largest allocation of a big scan)."""
    base = base_dir or os.getcwd()
    header = _header(workspace, task_env, now)
    by_fingerprint = {a.credential.fingerprint: a for a in result.assessments}  # last wins, as in build()
    keys = sorted([*header, "credentials"])
    yield b"{"
    for position, key in enumerate(keys):
        yield (("," if position else "") + json.dumps(key) + ":").encode("utf-8")
        if key != "credentials":
            yield json.dumps(header[key], sort_keys=True, separators=(",", ":")).encode("utf-8")
            continue
        yield b"{"
        for number, fp in enumerate(sorted(by_fingerprint)):
            entry = _credential_entry(by_fingerprint[fp], base)
            yield (("," if number else "") + json.dumps(fp) + ":"
                   + json.dumps(entry, sort_keys=True, separators=(",", ":"))).encode("utf-8")
        yield b"}"
    yield b"}"


def write(result: Any, workspace: str, *, path: Path | None = None, base_dir: str | None = None,
          task_env: str | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """Write the map for ``workspace`` (0600, atomic, no link followed); returns where."""
    target = path or map_path(workspace, environ)
    ensure_dir(target.parent)
    # Compact: json's C encoder runs only without `indent` (a 25,000-credential map took 1 s
    # indented), and the hook parses a smaller file on every tool call. Streamed (see encode()).
    write_bytes(target, encode(result, workspace, base_dir=base_dir, task_env=task_env))
    return target


# --- read -----------------------------------------------------------------------------------------

class MapError(ValueError):
    """A map file that is not one (corrupt, wrong version): the guard treats it as missing."""


def parse(data: bytes, source_path: str | None = None, *, max_age: float | None = None,
          now: float | None = None) -> ReachMap:
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise MapError(f"not JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("version") != MAP_VERSION:
        raise MapError("not a credreach reach map of this version")
    credentials: dict[str, MapCredential] = {}
    by_path: dict[str, list[str]] = {}
    by_env: dict[str, list[str]] = {}
    raw = doc.get("credentials") or {}
    if not isinstance(raw, dict):
        raise MapError("credentials is not an object")
    for fp, entry in raw.items():
        if not isinstance(entry, dict):
            continue
        resources = tuple(MapResource(str(r.get("kind")), str(r.get("name")), r.get("environment"),
                                      str(r.get("env_class") or envclass.UNKNOWN), r.get("parent"), r.get("id"))
                          for r in entry.get("resources") or [] if isinstance(r, dict))
        caps = tuple(MapCapability(str(c.get("action")), str(c.get("operation")), bool(c.get("certain", True)),
                                   tuple(i for i in c.get("resources") or []
                                         if isinstance(i, int) and 0 <= i < len(resources)))
                     for c in entry.get("capabilities") or [] if isinstance(c, dict))
        locations = tuple(MapLocation(str(loc.get("path")), loc.get("abspath"), loc.get("line"),
                                      str(loc.get("source")), loc.get("store"), loc.get("profile"))
                          for loc in entry.get("locations") or [] if isinstance(loc, dict))
        cred = MapCredential(str(fp), str(entry.get("id") or fp[:10]), str(entry.get("provider")),
                             str(entry.get("kind")), str(entry.get("preview") or "****"),
                             str(entry.get("status") or "unknown"), entry.get("identity"), locations,
                             resources, caps)
        credentials[cred.fingerprint] = cred
        for loc in locations:
            if loc.abspath:
                by_path.setdefault(loc.abspath, []).append(cred.fingerprint)
            if loc.env_var:
                by_env.setdefault(loc.env_var, []).append(cred.fingerprint)
    created = float(doc.get("created_at") or 0.0)
    age_limit = DEFAULT_MAX_AGE if max_age is None else max_age
    stale = (time.time() if now is None else now) - created > age_limit
    return ReachMap(str(doc.get("workspace") or ""), created, doc.get("task_env"), credentials, source_path,
                    stale, {k: tuple(v) for k, v in by_path.items()}, {k: tuple(v) for k, v in by_env.items()})


def max_age_from(environ: Mapping[str, str]) -> float:
    try:
        return float(environ.get("CREDREACH_GUARD_MAX_AGE") or DEFAULT_MAX_AGE)
    except ValueError:
        return DEFAULT_MAX_AGE


def load(path: Path | str, *, max_age: float | None = None) -> ReachMap:
    data = read_small(path, MAX_MAP_BYTES)
    if data is None:
        raise MapError(f"cannot read {path} (missing, a link, not a regular file or too big)")
    return parse(data, str(path), max_age=max_age)


def find(cwd: str, environ: Mapping[str, str] | None = None, *, explicit: str | None = None) -> ReachMap | None:
    """The map for ``cwd`` or the nearest parent that has one; None when there is none (or it is bad)."""
    env = os.environ if environ is None else environ
    max_age = max_age_from(env)
    if explicit:
        try:
            return load(explicit, max_age=max_age)
        except MapError:
            return None
    current = os.path.realpath(cwd or ".")
    for _ in range(64):
        candidate = _map_file(current, env)
        if os.path.exists(candidate):
            try:
                return load(candidate, max_age=max_age)
            except MapError:
                return None
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    return None

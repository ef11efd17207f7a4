"""What a tool call would do, as the recognisers see it: operations, targets, credentials.

Frozen values so a recogniser cannot change what another saw. A :class:`CredRef` never holds a
secret value: a value seen in a command, an environment variable or a file is fingerprinted at
once (the same HMAC the reach map is keyed by) and only the fingerprint is kept.
"""

from __future__ import annotations

from scanner.guard._record import dataclass

READ = "read"
WRITE = "write"
DELETE = "delete"
ADMIN = "admin"
OPAQUE = "opaque"
"""The guard cannot see what runs (an encoded payload, an unreadable script, a variable command)."""
READ_CREDENTIAL = "read-credential"
"""Reading a file that holds a known credential (the agent would see the secret)."""

ACTION_RANK = {READ: 0, READ_CREDENTIAL: 1, WRITE: 2, OPAQUE: 2, DELETE: 3, ADMIN: 3}


@dataclass(frozen=True)
class CredRef:
    """One way the command would get a credential."""

    how: str
    """``named`` (a literal in the command), ``env`` (a variable it expands or the tool reads),
    ``file`` (a file it reads), ``store`` (the CLI's default credential store), ``injected``
    (``railway run`` and friends), ``unknown`` (an auth value the map does not know)."""
    detail: str
    """Human text: ``env var RAILWAY_TOKEN``, ``~/.aws/credentials profile prod``; no secret."""
    fingerprints: tuple[str, ...] = ()
    env_var: str | None = None
    path: str | None = None
    store: str | None = None
    profile: str | None = None
    provider: str | None = None


@dataclass(frozen=True)
class Operation:
    """One provider (or local) operation a command would perform."""

    provider: str
    operation: str
    """The provider's own name where there is one (``volumeDelete``, ``rds delete-db-instance``)."""
    action: str
    target_kind: str | None = None
    targets: tuple[str, ...] = ()
    """Names or ids the command names as the target."""
    hints: tuple[str, ...] = ()
    """Names in the command that say which environment (``--environment prod``, ``db.prod.host``)."""
    credentials: tuple[CredRef, ...] = ()
    local: bool = False
    """Acts on this machine only (``rm -rf``, ``docker volume rm``): no credential decides it."""
    summary: str = ""
    """Short description for reasons and the audit log (already free of secret values)."""

"""Compiled Hyperscan databases kept between runs, so a scan starts matching at once.

Why: compiling credreach's four databases (rules, their literals, detect-secrets' finders, the
keyword literals) costs about 0.3 s of CPU on every run, the largest fixed cost of scanning a
small repository or a pre-commit diff. The compiled bytes depend only on the expressions, their
flags and the Hyperscan build, so they are stored under the user's cache directory
(``$XDG_CACHE_HOME/credreach/hyperscan/`` or ``~/.cache/credreach/hyperscan/``), one file per
database named by the SHA-256 of those inputs, and loaded (``hyperscan.loadb``, microseconds)
next time.

Trust: the directory is the user's own (never the scanned tree); files are written the one safe
way (:func:`scanner.safe_io.atomic_write_bytes`: no link followed, atomic rename, mode 0600) and
read without following a link. Each file starts with the SHA-256 of the database bytes; a file
that is short, truncated, altered or built for another CPU (Hyperscan refuses it) is ignored and
the database compiled again. Any failure to read or write the cache only costs the compile.

``CREDREACH_HS_CACHE=off`` disables it; ``CREDREACH_HS_CACHE=DIR`` puts it in ``DIR``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import platform
from collections.abc import Mapping, Sequence
from typing import Any

CACHE_ENV = "CREDREACH_HS_CACHE"
MAX_DATABASE_BYTES = 64 * 1024 * 1024
_DIGEST = 32

log = logging.getLogger("credreach.hscache")


def cache_directory(environ: Mapping[str, str] | None = None) -> str | None:
    """Where compiled databases live, or None when caching is off."""
    env = os.environ if environ is None else environ
    configured = env.get(CACHE_ENV, "").strip()
    if configured.lower() in ("0", "off", "no", "false"):
        return None
    if configured:
        return configured
    base = env.get("XDG_CACHE_HOME") or os.path.join(env.get("HOME") or os.path.expanduser("~"), ".cache")
    return os.path.join(base, "credreach", "hyperscan")


def database_key(hs: Any, expressions: Sequence[bytes], flags: Sequence[int]) -> str:
    """SHA-256 of everything the compiled bytes depend on (the Hyperscan build and the host type)."""
    digest = hashlib.sha256()
    for part in (str(getattr(hs, "__version__", "")), platform.machine(), str(len(expressions))):
        digest.update(part.encode() + b"\0")
    for expression, flag in zip(expressions, flags, strict=True):
        digest.update(len(expression).to_bytes(4, "big") + expression + flag.to_bytes(8, "big"))
    return digest.hexdigest()


def compile_block_database(hs: Any, expressions: Sequence[bytes], flags: Sequence[int]) -> Any:
    """A block-mode database of ``expressions`` (ids 0..n-1): loaded from the cache, else compiled
    (and stored). Raises ``hs.HyperscanError`` exactly when compiling does."""
    directory = cache_directory()
    path = os.path.join(directory, database_key(hs, expressions, flags) + ".hsdb") if directory else None
    if path is not None:
        database = _load(hs, path)
        if database is not None:
            return database
    database = hs.Database(mode=hs.HS_MODE_BLOCK)
    database.compile(expressions=list(expressions), ids=list(range(len(expressions))),
                     elements=len(expressions), flags=list(flags))
    if path is not None:
        _store(hs, path, database)
    return database


def _load(hs: Any, path: str) -> Any:
    from scanner.sources.base import SkipReason, read_regular_file

    data = read_regular_file(path, MAX_DATABASE_BYTES + _DIGEST, follow_symlinks=False, binary=True)
    if isinstance(data, SkipReason) or len(data) <= _DIGEST:
        return None
    body = data[_DIGEST:]
    if hashlib.sha256(body).digest() != data[:_DIGEST]:
        log.debug("hscache: %s does not match its checksum; compiling again", path)
        return None
    try:
        return hs.loadb(body, hs.HS_MODE_BLOCK)
    except Exception as err:  # noqa: BLE001 - another CPU or Hyperscan build: compile instead
        log.debug("hscache: %s not loadable (%s); compiling again", path, err)
        return None


def _store(hs: Any, path: str, database: Any) -> None:
    from scanner.safe_io import atomic_write_bytes

    try:
        body = hs.dumpb(database)
        if len(body) > MAX_DATABASE_BYTES:
            return
        atomic_write_bytes(path, hashlib.sha256(body).digest() + body, mode=0o600, make_dirs=True)
    except Exception as err:  # noqa: BLE001 - a read-only or odd cache directory costs the compile only
        log.debug("hscache: could not store %s (%s)", path, err)

"""gcloud's SQLite stores: ``~/.config/gcloud/credentials.db`` and ``access_tokens.db`` (providers.md §22).

Schemas (googlecloudsdk ``core/credentials/creds.py``):

- ``credentials.db``: ``credentials (account_id TEXT PRIMARY KEY, value BLOB)``; ``value`` is the
  credential as JSON, the same shape as an ADC file (``authorized_user`` with ``refresh_token``, or
  ``service_account`` with ``private_key``).
- ``access_tokens.db``: ``access_tokens (account_id TEXT PRIMARY KEY, access_token TEXT,
  token_expiry TIMESTAMP, rapt_token TEXT, id_token TEXT)``.

The file is opened by SQLite only as ``file:PATH?mode=ro&immutable=1`` (URI): read-only, no lock,
no journal or WAL file created, nothing written. Before that the path must be a regular file
within the size limit starting with the SQLite header; a progress handler ends any query that
runs longer than :data:`QUERY_SECONDS`, and at most :data:`MAX_ROWS` rows are read. A database that
is not what gcloud writes ends as a warning.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import stat
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scanner.sources.base import (
    SKIP_IO_ERROR,
    SKIP_SPECIAL,
    SKIP_SYMLINK_LOOP,
    SKIP_TOO_LARGE,
    SKIP_UNREADABLE,
    Sink,
)
from scanner.sources.store_parsers._common import NOWHERE, Position, StoreFile
from scanner.sources.store_parsers.cloud import parse_gcloud_json

SQLITE_HEADER = b"SQLite format 3\x00"
QUERY_SECONDS = 2.0
MAX_ROWS = 500


@dataclass
class _RowFile(StoreFile):
    """One row's JSON as a store file: hits point at the database file, with no line or column."""

    account: str = ""

    def position(self, offset: int) -> Position:
        return NOWHERE

    def emit(self, provider: str, kind: str, secret: str, position: Position, *,
             profile: str | None = None, companions: Mapping[str, str] | None = None,
             specific: bool = True, filtered_by: str | None = None) -> None:
        super().emit(provider, kind, secret, NOWHERE, profile=profile or self.account or None,
                     companions=companions, specific=specific, filtered_by=filtered_by)


def _check_file(path: str, sink: Sink, max_size: int) -> bool:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    except PermissionError:
        sink.skip(path, SKIP_UNREADABLE)
        return False
    except OSError as exc:
        sink.skip(path, SKIP_SYMLINK_LOOP if exc.errno == errno.ELOOP else SKIP_IO_ERROR)
        return False
    if not stat.S_ISREG(st.st_mode):
        sink.skip(path, SKIP_SPECIAL)
        return False
    if st.st_size > max_size:
        sink.skip(path, SKIP_TOO_LARGE)
        return False
    if st.st_size == 0:
        return False
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except PermissionError:
        sink.skip(path, SKIP_UNREADABLE)
        return False
    except OSError:
        sink.skip(path, SKIP_IO_ERROR)
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            sink.skip(path, SKIP_SPECIAL)
            return False
        head = os.read(fd, len(SQLITE_HEADER))
    finally:
        os.close(fd)
    if head != SQLITE_HEADER:
        sink.warn(f"{path}: not an SQLite database; not read")
        return False
    return True


def _rows(path: str, query: str, sink: Sink, max_size: int) -> list[tuple[Any, ...]] | None:
    """Rows of a read-only query, or None (with a warning) when the database cannot be read."""
    if not _check_file(path, sink, max_size):
        return None
    uri = f"file:{urllib.parse.quote(os.path.abspath(path))}?mode=ro&immutable=1"
    deadline = time.monotonic() + QUERY_SECONDS
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=0.5, check_same_thread=False)
    except sqlite3.Error:
        sink.warn(f"{path}: could not open the SQLite database read-only; not read")
        return None
    try:
        conn.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, 1000)
        conn.execute("PRAGMA query_only = ON")
        return conn.execute(query).fetchmany(MAX_ROWS)
    except sqlite3.Error as exc:
        # The error text names tables or columns, never row values.
        sink.warn(f"{path}: not a gcloud database this version knows ({type(exc).__name__}); not read")
        return None
    finally:
        conn.close()


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value.strip() if isinstance(value, str) else ""


def read_credentials_db(path: str, store: str, sink: Sink, max_size: int) -> int | None:
    rows = _rows(path, "SELECT account_id, value FROM credentials", sink, max_size)
    if rows is None:
        return None
    hits = 0
    for account, value in rows:
        row = _RowFile(path=path, store=store, text=_text(value), sink=sink, account=_text(account))
        try:
            parse_gcloud_json(row)
        except Exception:  # one bad row must not hide the others
            sink.warn(f"{path}: a credentials row (account {_text(account) or '?'}) is not gcloud JSON")
        hits += row.hits
    return hits


def read_access_tokens_db(path: str, store: str, sink: Sink, max_size: int) -> int | None:
    rows = _rows(path, "SELECT account_id, access_token FROM access_tokens", sink, max_size)
    if rows is None:
        return None
    out = StoreFile(path=path, store=store, text="", sink=sink)
    for account, token in rows:
        secret = _text(token)
        name = _text(account)
        if secret:
            out.emit("gcp", "gcp_access_token", secret, NOWHERE, profile=name or None,
                     companions={"account": name})
    return out.hits

"""What every source hands to the pipeline, and the one safe way to read a file.

A source walks something an agent can reach (a directory tree, git history, credential stores in
the home directory, the environment) and reports to a :class:`Sink`: documents to run detectors
on, hits it found itself by parsing a known format, and paths it skipped with the reason.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from typing import Protocol

from scanner.model import Hit, Location

DEFAULT_MAX_FILE_SIZE = 5 * 1024 * 1024
BINARY_SNIFF_BYTES = 8192


@dataclass(frozen=True)
class Document:
    """Text to run detectors on, with the location template its hits inherit (line/column unset)."""

    text: str
    origin: Location
    size: int
    decoded_with_errors: bool = False


class Sink(Protocol):
    def document(self, doc: Document) -> None: ...

    def hit(self, hit: Hit) -> None: ...

    def skip(self, path: str, reason: str) -> None: ...

    def warn(self, message: str) -> None: ...


class SkipReason(str):
    """A reason a file was not read; a str so it can be counted and printed as is."""


SKIP_SPECIAL = SkipReason("special file (FIFO, socket or device; never opened)")
SKIP_TOO_LARGE = SkipReason("larger than the size limit")
SKIP_BINARY = SkipReason("binary")
SKIP_UNREADABLE = SkipReason("unreadable (permission denied)")
SKIP_VANISHED = SkipReason("vanished during the scan")
SKIP_SYMLINK_OUTSIDE = SkipReason("symlink pointing outside the scanned roots")
SKIP_SYMLINK_BROKEN = SkipReason("broken symlink")
SKIP_SYMLINK_LOOP = SkipReason("symlink loop")
SKIP_IO_ERROR = SkipReason("read error")
SKIP_EXCLUDED = SkipReason("excluded by --exclude/.credreachignore")
SKIP_REPLACED_BY_SYMLINK = SkipReason("replaced by a symlink during the scan (not followed)")


def looks_binary(head: bytes) -> bool:
    """NUL bytes in the first block mean binary (the rule git and grep use)."""
    return b"\x00" in head[:BINARY_SNIFF_BYTES]


def decode(data: bytes) -> tuple[str, bool]:
    """UTF-8 text, falling back to surrogateescape so no byte is lost and no decode error escapes."""
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode("utf-8", "surrogateescape"), True


def read_regular_file(path: str, max_size: int = DEFAULT_MAX_FILE_SIZE,
                      follow_symlinks: bool = True) -> bytes | SkipReason:
    """Read a regular file without ever blocking on or opening a FIFO, socket or device.

    ``O_NONBLOCK`` keeps an open of a FIFO swapped in after ``lstat`` from hanging, and the
    ``fstat`` after opening re-checks the type on the file actually opened. With
    ``follow_symlinks=False`` (a walker that saw a plain file there) ``O_NOFOLLOW`` refuses a
    symlink swapped in since, which could otherwise point out of the scanned roots.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        st = os.stat(path, follow_symlinks=follow_symlinks)
        if stat.S_ISLNK(st.st_mode):
            return SKIP_REPLACED_BY_SYMLINK
    except FileNotFoundError:
        return SKIP_VANISHED
    except PermissionError:
        return SKIP_UNREADABLE
    except OSError as exc:
        return SKIP_SYMLINK_LOOP if exc.errno == errno.ELOOP else SKIP_IO_ERROR
    if not stat.S_ISREG(st.st_mode):
        return SKIP_SPECIAL
    if st.st_size > max_size:
        return SKIP_TOO_LARGE
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return SKIP_VANISHED
    except PermissionError:
        return SKIP_UNREADABLE
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return SKIP_SYMLINK_LOOP if follow_symlinks else SKIP_REPLACED_BY_SYMLINK
        return SKIP_IO_ERROR
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return SKIP_SPECIAL
        if st.st_size > max_size:
            return SKIP_TOO_LARGE
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            total += len(chunk)
            if total > max_size:  # grew while we read it
                return SKIP_TOO_LARGE
            if not chunks and looks_binary(chunk):
                return SKIP_BINARY
            chunks.append(chunk)
        return b"".join(chunks)
    except PermissionError:
        return SKIP_UNREADABLE
    except OSError:
        return SKIP_IO_ERROR
    finally:
        os.close(fd)


def is_readable(path: str) -> bool:
    """Whether the running user (and so an agent running as this user) may read the file."""
    return os.access(path, os.R_OK)

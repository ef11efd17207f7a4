"""The guard's files (reach map, audit log, agent configs) written without following links.

``scanner.safe_io`` (shared helper) is used when it exists; until then this minimal version does the
same thing: create a temporary file next to the target with ``O_CREAT|O_EXCL|O_NOFOLLOW`` (a
planted link or file at the temporary name makes the write fail instead of writing through it),
write, fsync, and ``os.replace`` it over the target, which replaces a link rather than following
it. Directories the guard creates are ``0700``; a directory on the way that is a symlink is refused.
"""

from __future__ import annotations

import contextlib
import os

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on the hook path
if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path
    from typing import TypeVar

    PathT = TypeVar("PathT", str, Path)


class UnsafePath(OSError):
    """A path the guard refuses to write through (a symlink where a file or directory should be)."""


def ensure_dir(path: PathT, mode: int = 0o700) -> PathT:
    """Create ``path`` (and parents) if needed; refuse if it, or a part created here, is a link.

    ``path`` is a :class:`~pathlib.Path` or a ``str`` (the hook passes strings: no pathlib import)."""
    if os.path.islink(path):
        raise UnsafePath(f"refusing to use {path}: it is a symbolic link")
    if not os.path.exists(path):
        parent = os.path.dirname(os.fspath(path)) or "."
        if not os.path.exists(parent):
            ensure_dir(parent, mode)
        with contextlib.suppress(FileExistsError):
            os.mkdir(path, mode)
        if os.path.islink(path):
            raise UnsafePath(f"refusing to use {path}: it is a symbolic link")
    if not os.path.isdir(path):
        raise UnsafePath(f"refusing to use {path}: not a directory")
    return path


def write_bytes(path: Path, data: bytes | Iterable[bytes], mode: int = 0o600) -> None:
    """Atomically replace ``path`` with ``data`` (bytes, or chunks written as they come; mode
    ``mode``), never writing through a link."""
    try:
        from scanner import safe_io  # type: ignore[attr-defined]

        helper = getattr(safe_io, "atomic_write_bytes", None) or getattr(safe_io, "write_bytes", None)
    except ImportError:
        helper = None
    if helper is not None:
        try:
            helper(str(path), data, mode=mode)
            return
        except TypeError:  # a different signature: fall back to ours rather than guess
            pass
    if path.is_symlink():
        # os.replace would replace the link itself, which is safe, but say nothing surprising:
        # an agent config that is a link is someone else's file.
        raise UnsafePath(f"refusing to write {path}: it is a symbolic link")
    tmp = path.with_name(f".{path.name}.{os.urandom(6).hex()}.credreach-tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(tmp, flags, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in ([data] if isinstance(data, bytes) else data):
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def append_line(path: Path | str, line: str, mode: int = 0o600) -> None:
    """Append one line to a log file, never through a link (``O_APPEND|O_NOFOLLOW``)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags, mode)
    try:
        os.write(fd, line.encode("utf-8") + b"\n")
    finally:
        os.close(fd)


def read_small(path: Path | str, limit: int = 1 << 20) -> bytes | None:
    """Read a regular file of at most ``limit`` bytes without following a final link; None if not."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        import stat

        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        chunks = []
        remaining = limit + 1
        while remaining > 0:
            chunk = os.read(fd, min(65536, remaining))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
        return data if len(data) <= limit else None
    finally:
        os.close(fd)

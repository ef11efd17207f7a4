"""The one way credreach writes a file, and the one way it reads an agent config from a hostile tree.

Why: the scanned tree is hostile. A repository can ship ``credreach.sarif -> ~/.bashrc``, a
``.cursorignore.credreach-tmp`` link next to the file ``contain`` rewrites, or ``.claude`` as a
link to a directory outside the workspace. A plain ``open(path, "w")`` follows every one of them
and writes credreach's output into the user's files.

Writing (:func:`atomic_write_bytes` / :func:`atomic_write_text`):

1. the target's directory is resolved and, when an ``allowed_root`` is given, must lie inside it
   (``.claude`` linked out of the workspace is refused); directories created on the way are
   created one component at a time and re-checked;
2. the directory is opened once and every later step is relative to that descriptor, so swapping
   the directory for a link afterwards changes nothing;
3. the target must be absent or a regular file, never a link (refused, not replaced, so a
   planted link is reported instead of silently taken over);
4. the data goes to a fresh temporary file in that same directory, created with
   ``O_CREAT | O_EXCL | O_NOFOLLOW`` under a random name (a planted file or link at the
   temporary name makes the open fail instead of writing through it), fsync'ed, and renamed
   over the target (atomic: readers see the old or the new content, never half).

:func:`check_writable` runs the same checks without writing, so ``-o FILE`` problems are found
before a long scan, not after it.

Reading (:func:`read_config`): an agent config is read only when its real path stays inside the
root it belongs to (workspace configs in the workspace, user configs in the home directory); a
link out is reported and not followed, so a ``.cursorignore -> ~/.ssh/id_ed25519`` is never read
and never copied back into the workspace.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterable

from scanner.sources.base import SkipReason, read_regular_file

TEMP_SUFFIX = ".credreach-tmp"
SKIP_CONFIG_OUTSIDE = SkipReason("symlink pointing outside the workspace/home (not followed)")


class UnsafePath(OSError):
    """A path credreach refuses to write through or read; the message says why, for the user."""


def _inside(path: str, root: str) -> bool:
    root = root.rstrip(os.sep) or os.sep
    return path == root or path.startswith(root + os.sep) or root == os.sep


def _refuse(path: str, why: str) -> UnsafePath:
    return UnsafePath(errno.EPERM, f"refusing to write {path}: {why}")


def _ensure_directory(directory: str, allowed_root: str | None, make_dirs: bool) -> str:
    """The real path of ``directory`` after the link checks; created (component-wise) if asked."""
    if not os.path.lexists(directory):
        if not make_dirs:
            raise UnsafePath(errno.ENOENT, f"cannot write into {directory}: directory does not exist")
        parent = os.path.dirname(directory)
        if parent != directory:
            _ensure_directory(parent, allowed_root, make_dirs)
        with contextlib.suppress(FileExistsError):
            os.mkdir(directory, 0o755)
    real = os.path.realpath(directory)
    if allowed_root is not None and not _inside(real, os.path.realpath(allowed_root)):
        raise _refuse(directory, f"the directory resolves to {real}, outside {allowed_root}")
    try:
        st = os.stat(real)
    except OSError as exc:
        raise UnsafePath(exc.errno or errno.EIO, f"cannot write into {directory}: {exc.strerror}") from None
    if not stat.S_ISDIR(st.st_mode):
        raise UnsafePath(errno.ENOTDIR, f"cannot write into {directory}: not a directory")
    return real


def _open_dir(real: str) -> int:
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        return os.open(real, flags)
    except OSError as exc:
        raise UnsafePath(exc.errno or errno.EIO, f"cannot write into {real}: {exc.strerror}") from None


def _check_target(dir_fd: int, name: str, shown: str) -> os.stat_result | None:
    """The target's lstat (None when absent); refuses links and anything but a regular file."""
    try:
        st = os.lstat(name, dir_fd=dir_fd)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(st.st_mode):
        raise _refuse(shown, "it is a symbolic link (remove it or choose another path)")
    if not stat.S_ISREG(st.st_mode):
        raise _refuse(shown, "it is not a regular file")
    return st


def check_writable(path: str, allowed_root: str | None = None) -> None:
    """Raise :class:`UnsafePath` now if :func:`atomic_write_bytes` to ``path`` would be refused or fail."""
    absolute = os.path.abspath(path)
    real_dir = _ensure_directory(os.path.dirname(absolute), allowed_root, make_dirs=False)
    dir_fd = _open_dir(real_dir)
    try:
        st = _check_target(dir_fd, os.path.basename(absolute), path)
        if not os.access(real_dir, os.W_OK | os.X_OK):
            raise UnsafePath(errno.EACCES, f"cannot write {path}: directory {real_dir} is not writable")
        if st is not None and not os.access(os.path.join(real_dir, os.path.basename(absolute)), os.W_OK):
            raise UnsafePath(errno.EACCES, f"cannot write {path}: file is not writable")
    finally:
        os.close(dir_fd)


def atomic_write_bytes(path: str, data: bytes | Iterable[bytes], *, mode: int | None = None,
                       allowed_root: str | None = None, make_dirs: bool = False) -> None:
    """Replace ``path`` with ``data`` atomically, never writing through a link (see module docstring).

    ``data`` may be an iterable of chunks, written as they come (a large report is never held as
    one string); the target is replaced only once every chunk is written.
    ``mode`` defaults to the existing file's permission bits, else ``0o644`` (less the umask).
    """
    absolute = os.path.abspath(os.fspath(path))
    name = os.path.basename(absolute)
    if not name or name in (".", ".."):
        raise UnsafePath(errno.EISDIR, f"cannot write {path}: not a file name")
    real_dir = _ensure_directory(os.path.dirname(absolute), allowed_root, make_dirs)
    dir_fd = _open_dir(real_dir)
    try:
        existing = _check_target(dir_fd, name, str(path))
        if mode is None:
            mode = stat.S_IMODE(existing.st_mode) if existing is not None else 0o644
        tmp = f".{name}.{secrets.token_hex(8)}{TEMP_SUFFIX}"
        flags = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
                 | getattr(os, "O_CLOEXEC", 0))
        try:
            fd = os.open(tmp, flags, mode, dir_fd=dir_fd)
        except OSError as exc:
            raise UnsafePath(exc.errno or errno.EIO, f"cannot write {path}: {exc.strerror}") from None
        try:
            with os.fdopen(fd, "wb") as handle:
                if isinstance(data, (bytes, bytearray, memoryview)):
                    handle.write(data)
                else:
                    for chunk in data:
                        handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            if existing is not None:
                os.chmod(tmp, mode, dir_fd=dir_fd)  # umask must not narrow an existing file's mode
            # Re-check just before the rename: a link planted at the target meanwhile is refused too.
            _check_target(dir_fd, name, str(path))
            os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=dir_fd)
            raise
    finally:
        os.close(dir_fd)


def atomic_write_text(path: str, text: str | Iterable[str], *, mode: int | None = None,
                      allowed_root: str | None = None, make_dirs: bool = False) -> None:
    """:func:`atomic_write_bytes` of ``text`` (a string or string chunks) as UTF-8 (lone surrogates
    from odd file names kept as bytes)."""
    data: bytes | Iterable[bytes] = (text.encode("utf-8", "surrogateescape") if isinstance(text, str)
                                     else (chunk.encode("utf-8", "surrogateescape") for chunk in text))
    atomic_write_bytes(path, data, mode=mode, allowed_root=allowed_root, make_dirs=make_dirs)


def read_config(path: str, allowed_roots: Iterable[str], max_size: int = 1 << 20) -> bytes | SkipReason:
    """Read an agent config only if its real path stays inside one of ``allowed_roots``.

    A link (of the file or of a directory on its way) resolving outside is not followed: the
    reason is returned for the caller to report. Special files are never opened
    (:func:`read_regular_file`).
    """
    real = os.path.realpath(path)
    if not any(_inside(real, os.path.realpath(root)) for root in allowed_roots):
        return SKIP_CONFIG_OUTSIDE
    return read_regular_file(real, max_size, follow_symlinks=False)

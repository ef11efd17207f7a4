"""Git history: every blob any ref or stash can reach, each scanned once.

An agent with a shell can run ``git log -p`` or ``git show <old-commit>:.env``: a secret that was
committed and later deleted is still one command away. This source hands every reachable blob to
the detectors, once, however many commits contain it.

How (a fixed handful of ``git`` processes per repository, none per commit or per blob):

1. ``git log --all <stash commits> --raw --no-renames --root --diff-merges=first-parent
   --date-order --reverse`` lists, commit by commit from oldest to newest, the blob IDs each commit
   introduced and at which path. The first time a blob ID appears is the commit that introduced
   it; that commit and its author date go into the location. ``--diff-merges=first-parent`` also
   covers merge resolutions and the working-tree commit of each stash (a merge commit).
   Tree diffs only, no content diffs: cheap even on large histories.
2. ``git rev-list --objects --all <stash commits>`` is the authoritative reachable set; blobs
   it lists that the log did not attribute (a blob tagged directly, say) are still scanned.
   ``git cat-file --batch-check`` gives their type and every blob's size, so huge blobs are
   skipped without being read.
3. ONE ``git cat-file --batch`` process streams the contents of all wanted blobs.

Stashes: ``refs/stash`` is covered by ``--all``; older entries live only in its reflog, so the
commit IDs from ``git stash list`` are passed explicitly (their index and untracked-files parents
follow by reachability).

Measured: 3,000 commits / 9,000 distinct blobs scan in about half a second.

Git is run with ``core.fsmonitor`` off, signature display off, optional locks off, no pager,
system and global config ignored (``GIT_CONFIG_NOSYSTEM``, ``GIT_CONFIG_GLOBAL=/dev/null``),
variables that relocate the repository (``GIT_DIR``...) removed, and never with content filters,
textconv or external diff drivers, so scanning a repository runs none of its programs.

The repository is hostile: before any git process touches it, :func:`check_git_metadata` lstat's
every file git may open (the ``.git`` pointer file, everything under the git directory, its
common dir and alternates) and refuses the repository with a reported skip if one is a FIFO,
socket or device (git would block in ``open()`` forever). Every git process runs through
:mod:`scanner.subproc` with a wall-clock bound, as the backstop.

``history_only`` is true when the blob is not the current content of any path it was seen at;
the working-tree files are hashed like ``git hash-object`` would (only when the size matches),
or the caller passes the map it already has.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import os
import queue
import re
import stat
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from scanner import subproc
from scanner.model import Location, SourceKind, SourceStats
from scanner.sources.base import (
    DEFAULT_MAX_FILE_SIZE,
    SKIP_BINARY,
    SKIP_TOO_LARGE,
    Document,
    Sink,
    SkipReason,
    decode,
    looks_binary,
    printable,
    read_regular_file,
)

_GIT_ENV = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_OPTIONAL_LOCKS": "0",
    "GIT_PAGER": "cat",
    "PAGER": "cat",
    "LC_ALL": "C",
    # The user's and the system's config are not the scanned repository's business, and a FIFO
    # or a program named there must not stall or steer a scan either.
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    # A partial clone's promisor remote would make git fetch a missing object on demand: a
    # network/file transport chosen by the scanned repository, writing into it. Never.
    "GIT_NO_LAZY_FETCH": "1",
    "GIT_PROTOCOL_FROM_USER": "0",
    # refs/replace/* lets a repository show other objects than the ones it holds: read the real ones.
    "GIT_NO_REPLACE_OBJECTS": "1",
}
# safe.directory=*: without the global config, a checkout owned by another user (CI containers)
# would be refused; it is safe here because no option that makes git run a program is in effect.
_GIT_CONFIG = ("-c", "safe.directory=*", "-c", "core.fsmonitor=false", "-c", "core.quotepath=false",
               "-c", "log.showSignature=false", "-c", f"core.hooksPath={os.devnull}",
               "-c", "protocol.allow=never", "-c", "core.sshCommand=false", "-c", "credential.helper=")
SKIP_MISSING_OBJECT = SkipReason("git object missing from the repository (not scanned)")
SKIP_SPECIAL_GIT_METADATA = SkipReason("special file in git metadata (FIFO, socket or device); "
                                       "git not run on this repository")
_ZERO = re.compile(r"^0+$")
HISTORY_HEADER = "\x01"


class GitError(Exception):
    """A git command failed; the message is git's first stderr line (no file content)."""


# Variables that would point git at another repository or make it run a program; a scan must
# read exactly the repository it was given.
_GIT_ENV_DROP = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
                 "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE", "GIT_EXTERNAL_DIFF",
                 "GIT_SSH", "GIT_SSH_COMMAND", "GIT_ASKPASS", "SSH_ASKPASS")


def git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _GIT_ENV_DROP and not k.startswith("GIT_CONFIG_")}
    env.update(_GIT_ENV)
    return env


_env = git_env


def git_command(repo: str, *args: str) -> list[str]:
    """The argv for ``git args`` on ``repo`` with the hardening options (see module docstring)."""
    return ["git", "-C", repo, *_GIT_CONFIG, *args]


_cmd = git_command


def run_git(repo: str, *args: str, check: bool = True, input: bytes | None = None,
            timeout: float | None = None) -> bytes:
    """Stdout of one bounded git command; GitError on failure (with ``check``) or timeout."""
    try:
        proc = subproc.run(git_command(repo, *args), env=git_env(), input=input, timeout=timeout)
    except subproc.ProgramMissing:
        raise GitError("git is not installed") from None
    except subproc.SubprocessTimeout as exc:
        raise GitError(str(exc)) from None
    if check and proc.returncode != 0:
        first = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(first[0] if first else f"git {args[0]} exited with {proc.returncode}")
    return proc.stdout


def _run(repo: str, *args: str, check: bool = True) -> bytes:
    return run_git(repo, *args, check=check)


# --- hostile metadata ------------------------------------------------------------------------

MAX_METADATA_DEPTH = 32


def _git_dir_of(repo: str) -> tuple[str | None, str | None]:
    """(git directory, None) for a work tree or bare repository, or (None, offending path)."""
    dot_git = os.path.join(repo, ".git")
    try:
        st = os.stat(dot_git)
    except FileNotFoundError:
        return (repo, None) if is_bare_repository(repo) else (None, None)
    except OSError:
        return None, None
    if stat.S_ISDIR(st.st_mode):
        return dot_git, None
    if not stat.S_ISREG(st.st_mode):
        return None, dot_git
    data = read_regular_file(dot_git, 1 << 16)  # a linked worktree or submodule: "gitdir: <path>"
    if not isinstance(data, bytes):
        return None, dot_git if data.startswith("special") else None
    text = data.decode("utf-8", "surrogateescape").strip()
    if not text.startswith("gitdir:"):
        return None, None
    return os.path.join(repo, text[len("gitdir:"):].strip()), None


def _special(path: str, follow: bool) -> bool:
    try:
        st = os.stat(path, follow_symlinks=follow)
    except OSError:
        return False  # absent or unreadable: git reports that itself, quickly
    return not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode) or stat.S_ISLNK(st.st_mode))


_CONFIG_FILE_KEY = re.compile(r"^\s*(?:path|excludesfile|attributesfile)\s*=\s*(.+?)\s*$", re.I | re.M)


def _config_file_refs(config: str) -> Iterator[str]:
    """Files a git config makes git open (``include.path``, ``includeIf.*.path``,
    ``core.excludesFile``, ``core.attributesFile``), followed through regular included files."""
    pending, seen = [config], set[str]()
    while pending and len(seen) < 64:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        data = read_regular_file(current, 1 << 20)
        if not isinstance(data, bytes):
            continue
        for match in _CONFIG_FILE_KEY.finditer(data.decode("utf-8", "surrogateescape")):
            value = match.group(1).strip().strip('"')
            if value.startswith("~/"):
                value = os.path.join(os.path.expanduser("~"), value[2:])
            path = os.path.join(os.path.dirname(current), value)
            yield path
            pending.append(path)


def check_git_metadata(repo: str) -> str | None:
    """The first file git could block on (FIFO, socket, device) in ``repo``'s metadata, or None.

    Iterative and depth-capped; lstat only (``scandir`` types), never an open of such a file.
    Links inside the git directory are checked at their target too. The common dir of a linked
    worktree and the object directories named in ``objects/info/alternates`` are checked as well.
    """
    git_dir, offending = _git_dir_of(repo)
    if offending is not None:
        return offending
    if git_dir is None:
        return None
    pending = [git_dir]
    done: set[str] = set()
    while pending:
        top = os.path.normpath(pending.pop())
        if top in done:
            continue
        done.add(top)
        if _special(top, follow=True):
            return top
        for config in (os.path.join(top, "config"), os.path.join(top, "config.worktree")):
            for referenced in _config_file_refs(config):
                if _special(referenced, follow=True):
                    return referenced
        for extra in ("commondir", os.path.join("objects", "info", "alternates")):
            listed = os.path.join(top, extra)
            if _special(listed, follow=True):
                return listed
            data = read_regular_file(listed, 1 << 16)
            if isinstance(data, bytes):
                for line in data.decode("utf-8", "surrogateescape").splitlines():
                    if line.strip() and not line.startswith("#"):
                        pending.append(os.path.join(top if extra == "commondir" else os.path.join(top, "objects"),
                                                    line.strip()))
        stack = [(top, 0)]
        while stack:
            directory, depth = stack.pop()
            try:
                with os.scandir(directory) as it:
                    entries = list(it)
            except OSError:
                continue
            for entry in entries:
                try:
                    if entry.is_symlink():
                        if _special(entry.path, follow=True):
                            return entry.path
                    elif entry.is_dir(follow_symlinks=False):
                        if depth < MAX_METADATA_DEPTH:
                            stack.append((entry.path, depth + 1))
                    elif not entry.is_file(follow_symlinks=False):
                        return entry.path
                except OSError:
                    continue
    return None


def is_bare_repository(path: str) -> bool:
    """A directory laid out like a bare repository (HEAD file, objects/ and refs/ directories)."""
    try:
        return (stat.S_ISREG(os.lstat(os.path.join(path, "HEAD")).st_mode)
                and os.path.isdir(os.path.join(path, "objects")) and os.path.isdir(os.path.join(path, "refs")))
    except OSError:
        return False


# --- repository discovery --------------------------------------------------------------------

MAX_DISCOVERY_DEPTH = 4096


def find_repositories(root: str, sink: Sink | None = None) -> list[str]:
    """Every git work tree or bare repository at or under ``root`` (nested repos, submodules,
    worktrees), plus the repository ``root`` itself sits inside, if any. Symlinks are not
    followed; ``.git`` directories and bare repositories are not descended into.

    Iterative (a tree thousands of directories deep is fine) and depth-capped: directories
    deeper than :data:`MAX_DISCOVERY_DEPTH` are reported to ``sink`` as skipped.
    """
    root = os.path.abspath(root)
    found: list[str] = []
    parent = root
    while True:
        if os.path.lexists(os.path.join(parent, ".git")):
            found.append(parent)
            break
        up = os.path.dirname(parent)
        if up == parent:
            break
        parent = up
    stack: list[tuple[str, int]] = [(root, 0)]
    while stack:
        directory, depth = stack.pop()
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        names = {e.name for e in entries}
        bare = "HEAD" in names and is_bare_repository(directory)
        if (".git" in names or bare) and directory not in found:
            found.append(directory)
        if bare:
            continue
        subdirs = []
        for entry in entries:
            try:
                if entry.name != ".git" and entry.is_dir(follow_symlinks=False):
                    subdirs.append(entry.path)
            except OSError:
                continue
        if subdirs and depth >= MAX_DISCOVERY_DEPTH:
            if sink is not None:
                sink.skip(directory, f"deeper than {MAX_DISCOVERY_DEPTH} directories; not searched for repositories")
            continue
        stack.extend((sub, depth + 1) for sub in reversed(subdirs))
    return found


def stash_commits(repo: str) -> list[str]:
    """Commit IDs of every stash entry (``refs/stash`` and its reflog)."""
    try:
        out = _run(repo, "stash", "list", "--format=%H")
    except GitError:
        return []
    return [line for line in out.decode().split() if line]


def object_format(repo: str) -> str:
    try:
        return _run(repo, "rev-parse", "--show-object-format").decode().strip() or "sha1"
    except GitError:
        return "sha1"


# --- blob attribution ------------------------------------------------------------------------

@dataclass
class BlobInfo:
    blob: str
    path: str
    commit: str | None = None
    author_date: str | None = None
    paths: set[str] = field(default_factory=set)
    size: int = 0


def _stream(repo: str, args: list[str], chunk_size: int = 1 << 16) -> Iterator[bytes]:
    """Stdout of a bounded git command, chunk by chunk; raises GitError after a failed exit or timeout."""
    with tempfile.TemporaryFile() as err:
        try:
            with subproc.Stream(git_command(repo, *args), env=git_env(), stderr_file=err.fileno()) as proc:
                yield from proc.chunks()
                code = proc.wait()
        except subproc.ProgramMissing:
            raise GitError("git is not installed") from None
        except subproc.SubprocessTimeout as exc:
            raise GitError(str(exc)) from None
        if code != 0:
            err.seek(0)
            first = err.read(1 << 16).decode("utf-8", "replace").strip().splitlines()
            raise GitError(first[0] if first else f"git {args[0]} exited with {code}")


def _nul_tokens(chunks: Iterable[bytes]) -> Iterator[bytes]:
    rest = b""
    for chunk in chunks:
        rest += chunk
        *tokens, rest = rest.split(b"\0")
        yield from tokens
    if rest:
        yield rest


def attribute_blobs(repo: str, tips: list[str]) -> dict[str, BlobInfo]:
    """blob ID -> first introducing commit, its author date and path (see module docstring).

    With ``-z`` the output is: ``\\x01<commit> <date>``, then per changed path a
    ``:<old mode> <new mode> <old id> <new id> <status>`` token followed by a path token.
    """
    args = ["log", *tips, "-z", "--raw", "--no-abbrev", "--no-renames", "--root", "--no-color",
            "--diff-merges=first-parent", "--date-order", "--reverse",
            f"--format={HISTORY_HEADER}%H %aI"]
    blobs: dict[str, BlobInfo] = {}
    commit: str | None = None
    date: str | None = None
    expect_path = False
    blob: str | None = None
    for raw in _nul_tokens(_stream(repo, args)):
        if expect_path:
            expect_path = False
            if blob is None:
                continue
            path = raw.decode("utf-8", "surrogateescape")
            info = blobs.get(blob)
            if info is None:
                blobs[blob] = BlobInfo(blob, path, commit, date, {path})
            else:
                info.paths.add(path)
            continue
        token = raw.lstrip(b"\n")
        if token.startswith(HISTORY_HEADER.encode()):
            header = token[1:].decode("utf-8", "replace").split()
            commit = header[0] if header else None
            date = header[1] if len(header) > 1 else None
        elif token.startswith(b":"):
            fields = token[1:].decode("ascii", "replace").split()
            # gitlinks (160000) are submodule commits, an all-zero id is a deletion
            valid = len(fields) >= 5 and fields[1] != "160000" and not _ZERO.match(fields[3])
            blob = fields[3] if valid else None
            expect_path = True
    return blobs


def stored_size(repo: str) -> int:
    """Bytes the repository's objects take on disk, loose and packed (``git count-objects -v``):
    a cheap lower bound of how much history there is to read, known before git walks it."""
    try:
        out = run_git(repo, "count-objects", "-v", timeout=30.0)
    except GitError:
        return 0
    total = 0
    for line in out.decode("ascii", "replace").splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("size", "size-pack") and value.strip().isdigit():
            total += int(value) * 1024
    return total


def reachable_blobs(repo: str, tips: list[str], missing: list[str] | None = None) -> dict[str, str]:
    """blob-or-tree ID -> path, from ``rev-list --objects`` (commits and root trees dropped).

    ``--missing=print`` lets the walk go on past a missing object (a corrupt or partial clone):
    the ids git could not find are appended to ``missing`` (``?<id>`` lines) instead of ending it.
    """
    args = ["rev-list", "--objects", "--missing=print", *tips]
    try:
        out = _run(repo, *args[:3], "--filter=object:type=blob", *args[3:])
    except GitError:
        out = _run(repo, *args)  # git < 2.32: no object:type filter; batch-check drops trees
    result: dict[str, str] = {}
    for line in out.split(b"\n"):
        if line.startswith(b"?"):
            if missing is not None:
                missing.append(line[1:].decode("ascii", "replace").strip())
            continue
        sha, sep, path = line.partition(b" ")
        if sep and path:
            result.setdefault(sha.decode(), path.decode("utf-8", "surrogateescape"))
    return result


def _reachable_with_headers(repo: str, tips: list[str],
                            missing: list[str]) -> tuple[dict[str, str], dict[str, tuple[str, int]]]:
    """:func:`reachable_blobs` and the type and size of each (one thread, beside the log)."""
    reachable = reachable_blobs(repo, tips, missing)
    return reachable, _batch_check(repo, list(reachable))


def _batch_check(repo: str, ids: list[str]) -> dict[str, tuple[str, int]]:
    """id -> (type, size) via one ``git cat-file --batch-check`` (headers only, no content)."""
    if not ids:
        return {}
    out = run_git(repo, "cat-file", "--batch-check", input="\n".join(ids).encode() + b"\n", check=False)
    result: dict[str, tuple[str, int]] = {}
    for line in out.decode("ascii", "replace").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2].isdigit():
            result[parts[0]] = (parts[1], int(parts[2]))
    return result


def stream_blobs(repo: str, ids: list[str], missing: list[str] | None = None) -> Iterator[tuple[str, bytes]]:
    """(id, content) for each id, in order, from ONE bounded ``git cat-file --batch`` process.

    A feeder thread writes the ids while we read, so neither side blocks on a full pipe. An id
    git reports missing is appended to ``missing`` and skipped; the others still come.
    """
    if not ids:
        return
    try:
        with subproc.Stream(git_command(repo, "cat-file", "--batch"), env=git_env(),
                            stdin_lines=[i.encode() for i in ids]) as proc:
            for _ in ids:
                header = proc.readline().decode("ascii", "replace").split()
                if not header:
                    raise GitError("git cat-file ended early")
                if len(header) == 2 and header[1] == "missing":
                    if missing is not None:
                        missing.append(header[0])
                    continue
                if len(header) != 3 or not header[2].isdigit():
                    raise GitError("unexpected git cat-file output")
                content = proc.read_exact(int(header[2]))
                if content is None or proc.read_exact(1) is None:  # the content, then its newline
                    raise GitError("git cat-file ended early")
                yield header[0], content
    except subproc.ProgramMissing:
        raise GitError("git is not installed") from None
    except subproc.SubprocessTimeout as exc:
        raise GitError(str(exc)) from None


# --- the worktree, to tell history-only blobs apart --------------------------------------------

class WorktreeIndex:
    """Blob id of the file at a path in the working tree, hashed on demand like ``git hash-object``.

    Only paths history mentions are looked at, and only when the size matches the blob's (a
    different size cannot be the same content), so most lookups need no read at all.
    """

    def __init__(self, repo: str, algorithm: str = "sha1", max_size: int = DEFAULT_MAX_FILE_SIZE) -> None:
        self.repo = repo
        self.algorithm = algorithm
        self.max_size = max_size
        self._cache: dict[str, str | None] = {}

    def contains(self, path: str, blob: str, size: int) -> bool:
        full = os.path.join(self.repo, path)
        try:
            st = os.lstat(full)
        except OSError:
            return False
        if not stat.S_ISREG(st.st_mode) or st.st_size != size:
            return False  # a link, FIFO or device in the work tree is never opened
        if path not in self._cache:
            self._cache[path] = self._hash(full, size)
        return self._cache[path] == blob

    def _hash(self, full: str, size: int) -> str | None:
        """``git hash-object`` of the file, streamed in 1 MiB chunks (linear in size, bounded memory)."""
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(full, flags)
        except OSError:
            return None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_size != size:
                return None
            digest = hashlib.new(self.algorithm)
            digest.update(b"blob %d\0" % size)
            total = 0
            while True:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    break
                total += len(chunk)
                if total > size:
                    return None  # grew while we read it: not the same content
                digest.update(chunk)
            return digest.hexdigest() if total == size else None
        except OSError:
            return None
        finally:
            os.close(fd)


class LabelsAhead:
    """``label(key)`` for each key, computed in order by a thread that runs ahead of the caller.

    Why: telling a history-only blob apart means hashing the work-tree file at its path (a read
    and a SHA-1 per path: about a tenth of a history scan, on the thread that feeds the
    detectors). ``os.read`` and ``hashlib`` release the GIL, so a second thread does it while the
    blobs stream. At most ``ahead`` answers wait (memory bounded on any history); keys must be
    asked in the given order, and may be skipped (a blob git reports missing).
    """

    def __init__(self, keys: list[str], label: Callable[[str], bool], ahead: int = 1024) -> None:
        self._answers: queue.Queue[tuple[str, bool | BaseException]] = queue.Queue(maxsize=ahead)
        self._label = label
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if keys:
            self._thread = threading.Thread(target=self._run, args=(keys,), name="credreach-worktree-labels",
                                            daemon=True)
            self._thread.start()

    def _run(self, keys: list[str]) -> None:
        for key in keys:
            if self._stop.is_set():
                return
            try:
                answer: bool | BaseException = self._label(key)
            except Exception as exc:  # noqa: BLE001 - raised to the caller, in order
                answer = exc
            self._answers.put((key, answer))

    def get(self, key: str) -> bool:
        """The label of ``key`` (the keys before it that were never asked are passed over)."""
        while True:
            got, answer = self._answers.get()
            if got == key:
                if isinstance(answer, BaseException):
                    raise answer
                return answer

    def close(self) -> None:
        """Stop the thread (a stream ended early): it may be blocked on a full queue."""
        self._stop.set()
        if self._thread is None:
            return
        while self._thread.is_alive():
            with contextlib.suppress(queue.Empty):
                while True:
                    self._answers.get_nowait()
            self._thread.join(timeout=0.05)


def head_tree_blobs(repo: str) -> dict[str, str]:
    """path -> blob id of every file in HEAD's tree (a bare repository's "current content")."""
    try:
        out = run_git(repo, "ls-tree", "-r", "-z", "--full-tree", "HEAD")
    except GitError:
        return {}
    result: dict[str, str] = {}
    for entry in out.split(b"\0"):
        meta, sep, path = entry.partition(b"\t")
        fields = meta.split()
        if sep and len(fields) == 3 and fields[1] == b"blob":
            result[path.decode("utf-8", "surrogateescape")] = fields[2].decode("ascii", "replace")
    return result


# --- the source ------------------------------------------------------------------------------

def _history_location(info: BlobInfo, history_only: bool) -> Location:
    commit = info.commit or ""
    # printable(): a path with undecodable bytes or control characters is shown escaped, so no
    # reporter meets a lone surrogate.
    return Location(path=f"git:{commit[:12] or '-'}:{printable(info.path)}", line=None, column=None,
                    source=SourceKind.GIT_HISTORY, tracked=True, commit=info.commit,
                    author_date=info.author_date, history_only=history_only)


def collect_git_history(repo_root: str, sink: Sink, worktree_blob_ids: Mapping[str, str] | None = None,
                        max_blob_size: int = DEFAULT_MAX_FILE_SIZE,
                        skip_current: bool = False) -> SourceStats:
    """Send every blob reachable from any ref or stash of ``repo_root`` to the detectors, once.

    ``worktree_blob_ids`` (path -> blob id of the file now in the working tree) decides
    ``history_only``; when None, worktree files are hashed on demand (a bare repository uses
    HEAD's tree). With ``skip_current`` the blobs still present in the working tree are left to
    the workspace walker. Blobs over ``max_blob_size`` are never read (``cat-file --batch-check``
    gives sizes first) and never hashed. A missing object is reported and skipped; the rest of
    the history is still scanned.
    """
    name = f"git-history:{repo_root}"
    special = check_git_metadata(repo_root)
    if special is not None:
        sink.skip(printable(special), SKIP_SPECIAL_GIT_METADATA)
        sink.warn(f"{printable(repo_root)}: git history not scanned (special file {printable(special)} "
                  "in its git metadata)")
        return SourceStats(name=name, items=0, hits=0)
    bare = not os.path.lexists(os.path.join(repo_root, ".git")) and is_bare_repository(repo_root)
    missing: list[str] = []
    prepare = getattr(sink, "prepare", None)
    if prepare is not None:
        prepare(lambda: stored_size(repo_root))  # detection workers start while git walks the history
    try:
        tips = ["--all", *stash_commits(repo_root)]
    except GitError as exc:
        sink.warn(f"{printable(repo_root)}: git history not scanned ({exc})")
        return SourceStats(name=name, items=0, hits=0)
    # The object walk and the commit log are two git processes that do not depend on each other:
    # run side by side (on two cores) instead of one after the other.
    # The sizes of what the walk found are asked in the same thread, still while the log runs.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        walk = pool.submit(_reachable_with_headers, repo_root, tips, missing)
        try:
            attributed = attribute_blobs(repo_root, tips)
            log_error: GitError | None = None
        except GitError as exc:
            attributed, log_error = {}, exc
        try:
            reachable, headers = walk.result()
        except GitError as exc:
            sink.warn(f"{printable(repo_root)}: git history not scanned ({exc})")
            return SourceStats(name=name, items=0, hits=0)
    if log_error is not None:
        # A broken commit or tree in the log: blobs are still scanned, with their rev-list path.
        sink.warn(f"{printable(repo_root)}: commits not attributed, blobs scanned without them ({log_error})")
    for blob, path in reachable.items():
        if blob not in attributed:
            attributed[blob] = BlobInfo(blob, path, None, None, {path})
    try:
        # Blobs only the log named (none in a sound repository) are asked now.
        headers.update(_batch_check(repo_root, [blob for blob in attributed if blob not in headers]))
    except GitError as exc:
        sink.warn(f"{printable(repo_root)}: git history not scanned ({exc})")
        return SourceStats(name=name, items=0, hits=0)
    if bare and worktree_blob_ids is None:
        worktree_blob_ids = head_tree_blobs(repo_root)
    worktree = None if worktree_blob_ids is not None else WorktreeIndex(repo_root, object_format(repo_root),
                                                                         max_blob_size)

    def in_worktree(blob: str, info: BlobInfo, size: int) -> bool:
        if worktree_blob_ids is not None:
            return any(worktree_blob_ids.get(p) == blob for p in info.paths)
        if size > max_blob_size:
            return False  # never hashed: an over-size file is read neither in the tree nor in history
        assert worktree is not None
        return any(worktree.contains(p, blob, size) for p in info.paths)

    # Hashing work-tree files only labels a blob (history-only or not) unless current blobs are
    # left out: then it is done blob by blob as they stream, while the detectors already run.
    hash_later = worktree is not None and not skip_current
    wanted: list[str] = []
    flags: dict[str, bool] = {}
    for blob, info in attributed.items():
        kind, size = headers.get(blob, ("missing", 0))
        if kind == "missing" and blob in reachable:
            missing.append(blob)
        if kind != "blob":
            continue
        info.size = size
        if hash_later and size <= max_blob_size:
            wanted.append(blob)
            continue
        present = in_worktree(blob, info, size)
        if present and skip_current:
            continue
        flags[blob] = not present
        if size > max_blob_size:
            sink.skip(_history_location(info, not present).path, SKIP_TOO_LARGE)
            continue
        wanted.append(blob)
    expect = getattr(sink, "expect", None)
    left = sum(attributed[blob].size for blob in wanted)
    scanned = 0
    labels = LabelsAhead([blob for blob in wanted if blob not in flags],
                         lambda blob: in_worktree(blob, attributed[blob], attributed[blob].size))
    try:
        for blob, content in stream_blobs(repo_root, wanted, missing):
            left -= len(content)
            if expect is not None:
                expect(left)  # the detectors' batches shrink as the end nears
            info = attributed[blob]
            history_only = flags.get(blob)
            if history_only is None:
                history_only = not labels.get(blob)
            origin = _history_location(info, history_only)
            if looks_binary(content):
                sink.skip(origin.path, SKIP_BINARY)
                continue
            text, with_errors = decode(content)
            sink.document(Document(text=text, origin=origin, size=len(content), decoded_with_errors=with_errors))
            scanned += 1
    except GitError as exc:
        sink.warn(f"{printable(repo_root)}: git history partly scanned ({exc})")
    finally:
        labels.close()
    for blob in dict.fromkeys(missing):
        known = attributed.get(blob)
        where = _history_location(known, True).path if known is not None else f"git:{printable(repo_root)}"
        sink.skip(f"{where} ({blob[:12]})", SKIP_MISSING_OBJECT)
    return SourceStats(name=name, items=scanned, hits=0)


# --- diff mode -------------------------------------------------------------------------------

class AddedLine(NamedTuple):
    commit: str
    path: str
    line_no: int
    text: str


_HUNK = re.compile(r"^(@{2,}) (?:-\d+(?:,\d+)? )+\+(\d+)(?:,\d+)? @{2,}")
_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
            "\\": "\\", '"': '"'}


def unquote_path(text: str) -> str:
    """Undo git's C-style quoting of unusual paths (``"a/we ird\\"name"``, octal UTF-8 bytes)."""
    if not (len(text) >= 2 and text[0] == '"' and text[-1] == '"'):
        return text
    body = text[1:-1]
    out = bytearray()
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            octal = body[i + 1:i + 4]
            if len(octal) == 3 and all(c in "01234567" for c in octal):
                out.append(int(body[i + 1:i + 4], 8))
                i += 4
                continue
            out.extend(_ESCAPES.get(nxt, nxt).encode("utf-8", "surrogateescape"))
            i += 2
            continue
        out.extend(ch.encode("utf-8", "surrogateescape"))
        i += 1
    return out.decode("utf-8", "surrogateescape")


def added_lines(repo: str, base: str, head: str) -> Iterator[AddedLine]:
    """Every line added by any commit in ``base..head``, oldest commit first.

    Walking each commit (not ``git diff base head``) finds a secret added in one commit of the
    branch and removed in a later one. Merges use ``--cc``: a line counts only when it is new
    against every parent (an "evil merge" edit); lines a merge brings in from the other side were
    already reported by the commit that added them.
    """
    if base.startswith("-") or head.startswith("-"):
        raise GitError("a revision cannot start with '-'")
    args = ["log", "--reverse", "--topo-order", f"--format={HISTORY_HEADER}%H", "-p", "-U0", "--no-color",
            "--no-ext-diff", "--no-textconv", "--no-renames", "--cc", "--end-of-options", f"{base}..{head}"]
    yield from _added(repo, args)


def staged_lines(repo: str) -> Iterator[AddedLine]:
    """Every line the index adds against HEAD (what `git commit` is about to record)."""
    has_head = _run(repo, "rev-parse", "--verify", "--quiet", "HEAD", check=False).strip()
    against = "HEAD" if has_head else "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # the empty tree
    args = ["diff", "--cached", "-U0", "--no-color", "--no-ext-diff", "--no-textconv", "--no-renames",
            against, "--"]
    yield from _added(repo, args)


def _added(repo: str, args: list[str]) -> Iterator[AddedLine]:
    state = _DiffState()
    pending = b""
    for chunk in _stream(repo, args):
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for raw in lines:
            yield from _diff_line(raw, state)
    if pending:
        yield from _diff_line(pending, state)


@dataclass
class _DiffState:
    """Where the ``git log -p`` reader is: commit, file (None outside a text file), next line."""

    commit: str = ""
    path: str | None = None
    line_no: int = 0
    parents: int = 1
    in_header: bool = False
    """Between ``diff --`` and ``+++``: only there is a ``+++ `` line a file name, not content."""


def _diff_line(raw: bytes, state: _DiffState) -> Iterator[AddedLine]:
    line = raw.decode("utf-8", "surrogateescape")
    if line.startswith(HISTORY_HEADER):
        state.commit, state.path, state.line_no, state.in_header = line[1:].strip(), None, 0, False
    elif line.startswith("diff --"):
        state.path, state.line_no, state.in_header = None, 0, True
    elif state.in_header:
        if not line.startswith("+++ "):
            return
        state.in_header = False
        target = line[4:].rstrip("\t")
        if target == "/dev/null":
            state.path = None
        else:
            target = unquote_path(target)
            state.path = target[2:] if target.startswith("b/") else target
    elif line.startswith("@@"):
        match = _HUNK.match(line)
        if match:
            state.parents = len(match.group(1)) - 1
            state.line_no = int(match.group(2))
    elif state.path is not None and state.line_no:
        prefix = line[:state.parents]
        if len(prefix) < state.parents:
            return
        if "-" in prefix:
            return  # a removed line: not in the result
        if prefix == "+" * state.parents:
            yield AddedLine(state.commit, state.path, state.line_no, line[state.parents:])
        if not prefix.startswith("\\"):
            state.line_no += 1

"""The workspace walker: every file an agent could open under the roots, gitignored ones included.

Git decides nothing here about *what* is read (an agent reads `.env` even though git ignores
it); git only labels each file ``tracked`` and ``gitignored``. The walk never opens special files,
never follows a symlink out of the roots, and visits each directory once, so symlink loops end.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field

import pathspec

from scanner.model import Location, SourceKind
from scanner.sources.base import (
    DEFAULT_MAX_FILE_SIZE,
    SKIP_EXCLUDED,
    SKIP_IGNORE_FILE,
    SKIP_REPLACED_BY_SYMLINK,
    SKIP_SPECIAL,
    SKIP_SYMLINK_BROKEN,
    SKIP_SYMLINK_LOOP,
    SKIP_SYMLINK_OUTSIDE,
    SKIP_TOO_LARGE,
    SKIP_VANISHED,
    FileRef,
    Sink,
    SkipReason,
    decode,
    is_readable,
    lossy_warning,
    printable,
    read_document,
    read_regular_file,
    text_safe,
)
from scanner.sources.git import SKIP_SPECIAL_GIT_METADATA, GitError, check_git_metadata, run_git

IGNORE_FILE = ".credreachignore"
DEFAULT_EXCLUDES = (
    "node_modules/", ".venv/", "venv/", "__pycache__/", ".tox/", ".nox/", ".mypy_cache/",
    ".pytest_cache/", ".ruff_cache/", "site-packages/", ".hypothesis/",
)
SKIP_DEFAULT_EXCLUDED = SkipReason("vendored/cache directory excluded by default (--no-default-excludes scans it)")
SKIP_UNREADABLE_DIR = SkipReason("unreadable directory")
SKIP_DUPLICATE = SkipReason("same file already scanned through another path")
SKIP_CHANGED_DIR = SkipReason("directory replaced during the scan")


@dataclass(frozen=True)
class WalkOptions:
    roots: tuple[str, ...]
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    default_excludes: bool = True
    trust_ignore_file: bool = True
    """False when the tree's ``.credreachignore`` is changed by the range under review
    (scanner/controls.py): it is then read, named in a warning, and not applied."""


@dataclass
class GitLabels:
    """Tracked and ignored paths of one repository, relative to its root."""

    root: str
    tracked: set[str] = field(default_factory=set)
    ignored_files: set[str] = field(default_factory=set)
    ignored_dirs: set[str] = field(default_factory=set)

    def label(self, path: str) -> tuple[bool, bool]:
        rel = os.path.relpath(path, self.root).replace(os.sep, "/")
        if rel in self.tracked:
            return False, True
        if rel in self.ignored_files:
            return True, False
        parts = rel.split("/")
        for i in range(1, len(parts)):
            if "/".join(parts[:i]) + "/" in self.ignored_dirs:
                return True, False
        return False, False


GIT_LABEL_TIMEOUT = 120.0


def _git_lines(root: str, *args: str) -> list[str]:
    # The same hardened, bounded git as the history source (core.fsmonitor off, no global or
    # system config, wall-clock timeout): a hostile repository must neither run code nor hang.
    try:
        out = run_git(root, *args, timeout=GIT_LABEL_TIMEOUT)
    except GitError as exc:
        raise OSError(str(exc)) from None
    return [p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p]


def special_gitignore(root: str) -> str | None:
    """The first ``.gitignore`` under ``root`` that is a FIFO, socket or device, or None.

    ``git ls-files --others`` opens every ``.gitignore`` it meets and would block forever on a
    FIFO, so this iterative lstat-only walk (no ``.git``, no links, no nested repositories)
    runs before it.
    """
    stack = [root]
    while stack:
        directory = stack.pop()
        try:
            with os.scandir(directory) as it:
                entries = list(it)
        except OSError:
            continue
        if directory != root and any(e.name == ".git" for e in entries):
            continue  # a nested repository: git does not read its ignore files from here
        for entry in entries:
            try:
                if entry.name == ".gitignore" and not entry.is_symlink() and not entry.is_dir(follow_symlinks=False) \
                        and not entry.is_file(follow_symlinks=False):
                    return entry.path
                if entry.name != ".git" and entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
            except OSError:
                continue
    return None


def git_labels(root: str, sink: Sink | None = None) -> GitLabels:
    """Tracked and gitignored paths; the parts git cannot safely compute are reported and left empty."""
    labels = GitLabels(root)
    special = check_git_metadata(root)
    if special is not None:
        if sink is not None:
            sink.skip(display_path(special), SKIP_SPECIAL_GIT_METADATA)
        raise OSError(f"special file {display_path(special)} in git metadata; git not run")
    labels.tracked = set(_git_lines(root, "ls-files", "-z", "--cached"))
    ignore = special_gitignore(root)
    if ignore is not None:
        if sink is not None:
            sink.skip(display_path(ignore), SKIP_SPECIAL)
            sink.warn(f"{display_path(root)}: special file {display_path(ignore)} where git reads ignore rules; "
                      "gitignored labels left false for this repository")
        return labels
    for entry in _git_lines(root, "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory"):
        (labels.ignored_dirs if entry.endswith("/") else labels.ignored_files).add(entry)
    return labels


def _spec(patterns: Iterable[str]) -> pathspec.PathSpec | None:
    lines = [p for p in patterns if p and not p.lstrip().startswith("#")]
    return pathspec.GitIgnoreSpec.from_lines(lines) if lines else None


def _read_ignore_file(root: str) -> list[str]:
    data = read_regular_file(os.path.join(root, IGNORE_FILE), 1 << 20)
    if isinstance(data, SkipReason):
        return []
    return decode(data)[0].splitlines()


def _inside(path: str, real_roots: tuple[str, ...]) -> bool:
    return any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in real_roots)


@dataclass
class WalkStats:
    files: int = 0
    bytes: int = 0
    repositories: list[str] = field(default_factory=list)


def walk_workspace(options: WalkOptions, sink: Sink) -> WalkStats:
    """Walk every root, sending each readable text file to the sink as a Document."""
    stats = WalkStats()
    real_roots = tuple(os.path.realpath(r) for r in options.roots)
    seen_dirs: set[tuple[int, int]] = set()
    seen_files: set[tuple[int, int]] = set()
    for root in options.roots:
        _walk_root(root, options, sink, stats, real_roots, seen_dirs, seen_files)
    return stats


def _walk_root(root: str, options: WalkOptions, sink: Sink, stats: WalkStats,
               real_roots: tuple[str, ...], seen_dirs: set[tuple[int, int]],
               seen_files: set[tuple[int, int]]) -> None:
    try:
        root_st = os.stat(root)
    except OSError as exc:
        sink.skip(root, f"cannot scan root: {exc.strerror or exc}")
        return
    if stat.S_ISREG(root_st.st_mode):
        _scan_file(root, os.path.dirname(root) or ".", None, options, sink, stats, seen_files)
        return
    if not stat.S_ISDIR(root_st.st_mode):
        sink.skip(root, SKIP_SPECIAL)
        return
    prepare = getattr(sink, "prepare", None)
    if prepare is not None:
        prepare(lambda: estimate_size(root, options.default_excludes))
    exclude = _spec(options.exclude)
    tree_patterns = _read_ignore_file(root)
    ignore_path = display_path(os.path.join(root, IGNORE_FILE))
    if tree_patterns and not options.trust_ignore_file:
        sink.warn(f"{ignore_path}: not applied (changed by the change under review); every path it names is scanned")
        tree_patterns = []
    ignored = _spec(tree_patterns)
    ignored_count = 0
    include = _spec(options.include)
    defaults = _spec(DEFAULT_EXCLUDES) if options.default_excludes else None
    # Each pending directory carries the identity (device, inode) it had when its parent was
    # listed; None for the root, which is checked against the roots by path once.
    stack: list[tuple[str, GitLabels | None, tuple[int, int] | None]] = [(root, None, None)]
    # Every walked path is ``root`` joined with names, so the part after this prefix is the path
    # relative to the root (os.path.relpath costs O(depth) per file: quadratic in a deep tree).
    prefix = root if root.endswith(os.sep) else root + os.sep
    while stack:
        directory, repo, expected = stack.pop()
        try:
            dst = os.stat(directory)
        except FileNotFoundError:
            sink.skip(directory, SKIP_VANISHED)
            continue
        except PermissionError:
            sink.skip(directory, SKIP_UNREADABLE_DIR)
            continue
        except OSError as exc:
            sink.skip(directory, f"cannot list directory: {exc.strerror or exc}")
            continue
        key = (dst.st_dev, dst.st_ino)
        if key in seen_dirs:
            continue
        seen_dirs.add(key)
        # A directory (or any directory above it) swapped for a symlink after its parent was listed
        # must not lead out of the roots: what the path leads to now must be the directory listed
        # then. Comparing identities is O(1) per directory; resolving the whole path (realpath,
        # one lstat per component) made a 1,500-level tree take minutes.
        if expected is None:
            if not _inside(os.path.realpath(directory), real_roots):
                sink.skip(directory, SKIP_SYMLINK_OUTSIDE)
                continue
        elif key != expected:
            sink.skip(directory, SKIP_CHANGED_DIR)
            continue
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
            after = os.stat(directory)
        except FileNotFoundError:
            sink.skip(directory, SKIP_VANISHED)
            continue
        except PermissionError:
            sink.skip(directory, SKIP_UNREADABLE_DIR)
            continue
        except OSError as exc:
            sink.skip(directory, f"cannot list directory: {exc.strerror or exc}")
            continue
        if (after.st_dev, after.st_ino) != key:
            sink.skip(directory, SKIP_CHANGED_DIR)
            continue
        names = {e.name for e in entries}
        if ".git" in names:
            try:
                repo = git_labels(directory, sink)
                stats.repositories.append(directory)
            except OSError as exc:
                sink.warn(f"{directory}: git metadata unavailable ({str(exc)[:120]}); "
                          "tracked/gitignored labels left false")
        subdirs: list[tuple[str, tuple[int, int]]] = []
        for entry in entries:
            if entry.name == ".git":
                continue  # history is the git-history source's job
            path = entry.path
            # text_safe: the matcher (pathspec, possibly Hyperscan) needs encodable text; a name's
            # undecodable bytes match as their Latin-1 characters.
            rel = text_safe((path[len(prefix):] if path.startswith(prefix) else os.path.relpath(path, root))
                            .replace(os.sep, "/"))
            try:
                is_link = entry.is_symlink()
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                sink.skip(path, SKIP_UNREADABLE_DIR)
                continue
            rel_match = rel + "/" if is_dir or (is_link and os.path.isdir(path)) else rel
            if exclude is not None and exclude.match_file(rel_match):
                sink.skip(path, SKIP_EXCLUDED)
                continue
            if ignored is not None and ignored.match_file(rel_match):
                sink.skip(path, SKIP_IGNORE_FILE)
                ignored_count += 1
                continue
            if defaults is not None and rel_match.endswith("/") and defaults.match_file(rel_match):
                sink.skip(path, SKIP_DEFAULT_EXCLUDED)
                continue
            if is_link:
                target = _check_symlink(path, real_roots)
                if isinstance(target, SkipReason):
                    sink.skip(path, target)
                    continue
                if os.path.isdir(path):
                    subdirs.append((path, _identity(path, follow=True)))
                    continue
            elif is_dir:
                subdirs.append((path, _identity(path, follow=False)))
                continue
            if include is not None and not include.match_file(rel):
                continue
            _scan_file(path, root, repo, options, sink, stats, seen_files, follow=is_link)
        for sub, identity in reversed(subdirs):
            stack.append((sub, repo, identity))
    if ignored_count:
        sink.warn(f"{ignore_path}: this control file from the scanned tree excluded {ignored_count} "
                  f"path{'s' if ignored_count != 1 else ''} (listed as skipped); a CI pull-request gate "
                  f"does not apply it when the pull request changes it")


ESTIMATE_BYTES = 8 * 1024 * 1024
ESTIMATE_ENTRIES = 20_000


def estimate_size(root: str, default_excludes: bool = True, enough: int = ESTIMATE_BYTES,
                  max_entries: int = ESTIMATE_ENTRIES) -> int:
    """Bytes of regular files under ``root``, counted until ``enough`` (lstat of directory
    entries only: nothing opened, no link followed, ``.git`` and default-excluded directories
    left out; at most ``max_entries`` entries looked at).

    Why: detection workers take a few tenths of a second to start. Knowing at once that a tree
    holds more than a few megabytes lets them start while the walk begins, instead of after the
    first megabytes were detected alone; a small tree (the usual repository) never starts them.
    """
    total = 0
    seen = 0
    stack = [root]
    skipped = {pattern.rstrip("/") for pattern in DEFAULT_EXCLUDES} if default_excludes else set()
    while stack and total < enough and seen < max_entries:
        try:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    seen += 1
                    if entry.is_dir(follow_symlinks=False):
                        if entry.name != ".git" and entry.name not in skipped:
                            stack.append(entry.path)
                    elif entry.is_file(follow_symlinks=False):
                        total += entry.stat(follow_symlinks=False).st_size
        except OSError:
            continue
    return total


def _identity(path: str, follow: bool) -> tuple[int, int]:
    """(device, inode) of a directory as listed; an impossible identity when it is already gone
    or no directory, so the visit reports it (vanished or replaced) instead of walking it."""
    try:
        st = os.stat(path, follow_symlinks=follow)
    except OSError:
        return (-1, -1)
    return (st.st_dev, st.st_ino) if stat.S_ISDIR(st.st_mode) else (-1, -1)


def _check_symlink(path: str, real_roots: tuple[str, ...]) -> SkipReason | str:
    try:
        os.stat(path)
    except FileNotFoundError:
        return SKIP_SYMLINK_BROKEN
    except OSError as exc:
        import errno

        return SKIP_SYMLINK_LOOP if exc.errno == errno.ELOOP else SKIP_SYMLINK_BROKEN
    real = os.path.realpath(path)
    if not _inside(real, real_roots):
        return SKIP_SYMLINK_OUTSIDE
    return real


def _scan_file(path: str, root: str, repo: GitLabels | None, options: WalkOptions, sink: Sink,
               stats: WalkStats, seen_files: set[tuple[int, int]], follow: bool = True) -> None:
    """Scan one file; ``follow=False`` when the walker saw a plain file (a symlink since is refused)."""
    try:
        st = os.stat(path, follow_symlinks=follow)
    except OSError:
        st = None
    if st is not None and stat.S_ISLNK(st.st_mode):
        sink.skip(path, SKIP_REPLACED_BY_SYMLINK)
        return
    if st is not None and not stat.S_ISREG(st.st_mode):
        sink.skip(path, SKIP_SPECIAL)
        return
    if st is not None:
        key = (st.st_dev, st.st_ino)
        if key in seen_files:
            sink.skip(path, SKIP_DUPLICATE)
            return
        seen_files.add(key)
        if st.st_size > options.max_file_size:
            sink.skip(path, SKIP_TOO_LARGE)
            return
    gitignored, tracked = repo.label(path) if repo else (False, False)
    origin = Location(path=display_path(path), line=None, column=None, source=SourceKind.WORKSPACE,
                      readable=is_readable(path), gitignored=gitignored, tracked=tracked)
    ref = FileRef(path, origin, st.st_size if st is not None else 0, options.max_file_size, follow)
    stats.files += 1
    stats.bytes += ref.size
    read_later = getattr(sink, "file", None)
    if read_later is not None:
        read_later(ref)  # the collector reads it where it is detected (a worker, on a parallel scan)
        return
    doc = read_document(ref)
    if isinstance(doc, SkipReason):
        sink.skip(path, doc)
        return
    if doc.decoded_with_errors:
        sink.warn(lossy_warning(origin.path))
    sink.document(doc)


def display_path(path: str) -> str:
    """Paths relative to the working directory when inside it, so reports are portable.

    Undecodable bytes and control characters (a filename may hold a newline) are shown escaped,
    so every reporter and terminal can print the path unambiguously.
    """
    cwd = os.getcwd()
    absolute = os.path.normpath(path if os.path.isabs(path) else os.path.join(cwd, path))
    prefix = cwd.rstrip(os.sep) + os.sep
    # Without relpath's splitting of both paths: under the working directory the relative path is
    # the rest after its prefix; anywhere else relpath would start with ".." (shown as given).
    if absolute.startswith(prefix):
        rel = absolute[len(prefix):]
    elif absolute == cwd:
        rel = "."
    elif absolute.startswith("//"):  # POSIX keeps a leading "//"; relpath ignores it
        rel = os.path.relpath(path)
    else:
        rel = ".."
    shown = path if rel.startswith("..") else rel
    return printable(shown)

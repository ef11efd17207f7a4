"""The workspace walker: every file an agent could open under the roots, gitignored ones included.

Git decides nothing here about *what* is read (an agent reads `.env` even though git ignores
it); git only labels each file ``tracked`` and ``gitignored``. The walk never opens special files,
never follows a symlink out of the roots, and visits each directory once, so symlink loops end.
"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field

import pathspec

from scanner.model import Location, SourceKind
from scanner.sources.base import (
    DEFAULT_MAX_FILE_SIZE,
    SKIP_EXCLUDED,
    SKIP_REPLACED_BY_SYMLINK,
    SKIP_SPECIAL,
    SKIP_SYMLINK_BROKEN,
    SKIP_SYMLINK_LOOP,
    SKIP_SYMLINK_OUTSIDE,
    SKIP_VANISHED,
    Document,
    Sink,
    SkipReason,
    decode,
    is_readable,
    read_regular_file,
)

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


def _git_lines(root: str, *args: str) -> list[str]:
    result = subprocess.run(
        # core.fsmonitor names a program git would run: a hostile repository's .git/config must not
        # make a scan execute code (the git-history source disables it the same way).
        ["git", "-c", "safe.directory=*", "-c", "core.fsmonitor=false", "-C", root, *args],
        capture_output=True, timeout=120, check=False,
    )
    if result.returncode != 0:
        raise OSError(result.stderr.decode(errors="replace").strip() or "git failed")
    return [p.decode("utf-8", "surrogateescape") for p in result.stdout.split(b"\0") if p]


def git_labels(root: str) -> GitLabels:
    labels = GitLabels(root)
    labels.tracked = set(_git_lines(root, "ls-files", "-z", "--cached"))
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
    exclude = _spec([*options.exclude, *_read_ignore_file(root)])
    include = _spec(options.include)
    defaults = _spec(DEFAULT_EXCLUDES) if options.default_excludes else None
    stack: list[tuple[str, GitLabels | None]] = [(root, None)]
    while stack:
        directory, repo = stack.pop()
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
        # A directory swapped for a symlink after its parent was listed must not lead out of the roots.
        if not _inside(os.path.realpath(directory), real_roots):
            sink.skip(directory, SKIP_SYMLINK_OUTSIDE)
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
                repo = git_labels(directory)
                stats.repositories.append(directory)
            except (OSError, subprocess.SubprocessError) as exc:
                sink.warn(f"{directory}: git metadata unavailable ({str(exc)[:120]}); "
                          "tracked/gitignored labels left false")
        subdirs: list[str] = []
        for entry in entries:
            if entry.name == ".git":
                continue  # history is the git-history source's job
            path = entry.path
            rel = os.path.relpath(path, root).replace(os.sep, "/")
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
            if defaults is not None and rel_match.endswith("/") and defaults.match_file(rel_match):
                sink.skip(path, SKIP_DEFAULT_EXCLUDED)
                continue
            if is_link:
                target = _check_symlink(path, real_roots)
                if isinstance(target, SkipReason):
                    sink.skip(path, target)
                    continue
                if os.path.isdir(path):
                    subdirs.append(path)
                    continue
            elif is_dir:
                subdirs.append(path)
                continue
            if include is not None and not include.match_file(rel):
                continue
            _scan_file(path, root, repo, options, sink, stats, seen_files, follow=is_link)
        for sub in reversed(subdirs):
            stack.append((sub, repo))


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
    data = read_regular_file(path, options.max_file_size, follow_symlinks=follow)
    if isinstance(data, SkipReason):
        sink.skip(path, data)
        return
    text, lossy = decode(data)
    gitignored, tracked = repo.label(path) if repo else (False, False)
    origin = Location(path=display_path(path), line=None, column=None, source=SourceKind.WORKSPACE,
                      readable=is_readable(path), gitignored=gitignored, tracked=tracked)
    stats.files += 1
    stats.bytes += len(data)
    if lossy:
        sink.warn(f"{display_path(path)}: not valid UTF-8; scanned with undecodable bytes kept as escapes")
    sink.document(Document(text, origin, len(data), lossy))


def display_path(path: str) -> str:
    """Paths relative to the working directory when inside it, so reports are portable.

    Undecodable bytes and control characters (a filename may hold a newline) are shown escaped,
    so every reporter and terminal can print the path unambiguously.
    """
    rel = os.path.relpath(path)
    shown = path if rel.startswith("..") else rel
    return printable(shown)


def printable(text: str) -> str:
    if text.isprintable():
        return text
    out = []
    for ch in text:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:
            out.append(f"\\x{code - 0xDC00:02x}")
        elif not ch.isprintable():
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    return "".join(out)

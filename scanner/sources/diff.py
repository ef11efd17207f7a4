"""Diff mode: only what a change introduces (a pull request's commits, or the staged index).

Added lines come from :func:`scanner.sources.git.added_lines` (every commit in the range, so a
secret added and removed inside the branch is still found) or :func:`staged_lines`. Contiguous
added lines of one file in one commit become one Document, so multi-line secrets (private keys)
and the AWS key-id/secret pairing still work. A line that is still in the head version of its
file is reported at its path and line (code scanning can annotate it); one that is gone by the
head is reported honestly as git history (``git:COMMIT:path``, ``history_only``).

Diff mode fails closed: a range that cannot be resolved (the usual cause is a shallow CI checkout
that never fetched the base branch) or a diff git cannot read to the end raises
:class:`DiffRangeError`, which the CLI turns into exit 2 with one line saying how to fix it. A gate
that warned and exited 0 would approve every pull request of a misconfigured pipeline.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

from scanner.model import Location, SourceKind
from scanner.sources.base import Document, Sink
from scanner.sources.files import display_path
from scanner.sources.git import AddedLine, GitError, _run, added_lines, staged_lines

FETCH_HINT = ("fetch the history: `fetch-depth: 0` in actions/checkout, `GIT_DEPTH: 0` in GitLab CI, "
              "or `git fetch --unshallow` (plus `git fetch origin BRANCH` for the base branch)")


class DiffRangeError(GitError):
    """The range under review cannot be read completely; the message says how to fix it."""


def _is_shallow(repo: str) -> bool:
    out = _run(repo, "rev-parse", "--is-shallow-repository", check=False)
    return out.strip() == b"true"


def _resolves(repo: str, revision: str) -> bool:
    return bool(_run(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}",
                     check=False).strip())


def check_range(repo: str, base: str, head: str = "HEAD") -> None:
    """Raise :class:`DiffRangeError` unless ``base..head`` can be diffed completely in ``repo``.

    Both ends must name commits, and in a shallow clone they must share a merge base (otherwise
    git would walk to the shallow boundary and diff a partial history as if it were the branch).
    """
    if base.startswith("-") or head.startswith("-"):
        raise DiffRangeError(f"--diff: a revision cannot start with '-' ({base}..{head})")
    shallow = _is_shallow(repo)
    where = f"{display_path(repo)} (a shallow clone)" if shallow else display_path(repo)
    for revision in (base, head):
        if not _resolves(repo, revision):
            raise DiffRangeError(f"--diff: cannot resolve {revision!r} in {where}; {FETCH_HINT}")
    if shallow and not _run(repo, "merge-base", "--end-of-options", base, head, check=False).strip():
        raise DiffRangeError(f"--diff: {base!r} and {head!r} have no common ancestor in {where}; {FETCH_HINT}")


def parse_range(spec: str) -> tuple[str, str]:
    """``BASE``, ``BASE..HEAD`` or ``BASE...HEAD`` -> (base, head); commits of head not in base."""
    for sep in ("...", ".."):
        if sep in spec:
            base, head = spec.split(sep, 1)
            return base or "HEAD", head or "HEAD"
    return spec, "HEAD"


def repo_root(path: str) -> str:
    out = _run(path if os.path.isdir(path) else os.path.dirname(path) or ".", "rev-parse", "--show-toplevel")
    return out.decode("utf-8", "surrogateescape").strip()


class _HeadFiles:
    """Lines of each file at the head revision (or the index), read once per path."""

    def __init__(self, repo: str, revision: str | None) -> None:
        self.repo = repo
        self.revision = revision
        self._cache: dict[str, list[str] | None] = {}

    def has_line(self, path: str, line_no: int, text: str) -> bool:
        if path not in self._cache:
            spec = f"{self.revision}:{path}" if self.revision else f":{path}"
            try:
                data = _run(self.repo, "cat-file", "blob", spec)
                self._cache[path] = data.decode("utf-8", "surrogateescape").split("\n")
            except GitError:
                self._cache[path] = None
        lines = self._cache[path]
        return lines is not None and 0 < line_no <= len(lines) and lines[line_no - 1].rstrip("\r") == text.rstrip("\r")


def _runs(lines: Iterable[AddedLine], head: _HeadFiles) -> Iterator[tuple[AddedLine, list[str], bool]]:
    """Group contiguous added lines of one file in one commit that agree on being in the head."""
    current: list[str] = []
    first: AddedLine | None = None
    in_head = False
    previous: AddedLine | None = None
    for added in lines:
        present = head.has_line(added.path, added.line_no, added.text) if added.commit else True
        contiguous = (previous is not None and first is not None and added.commit == first.commit
                      and added.path == first.path and added.line_no == previous.line_no + 1
                      and present == in_head)
        if not contiguous:
            if first is not None:
                yield first, current, in_head
            first, current, in_head = added, [], present
        current.append(added.text)
        previous = added
    if first is not None:
        yield first, current, in_head


def collect_diff(repo: str, sink: Sink, *, base: str | None = None, head: str = "HEAD",
                 staged: bool = False) -> int:
    """Send the added lines of ``base..head`` (or of the index) to the sink; returns lines read."""
    lines = staged_lines(repo) if staged else added_lines(repo, base or "HEAD", head)
    heads = _HeadFiles(repo, None if staged else head)
    count = 0
    try:
        for first, texts, in_head in _runs(lines, heads):
            count += len(texts)
            text = "\n".join(texts)
            abs_path = os.path.join(repo, first.path)
            if in_head:
                origin = Location(path=display_path(abs_path), line=first.line_no, column=1,
                                  source=SourceKind.WORKSPACE, tracked=True, commit=first.commit or None)
            else:
                origin = Location(path=f"git:{first.commit[:12]}:{first.path}", line=first.line_no, column=1,
                                  source=SourceKind.GIT_HISTORY, tracked=True, commit=first.commit,
                                  history_only=True)
            sink.document(Document(text, origin, len(text.encode("utf-8", "surrogateescape"))))
    except GitError as exc:  # fail closed: a half-read diff must not pass the gate
        raise DiffRangeError(f"--diff/--staged: the diff of {display_path(repo)} could not be read "
                             f"completely ({str(exc)[:200]}); {FETCH_HINT}") from None
    return count

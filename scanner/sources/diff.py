"""Diff mode: only what a change introduces (a pull request's commits, or the staged index).

Added lines come from :func:`scanner.sources.git.added_lines` (every commit in the range, so a
secret added and removed inside the branch is still found) or :func:`staged_lines`. Contiguous
added lines of one file in one commit become one Document, so multi-line secrets (private keys)
and the AWS key-id/secret pairing still work. A line that is still in the head version of its
file is reported at its path and line (code scanning can annotate it); one that is gone by the
head is reported honestly as git history (``git:COMMIT:path``, ``history_only``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

from scanner.model import Location, SourceKind
from scanner.sources.base import Document, Sink
from scanner.sources.files import display_path
from scanner.sources.git import AddedLine, GitError, _run, added_lines, staged_lines


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
    except GitError as exc:
        sink.warn(f"{repo}: diff could not be read completely ({exc})")
    return count

"""Scanner-control files from the scanned tree, and when not to trust them (issue 12.6).

A scanned tree carries its own controls: ``.credreachignore`` (paths not scanned), inline allow
comments (``credreach:allow``, ``pragma: allowlist secret``, ``gitleaks:allow``) and a committed
baseline. On a developer's machine they are the developer's choices. In a pull-request gate they
are also the *author's*: a PR that adds ``*`` to ``.credreachignore`` or an allow comment after
its key would otherwise pass its own review with 0 credentials. So:

- every control's effect is reported (files excluded, credentials behind allow comments, baseline
  suppressions), never only a count hidden in JSON;
- when a review range is known (``--diff BASE``, or a CI pull-request job: ``GITHUB_BASE_REF``,
  ``CI_MERGE_REQUEST_DIFF_BASE_SHA``), a control the range changed is not trusted: the scan says
  so and runs as if it were absent. A range that cannot be resolved distrusts every control
  (fail closed) and says how to fetch the base.

``--staged`` (pre-commit) trusts the tree: the committer is the user running the hook.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from scanner.model import Location
from scanner.sources.git import GitError

IGNORE_FILE = ".credreachignore"


@dataclass(frozen=True)
class ControlTrust:
    """What the tree's own control files may decide in this scan."""

    ignore_file: bool = True
    baseline: bool = True
    allow_comments: Callable[[Location], bool] | None = None
    """None: every allow comment is honoured; else True for a location whose comment is not."""
    notes: tuple[str, ...] = ()
    """One sentence per distrusted control, for the report's warnings."""


TRUSTED = ControlTrust()


@dataclass(frozen=True)
class ReviewRange:
    """The change under review in one repository: changed paths and the head lines it adds."""

    repo: str
    base: str
    changed: frozenset[str] = frozenset()
    """Real paths of files the range adds, modifies or deletes."""
    added: Mapping[str, frozenset[int]] = field(default_factory=dict)
    """Real path -> head line numbers the range adds."""


def ci_review_base(environ: Mapping[str, str]) -> str | None:
    """The base of the pull/merge request this CI job checks, if it is one (None locally)."""
    sha = environ.get("CI_MERGE_REQUEST_DIFF_BASE_SHA", "").strip()
    if sha:
        return sha
    ref = environ.get("GITHUB_BASE_REF", "").strip()  # set only for pull_request events
    return f"origin/{ref}" if ref else None


def review_range(repo: str, base: str, *, lines: bool = True) -> ReviewRange:
    """Read ``base...HEAD`` of ``repo`` (raises GitError when it cannot be read); ``lines=False``
    reads only the changed paths."""
    from scanner.sources.diff import check_range
    from scanner.sources.git import _added, _run

    check_range(repo, base, "HEAD")
    spec = f"{base}...HEAD"
    names = _run(repo, "diff", "--name-only", "-z", "--no-renames", "--end-of-options", spec, "--")
    changed = frozenset(os.path.realpath(os.path.join(repo, n.decode("utf-8", "surrogateescape")))
                        for n in names.split(b"\0") if n)
    added: dict[str, set[int]] = {}
    diff_args = ["diff", "-U0", "--no-color", "--no-ext-diff", "--no-textconv", "--no-renames",
                 "--end-of-options", spec, "--"]
    for line in _added(repo, diff_args) if lines else ():
        added.setdefault(os.path.realpath(os.path.join(repo, line.path)), set()).add(line.line_no)
    return ReviewRange(repo, base, changed, {k: frozenset(v) for k, v in added.items()})


def decide(roots: tuple[str, ...], *, diff: str | None, staged: bool, baseline: str | None,
           environ: Mapping[str, str]) -> ControlTrust:
    """How far to trust the tree's controls, given the mode and the range under review."""
    if staged:
        return TRUSTED
    if diff:
        from scanner.sources.diff import parse_range

        return _for_diff(roots, parse_range(diff)[0], baseline)
    base = ci_review_base(environ)
    if base is None:
        return TRUSTED
    return _for_ci_workspace(roots, base, baseline)


def _repos(roots: tuple[str, ...]) -> list[str]:
    from scanner.sources.diff import repo_root

    found: list[str] = []
    for root in roots:
        try:
            repo = repo_root(root)
        except (GitError, OSError):
            continue
        if repo and repo not in found:
            found.append(repo)
    return found


def _baseline_changed(baseline: str | None, ranges: list[ReviewRange]) -> bool:
    return baseline is not None and any(os.path.realpath(baseline) in r.changed for r in ranges)


def _for_diff(roots: tuple[str, ...], base: str, baseline: str | None) -> ControlTrust:
    """``--diff``: every scanned line is added by the range, so no allow comment on it is trusted."""
    notes = ["inline allow comments on lines the reviewed range adds are not trusted (the change "
             "cannot approve itself): such credentials are reported"]
    trust_baseline = True
    try:  # only the baseline's path matters here: the diff source reads the added lines itself
        ranges = [review_range(repo, base, lines=False) for repo in _repos(roots)] if baseline else []
    except GitError:
        ranges = []  # the diff source itself fails closed on an unreadable range
    if _baseline_changed(baseline, ranges):
        trust_baseline = False
        notes.append(f"baseline {baseline} is changed by the reviewed range: not trusted, not applied")
    return ControlTrust(ignore_file=True, baseline=trust_baseline, allow_comments=lambda _loc: True,
                        notes=tuple(notes))


def _for_ci_workspace(roots: tuple[str, ...], base: str, baseline: str | None) -> ControlTrust:
    """A CI pull-request job scanning the workspace: distrust what the PR itself changed."""
    from scanner.sources.diff import FETCH_HINT

    repos = _repos(roots)
    try:
        ranges = [review_range(repo, base) for repo in repos]
    except GitError as exc:
        why = str(exc).split(";")[0][:200]
        return ControlTrust(
            ignore_file=False, baseline=False, allow_comments=lambda _loc: True,
            notes=(f"CI review base {base!r} cannot be read ({why}): the tree's .credreachignore, allow "
                   f"comments and baseline are not trusted, the scan runs as if they were absent; "
                   f"to trust unchanged ones, {FETCH_HINT}",))
    if not repos:
        return TRUSTED
    notes: list[str] = []
    ignore_changed = sorted(p for r in ranges for p in r.changed if os.path.basename(p) == IGNORE_FILE)
    if ignore_changed:
        notes.append(f"{', '.join(ignore_changed)} changed by the reviewed range ({base}...HEAD): "
                     f"not trusted, scanned as if absent")
    trust_baseline = not _baseline_changed(baseline, ranges)
    if not trust_baseline:
        notes.append(f"baseline {baseline} is changed by the reviewed range: not trusted, not applied")
    added: dict[str, frozenset[int]] = {}
    for r in ranges:
        added.update(r.added)

    def untrusted_allow(loc: Location) -> bool:
        lines = added.get(os.path.realpath(loc.path))
        return lines is not None and loc.line in lines

    return ControlTrust(ignore_file=not ignore_changed, baseline=trust_baseline,
                        allow_comments=untrusted_allow if added else None, notes=tuple(notes))

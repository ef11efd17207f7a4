"""The pre-commit hook's two additions to ``credreach scan --staged``.

1. **File names.** pre-commit appends the files it selected to the hook's ``entry``
   (``pass_filenames: true``). ``--staged FILE...`` then scans exactly those files, in full: on a
   normal commit pre-commit has already set unstaged changes aside, so each file holds what is
   staged; with ``pre-commit run --all-files`` (and pre-commit.ci) it passes every tracked file,
   so the whole tree is checked instead of an empty staged diff. ``--staged`` with no file names,
   or with directories only, keeps its meaning: the lines the index adds against HEAD.
2. **How to proceed.** When the hook blocks a commit, a short hint on stderr names the real ways
   out: remove and rotate the secret, an allow comment on the line, a baseline entry, or
   ``SKIP=credreach`` for one commit.
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

from scanner.pipeline import ScanOptions

ALLOW_COMMENT = "credreach:allow"
"""Recognised on the line of a match (also ``pragma: allowlist secret``, ``gitleaks:allow``)."""


def staged_files_options(options: ScanOptions) -> ScanOptions:
    """``options`` for ``--staged`` with file names: a plain scan of exactly those files.

    Unchanged when ``--staged`` is off or every path is a directory (the staged diff of the
    repository). Each file is a scan root of its own, so default excludes do not apply: the file
    list is the selection (pre-commit's ``files``/``exclude`` narrow it).
    """
    if not options.staged:
        return options
    dirs = [root for root in options.roots if os.path.isdir(root)]
    if len(dirs) == len(options.roots):
        return options
    if dirs:
        from scanner.cli import UsageError

        raise UsageError("--staged takes either file names (as pre-commit passes them) or "
                              f"repository directories, not both (directories: {', '.join(dirs[:3])})")
    return replace(options, staged=False)


def block_hint(baseline: Path | None, count: int) -> str:
    """The lines printed when a commit is blocked; ``baseline`` is the ``--baseline`` in use."""
    if baseline is not None:
        accept = (f"  - accept it in the baseline: `credreach baseline update -o {baseline}` "
                  "(then commit the baseline file)")
    else:
        accept = ("  - accept it in a baseline: `credreach baseline update` writes .credreach-baseline.json; "
                  "add `args: [--baseline, .credreach-baseline.json]` to the hook in .pre-commit-config.yaml")
    noun = "credential" if count == 1 else "credentials"
    return "\n".join([
        f"credreach: commit blocked: {count} {noun} listed above (values redacted). To proceed:",
        "  - remove it from the file and rotate it at the provider (a committed or pushed secret is exposed)",
        f"  - a test value or false alarm: end its line with a `{ALLOW_COMMENT}` comment",
        accept,
        "  - skip this check for one commit: `SKIP=credreach git commit ...`",
    ])


def print_block_hint(baseline: Path | None, count: int) -> None:
    print(block_hint(baseline, count), file=sys.stderr)

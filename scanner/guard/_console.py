"""A light ``credreach`` console entry: ``credreach guard hook ...`` skips the typer CLI.

``scanner.cli`` imports typer, rich and the scan pipeline at module level (hundreds of
milliseconds per call on a busy machine); a hook runs once per tool call. This entry answers
``guard hook`` straight from :func:`scanner.guard.hook.main` (same options: ``--agent``,
``--task-env``, ``--reach-map``; same exit codes) and hands every other command line, and
``guard hook --help``, to :func:`scanner.cli.main` unchanged. Wiring it as the console script is
``[project.scripts] credreach = "scanner.guard._console:main"`` (and ``scanner/__main__.py`` /
``credreach/__main__.py`` calling it); ``python -m scanner.guard._console guard hook --agent X``
runs it from a source tree.
"""

from __future__ import annotations

import sys


def main() -> None:
    argv = sys.argv[1:]
    if argv[:2] == ["guard", "hook"] and not {"--help", "-h"} & set(argv[2:]):
        from scanner.guard.hook import main as hook_main

        sys.exit(hook_main(argv[2:]))
    from scanner.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()

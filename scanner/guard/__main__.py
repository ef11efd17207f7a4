"""``python -m scanner.guard hook --agent X``: the fast hook entry (no typer/rich import)."""

from __future__ import annotations

import sys


def _main() -> int:
    argv = sys.argv[1:]
    if argv[:1] == ["hook"]:
        from scanner.guard.hook import main

        return main(argv[1:])
    from scanner.cli import main as cli_main

    sys.argv = ["credreach", "guard", *argv]
    cli_main()
    return 0


if __name__ == "__main__":
    sys.exit(_main())

"""Tiny hook entry for ``python -I -S /path/to/_entry.py --agent X``: no site import, no deps.

``-S`` skips ``site`` (tens of milliseconds of .pth processing); the package root is put on
``sys.path`` from this file's own location, so it works from a source tree and from site-packages.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from scanner.guard.hook import main  # noqa: E402

sys.exit(main(sys.argv[1:]))

"""``requests`` imported when something uses it, not when detect-secrets is imported.

detect-secrets imports ``requests`` at the top of its plugin base for the ``verify`` calls of its
plugins, which credreach never makes (providers verify, read-only, through their own client).
That import was about 40% of what every scanning process imported before its first file: 60-90 ms
in the parent, serial before the walk starts, and again in each detection worker.

:func:`install` puts a stand-in module under ``sys.modules["requests"]`` when ``requests`` is not
imported yet. The first attribute anyone reads from it (``requests.get``, ``from requests import
Session``, ``import requests.adapters``) imports the real package, which then replaces the
stand-in in ``sys.modules``; the stand-in forwards every later read to it, so a module that kept
the stand-in sees the real thing. The one exception: two detect-secrets plugins name
``requests.Response`` in a return annotation, evaluated when they are imported; detect-secrets'
own modules get a placeholder for that name (annotations only; nothing is called with it).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types
from typing import Any

NAME = "requests"
_lock = threading.Lock()


class ResponseAnnotation:
    """What detect-secrets' ``-> requests.Response`` annotations hold until requests is imported."""


class DeferredModule(types.ModuleType):
    """Stands in for ``requests`` until an attribute of it is read (see the module docstring)."""

    _real: types.ModuleType | None = None

    def __getattr__(self, name: str) -> Any:
        if self._real is None and name == "Response":
            caller = sys._getframe(1).f_globals.get("__name__", "")
            if caller == "detect_secrets" or caller.startswith("detect_secrets."):
                return ResponseAnnotation
        return getattr(self.load(), name)

    def load(self) -> types.ModuleType:
        """The real module, imported on first use (once, whichever thread asks first)."""
        with _lock:
            if self._real is None:
                if sys.modules.get(NAME) is self:
                    del sys.modules[NAME]
                try:
                    real = importlib.import_module(NAME)
                except BaseException:
                    sys.modules.setdefault(NAME, self)
                    raise
                object.__setattr__(self, "_real", real)
            assert self._real is not None
            return self._real


def install() -> None:
    """Defer ``requests`` unless it is imported already or cannot be found (then nothing changes)."""
    with _lock:
        if NAME in sys.modules:
            return
        spec = importlib.util.find_spec(NAME)
        if spec is None:
            return
        stand_in = DeferredModule(NAME)
        stand_in.__spec__ = spec  # `import requests` reads it (is the module still initialising?)
        sys.modules[NAME] = stand_in

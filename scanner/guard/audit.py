"""The audit trail: one redacted JSON line per judged tool call, in the user's cache dir.

Fields: time, agent, tool, event, command summary (secret values replaced by their previews, and
any long random-looking word masked too), credential ids, decision, rule, environment class,
reason. File mode 0600, appended with ``O_APPEND|O_NOFOLLOW`` (a link planted there is refused).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Mapping

from scanner.guard.reachmap import _cache_base, cache_dir
from scanner.guard.safe_write import append_line, ensure_dir

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on the hook path
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

MAX_SUMMARY = 400
_RANDOMISH = re.compile(r"[A-Za-z0-9_\-+/=.]{20,}")
_AUTH = re.compile(r"(?i)(authorization:\s*(?:bearer|token|basic)?\s*|project-access-token:\s*|--token[= ]|"
                   r"password[= ]|-p)(\S+)")
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)([^@\s]+)(@)")


def log_path(environ: Mapping[str, str] | None = None) -> Path:
    return cache_dir(environ) / "audit.jsonl"


def _randomish(word: str) -> bool:
    has_digit = any(c.isdigit() for c in word)
    has_alpha = any(c.isalpha() for c in word)
    return has_digit and has_alpha and "/" not in word.strip("/") and len(set(word)) > 10


def redact_command(text: str, fingerprint: Any = None, known: Any = None) -> str:
    """The command with every secret-looking value masked (known ones shown as their preview)."""
    def preview(word: str) -> str:  # scanner.redact.preview's shape, without importing logging here
        return f"{word[:2]}…{word[-2:]} ({len(word)} chars)"

    def mask_known(match: re.Match[str]) -> str:
        word = match.group(0)
        if known is not None and fingerprint is not None and fingerprint(word) in known:
            return known[fingerprint(word)].preview
        return preview(word) if _randomish(word) else word

    out = _URL_PASSWORD.sub(lambda m: m.group(1) + "****" + m.group(3), text)
    out = _AUTH.sub(lambda m: m.group(1) + (m.group(2) if m.group(2).startswith("$") else "****"), out)
    out = _RANDOMISH.sub(mask_known, out)
    return out[:MAX_SUMMARY] + ("…" if len(out) > MAX_SUMMARY else "")


def record(entry: dict[str, Any], environ: Mapping[str, str] | None = None) -> None:
    path = os.path.join(_cache_base(environ), "audit.jsonl")  # log_path() without importing pathlib
    try:
        ensure_dir(os.path.dirname(path))
        append_line(path, json.dumps({"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **entry},
                                     sort_keys=True))
    except OSError:
        pass  # the decision stands even if the log cannot be written


def read(environ: Mapping[str, str] | None = None, limit: int = 50) -> list[dict[str, Any]]:
    from scanner.guard.safe_write import read_small

    data = read_small(log_path(environ), 64 * 1024 * 1024)
    if not data:
        return []
    out = []
    for line in data.decode("utf-8", "replace").splitlines()[-limit:]:
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


__all__ = ["log_path", "read", "record", "redact_command", "os"]

"""Exact, faster stand-ins for three detect-secrets internals that dominate a scan's time.

detect-secrets stays the judge of what its plugins report; these replace code whose *answers*
we reproduce exactly but whose cost was pathological or needlessly high.

1. ``is_indirect_reference`` (a line filter) searches every line up to 1,000 characters with
   ``([^\\v=!:]*)\\s*(:=?|[!=]{1,3})\\s*([\\w.-]+[\\[\\(][^\\v]*[\\]\\)])``. The first group and
   the ``\\s*`` after it both match runs of blanks and the search restarts at every offset, so a
   line holding a long run of spaces (gitleaks pads its test cases to align ``// gitleaks:allow``
   comments) costs about 2 s *per line*: one 30 KB Go file took 10 s (a known upstream ReDoS).
   Its answer is a yes/no that does not depend on the prefix group (it and the ``\\s*`` before
   the operator may be empty) nor on longer operators (``:=``, ``==``, ``!==`` end in a
   one-character operator that matches too). So a line is an indirect reference exactly when
   some ``:``, ``=`` or ``!`` is followed by optional whitespace, a run of ``[\\w.-]``
   immediately followed by ``[`` or ``(``, and later by ``]`` or ``)`` with no vertical tab
   (``\\v``, U+000B) in between: :data:`_INDIRECT`, which backtracks at most once per bracket.
2. ``is_line_allowlisted`` (the ``pragma: allowlist secret`` comment) is quadratic in runs of
   blanks too (its regexes start with ``[ \\t]*`` and are searched from every offset: 16,000
   blanks cost 0.27 s per comment style, six styles). Every one of its regexes needs the literal
   ``pragma:``, so ours asks detect-secrets only when the line or the line before holds it.
3. ``calculate_shannon_entropy`` of the high-entropy plugins calls ``str.count`` for each of
   the 68 charset characters on every candidate string; ours skips the characters the string
   does not hold (they add nothing) and does the same floating-point operations in the same
   order for the others, so every entropy is bit-for-bit the same, 2-5x sooner.

``tests/test_multimatch.py`` checks each against detect-secrets' own function on real lines
and on random lines built from the characters that matter.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from functools import lru_cache

from detect_secrets.filters import allowlist
from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin
from detect_secrets.util.code_snippet import CodeSnippet

MAX_LINE = 1000
"""detect-secrets' own bound: longer lines are never treated as indirect references."""

_INDIRECT = re.compile(r"[:=!]\s*[\w.-]+[\[(][^\v\])]*[\])]")
_PRAGMA = "pragma:"

REPLACEMENTS = {
    "detect_secrets.filters.heuristic.is_indirect_reference":
        "scanner.detect.ds_speedups.is_indirect_reference",
    "detect_secrets.filters.allowlist.is_line_allowlisted":
        "scanner.detect.ds_speedups.is_line_allowlisted",
}

_ORIGINAL_ENTROPY = HighEntropyStringsPlugin.calculate_shannon_entropy


def is_indirect_reference(line: str) -> bool:
    """Same answer as detect-secrets' ``is_indirect_reference(line)``, in linear time.

    Filters secrets that take the form ``secret = get_secret_key()`` or
    ``secret = request.headers['apikey']``.
    """
    if len(line) > MAX_LINE:
        return False
    return _INDIRECT.search(line) is not None


def is_line_allowlisted(filename: str, line: str, context: CodeSnippet) -> bool:
    """detect-secrets' ``is_line_allowlisted``, skipped where none of its regexes can match."""
    previous = context.previous_line or ""
    if _PRAGMA not in line and _PRAGMA not in previous:
        return False
    return allowlist.is_line_allowlisted(filename, line, context)


def shannon_entropy(self: HighEntropyStringsPlugin, data: str) -> float:
    """``HighEntropyStringsPlugin.calculate_shannon_entropy``: absent characters skipped, same bits.

    Remembered per charset and string: a candidate is asked by the prefilter and by the plugin,
    and the same strings recur file after file (generated tables of digests)."""
    if not data:
        return 0
    charset = self.charset
    if isinstance(charset, str):
        return _remembered_entropy(charset, data)
    return _entropy_over(charset, data)


def _entropy_over(charset: Iterable[str], data: str) -> float:
    present = set(data)
    length = len(data)
    entropy = 0.0
    for x in charset:
        if x in present:
            p_x = float(data.count(x)) / length
            entropy += - p_x * math.log(p_x, 2)
    return entropy


_remembered_entropy = lru_cache(maxsize=4096)(_entropy_over)


def install(settings: object) -> None:
    """Swap the backtracking filters for ours in detect-secrets' settings, and the entropy count.

    Only the functions change; their config and the other filters stay as detect-secrets set
    them (detect-secrets injects filter arguments by parameter name, so ours keep its names).
    """
    filters = getattr(settings, "filters", None)
    if isinstance(filters, dict):
        for original, replacement in REPLACEMENTS.items():
            if original in filters:
                filters[replacement] = filters.pop(original)
    if HighEntropyStringsPlugin.calculate_shannon_entropy is _ORIGINAL_ENTROPY:
        HighEntropyStringsPlugin.calculate_shannon_entropy = shannon_entropy  # type: ignore[method-assign]

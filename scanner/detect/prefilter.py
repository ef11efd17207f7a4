"""Which lines of a buffer can a detect-secrets plugin flag at all? Answered without visiting every line.

detect-secrets runs every plugin and its filters on every line (~170 µs a line, ~0.3 MB/s). Almost
no line of real source can produce a finding, and for each plugin there is a cheap literal that
every line it flags must contain. This module finds those lines in two steps:

1. **Finders** over the whole buffer. Each plugin has regexes that start with a literal (so the
   ``re`` engine's fast prefix search applies, ~1 GB/s) and match a substring of every line the
   plugin can flag: a token's fixed prefix (``ghp_``, ``AKIA``), a keyword (``secret``), a quoted
   run long enough to clear the entropy limit. Every line a finder match touches is marked.
   Why nothing is lost: if the plugin flags line L, the finder's regex matches at some position p
   inside L; ``finditer`` either starts a match at p or p lies inside an earlier match, which then
   touches L too. Finders never use anchors or lookarounds, so the buffer around L cannot change
   whether they match inside it. Case-insensitive finders run in lower case on ``text.lower()``
   when the text is ASCII (same offsets, same folding as ``re.I`` on ASCII), and as ``re.I``
   patterns on the original text otherwise (``re.I`` folds e.g. ``ſ`` onto ``s``, which
   ``lower()`` does not).
2. **Confirmation** on each marked line: the plugin's own ``analyze_line`` (exactly what
   detect-secrets calls; no copy of its regexes), after a cheap keyword pre-check for the keyword
   plugin.

The lines that survive go through detect-secrets' own line processing
(:func:`scanner.detect.ds_plugins.scan_candidate_lines`), with the whole file as context, so its
filters behave exactly as on a full scan. A plugin this module does not know marks every line
(correct, just slow).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

# Keywords of detect-secrets' KeywordDetector (its DENYLIST, kept in sync by a test); every one
# contains one of these literals.
_KEYWORD_LITERALS = ("key", "pass", "pwd", "secret", "contrase")
# The assignment that detect-secrets' build_assignment_regex puts between keyword and secret.
_ASSIGN_TAIL = r"""(?:"|'|)(?:\]|)(?: *)(?:=|:|:=|=>| +|::)(?: *)(?:"|'|)"""


@dataclass(frozen=True)
class Finder:
    """A literal-led regex; ``folded`` ones are written in lower case and match case-insensitively."""

    pattern: str
    folded: bool = False


def _lit(*literals: str, folded: bool = False) -> list[Finder]:
    return [Finder(re.escape(lit), folded) for lit in literals]


def _quoted_run_finders(plugin: Any) -> list[Finder]:
    """Quoted runs of the plugin's charset long enough that their entropy can exceed its limit.

    A string of n characters has Shannon entropy at most log2(n); floor(2**limit) keeps a margin
    of one character for floating-point rounding at the boundary.
    """
    shortest = max(1, math.floor(2 ** float(plugin.entropy_limit)))
    charset = re.escape(plugin.charset)
    return [Finder(f"{quote}[{charset}]{{{shortest},}}{quote}") for quote in ('"', "'")]


def _finders_for(plugin: Any) -> list[Finder] | None:
    """Finders per detect-secrets plugin (1.5), each derived from the plugin's regexes (see each module)."""
    name = type(plugin).__name__
    if name == "ArtifactoryDetector":
        return [Finder(r"AKC[a-zA-Z0-9]{10}"), Finder(r"AP[\dABCDEF][a-zA-Z0-9]{8}")]
    if name == "AWSKeyDetector":
        return [Finder(r"A3T[A-Z0-9][0-9A-Z]{16}"),
                *(Finder(prefix + r"[0-9A-Z]{16}") for prefix in ("ABIA", "ACCA", "AKIA", "ASIA")),
                *_lit("aws", folded=True)]
    if name == "AzureStorageKeyDetector":
        return _lit("AccountKey=")
    if name == "BasicAuthDetector":
        return _lit("://")
    if name == "CloudantDetector":
        return [Finder(r"cl(?:oudant|ou)?[-_]?(?:api)?(?:key|pw|pass|token)", folded=True),
                *_lit("cloudant", folded=True)]
    if name == "DiscordBotTokenDetector":
        return [Finder(r"\.[a-zA-Z\d_-]{6}\.[a-zA-Z\d_-]{27}")]
    if name == "GitHubTokenDetector":
        return [Finder(r"gh[pousr]_")]
    if name == "GitLabTokenDetector":
        return [Finder(r"gl(?:pat|dt|ft|soat|rt|cbt|imt|ptt|agent|oas)-"), *_lit("GR1348941")]
    if name in ("Base64HighEntropyString", "HexHighEntropyString"):
        return _quoted_run_finders(plugin)
    if name == "IbmCloudIamDetector":
        return [Finder(keyword + _ASSIGN_TAIL + r"[a-z0-9_\-]{44}", folded=True)
                for keyword in ("key", "pwd", "password", "pass", "token")]
    if name == "IbmCosHmacDetector":
        return [Finder(r"secret[-_]?(?:access)?[-_]?key", folded=True)]
    if name == "JwtTokenDetector":
        return _lit("eyJ")
    if name == "KeywordDetector":
        return _lit(*_KEYWORD_LITERALS, folded=True)
    if name == "MailchimpDetector":
        return [Finder(r"-us[0-9]")]
    if name == "NpmDetector":
        return _lit("/:_authToken=")
    if name == "OpenAIDetector":
        return _lit("T3BlbkFJ")
    if name == "PrivateKeyDetector":
        return _lit("PRIVATE KEY", "PuTTY-User-Key-File-2")
    if name == "PypiTokenDetector":
        return _lit("pypi-AgE")
    if name == "SendGridDetector":
        return _lit("SG.")
    if name == "SlackDetector":
        return [*_lit("xox", folded=True), *_lit("hooks.slack.com", folded=True)]
    if name == "SoftlayerDetector":
        return [*_lit("softlayer", folded=True),
                Finder(r"sl[-_]?(?:api)?[-_]?(?:key|pwd|pass|token)", folded=True)]
    if name == "SquareOAuthDetector":
        return _lit("sq0csp-")
    if name == "StripeDetector":
        return _lit("k_live_")
    if name == "TelegramBotTokenDetector":
        return [Finder(r":[0-9A-Za-z_-]{35}")]
    if name == "TwilioKeyDetector":
        return [Finder(r"AC[a-z0-9]{32}"), Finder(r"SK[a-z0-9]{32}")]
    return None


def _keyword_precheck() -> re.Pattern[str] | None:
    try:
        from detect_secrets.plugins.keyword import DENYLIST
    except ImportError:  # pragma: no cover - a detect-secrets without the list: confirm exactly
        return None
    return re.compile("|".join(DENYLIST), re.IGNORECASE)


Confirm = Callable[[str, str], bool]
"""(stripped line, filename) -> whether the plugin's analyze_line finds anything on it."""


@dataclass(frozen=True)
class Gate:
    """One plugin: its position in detect-secrets' plugin order, finders and confirmation."""

    index: int
    plugin: Any
    ascii_finders: tuple[re.Pattern[str], ...] | None
    """Finders for ASCII text (folded ones in lower case, run on text.lower()); None: every line."""
    folded_flags: tuple[bool, ...]
    unicode_finders: tuple[re.Pattern[str], ...] | None
    """The same finders for non-ASCII text, folded ones compiled with re.IGNORECASE."""
    confirm: Confirm


def _confirmer(plugin: Any) -> Confirm:
    analyze = plugin.analyze_line
    if type(plugin).__name__ == "KeywordDetector":
        precheck = _keyword_precheck()
        if precheck is not None:
            search = precheck.search

            def confirm_keyword(line: str, filename: str) -> bool:
                return search(line) is not None and bool(analyze(filename=filename, line=line))

            return confirm_keyword

    def confirm(line: str, filename: str) -> bool:
        return bool(analyze(filename=filename, line=line))

    return confirm


def build_gates(plugins: Sequence[Any]) -> tuple[Gate, ...]:
    gates = []
    for index, plugin in enumerate(plugins):
        finders = _finders_for(plugin)
        if finders is None:
            gates.append(Gate(index, plugin, None, (), None, _confirmer(plugin)))
            continue
        ascii_res = tuple(re.compile(f.pattern) for f in finders)
        uni_res = tuple(re.compile(f.pattern, re.IGNORECASE if f.folded else 0) for f in finders)
        gates.append(Gate(index, plugin, ascii_res, tuple(f.folded for f in finders), uni_res,
                          _confirmer(plugin)))
    return tuple(gates)


def _line_at(text: str, begin: int) -> str:
    """The raw line (split on \\n, as detect-secrets does) starting at offset ``begin``."""
    end = text.find("\n", begin)
    return text[begin:] if end < 0 else text[begin:end]


def marked_lines(text: str, gates: Sequence[Gate]) -> dict[int, tuple[int, set[int]]]:
    """Line number (1-based) -> (offset where the line starts, indices of the gates that touched it)."""
    ascii_text = text.isascii()
    lowered: str | None = None
    spans: list[tuple[int, int, int]] = []  # (start, end, gate index)
    everything: set[int] = set()
    for gate in gates:
        finders = gate.ascii_finders if ascii_text else gate.unicode_finders
        if finders is None:
            everything.add(gate.index)
            continue
        for finder, folded in zip(finders, gate.folded_flags):
            if folded and ascii_text:
                if lowered is None:
                    lowered = text.lower()
                haystack = lowered
            else:
                haystack = text
            spans.extend((m.start(), m.end(), gate.index) for m in finder.finditer(haystack))
    marks: dict[int, tuple[int, set[int]]] = {}
    if everything:
        begin = 0
        for number, raw in enumerate(text.split("\n"), start=1):
            marks[number] = (begin, set(everything))
            begin += len(raw) + 1
    spans.sort()
    position, line, line_begin = 0, 1, 0
    for start, end, index in spans:
        newlines = text.count("\n", position, start)
        if newlines:
            line += newlines
            line_begin = text.rfind("\n", position, start) + 1
        position = start
        begin, number = line_begin, line
        while True:  # a finder match normally stays on one line; follow it if it does not
            marks.setdefault(number, (begin, set()))[1].add(index)
            newline = text.find("\n", begin, max(begin, end - 1))
            if newline < 0:
                break
            begin, number = newline + 1, number + 1
    return marks


def candidate_lines(text: str, filename: str, gates: Sequence[Gate]) -> dict[int, list[int]]:
    """Line number -> the gate indices (in plugin order) whose plugin finds something on that line."""
    marks = marked_lines(text, gates)
    if not marks:
        return {}
    by_index = {gate.index: gate for gate in gates}
    out: dict[int, list[int]] = {}
    for number in sorted(marks):
        begin, indices = marks[number]
        line = _line_at(text, begin).rstrip()
        confirmed = [i for i in sorted(indices) if by_index[i].confirm(line, filename)]
        if confirmed:
            out[number] = confirmed
    return out

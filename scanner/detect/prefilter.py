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
   (same offsets, same folding as ``re.I`` for these patterns), and as ``re.I``
   patterns on the original text when it holds one of the three characters (``İ ı ſ``) that
   ``re.I`` folds differently from ``lower()``. On pure-ASCII text, where Hyperscan is
   installed, all finders (the plugins' own regexes where exact) run as one Hyperscan pass
   instead (:class:`FinderDatabase`).
2. On each marked line, :mod:`scanner.detect.ds_plugins` runs detect-secrets' own per-line
   body for the marked plugins only (``analyze_line``, then its line, secret and context filters,
   the whole file as context), after a cheap keyword pre-check for the keyword plugin.

A plugin this module does not know marks every line (correct, just slow).
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from scanner.detect.hscache import compile_block_database

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
    if name in _ENTROPY_PLUGINS:
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


def _keyword_precheck() -> Callable[[str], bool] | None:
    """A cheap necessary condition for KeywordDetector: one of its keywords is on the line."""
    try:
        from detect_secrets.plugins.keyword import DENYLIST
    except ImportError:  # pragma: no cover - a detect-secrets without the list: no precheck
        return None
    alternatives = "|".join(DENYLIST)
    lower_case = re.compile(alternatives).search  # DENYLIST is written in lower case
    ignore_case = re.compile(alternatives, re.IGNORECASE).search

    def precheck(line: str) -> bool:
        lowered = line.lower()
        if len(lowered) == len(line) and _lowers_like_re_ignorecase(line):
            return lower_case(lowered) is not None
        return ignore_case(line) is not None

    return precheck


def _distinct_out_of_reach(plugin: Any) -> int:
    """At or under this many distinct characters a string cannot exceed the plugin's entropy limit
    (n distinct characters give at most log2(n) bits; the margin is far above float rounding)."""
    limit = float(plugin.entropy_limit)
    fewest_distinct = 1
    while math.log2(fewest_distinct) < limit - 1e-6:
        fewest_distinct += 1
    return fewest_distinct - 1


def _entropy_precheck(plugin: Any) -> Callable[[str], bool]:
    """For the high-entropy plugins: some quoted string on the line is over the entropy limit.

    Their ``analyze_line`` keeps exactly the strings its regex finds whose
    ``calculate_shannon_entropy`` exceeds ``entropy_limit`` (no eager search in a scan, no
    verification filter configured), so a line where none does yields nothing: the same answer
    without building a PotentialSecret for every quoted string of source code. A string of n
    distinct characters has entropy at most log2(n); one clearly under the limit (a margin far
    above float rounding) is not measured at all.
    """
    regex = plugin.regex
    limit = float(plugin.entropy_limit)
    entropy = plugin.calculate_shannon_entropy
    fewest_distinct = _distinct_out_of_reach(plugin)

    def precheck(line: str) -> bool:
        for match in regex.finditer(line):
            value = match.group(2)
            if len(set(value)) > fewest_distinct and entropy(value) > limit:
                return True
        return False

    return precheck


@dataclass(frozen=True)
class Gate:
    """One plugin: its position in detect-secrets' plugin order, its finders and a line precheck."""

    index: int
    plugin: Any
    ascii_finders: tuple[re.Pattern[str], ...] | None
    """Finders for text whose lower() folds like re.I (folded ones in lower case, run on
    text.lower()); None: every line."""
    folded_flags: tuple[bool, ...]
    unicode_finders: tuple[re.Pattern[str], ...] | None
    """The same finders for any other text, folded ones compiled with re.IGNORECASE."""
    precheck: Callable[[str], bool] | None = None
    """A cheap necessary condition on the stripped line, tried before the plugin itself."""
    literals: tuple[str, ...] = ()
    """Per finder, the literal it starts with ("" if none): a ``str`` containment test skips a
    finder whose literal is absent without starting a regex search."""
    exact: tuple[re.Pattern[str], ...] = ()
    """The plugin's own regexes when every line it flags holds a match of one of them (see
    :func:`_exact_finders`): the Hyperscan pass marks fewer lines with these than with the finders."""
    distinct_out_of_reach: int | None = None
    """For the high-entropy plugins: a finder match (a quoted run, see :func:`_quoted_run_finders`)
    whose inside has at most this many distinct characters marks nothing (:func:`marked_lines`)."""


def _leading_literal(pattern: str) -> str:
    """The literal characters a finder's pattern starts with (case as written)."""
    try:
        from re import _constants as sre_constants  # type: ignore[attr-defined]
        from re import _parser as sre_parse  # type: ignore[attr-defined]
    except ImportError:  # Python < 3.11
        import sre_constants
        import sre_parse
    literal = []
    for op, av in sre_parse.parse(pattern):
        if op is not sre_constants.LITERAL:
            break
        literal.append(chr(av))
    return "".join(literal)


def _exact_finders(plugin: Any) -> tuple[re.Pattern[str], ...]:
    """Regexes one of which matches inside every line ``plugin`` can flag, for ASCII text.

    * A ``RegexBasedDetector`` that keeps detect-secrets' own ``analyze_string`` (or, like the JWT
      plugin, only filters what it yields) flags a line only where one of its ``denylist``
      regexes matches in that line; a match inside the line is a match inside the buffer once
      anchors and lookarounds are dropped, which the Hyperscan translation does.
    * ``KeywordDetector``: its pre-check (:func:`_keyword_precheck`) requires a ``DENYLIST``
      keyword on the line, case-insensitively; the ASCII keywords are the finders (a non-ASCII one,
      ``contraseña``, cannot occur in ASCII text, the only text this pass scans).

    Other plugins (the entropy ones) have none: their literal-led finders serve.
    """
    try:
        from detect_secrets.plugins.base import RegexBasedDetector
    except ImportError:  # pragma: no cover
        return ()
    cls = type(plugin)
    if cls.__name__ == "KeywordDetector":
        try:
            from detect_secrets.plugins.keyword import DENYLIST
        except ImportError:  # pragma: no cover
            return ()
        return tuple(re.compile(word, re.IGNORECASE) for word in DENYLIST if word.isascii())
    if not isinstance(plugin, RegexBasedDetector):
        return ()
    narrowing_only = {"JwtTokenDetector"}  # analyze_string = filter(valid, super().analyze_string)
    for klass in cls.__mro__:
        if klass is RegexBasedDetector:
            break
        if ("analyze_string" in klass.__dict__ and klass.__name__ not in narrowing_only) \
                or "analyze_line" in klass.__dict__:
            return ()
    denylist = tuple(getattr(plugin, "denylist", ()) or ())
    return denylist if denylist and all(isinstance(r, re.Pattern) for r in denylist) else ()


_ENTROPY_PLUGINS = ("Base64HighEntropyString", "HexHighEntropyString")


def build_gates(plugins: Sequence[Any]) -> tuple[Gate, ...]:
    gates = []
    for index, plugin in enumerate(plugins):
        finders = _finders_for(plugin)
        name = type(plugin).__name__
        precheck = (_keyword_precheck() if name == "KeywordDetector"
                    else _entropy_precheck(plugin) if name in _ENTROPY_PLUGINS else None)
        if finders is None:
            gates.append(Gate(index, plugin, None, (), None, precheck))
            continue
        ascii_res = tuple(re.compile(f.pattern) for f in finders)
        uni_res = tuple(re.compile(f.pattern, re.IGNORECASE if f.folded else 0) for f in finders)
        gates.append(Gate(index, plugin, ascii_res, tuple(f.folded for f in finders), uni_res, precheck,
                          tuple(_leading_literal(f.pattern) for f in finders), _exact_finders(plugin),
                          _distinct_out_of_reach(plugin) if name in _ENTROPY_PLUGINS
                          and not {'"', "'"} & set(str(plugin.charset)) else None))
    return tuple(gates)


def _line_at(text: str, begin: int) -> str:
    """The raw line (split on \\n, as detect-secrets does) starting at offset ``begin``."""
    end = text.find("\n", begin)
    return text[begin:] if end < 0 else text[begin:end]


# Non-ASCII characters that re.IGNORECASE matches against an ASCII letter although lower() does
# not map them to it (computed over all of Unicode for Python 3.11's re; see the tests).
_IGNORECASE_SPECIALS = ("\u0130", "\u0131", "\u017f")  # İ ı ſ


def _lowers_like_re_ignorecase(text: str) -> bool:
    """Whether ``text.lower()`` keeps every offset and folds exactly as ``re.I`` for our finders.

    ``lower()`` maps one character to one except ``İ`` (to two); ``ı`` and ``ſ`` match ``i``/``s``
    under ``re.I`` but stay themselves in lower case. Without those three, a lower-case finder on
    ``text.lower()`` matches where its ``re.I`` twin matches on ``text``.
    """
    return not any(special in text for special in _IGNORECASE_SPECIALS)


class FinderDatabase:
    """Every finder of every gate in one Hyperscan database: one pass over ASCII text for all of them.

    ``re`` runs one ``finditer`` per finder over the whole buffer (about 40 passes, ~25 MB/s in
    all on site-packages). Here each gate contributes its plugin's own regexes where they are
    exact (:func:`_exact_finders`), else its literal-led finders. Why no flagged line is missed:
    the plugin flags line L only where one of these regexes matches inside L, so Hyperscan, which
    reports *every* end offset of a match of a superset pattern (the translation drops anchors and
    lookarounds), reports one ending in L. A match that cannot contain a newline lies on the line
    of its last character; for the few finders that can, the leftmost start is asked for
    (``HS_FLAG_SOM_LEFTMOST``) and every line from there to the end is marked. Marking a line too
    many costs time, never a finding. Patterns are translated by
    :class:`scanner.detect.multimatch._Translator` (the ASCII byte sets Python accepts, ``re.I``
    folding included), so only ASCII text is scanned this way. Other text takes the ``re`` pass,
    and so does all text when a gate's finders cannot be translated or compiled (logged at debug).
    """

    def __init__(self, gates: Sequence[Gate]) -> None:
        from scanner.detect import multimatch

        self._database: Any = None
        self._scratch: Any = None
        self._gate_of: list[int] = []
        self._needs_start: tuple[bool, ...] = ()
        self._lock = threading.Lock()
        hs = multimatch.wanted_hyperscan()
        if hs is None:
            return
        translator = multimatch._Translator()
        expressions: list[bytes] = []
        try:
            for gate in gates:
                if gate.ascii_finders is None:
                    continue
                finders = tuple(re.compile(f.pattern, re.IGNORECASE if folded else 0)
                                for f, folded in zip(gate.ascii_finders, gate.folded_flags, strict=True))
                translated: list[bytes] = []
                for choice in (gate.exact, finders):  # the plugin's own regexes first, if known
                    try:
                        translated = [translator.pattern(r).encode("ascii") for r in choice]
                    except (multimatch.Unsupported, re.error, RecursionError, UnicodeError):
                        continue
                    if translated:
                        break
                if not translated:
                    raise multimatch.Unsupported(f"the finders of {type(gate.plugin).__name__}")
                expressions.extend(translated)
                self._gate_of.extend([gate.index] * len(translated))
            if not expressions:
                return
            # Start offsets cost (10x on some patterns): asked only of a finder that can match a
            # newline; any other match lies on the line of its last character.
            flags = [hs.HS_FLAG_SOM_LEFTMOST if _may_match_newline(e) else 0 for e in expressions]
            self._needs_start = tuple(bool(f) for f in flags)
            database = compile_block_database(hs, expressions, flags)
            self._database, self._scratch = database, hs.Scratch(database)
        except (multimatch.Unsupported, hs.HyperscanError) as err:
            import logging

            logging.getLogger("credreach.prefilter").debug("prefilter: finders run through re (%s)", err)
            self._database = None

    @property
    def available(self) -> bool:
        return self._database is not None

    def spans(self, text: str) -> list[tuple[int, int, int]]:
        """(start, end, gate index) of every finder match in pure-ASCII ``text``."""
        out: list[tuple[int, int, int]] = []
        append = out.append
        gate_of = self._gate_of
        needs_start = self._needs_start

        def on_match(index: int, start: int, end: int, flags: int, context: object) -> None:
            append((start if needs_start[index] else end - 1, end, gate_of[index]))

        with self._lock:  # a Scratch serves one scan at a time
            self._database.scan(text.encode("ascii"), match_event_handler=on_match, scratch=self._scratch)
        return out


_BYTE_ITEM = re.compile(rb"\\x([0-9a-f]{2})(?:-\\x([0-9a-f]{2}))?")


def _may_match_newline(expression: bytes) -> bool:
    """Whether a translated finder can match ``\\n``: the translation writes every character and
    class as ``\\xNN`` or ``\\xNN-\\xMM``, so a newline is possible only where one covers 0x0a."""
    for match in _BYTE_ITEM.finditer(expression):
        low = int(match.group(1), 16)
        high = int(match.group(2), 16) if match.group(2) else low
        if low <= 0x0A <= high:
            return True
    return False


_finder_databases: dict[int, tuple[Sequence[Gate], FinderDatabase]] = {}
_finder_lock = threading.Lock()


def finder_database(gates: Sequence[Gate]) -> FinderDatabase:
    """The process-wide :class:`FinderDatabase` of this gate tuple (kept alive with it)."""
    known = _finder_databases.get(id(gates))
    if known is not None and known[0] is gates:
        return known[1]
    with _finder_lock:
        database = FinderDatabase(gates)
        _finder_databases[id(gates)] = (gates, database)
        return database


def marked_lines(text: str, gates: Sequence[Gate], *, use_hyperscan: bool = True) -> dict[int, tuple[int, set[int]]]:
    """Line number (1-based) -> (offset where the line starts, indices of the gates that touched it)."""
    lowered: str | None = None
    foldable = text.isascii() or _lowers_like_re_ignorecase(text)
    spans: list[tuple[int, int, int]] = []  # (start, end, gate index)
    everything: set[int] = set()
    out_of_reach: dict[int, int] = {}
    database = finder_database(gates) if use_hyperscan and text.isascii() else None
    if database is not None and database.available:
        # Hyperscan reports every match, so each quoted string an entropy plugin pairs is a span of
        # its own (its charset holds no quote: the run starts after the nearest quote before the
        # closing one); one with too few distinct characters can only fail the limit, and marks
        # nothing (JSON keys such as "BurstablePerformanceSupported"). Not for re's finditer
        # below, whose non-overlapping matches may cover a plugin's string with another.
        out_of_reach = {gate.index: gate.distinct_out_of_reach for gate in gates
                        if gate.distinct_out_of_reach is not None}
        spans = database.spans(text)
        everything = {gate.index for gate in gates if gate.ascii_finders is None}
        gates = ()
    for gate in gates:
        finders = gate.ascii_finders if foldable else gate.unicode_finders
        if finders is None:
            everything.add(gate.index)
            continue
        for finder, folded, literal in zip(finders, gate.folded_flags, gate.literals, strict=True):
            if folded and foldable:
                if lowered is None:
                    lowered = text.lower()
                haystack = lowered
            else:
                haystack = text
            if folded and not foldable:
                literal = ""  # re.IGNORECASE on the original text: no plain containment test
            if literal and literal not in haystack:
                continue
            spans.extend((m.start(), m.end(), gate.index) for m in finder.finditer(haystack))
    marks: dict[int, tuple[int, set[int]]] = {}
    if everything:
        begin = 0
        for number, raw in enumerate(text.split("\n"), start=1):
            marks[number] = (begin, set(everything))
            begin += len(raw) + 1
    if not spans:
        return marks
    spans.sort()
    size = len(text)
    line, line_begin = 1, 0
    line_end = text.find("\n")  # offset of the newline ending the current line (size: none)
    if line_end < 0:
        line_end = size
    current: set[int] | None = None
    for start, end, index in spans:
        most = out_of_reach.get(index)
        if most is not None:
            opening = text.rfind(text[end - 1], 0, end - 1)
            if len(set(text[opening + 1:end - 1])) <= most:
                continue
        if start > line_end:  # on a later line: count the newlines skipped, C-speed
            line += text.count("\n", line_end, start)
            line_begin = text.rfind("\n", line_end, start) + 1
            line_end = text.find("\n", start)
            if line_end < 0:
                line_end = size
            current = None
        if current is None:
            current = marks.setdefault(line, (line_begin, set()))[1]
        current.add(index)
        if end - 1 > line_end:  # a finder match normally stays on one line; follow it if it does not
            begin, number = line_end + 1, line + 1
            while begin < size and begin <= end - 1:
                marks.setdefault(number, (begin, set()))[1].add(index)
                newline = text.find("\n", begin, end - 1)
                if newline < 0:
                    break
                begin, number = newline + 1, number + 1
    return marks


# --- literal positions (the keyword reader's one pass) -------------------------------------------

class LiteralFinder:
    """Every start offset of a few lower-case ASCII literals in ``text.lower()``, in one pass.

    The keyword reader (:mod:`scanner.detect.keywords`) needs *where* its words and gate literals
    occur, not only whether: with Hyperscan (one caseless database, compiled once per process)
    pure-ASCII text is scanned once for all of them; otherwise, or with ``CREDREACH_MATCHER=re``,
    ``str.find`` runs per literal on the lower-cased text. Both report every occurrence, overlapping
    ones included, in increasing order per literal. The caller guarantees that ``lowered`` has the
    same offsets as ``text`` (see :func:`lowers_like_re_ignorecase`); on ASCII text caseless
    matching and ``lower()`` agree exactly.
    """

    def __init__(self, literals: Sequence[str]) -> None:
        self.literals = tuple(dict.fromkeys(literals))
        if any(not lit or not lit.isascii() or lit != lit.lower() for lit in self.literals):
            raise ValueError("literals must be non-empty lower-case ASCII")
        # ``str.find`` engine: a literal holding a shorter one (``pwd`` holds ``pw``) is read off the
        # shorter one's positions instead of a search of its own.
        self._derived: dict[str, tuple[str, int]] = {}
        for literal in sorted(self.literals, key=len):
            base = next((b for b in self.literals if b != literal and b not in self._derived and b in literal
                         and len(b) < len(literal)), None)
            if base is not None:
                self._derived[literal] = (base, literal.index(base))
        self._database: Any = None
        self._scratch: Any = None
        self._lock = threading.Lock()
        self._tried = False

    def _hyperscan(self) -> Any:
        """The compiled database, or None for the ``str.find`` engine."""
        if not self._tried:
            self._tried = True
            from scanner.detect import multimatch

            hs = multimatch.wanted_hyperscan()
            if hs is not None:
                try:
                    expressions = ["".join(f"\\x{ord(c):02x}" for c in lit).encode("ascii") for lit in self.literals]
                    database = compile_block_database(hs, expressions, [hs.HS_FLAG_CASELESS] * len(expressions))
                    self._database, self._scratch = database, hs.Scratch(database)
                except hs.HyperscanError:  # pragma: no cover - literals always compile
                    self._database = None
        return self._database

    def find_all(self, text: str, lowered: str | None = None) -> dict[str, list[int]]:
        """Literal -> sorted start offsets (only literals that occur)."""
        database = self._hyperscan() if text.isascii() else None
        found: dict[str, list[int]] = {}
        if database is not None:
            literals = self.literals
            lengths = tuple(len(lit) for lit in literals)

            def on_match(index: int, start: int, end: int, flags: int, context: object) -> None:
                found.setdefault(literals[index], []).append(end - lengths[index])

            with self._lock:  # a Scratch serves one scan at a time
                database.scan(text.encode("ascii"), match_event_handler=on_match, scratch=self._scratch)
            return found
        haystack = text.lower() if lowered is None else lowered
        find = haystack.find
        for literal in self.literals:
            if literal in self._derived:
                continue
            position = find(literal)
            if position < 0:
                continue
            positions = found[literal] = []
            while position >= 0:
                positions.append(position)
                position = find(literal, position + 1)
        for literal, (base, shift) in self._derived.items():
            starts = [at - shift for at in found.get(base, ())
                      if at >= shift and haystack.startswith(literal, at - shift)]
            if starts:
                found[literal] = starts
        return found


def lowers_like_re_ignorecase(text: str) -> bool:
    """Public name of :func:`_lowers_like_re_ignorecase`, plus the offset check for any text."""
    return text.isascii() or (_lowers_like_re_ignorecase(text) and len(text.lower()) == len(text))

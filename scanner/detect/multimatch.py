"""One pass over a document for every rule: which rules can match here at all?

Most rules match in almost no document, yet asking each rule separately costs a scan of the
text per rule (a literal search, a keyword test, a regex). A :class:`MultiMatcher` compiles a list
of ``(rule_id, pattern)`` once per process and answers, in one pass over the text,

* :meth:`MultiMatcher.candidates`: the ids of the rules that *may* match (a superset of the
  rules whose pattern matches; the caller then runs its own exact ``re`` code on those only), and
* :meth:`MultiMatcher.matches`: the exact ``re`` matches of every rule, found through the
  candidates (what the tests compare across engines).

Two engines, same answers from :meth:`matches`:

``hyperscan``
    The ``hyperscan`` package (Intel Hyperscan / Vectorscan bindings) when a wheel is installed:
    all patterns in one database, scanned once over the UTF-8 bytes. Each Python pattern is
    translated from its parse tree (``re._parser``), never textually, into a pattern Hyperscan
    accepts that matches *at least* every string the Python pattern matches on ASCII text:
    every single-character item (literal, class, ``\\w``, ``.``, with its ``re.I``/``re.S`` flags)
    becomes the explicit byte set Python itself accepts among the 128 ASCII characters (so
    Unicode ``\\s`` and case folding are reproduced, not guessed); lookarounds and anchors other
    than ``\\b``/``\\B`` are dropped, atomic groups and possessive repeats become plain ones (each
    only widens the set of matching strings), and repeats with bounds above
    :data:`MAX_BOUND` lose their upper bound. Text that is not pure ASCII (about 0.2% of files
    in a site-packages tree) is answered through the literal prefilter below instead.
    Patterns Hyperscan cannot take (back-references, or a compile error) are listed in the debug
    log at start-up; they are candidates whenever one of their *required literals* occurs.
``re``
    Without the package: each rule is a candidate when one of its required literals occurs in the
    text (``str`` containment, ~1 GB/s), or always when none can be derived. The first use logs
    that the pure-``re`` fallback is in use.

*Required literals* of a pattern: strings one of which every match contains, read off the parse
tree (a run of case-sensitive literals in a mandatory position; for an alternation, one set per
branch). A pattern without any is always a candidate.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

try:  # Python 3.11+
    from re import _compiler as sre_compile  # type: ignore[attr-defined]
    from re import _constants as sre_constants  # type: ignore[attr-defined]
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python < 3.11
    import sre_compile  # type: ignore[no-redef]
    import sre_constants  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

try:
    import hyperscan
except ImportError:  # pragma: no cover - exercised where no wheel exists
    hyperscan = None  # type: ignore[assignment]

from scanner.detect.hscache import compile_block_database  # noqa: E402 - after the optional import

log = logging.getLogger("credreach.multimatch")

ENGINE_ENV = "CREDREACH_MATCHER"
"""``re`` forces the pure-``re`` engine (tests compare both); anything else: Hyperscan if installed."""
MAX_BOUND = 1000
"""Repeat bounds above this become unbounded for Hyperscan (a wider, cheaper pattern)."""

_ASCII = tuple(chr(i) for i in range(128))
_SINGLE = {sre_constants.LITERAL, sre_constants.NOT_LITERAL, sre_constants.ANY, sre_constants.IN}
_ANCHORS_KEPT = {sre_constants.AT_BOUNDARY: r"\b", sre_constants.AT_NON_BOUNDARY: r"\B"}


def wanted_hyperscan() -> Any:
    """The ``hyperscan`` module when it is installed and ``CREDREACH_MATCHER`` does not ask for
    ``re``; else None. The one place every Hyperscan user here (rules, prefilter, keyword
    literals) decides which engine runs."""
    if hyperscan is None or os.environ.get(ENGINE_ENV, "").strip().lower() == "re":
        return None
    return hyperscan


class Unsupported(Exception):
    """A pattern (or part of one) Hyperscan cannot be given."""


def _parsed(pattern: re.Pattern[str]) -> Any:
    return sre_parse.parse(pattern.pattern, pattern.flags)


# --- required literals -------------------------------------------------------------------------

def required_literals(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """Case-sensitive strings one of which every match of ``pattern`` contains; None if unknown."""
    try:
        tree = _parsed(pattern)
    except Exception:  # noqa: BLE001 - only an optimisation: no literals means "always a candidate"
        return None
    found = _seq_literals(list(tree), tree.state.flags)
    return tuple(dict.fromkeys(found)) if found else None


def _seq_literals(items: list[tuple[Any, Any]], flags: int) -> list[str] | None:
    """Best requirement of a sequence: the mandatory item (or literal run) with the longest minimum.

    A run of items that each match exactly a few strings (literals, ``(?:AKIA|ASIA)``, which the
    parser turns into ``A(?:KIA|SIA)``) counts as one literal set: their concatenations.
    """
    best: list[str] | None = None
    run = [""]

    def consider(candidate: list[str] | None) -> None:
        nonlocal best
        if candidate and all(candidate) and (best is None or min(map(len, candidate)) > min(map(len, best))):
            best = candidate

    for op, av in items:
        exact = _exact_strings(op, av, flags)
        if exact is not None and len(run) * len(exact) <= 32:
            run = [r + e for r in run for e in exact]
            continue
        consider(run)
        run = [""]
        if exact is not None:
            consider(exact)
        else:
            consider(_item_literals(op, av, flags))
    consider(run)
    return best


def _exact_strings(op: Any, av: Any, flags: int) -> list[str] | None:
    """The strings an item matches, when they are a few case-sensitive literals; else None."""
    if op is sre_constants.LITERAL:
        return None if flags & re.IGNORECASE else [chr(av)]
    if op is sre_constants.SUBPATTERN:
        _, add, delete, body = av
        return _exact_seq(list(body), (flags | add) & ~delete)
    if op is sre_constants.BRANCH:
        out: list[str] = []
        for branch in av[1]:
            strings = _exact_seq(list(branch), flags)
            if strings is None:
                return None
            out.extend(strings)
        return out if len(out) <= 32 else None
    return None


def _exact_seq(items: list[tuple[Any, Any]], flags: int) -> list[str] | None:
    strings = [""]
    for op, av in items:
        exact = _exact_strings(op, av, flags)
        if exact is None or len(strings) * len(exact) > 32:
            return None
        strings = [s + e for s in strings for e in exact]
    return strings


def _item_literals(op: Any, av: Any, flags: int) -> list[str] | None:
    if op is sre_constants.SUBPATTERN:
        _, add, delete, body = av
        return _seq_literals(list(body), (flags | add) & ~delete)
    if op is sre_constants.ATOMIC_GROUP:
        return _seq_literals(list(av), flags)
    if op is sre_constants.BRANCH:
        union: list[str] = []
        for branch in av[1]:
            sub = _seq_literals(list(branch), flags)
            if not sub:
                return None
            union.extend(sub)
        return union if len(union) <= 32 else None
    if op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT):
        low, _, body = av
        return _seq_literals(list(body), flags) if low >= 1 else None
    return None


# --- translation to Hyperscan ------------------------------------------------------------------

@dataclass
class _Translator:
    """Python parse tree -> Hyperscan pattern matching a superset of it on ASCII text."""

    sets: dict[tuple[Any, ...], str] = field(default_factory=dict)

    def pattern(self, pattern: re.Pattern[str]) -> str:
        tree = _parsed(pattern)
        return self.seq(list(tree), tree.state.flags)

    def seq(self, items: list[tuple[Any, Any]], flags: int) -> str:
        return "".join(self.item(op, av, flags) for op, av in items)

    def item(self, op: Any, av: Any, flags: int) -> str:
        if op in _SINGLE:
            return self.single(op, av, flags)
        if op is sre_constants.SUBPATTERN:
            _, add, delete, body = av
            return "(?:" + self.seq(list(body), (flags | add) & ~delete) + ")"
        if op is sre_constants.ATOMIC_GROUP:
            return "(?:" + self.seq(list(av), flags) + ")"
        if op is sre_constants.BRANCH:
            return "(?:" + "|".join(self.seq(list(b), flags) for b in av[1]) + ")"
        if op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT):
            low, high, body = av
            inner = "(?:" + self.seq(list(body), flags) + ")"
            if high is sre_constants.MAXREPEAT or high > MAX_BOUND:
                return inner + f"{{{low},}}"
            return inner + f"{{{low},{high}}}"
        if op is sre_constants.AT:
            return _ANCHORS_KEPT.get(av, "")
        if op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            return ""  # a lookaround only ever removes matches
        raise Unsupported(f"{op}")

    def single(self, op: Any, av: Any, flags: int) -> str:
        """The ASCII characters Python's own engine accepts for this one-character item."""
        key = (op, repr(av), flags & (re.IGNORECASE | re.DOTALL | re.ASCII | re.LOCALE))
        cached = self.sets.get(key)
        if cached is not None:
            return cached
        state = sre_parse.State()
        state.flags = flags & ~re.DEBUG
        compiled = sre_compile.compile(sre_parse.SubPattern(state, [(op, av)]), state.flags)
        codes = [i for i, ch in enumerate(_ASCII) if compiled.fullmatch(ch)]
        if not codes:
            raise Unsupported("a character class that matches no ASCII character")
        text = _byte_class(codes)
        self.sets[key] = text
        return text


def _byte_class(codes: list[int]) -> str:
    if len(codes) == 1:
        return f"\\x{codes[0]:02x}"
    ranges: list[tuple[int, int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    parts = [f"\\x{a:02x}" if a == b else f"\\x{a:02x}-\\x{b:02x}" for a, b in ranges]
    return "[" + "".join(parts) + "]"


# --- the matcher -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Compiled:
    """A compiled Hyperscan matcher in a form that pickles: what a worker needs to skip compiling."""

    database: bytes | None
    ids: tuple[str, ...]
    always: tuple[str, ...]
    unsupported: tuple[tuple[str, str], ...]
    literal_database: bytes | None = None
    literal_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Match:
    rule_id: str
    start: int
    end: int


class MultiMatcher:
    """Compiled once for a list of ``(rule_id, pattern)``; see the module docstring."""

    def __init__(self, patterns: Sequence[tuple[str, re.Pattern[str]]], engine: str | None = None,
                 compiled: Compiled | None = None) -> None:
        self.patterns = tuple(patterns)
        self.ids = tuple(rule_id for rule_id, _ in self.patterns)
        # Per pattern (by position: two rules may share an id), its required literals.
        self.literals = tuple(required_literals(pattern) for _, pattern in self.patterns)
        self.always = frozenset(self.ids[i] for i, lits in enumerate(self.literals) if lits is None)
        wanted = (engine or os.environ.get(ENGINE_ENV, "")).strip().lower()
        self.unsupported: dict[str, str] = {}
        """Rule id -> why Hyperscan could not take its pattern."""
        self._db: Any = None
        self._scratch: Any = None
        self._lock = threading.Lock()
        self._hs_ids: list[str] = []
        self._hs_always: frozenset[str] = frozenset()
        self._lit_db: Any = None
        self._lit_scratch: Any = None
        self._lit_ids: list[str] = []
        if wanted != "re" and hyperscan is not None:
            try:
                if compiled is None:
                    raise LookupError("nothing preloaded")
                self._load(compiled)
            except (LookupError, hyperscan.HyperscanError):
                self._compile_hyperscan()
            self.engine = "hyperscan"
        else:
            self.engine = "re"
            if wanted != "re":
                log.info("multimatch: the hyperscan package is not installed; using the pure-re "
                         "fallback (same results, slower)")

    # -- Hyperscan --------------------------------------------------------------------------
    def _compile_hyperscan(self) -> None:
        translator = _Translator()
        translated: list[tuple[int, bytes | None]] = []
        for index, (rule_id, pattern) in enumerate(self.patterns):
            try:
                translated.append((index, translator.pattern(pattern).encode("ascii")))
            except (Unsupported, re.error, RecursionError, UnicodeError) as err:
                self.unsupported[rule_id] = str(err) or type(err).__name__
                translated.append((index, None))
        try:
            self._build(translated)
        except hyperscan.HyperscanError:
            # One pattern spoils the whole database: find it (them) alone, then build without.
            for position, (index, expression) in enumerate(translated):
                if expression is None:
                    continue
                try:
                    self._build([(index, expression)])
                except hyperscan.HyperscanError as err:
                    self.unsupported[self.ids[index]] = str(err) or "compile error"
                    translated[position] = (index, None)
            self._build(translated)
        self._build_literals()
        literal_only = {self.ids[i] for i, e in translated if e is None and self.literals[i] is not None}
        self._hs_always = frozenset(self.ids[i] for i, e in translated if e is None and self.literals[i] is None)
        for rule_id, reason in sorted(self.unsupported.items()):
            how = "where its required literals occur" if rule_id in literal_only else "on every document"
            log.debug("multimatch: hyperscan cannot take rule %s (%s); it runs %s", rule_id, reason, how)
        log.debug("multimatch: one hyperscan database for %d rules (%d of them listed above)",
                  len(self.patterns), len(self.unsupported))

    def _build(self, translated: list[tuple[int, bytes | None]]) -> None:
        """Compile the translated patterns, and the required literals of the untranslatable ones."""
        expressions: list[bytes] = []
        flags: list[int] = []
        ids: list[str] = []
        for index, expression in translated:
            if expression is not None:
                expressions.append(expression)
                flags.append(hyperscan.HS_FLAG_SINGLEMATCH | hyperscan.HS_FLAG_ALLOWEMPTY)
                ids.append(self.ids[index])
                continue
            for literal in self.literals[index] or ():
                expressions.append(_byte_literal(literal))
                flags.append(hyperscan.HS_FLAG_SINGLEMATCH)
                ids.append(self.ids[index])
        if not expressions:
            self._db = self._scratch = None
            self._hs_ids = []
            return
        db = compile_block_database(hyperscan, expressions, flags)
        self._db, self._hs_ids = db, ids
        self._scratch = hyperscan.Scratch(db)

    def _build_literals(self) -> None:
        """Every required literal, as UTF-8 bytes, in a second database: text that is not pure ASCII
        gets the literal candidates of the ``re`` engine (same answer) in one pass, not one
        containment test per literal per rule."""
        expressions: list[bytes] = []
        ids: list[str] = []
        for index, literals in enumerate(self.literals):
            for literal in literals or ():
                expressions.append(_byte_literal(literal))
                ids.append(self.ids[index])
        self._lit_db = self._lit_scratch = None
        self._lit_ids = ids
        if not expressions:
            return
        try:
            db = compile_block_database(hyperscan, expressions, [hyperscan.HS_FLAG_SINGLEMATCH] * len(expressions))
        except hyperscan.HyperscanError as err:  # pragma: no cover - escaped literals always compile
            log.debug("multimatch: literal database not built (%s); containment tests instead", err)
            return
        self._lit_db, self._lit_scratch = db, hyperscan.Scratch(db)

    def export(self) -> Compiled | None:
        """The compiled database as bytes (for worker processes), None for the ``re`` engine."""
        if self.engine != "hyperscan":
            return None
        database = hyperscan.dumpb(self._db) if self._db is not None else None
        literal_database = hyperscan.dumpb(self._lit_db) if self._lit_db is not None else None
        return Compiled(database, tuple(self._hs_ids), tuple(sorted(self._hs_always)),
                        tuple(sorted(self.unsupported.items())), literal_database, tuple(self._lit_ids))

    def _load(self, compiled: Compiled) -> None:
        self.unsupported = dict(compiled.unsupported)
        self._hs_ids = list(compiled.ids)
        self._hs_always = frozenset(compiled.always)
        if compiled.database is not None:
            self._db = hyperscan.loadb(compiled.database, hyperscan.HS_MODE_BLOCK)
            self._scratch = hyperscan.Scratch(self._db)
        self._lit_ids = list(compiled.literal_ids)
        if compiled.literal_database is not None:
            self._lit_db = hyperscan.loadb(compiled.literal_database, hyperscan.HS_MODE_BLOCK)
            self._lit_scratch = hyperscan.Scratch(self._lit_db)

    def _hyperscan_candidates(self, text: str) -> set[str]:
        found: set[str] = set(self._hs_always)
        if self._db is None:
            return found
        ids = self._hs_ids

        def on_match(index: int, start: int, end: int, flags: int, context: object) -> None:
            found.add(ids[index])

        with self._lock:  # a Scratch serves one scan at a time
            self._db.scan(text.encode("ascii"), match_event_handler=on_match, scratch=self._scratch)
        return found

    def _hyperscan_literal_candidates(self, text: str) -> set[str]:
        found: set[str] = set(self.always)
        ids = self._lit_ids

        def on_match(index: int, start: int, end: int, flags: int, context: object) -> None:
            found.add(ids[index])

        with self._lock:
            self._lit_db.scan(text.encode("utf-8", "surrogatepass"), match_event_handler=on_match,
                              scratch=self._lit_scratch)
        return found

    # -- both engines -----------------------------------------------------------------------
    def _literal_candidates(self, text: str) -> set[str]:
        if self._lit_db is not None:
            return self._hyperscan_literal_candidates(text)
        found = set(self.always)
        for rule_id, literals in zip(self.ids, self.literals, strict=True):
            if literals is not None and rule_id not in found and any(literal in text for literal in literals):
                found.add(rule_id)
        return found

    def candidates(self, text: str) -> frozenset[str]:
        """Ids of every rule whose pattern may match ``text`` (never fewer than match)."""
        if self.engine == "hyperscan" and text.isascii():
            return frozenset(self._hyperscan_candidates(text))
        return frozenset(self._literal_candidates(text))

    def matches(self, text: str) -> list[Match]:
        """Every ``finditer`` match of every rule, by rule order then offset (exact ``re``)."""
        present = self.candidates(text)
        out: list[Match] = []
        for rule_id, pattern in self.patterns:
            if rule_id in present:
                out.extend(Match(rule_id, m.start(), m.end()) for m in pattern.finditer(text))
        return out


def _byte_literal(literal: str) -> bytes:
    """A literal as a Hyperscan expression: every UTF-8 byte escaped."""
    return "".join(f"\\x{b:02x}" for b in literal.encode("utf-8")).encode("ascii")


Key = tuple[tuple[str, str, int], ...]
_cache: dict[Key, MultiMatcher] = {}
_preloaded: dict[Key, Compiled] = {}
_by_identity: dict[tuple[int, ...], tuple[tuple[object, ...], MultiMatcher]] = {}
_cache_lock = threading.Lock()


def for_patterns(patterns: Iterable[tuple[str, re.Pattern[str]]]) -> MultiMatcher:
    """The process-wide matcher for these patterns, compiled on first use and then reused."""
    items = tuple(patterns)
    key = tuple((rule_id, pattern.pattern, pattern.flags) for rule_id, pattern in items)
    with _cache_lock:
        matcher = _cache.get(key)
        if matcher is None:
            matcher = MultiMatcher(items, compiled=_preloaded.pop(key, None))
            _cache[key] = matcher
        return matcher


def export_all() -> list[tuple[Key, Compiled]]:
    """Every matcher compiled in this process, serialised (handed to worker processes)."""
    with _cache_lock:
        items = list(_cache.items())
    return [(key, compiled) for key, matcher in items if (compiled := matcher.export()) is not None]


def preload(exported: Iterable[tuple[Key, Compiled]]) -> None:
    """Use these compiled databases instead of compiling the same patterns again in this process."""
    with _cache_lock:
        _preloaded.update(exported)


def for_rules(rules: Sequence[Any]) -> MultiMatcher:
    """The matcher for a sequence of rules (objects with ``id`` and ``pattern``), whatever it holds.

    Called once per document, often with a freshly built sequence of the same rule objects: the
    identities of those objects find the compiled matcher without re-reading any pattern (the
    objects are kept alive with it, so their ids cannot be reused); other rule objects with the
    same patterns find it through :func:`for_patterns`.
    """
    key = tuple(map(id, rules))
    known = _by_identity.get(key)
    if known is not None:
        return known[1]
    matcher = for_patterns((rule.id, rule.pattern) for rule in rules)
    with _cache_lock:
        _by_identity[key] = (tuple(rules), matcher)
    return matcher


def available() -> bool:
    """Whether the Hyperscan engine can be used here."""
    return hyperscan is not None

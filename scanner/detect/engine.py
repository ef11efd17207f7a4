"""Runs detectors over a Document: our provider rules, then detect-secrets' plugins and filters.

Our rules run over the whole buffer (one regex per rule, gated by cheap literal keywords). The
detect-secrets plugins are line-based; they get each line with its context so their filters
(allowlist pragmas, heuristics, templated values) keep working exactly as in detect-secrets.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from scanner.detect import ds_plugins, multimatch
from scanner.detect.rules import RULES, Rule
from scanner.model import Hit, Location
from scanner.sources.base import Document

ALLOWLIST = re.compile(r"pragma:\s*allowlist[ -]secret|credreach:allow|gitleaks:allow", re.I)

_AWS_SECRET_NEAR = re.compile(
    r"(?i)(?:secret[_ -]?(?:access[_ -]?)?key|aws_secret)[\"']?\s*[:=]\s*[\"']?"
    r"(?P<v>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"
)
_AWS_SESSION_NEAR = re.compile(r"(?i)session[_ -]?token[\"']?\s*[:=]\s*[\"']?(?P<v>[A-Za-z0-9/+=]{100,})")
_COMPANION_WINDOW_LINES = 6


class LineIndex:
    """Maps buffer offsets to 1-based line and column numbers.

    Built lazily: most documents have no hit, and a line table costs a Python step per line.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts: list[int] | None = None

    @property
    def starts(self) -> list[int]:
        if self._starts is None:
            starts = [0]
            start = self.text.find("\n")
            while start >= 0:
                starts.append(start + 1)
                start = self.text.find("\n", start + 1)
            self._starts = starts
        return self._starts

    @property
    def line_count(self) -> int:
        return len(self._starts) if self._starts is not None else self.text.count("\n") + 1

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset) - 1
        return line + 1, offset - self.starts[line] + 1

    def line_text(self, line: int) -> str:
        starts = self.starts
        start = starts[line - 1]
        end = starts[line] - 1 if line < len(starts) else len(self.text)
        return self.text[start:end]

    def window(self, line: int, radius: int) -> str:
        starts = self.starts
        first = max(1, line - radius)
        last = min(len(starts), line + radius)
        start = starts[first - 1]
        end = starts[last] if last < len(starts) else len(self.text)
        return self.text[start:end]


def _secret_of(match: re.Match[str]) -> tuple[str, int] | None:
    groups = match.groupdict()
    for name in ("secret", "bearer"):
        value = groups.get(name)
        if value:
            return value, match.start(name)
    return None


def _literal_starts(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """Literals one of which every match of ``pattern`` starts with, if its shape guarantees them.

    Most rules read ``\\b(?P<secret>ghp_...)`` or ``\\b(?P<secret>(?:AKIA|ASIA)...)``: a word
    boundary, then case-sensitive literals (in groups or alternatives). A leading ``\\b`` defeats
    ``re``'s own literal-prefix search, so such a rule is searched through its literals instead.
    Short lower-case literals ("do") occur everywhere; for them the keyword gate stays cheaper.
    """
    if pattern.flags & re.IGNORECASE:
        return None
    try:
        from re import _constants as sre_constants  # type: ignore[attr-defined]
        from re import _parser as sre_parse  # type: ignore[attr-defined]
    except ImportError:  # Python < 3.11
        import sre_constants
        import sre_parse
    try:
        items = list(sre_parse.parse(pattern.pattern, pattern.flags))
    except Exception:  # noqa: BLE001 - an optimisation only: fall back to the plain search
        return None

    def walk(sequence: list[tuple[Any, Any]]) -> tuple[list[str], bool]:
        """(possible literal prefixes, whether the whole sequence was consumed)."""
        prefixes = [""]
        for op, av in sequence:
            if op is sre_constants.AT and av is sre_constants.AT_BOUNDARY and prefixes == [""]:
                continue
            if op is sre_constants.LITERAL:
                prefixes = [p + chr(av) for p in prefixes]
                continue
            if op is sre_constants.SUBPATTERN and not av[1] & re.IGNORECASE:
                branches = [list(av[3])]
            elif op is sre_constants.BRANCH:
                branches = [list(b) for b in av[1]]
            else:
                return prefixes, False
            results = [walk(branch) for branch in branches]
            prefixes = [p + q for p in prefixes for sub, _ in results for q in sub]
            if len(prefixes) > 16 or not all(done for _, done in results):
                return prefixes, False
        return prefixes, True

    prefixes, _ = walk(items)
    if all(len(p) >= 3 or (len(p) == 2 and not p.islower()) for p in prefixes):
        return tuple(dict.fromkeys(prefixes))
    return None


_LITERAL_STARTS: dict[str, tuple[str, ...] | None] = {}


def _matches(rule: Rule, text: str, lowered: Callable[[], str]) -> Iterator[re.Match[str]]:
    """``rule.pattern.finditer(text)`` when the rule's keywords occur, found the fast way if possible.

    With literal starts, candidate positions come from ``str.find`` (the earliest occurrence of any
    of them first) and the pattern is matched there: ``match`` at p sees the same text around p
    as a search reaching p, and no match can start elsewhere, so the matches are those of
    ``finditer``. The keyword gate is checked only once a match exists.
    """
    if rule.id not in _LITERAL_STARTS:
        _LITERAL_STARTS[rule.id] = _literal_starts(rule.pattern)
    literals = _LITERAL_STARTS[rule.id]
    if literals is None:
        if rule.keywords and not any(k in lowered() for k in rule.keywords):
            return
        yield from rule.pattern.finditer(text)
        return
    gated = not rule.keywords
    find, match = text.find, rule.pattern.match
    if len(literals) == 1:
        yield from _single_literal_matches(rule, text, literals[0], lowered)
        return
    upcoming = [find(literal) for literal in literals]  # next occurrence of each literal, -1: none
    while True:
        start = min((p for p in upcoming if p >= 0), default=-1)
        if start < 0:
            return
        found = match(text, start)
        position = start + 1
        if found is not None:
            if not gated:
                if not any(k in lowered() for k in rule.keywords):
                    return
                gated = True
            yield found
            position = max(found.end(), position)
        upcoming = [p if p < 0 or p >= position else find(literal, position)
                    for p, literal in zip(upcoming, literals, strict=True)]


def _single_literal_matches(rule: Rule, text: str, literal: str, lowered: Callable[[], str]) -> Iterator[re.Match[str]]:
    gated = not rule.keywords
    find, match = text.find, rule.pattern.match
    position = 0
    while True:
        start = find(literal, position)
        if start < 0:
            return
        found = match(text, start)
        if found is None:
            position = start + 1
            continue
        if not gated:
            if not any(k in lowered() for k in rule.keywords):
                return
            gated = True
        yield found
        position = max(found.end(), start + 1)


def rule_hits(doc: Document, rules: Iterable[Rule] = RULES, index: LineIndex | None = None) -> list[Hit]:
    text = doc.text
    cache: list[str] = []

    def lowered() -> str:
        if not cache:
            cache.append(text.lower())
        return cache[0]

    index = index or LineIndex(text)
    hits: list[Hit] = []
    claimed: set[tuple[str, int]] = set()  # an earlier (more precise) rule wins the same match
    rule_list = rules if isinstance(rules, tuple) else tuple(rules)
    present = multimatch.for_rules(rule_list).candidates(text)  # one pass; a superset of what matches
    for rule in rule_list:
        if rule.id not in present:
            continue
        if rule.id not in _LITERAL_STARTS:
            _LITERAL_STARTS[rule.id] = _literal_starts(rule.pattern)
        literals = _LITERAL_STARTS[rule.id]
        if literals is not None and not any(literal in text for literal in literals):
            continue  # cheap: most rules' literals are absent from most documents
        for match in _matches(rule, text, lowered):
            found = _secret_of(match)
            if found is None:
                continue
            secret, offset = found
            if (secret, offset) in claimed:
                continue
            claimed.add((secret, offset))
            line, column = index.position(offset)
            if ALLOWLIST.search(index.line_text(line)):
                continue
            companions = _companions(rule, index, line)
            location = _at(doc.origin, line, column)
            hits.append(Hit(rule.provider, rule.kind, secret, location, rule.id, companions))
    return hits


def _companions(rule: Rule, index: LineIndex, line: int) -> dict[str, str]:
    if rule.kind != "aws_access_key":
        return {}
    window = index.window(line, _COMPANION_WINDOW_LINES)
    companions: dict[str, str] = {}
    secret = _AWS_SECRET_NEAR.search(window)
    if secret:
        companions["aws_secret_access_key"] = secret.group("v")
    session = _AWS_SESSION_NEAR.search(window)
    if session:
        companions["aws_session_token"] = session.group("v")
    return companions


def _at(origin: Location, line: int, column: int) -> Location:
    if origin.line is not None:  # origin already points into a larger file (e.g. env NAME=value)
        return dataclasses.replace(origin, line=origin.line + line - 1,
                                   column=column if line > 1 else (origin.column or 1) + column - 1)
    return dataclasses.replace(origin, line=line, column=column)


def detect(doc: Document, *, use_detect_secrets: bool = True, fast: bool | None = None) -> list[Hit]:
    """All hits in a document, generic hits dropped where a specific rule already covers them.

    ``fast`` picks detect-secrets' prefiltered path (default: on unless CREDREACH_NO_FAST_PATH=1);
    both paths give the same hits (tests/test_fast_path.py).
    """
    index = LineIndex(doc.text)
    specific = rule_hits(doc, index=index)
    if not use_detect_secrets:
        return specific
    covered = [h.secret for h in specific] + [v for h in specific for v in h.companions.values()]
    hits = list(specific)
    seen_specific = {h.secret for h in specific}
    for hit in ds_plugins.scan_lines(doc, index, fast):
        if hit.secret in seen_specific:
            continue
        if any(hit.secret in value for value in covered):
            continue
        if hit.location.line is not None:
            local = hit.location.line - (doc.origin.line or 1) + 1
            if 0 < local <= len(index.starts) and ALLOWLIST.search(index.line_text(local)):
                continue
        hits.append(hit)
    return hits

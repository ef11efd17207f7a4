"""Runs detectors over a Document: our provider rules, then detect-secrets' plugins and filters.

Our rules run over the whole buffer (one regex per rule, gated by cheap literal keywords). The
detect-secrets plugins are line-based; they get each line with its context so their filters
(allowlist pragmas, heuristics, templated values) keep working exactly as in detect-secrets.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from collections.abc import Iterable

from scanner.detect import ds_plugins
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
    """Maps buffer offsets to 1-based line and column numbers."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        start = text.find("\n")
        while start >= 0:
            self.starts.append(start + 1)
            start = text.find("\n", start + 1)

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset) - 1
        return line + 1, offset - self.starts[line] + 1

    def line_text(self, line: int) -> str:
        start = self.starts[line - 1]
        end = self.starts[line] - 1 if line < len(self.starts) else len(self.text)
        return self.text[start:end]

    def window(self, line: int, radius: int) -> str:
        first = max(1, line - radius)
        last = min(len(self.starts), line + radius)
        start = self.starts[first - 1]
        end = self.starts[last] if last < len(self.starts) else len(self.text)
        return self.text[start:end]


def _secret_of(match: re.Match[str]) -> tuple[str, int] | None:
    groups = match.groupdict()
    for name in ("secret", "bearer"):
        value = groups.get(name)
        if value:
            return value, match.start(name)
    return None


def rule_hits(doc: Document, rules: Iterable[Rule] = RULES, index: LineIndex | None = None) -> list[Hit]:
    text = doc.text
    lowered = text.lower()
    index = index or LineIndex(text)
    hits: list[Hit] = []
    claimed: set[tuple[str, int]] = set()  # an earlier (more precise) rule wins the same match
    for rule in rules:
        if rule.keywords and not any(k in lowered for k in rule.keywords):
            continue
        for match in rule.pattern.finditer(text):
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


def detect(doc: Document, *, use_detect_secrets: bool = True) -> list[Hit]:
    """All hits in a document, generic hits dropped where a specific rule already covers them."""
    index = LineIndex(doc.text)
    specific = rule_hits(doc, index=index)
    if not use_detect_secrets:
        return specific
    covered = [h.secret for h in specific] + [v for h in specific for v in h.companions.values()]
    hits = list(specific)
    seen_specific = {h.secret for h in specific}
    for hit in ds_plugins.scan_lines(doc, index):
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

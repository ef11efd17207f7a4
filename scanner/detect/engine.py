"""Runs detectors over a Document: our provider rules, then detect-secrets' plugins and filters.

Our rules run over the whole buffer (one regex per rule, gated by cheap literal keywords). The
detect-secrets plugins are line-based; they get each line with its context so their filters
(allowlist pragmas, heuristics, templated values) keep working exactly as in detect-secrets.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from scanner.detect import ds_plugins, hosts, keywords, multimatch, own_output
from scanner.detect.catalog import active_rules, min_entropy, validator
from scanner.detect.checksums import checksum_ok, strict_checksums
from scanner.detect.filters import entropy, is_repeated_or_sequential, placeholder_reason, value_reason
from scanner.detect.prefilter import lowers_like_re_ignorecase
from scanner.detect.rules import Rule, classify_token
from scanner.model import Hit, Location
from scanner.sources.base import Document

ALLOWLIST = re.compile(r"pragma:\s*allowlist[ -]secret|credreach:allow|gitleaks:allow", re.I)
_NEWLINE = re.compile("\n")
ALLOW_COMMENT = "allow_comment"
"""``filtered_by`` of a credential on a line with an inline allow comment (a control, not a false alarm)."""

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
            self._starts = [0, *(match.end() for match in _NEWLINE.finditer(self.text))]
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


def rule_hits(doc: Document, rules: Iterable[Rule] | None = None, index: LineIndex | None = None) -> list[Hit]:
    """Hits of our rules (provider rules, catalog, user rules by default), before false-alarm filters."""
    if rules is None:
        rules = active_rules()
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
        return origin.at(origin.line + line - 1, column if line > 1 else (origin.column or 1) + column - 1)
    return origin.at(line, column)


def specific_reason(hit: Hit) -> str | None:
    """Why a provider/catalog rule match is not a credential: a placeholder or malformed look-alike."""
    secret = hit.secret
    check = validator(hit.rule)
    if check is not None and not check(secret):
        return "invalid_format"
    if "://" in secret:  # a URL rule: judge the password between ':' and '@' as a placeholder only
        userinfo = secret.split("://", 1)[1].rsplit("@", 1)[0]
        password = userinfo.split(":", 1)[1] if ":" in userinfo else ""
        return placeholder_reason(password) if password else None
    if secret.startswith("-----BEGIN") or "PRIVATE KEY" in secret[:80] or "\n" in secret:
        return None
    # A prefixed token is judged on its shape only: words inside its body ("Fixture", "Fake") are
    # how test trees name made-up tokens, and a provider demotes those offline anyway.
    reason = placeholder_reason(secret, words=False)
    if reason:
        return reason
    if hit.rule.startswith("detect-secrets:") and len(secret) < 20:
        return "wrong_length"  # no prefixed format detect-secrets knows is this short (xoxb-1-2-abc)
    body = re.sub(r"^(?:[A-Za-z0-9]{1,12}[_\-.]){1,3}", "", secret, count=1)
    if len(body) >= 8 and is_repeated_or_sequential(body, max_unit=4):
        return "repeated_or_sequential"
    wanted = min_entropy(hit.rule)
    if wanted is not None and entropy(body) < wanted:
        return "low_entropy"
    if strict_checksums() and not checksum_ok(secret):
        return "checksum"
    return None


_DIGEST_CONTEXT = re.compile(r"(?i)\b(?:sha(?:1|256|384|512)-|h1:)|\bintegrity\b|\bchecksum\b|\bsha(?:1|256|512)?sum\b")
_STRICT_SHAPES = ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "npm_", "xoxb-", "xoxp-",
                  "dckr_pat_", "sbp_", "hf_")


def generic_reason(hit: Hit, line: str = "") -> str | None:
    """Why a generic (keyword, entropy, URL) detect-secrets match is not a credential."""
    secret = hit.secret
    if hit.kind == "private_key":
        return None
    if hit.kind == "high_entropy_string" and _DIGEST_CONTEXT.search(line):
        return "hash_digest"  # package-lock integrity, go.sum h1:, checksum files
    if hit.kind == "basic_auth_url":
        return placeholder_reason(secret) or (None if len(secret) >= 4 else "too_short")
    if hit.kind == "high_entropy_string":
        return value_reason(secret, min_length=16, min_entropy=3.0)
    if hit.kind == "jwt":
        return placeholder_reason(secret)
    return value_reason(secret, min_length=8, min_entropy=2.5, words_allowed=False)


def _assignment_reason(found: keywords.Assignment) -> str | None:
    if found.style == "reference" or found.value.startswith(("$", "%")):
        return "variable_reference"
    if found.style == "url" or found.style == "basic":
        return placeholder_reason(found.value) or (None if len(found.value) >= 4 else "too_short")
    if found.password or found.style in ("cli", "sql"):
        return value_reason(found.value, min_length=6, min_entropy=1.9, words_allowed=True)
    return value_reason(found.value, min_length=10, min_entropy=2.6)


_ALLOWLIST_LOWER = re.compile(ALLOWLIST.pattern)
""":data:`ALLOWLIST` without ``re.I``, for lower-cased text (its pattern is written in lower case)."""


def has_allow_comment(text: str) -> bool:
    """Exactly ``ALLOWLIST.search(text) is not None``, without a case-insensitive regex over the file.

    ``re.I`` defeats ``re``'s literal search: over a 5 MB policy file full of ``"Allow"`` it took
    0.23 s, a third of the file's detection. Where ``text.lower()`` folds like ``re.I`` (no
    ``İ ı ſ``: prefilter's analysis over all of Unicode) and keeps every offset, the lower-case
    pattern on the lower-cased text answers the same; every match holds ``allowlist`` or
    ``:allow``, so most texts need no regex at all.
    """
    if not lowers_like_re_ignorecase(text):
        return ALLOWLIST.search(text) is not None
    lowered = text.lower()
    if "allowlist" not in lowered and ":allow" not in lowered:
        return False
    return _ALLOWLIST_LOWER.search(lowered) is not None


def _split_allowed(hits: list[Hit], doc: Document, index: LineIndex) -> tuple[list[Hit], list[Hit]]:
    """Credentials on a line with an inline allow comment, set apart as ``allow_comment`` hits.

    They are not dropped silently: an allow comment is a control written by whoever wrote the
    file, possibly an attacker, so the collector counts them, reports the count, and re-instates
    them where the comment comes from a change under review (scanner/controls.py).
    """
    kept: list[Hit] = []
    allowed: list[Hit] = []
    verdict: dict[int, bool] = {}
    for hit in hits:
        local = 0 if hit.location.line is None else hit.location.line - (doc.origin.line or 1) + 1
        if local not in verdict:
            verdict[local] = 0 < local <= len(index.starts) and ALLOWLIST.search(index.line_text(local)) is not None
        (allowed if verdict[local] else kept).append(hit)
    return kept, [h.dropped(ALLOW_COMMENT) for h in allowed]


def keyword_hits(doc: Document, index: LineIndex) -> list[Hit]:
    """Keyword-assigned secrets, Kubernetes Secret data and command-line/header/SQL/URL credentials."""
    text = doc.text
    hits: list[Hit] = []
    seen: set[int] = set()

    def add(value: str, offset: int, kind: str, rule: str, reason: str | None,
            companions: dict[str, str] | None = None) -> None:
        if not value or offset in seen or text[offset:offset + len(value)] != value:
            return
        seen.add(offset)
        line, column = index.position(offset)
        provider = "generic"
        specific = False
        classified = classify_token(value) if reason is None else None
        if classified is not None:
            provider, kind = classified
            specific = True
        elif classified is None and reason is None and value.startswith(_STRICT_SHAPES):
            reason = "malformed_token"  # a known prefix with the wrong length or alphabet
        hits.append(Hit(provider, kind, value, _at(doc.origin, line, column), rule, companions or {},
                        specific=specific, filtered_by=reason))

    for key, decoded, raw, offset in keywords.kubernetes_secret_values(text):
        reason = placeholder_reason(decoded) or value_reason(decoded, min_length=6, min_entropy=1.9,
                                                             words_allowed=True)
        add(raw, offset, "kubernetes_secret_data", "keyword:kubernetes-secret", reason,
            {"key": key} if raw == decoded else {"key": key, "decoded": decoded})
    for found in keywords.assignments(text, ds_plugins.detection_name(doc.origin.path)):
        kind = "password" if found.password else "secret_keyword"
        add(found.value, found.offset, kind, f"keyword:{found.style}", _assignment_reason(found))
    for found in keywords.pattern_assignments(text):
        kind = {"url": "basic_auth_url", "basic": "basic_auth", "header": "bearer_token"}.get(
            found.style, "password" if found.password else "secret_keyword")
        add(found.value, found.offset, kind, f"keyword:{found.style}", _assignment_reason(found))
    return hits


def detect(doc: Document, *, use_detect_secrets: bool = True, fast: bool | None = None) -> list[Hit]:
    """All hits in a document, generic hits dropped where a specific rule already covers them.

    Hits a false-alarm filter rejected come back too, with ``filtered_by`` set: the collector keeps
    them apart (``--show-filtered``); they are never credentials and never registered for redaction.
    ``fast`` picks detect-secrets' prefiltered path (default: on unless CREDREACH_NO_FAST_PATH=1);
    both paths give the same hits (tests/test_fast_path.py).
    """
    index = LineIndex(doc.text)
    specific: list[Hit] = []
    dropped: list[Hit] = []
    for hit in rule_hits(doc, index=index):
        reason = specific_reason(hit)
        if reason is None:
            specific.append(hit)
        else:
            dropped.append(hit.dropped(reason))
    covered = [h.secret for h in specific] + [v for h in specific for v in h.companions.values()]
    hits = list(specific)
    seen_specific = {h.secret for h in specific}

    def is_covered(secret: str) -> bool:
        return secret in seen_specific or any(secret in value for value in covered)

    judged: dict[str, str] = {}  # value -> the reason the keyword reader dropped it
    keyword_at: dict[tuple[str, int | None], int] = {}  # (value, line) -> index in hits
    for hit in keyword_hits(doc, index):
        if is_covered(hit.secret):
            continue
        if hit.filtered_by is not None:
            judged.setdefault(hit.secret, hit.filtered_by)
            dropped.append(hit)
            continue
        keyword_at[(hit.secret, hit.location.line)] = len(hits)
        hits.append(hit)
    if use_detect_secrets:
        for hit in ds_plugins.scan_lines(doc, index, fast):
            if is_covered(hit.secret):
                continue
            local = 0 if hit.location.line is None else hit.location.line - (doc.origin.line or 1) + 1
            line_text = index.line_text(local) if 0 < local <= len(index.starts) else ""
            same = keyword_at.get((hit.secret, hit.location.line))
            if same is not None:
                if hit.specific and not hits[same].specific and specific_reason(hit) is None:
                    hits[same] = hit  # a plugin that knows the format names it better than a keyword
                continue  # the keyword reader already reported this value here
            if not hit.specific and hit.secret in judged:
                continue  # the keyword reader already dropped this value, and said why
            reason = specific_reason(hit) if hit.specific else generic_reason(hit, line_text)
            if reason is not None:
                dropped.append(hit.dropped(reason))
                continue
            hits.append(hit)
    own = own_output.fingerprint_values(doc.text)  # a baseline/report/SARIF's own fingerprints
    if own:
        dropped += [h.dropped(own_output.FILTER_REASON) for h in hits if h.secret in own]
        hits = [h for h in hits if h.secret not in own]
    if hits and has_allow_comment(doc.text):
        hits, allowed = _split_allowed(hits, doc, index)
        dropped += allowed
    if any(h.provider in hosts.HOST_VARIABLES for h in hits):
        hits = hosts.attach_hosts(hits, {**hosts.host_context(doc.text), **doc.hosts})
    kept_secrets = {h.secret for h in hits}
    unique: dict[tuple[str, int | None], Hit] = {}
    for hit in dropped:  # one entry per value and line, whichever detector saw it first
        if hit.secret not in kept_secrets:
            unique.setdefault((hit.secret, hit.location.line), hit)
    return hits + list(unique.values())

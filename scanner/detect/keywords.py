"""Keyword-assigned secrets: a value given to a name that says credential, in any file syntax.

An agent reading ``db: {password: s3cr3t-Pa55}`` sees a password whether or not the value has a
known prefix. This module finds such assignments in .env/shell (``export``, ``set``), YAML
(nested, multi-document, the value on the next line or in a ``|`` block), JSON, INI/TOML/
properties, XML elements and ``key=/value=`` attributes (Maven, Jenkins, web.config), HCL,
source code (assignments, dict/map literals, keyword arguments), Dockerfile ``ENV``/``ARG``,
command lines and logs (``--password x``, ``curl -u user:pass``, ``Authorization: Bearer``,
``mysql -pX``, ``sshpass -p``, ``docker login -p``), SQL (``IDENTIFIED BY``, ``PASSWORD '…'``),
connection strings (``Password=``/``Pwd=``, JDBC, Redis/Mongo/AMQP/... URLs with a password) and
Kubernetes ``Secret`` objects (base64 ``data:`` decoded).

It does not parse each syntax: one scan finds credential words, and at each the name around it
and the value after it are read with a small hand-written reader that knows the separators of
those syntaxes. Every step is bounded (names <= 80 characters, values <= 500, the next line), so
the cost is linear in the text; there is no regular expression with nested repetition.
Whether a value can be a credential is decided by :mod:`scanner.detect.filters`.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from scanner.detect.filters import segments_into_words
from scanner.detect.prefilter import LiteralFinder, lowers_like_re_ignorecase

# Credential words; the identifier around each is then split into parts and judged.
_WORD = re.compile(r"pass|pwd|secret|token|key|auth|credential|creds|bearer|webhook|dsn|conn|signature|"
                   r"\bpw\b|_pw\b|sas\b|sig\b", re.I)
_IDENT = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")

PASSWORD_PARTS = frozenset({"password", "passwd", "pwd", "pass", "passphrase", "pw", "passcode", "passw",
                            "pword", "kennwort", "contrasena", "motdepasse"})
SECRET_PARTS = frozenset({
    "secret", "secrets", "token", "apikey", "credential", "credentials", "creds", "bearer", "webhook",
    "dsn", "connectionstring", "connstr", "connstring", "sas", "accountkey", "authtoken", "authkey",
    "privatekey", "clientsecret", "secretkey", "accesskey", "accesstoken", "refreshtoken", "apitoken",
    "apisecret", "signingkey", "masterkey", "sharedaccesskey", "sharedaccesssignature", "sig",
    "encryptionkey", "licensekey", "appkey", "appsecret", "consumersecret", "sessiontoken", "idtoken",
    "authorization", "auth", "signature", "oauth", "jwt", "pat", "connection",
})
_KEY_QUALIFIERS = frozenset({
    "api", "secret", "access", "private", "client", "auth", "master", "account", "signing", "encryption",
    "license", "app", "application", "service", "webhook", "consumer", "shared", "storage", "subscription",
    "admin", "write", "read", "ingest", "server", "deploy", "integration", "live", "prod", "production",
    "dev", "test", "staging", "sandbox", "rest", "hmac", "crypt", "cipher", "session", "stripe", "sendgrid",
    "datadog", "dd", "mailgun", "mailchimp", "twilio", "algolia", "firebase", "google", "gcp", "azure",
    "aws", "openai", "anthropic", "github", "gitlab", "slack", "heroku", "vercel", "cloudflare", "sentry",
    "pagerduty", "newrelic", "segment", "mixpanel", "pusher", "postmark", "shopify", "square", "paypal",
    "braintree", "okta", "auth0", "jwt", "django", "flask", "rails", "laravel", "app_secret", "x",
})
# Parts that make a name about a credential without being one (its id, file, length, type, ...).
_NOT_SECRET_PARTS = frozenset({
    "public", "pub", "id", "ids", "file", "files", "path", "paths", "dir", "url", "uri", "urls", "endpoint",
    "type", "types", "name", "names", "length", "len", "size", "expiry", "expires", "expiration", "expire",
    "expired", "timeout", "ttl", "header", "headers", "field", "fields", "prefix", "suffix", "regex",
    "pattern", "format", "policy", "policies", "count", "max", "min", "enabled", "enable", "disabled",
    "required", "method", "methods", "mode", "version", "label", "placeholder", "hint", "reset", "forgot",
    "validation", "validator", "validate", "strategy", "provider", "host", "port", "user", "username",
    "email", "location", "class", "kind", "param", "input", "text", "message", "msg", "error", "errors",
    "store", "manager", "helper", "generator", "rotation", "lifetime", "age", "duration", "scope", "scopes",
    "fingerprint", "hdr", "algorithm", "alg", "index", "column", "table", "query", "event", "request", "response",
    "handler", "callback", "button", "form", "modal", "dialog", "page", "route", "view", "schema", "key_id",
    "keyid", "arn", "ref", "hash", "hashed", "salt", "encrypted", "confirm", "confirmation", "old", "new",
    "repeat", "strength", "complexity", "chars", "characters", "prompt", "env", "var", "variable", "source",
    "storage_class", "primary", "foreign", "sort", "partition", "cache", "hotkey", "lookup", "unique",
    "composite", "idempotency", "shortcut", "routing", "object", "map", "dict", "row", "range", "order",
    "secretary", "author", "authors", "authority", "authorize", "authorized", "authenticated", "authenticate",
    "authentication", "tokenizer", "tokenize", "tokens_used", "passport", "bypass", "compass", "passenger",
    "passed", "passing", "passes", "keyboard", "keys", "keyword", "keywords", "keystore", "keyring",
    "keychain", "monkey", "turkey", "donkey", "hockey", "whiskey", "jockey", "connect", "connected",
    "connector", "connections", "pool", "limit", "retries", "retry", "interval", "status", "state", "flag",
    "level", "usage", "uses", "use", "issuer", "audience", "aud", "iss", "claims", "tag", "tags", "value_from",
    "ssm", "vault_path", "secret_name", "secretname", "secretref", "secret_ref", "mount", "volume", "volumes",
    "item", "items", "list", "exists", "present", "missing", "invalid", "valid", "check", "test_case",
    "sample", "example", "dummy", "mock", "fake", "description", "desc", "help", "doc", "docs", "comment",
})
_CODE_EXTENSIONS = frozenset({
    "py", "js", "jsx", "ts", "tsx", "mjs", "cjs", "go", "java", "kt", "kts", "scala", "cs", "rb", "php",
    "rs", "swift", "c", "h", "cc", "cpp", "hpp", "m", "dart", "groovy", "lua", "pl", "r", "jl", "ex", "exs",
    "clj", "fs", "vb", "vue", "svelte",
})
_QUOTES = "\"'`"
_IDENTIFIER_CHAIN = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$")
_BARE_STOP = frozenset(" \t\r\n\"'`;,<>(){}[]")
_MAX_NAME = 80
_MAX_VALUE = 500


@dataclass(frozen=True)
class Assignment:
    """A value assigned to a credential-looking name; ``offset`` is where the value starts."""

    name: str
    value: str
    offset: int
    style: str
    """How it was written: assign, xml, cli, sql, header, url, basic, k8s, next-line."""
    quoted: bool
    password: bool
    """The name says password (shorter, less random values still count)."""


def name_parts(name: str) -> list[str]:
    """``SENDGRID_API_KEY`` -> [sendgrid, api, key]; ``datadog.apiKey`` -> [datadog, api, key]."""
    parts: list[str] = []
    for chunk in re.split(r"[_.\-\s]+", name.strip("-_.$@:")):
        parts.extend(p.lower() for p in _CAMEL.split(chunk) if p)
    return parts


_NOT_BEFORE_PARTS = frozenset({
    "public", "pub", "primary", "foreign", "sort", "partition", "cache", "lookup", "unique", "composite",
    "idempotency", "routing", "object", "map", "dict", "row", "range", "order", "forgot", "reset", "confirm",
    "confirmation", "repeat", "hashed", "hash", "min", "max", "sample", "example", "dummy", "mock", "fake",
    "placeholder", "is", "has", "use", "get", "show", "hide", "toggle", "validate", "check", "no", "without",
    "missing", "invalid", "next", "page", "csrf", "xsrf", "cancel", "cancellation", "continuation", "sync",
    "pagination", "hotkey", "shortcut", "ssh", "gpg", "pgp",
})


def _qualified_key(parts: list[str], i: int) -> bool:
    """``key`` needs a qualifier before it: api_key, DD_KEY, apiKey, masterkey."""
    part = parts[i]
    if part == "key":
        return i > 0 and (parts[i - 1] in _KEY_QUALIFIERS or parts[0] in _KEY_QUALIFIERS)
    return part.endswith("key") and part[:-3] in _KEY_QUALIFIERS


@lru_cache(maxsize=4096)
def credential_name(name: str) -> tuple[bool, bool] | None:
    """(is a password, True) when ``name`` names a credential; None otherwise.

    The credential part must be a whole part (``api_key`` yes, ``keyboard`` no); a part after it
    that makes the name about something else (``password_file``, ``token_url``, ``api_key_id``) or
    before it that qualifies it away (``public_key``, ``primary_key``, ``csrf_token``) rejects it.
    """
    parts = name_parts(name)
    if not parts or len(parts) > 8:
        return None
    hit_at: int | None = None
    password = False
    for i, part in enumerate(parts):
        if part in PASSWORD_PARTS or part.endswith("password"):
            hit_at, password = i, True
        elif part in SECRET_PARTS or _qualified_key(parts, i):
            hit_at = i
        else:
            continue
        if password:
            break
    if hit_at is None:
        return None
    if any(p in _NOT_SECRET_PARTS for p in parts[hit_at + 1:]):
        return None
    if any(p in _NOT_BEFORE_PARTS for p in parts[:hit_at]):
        return None
    return password, True


def _quoted(text: str, pos: int, limit: int) -> tuple[str, int] | None:
    """The string literal starting at ``pos`` (a quote) on its line: (content, content offset)."""
    quote = text[pos]
    i = pos + 1
    end = min(limit, pos + 1 + _MAX_VALUE)
    while i < end:
        char = text[i]
        if char == "\\" and quote != "'":
            i += 2
            continue
        if char == quote:
            return text[pos + 1:i], pos + 1
        if char == "\n":
            return None
        i += 1
    return None


def _bare(text: str, pos: int, limit: int, stops: frozenset[str]) -> tuple[str, int]:
    i = pos
    end = min(limit, pos + _MAX_VALUE)
    while i < end and text[i] not in stops:
        i += 1
    return text[pos:i], pos


def _line_bounds(text: str, pos: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return start, len(text) if end < 0 else end


def _next_line_value(text: str, line_end: int, key_indent: int) -> tuple[str, int] | None:
    """YAML: the value of ``key:`` on the following, deeper-indented line (plain or ``|``/``>`` block)."""
    pos = line_end + 1
    for _ in range(3):  # skip at most two blank lines
        if pos >= len(text):
            return None
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        line = text[pos:end]
        stripped = line.strip()
        if stripped:
            indent = len(line) - len(line.lstrip())
            if indent <= key_indent or stripped.startswith(("-", "#")) or re.match(r"[\w.\-\"']+\s*:(?:\s|$)",
                                                                                   stripped):
                return None
            start = pos + indent
            value = stripped.strip("\"'")
            return value, start + (1 if stripped[:1] in "\"'" else 0)
        pos = end + 1
    return None


def _tail(text: str, line_start: int, name_start: int) -> str:
    """``text[line_start:name_start].rstrip()[-2:]``, read backwards from the name."""
    end = name_start
    while end > line_start and text[end - 1].isspace():
        end -= 1
    return text[max(line_start, end - 2):end]


def _indent(text: str, line_start: int, name_start: int) -> int:
    """``len(before) - len(before.lstrip())`` for ``before = text[line_start:name_start]``."""
    pos = line_start
    while pos < name_start and text[pos].isspace():
        pos += 1
    return pos - line_start


def _attribute_name_before(text: str, line_start: int, name_start: int) -> bool:
    """``re.search(r"(?:key|name)\\s*=\\s*[\"']$", text[line_start:name_start])``, read backwards."""
    pos = name_start - 1
    if pos < line_start or text[pos] not in "\"'":
        return False
    while pos > line_start and text[pos - 1].isspace():
        pos -= 1
    if pos <= line_start or text[pos - 1] != "=":
        return False
    pos -= 1
    while pos > line_start and text[pos - 1].isspace():
        pos -= 1
    return (pos - 3 >= line_start and text[pos - 3:pos] == "key") or (
        pos - 4 >= line_start and text[pos - 4:pos] == "name")


_DIRECTIVE = re.compile(r"(?i)(?:ENV|ARG|set|setenv|SetEnv|export)\s+")


def _directive_before(text: str, line_start: int, name_start: int) -> bool:
    """``re.match(r"(?i)(?:ENV|ARG|set|setenv|SetEnv|export)\\s+$", before.lstrip())`` without
    copying ``before`` (anchored at both ends, the match fails within a few characters)."""
    begin = line_start + _indent(text, line_start, name_start)
    return _DIRECTIVE.fullmatch(text, begin, name_start) is not None


def _reader(text: str, name_start: int, name_end: int, line_start: int, line_end: int,
            code: bool) -> tuple[str, int, str, bool] | None:
    """(value, offset, style, quoted) for the name at [name_start, name_end), if a value follows it."""
    pos = name_end
    # closing quote/bracket of the name: "password": / ['password'] = / `token` =
    for _ in range(2):
        if pos < line_end and text[pos] in "\"']`":
            pos += 1
    while pos < line_end and text[pos] in " \t":
        pos += 1
    rest = text[pos:min(line_end, pos + 4)]
    style = "assign"
    # What precedes the name on its line is only looked at near the name (never copied whole: a
    # minified line holds thousands of names), each test equal to its form on the whole prefix.
    tail = _tail(text, line_start, name_start)
    if name_start > line_start and text[name_start - 1] == "<" and rest.startswith(">"):  # <password>value
        close = text.find("<", pos + 1, line_end)
        if close < 0:
            return None
        value = text[pos + 1:close].strip()
        return value, text.find(value, pos + 1, close + 1) if value else pos + 1, "xml", True
    if _attribute_name_before(text, line_start, name_start):  # <add key="DbPassword" value="..."/>
        attr = re.compile(r"[\"']\s+value\s*=\s*").match(text, name_end, line_end)
        if attr is None or attr.end() >= line_end or text[attr.end()] not in "\"'":
            return None
        found = _quoted(text, attr.end(), line_end)
        return (found[0], found[1], "xml", True) if found else None
    separator = None
    for sep in (":=", "=>", "?=", "||=", "::", "=", ":"):
        if rest.startswith(sep):
            separator = sep
            break
    if separator == "=" and rest[1:2] in ("=", "~"):
        return None  # comparison, not assignment
    if separator is not None:
        if pos > name_end and tail.endswith(("==", "!=")):
            return None
        name_quoted = text[name_end:name_end + 1] in "\"'`]"
        after_sep = text[pos + len(separator):pos + len(separator) + 1]
        if separator == ":" and not name_quoted and after_sep not in (" ", "\t", "\n", "\r", "\"", "'", ""):
            return None  # urn:oauth:x, host:port, a:b: YAML needs ": ", JSON quotes its names
        pos += len(separator)
        while pos < line_end and text[pos] in " \t":
            pos += 1
    else:
        cli = text[name_start - 1:name_start] == "-" or text[name_start:name_start + 1] == "-"
        directive = _directive_before(text, line_start, name_start)
        quoted_next = pos < line_end and text[pos] in _QUOTES and pos > name_end
        if not (cli and pos > name_end) and not (directive and pos > name_end) and not quoted_next:
            return None
        style = "cli" if cli else "assign"
    if pos >= line_end or text[pos] in "|>" and text[pos + 1:line_end].strip() in ("", "-", "+"):
        if separator != ":":
            return None
        nxt = _next_line_value(text, line_end, _indent(text, line_start, name_start))
        return (nxt[0], nxt[1], "next-line", True) if nxt else None
    char = text[pos]
    if char == "\\" and pos + 1 < line_end and text[pos + 1] in "\"'":  # \"value\" inside JSON (notebooks)
        close = text.find("\\" + text[pos + 1], pos + 2, min(line_end, pos + 2 + _MAX_VALUE))
        return (text[pos + 2:close], pos + 2, style, True) if close > pos + 2 else None
    if char in "brfuBRFU@$" and pos + 1 < line_end and text[pos + 1] in _QUOTES and code:
        pos += 1  # b"..." r'...' f"..." @"..." $"..."
        char = text[pos]
    if char in _QUOTES:
        found = _quoted(text, pos, line_end)
        if found is None:
            return None
        return found[0], found[1], style, True
    after_query = name_start > line_start and text[name_start - 1] in "?&"
    stops = _BARE_STOP | (frozenset("&") if after_query else frozenset())
    if separator == ":" and not code and not tail.endswith(("{", ",")):
        stops = stops - frozenset(",") - frozenset("<>(){}[]")
        value, offset = _bare(text, pos, line_end, frozenset(" \t\r\n\"'`;"))
        hash_at = value.find(" #")
        value = value if hash_at < 0 else value[:hash_at]
        return value, offset, style, False
    value, offset = _bare(text, pos, line_end, stops)
    return value, offset, style, False


def _is_code(path: str) -> bool:
    name = path.rsplit("/", 1)[-1].lower()
    return "." in name and name.rsplit(".", 1)[-1] in _CODE_EXTENSIONS


# The literals of _WORD (each alternative, lower case) and of the gates of _PATTERNS below: found in
# one pass (prefilter.LiteralFinder), after which the per-syntax reading runs only where they occur.
_WORD_LITERALS = ("pass", "pwd", "secret", "token", "key", "auth", "credential", "creds", "bearer", "webhook",
                  "dsn", "conn", "signature", "pw", "sas", "sig")
_GATES = ("authorization", "bearer", "-u", "mysql", "sshpass", "redis-cli", "login", "identified", "jdbc:oracle",
          "://")
_FINDER = LiteralFinder(_WORD_LITERALS + _GATES)


def _is_word(char: str) -> bool:
    """``re``'s ``\\w`` for ``str`` patterns."""
    return char.isalnum() or char == "_"


def _literal_hits(text: str) -> dict[str, list[int]] | None:
    """Where each literal occurs (case-insensitively, as ``re.I`` would see it), or None when
    ``text.lower()`` would not fold like ``re.I`` (``İ ı ſ``): then the exact regexes run instead."""
    global _last_hits
    last = _last_hits
    if last is not None and last[0] is text:
        return last[1]  # assignments() and pattern_assignments() run one after the other on a text
    hits = _FINDER.find_all(text) if lowers_like_re_ignorecase(text) else None
    _last_hits = (text, hits)
    return hits


_last_hits: tuple[str, dict[str, list[int]] | None] | None = None
"""The last text's literal positions (one entry, checked by identity: no text is confused)."""


def _word_spans(text: str, hits: dict[str, list[int]] | None) -> list[tuple[int, int]]:
    """Exactly ``[(m.start(), m.end()) for m in _WORD.finditer(text)]``, from the literal positions.

    At any offset at most one alternative of ``_WORD`` can match (their first letters and the
    boundary conditions exclude each other), so ``finditer``'s leftmost, non-overlapping scan is
    the greedy pass over the candidates sorted by start.
    """
    if hits is None:
        return [(m.start(), m.end()) for m in _WORD.finditer(text)]
    size = len(text)
    candidates: list[tuple[int, int]] = []
    for literal in _WORD_LITERALS:
        positions = hits.get(literal)
        if not positions:
            continue
        width = len(literal)
        if literal == "pw":  # \bpw\b | _pw\b
            for start in positions:
                end = start + 2
                if end < size and _is_word(text[end]):
                    continue
                if start == 0 or not _is_word(text[start - 1]):
                    candidates.append((start, end))
                elif text[start - 1] == "_":
                    candidates.append((start - 1, end))
        elif literal in ("sas", "sig"):  # sas\b | sig\b
            candidates.extend((start, start + 3) for start in positions
                              if start + 3 >= size or not _is_word(text[start + 3]))
        else:
            candidates.extend((start, start + width) for start in positions)
    candidates.sort()
    spans: list[tuple[int, int]] = []
    last = 0
    for start, end in candidates:
        if start >= last:
            spans.append((start, end))
            last = end
    return spans


class _Lines:
    """Line bounds and quote parity around increasing offsets, each line read once.

    Offsets come in increasing order, so a long line (minified code) is searched for its bounds
    once and its quotes counted once, not once per credential word on it.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.start = self.end = -1
        self.counted = 0
        self.double = self.single = 0

    def bounds(self, pos: int) -> tuple[int, int]:
        if not self.start <= pos <= self.end:
            self.start, self.end = _line_bounds(self.text, pos)
            self.counted, self.double, self.single = self.start, 0, 0
        return self.start, self.end

    def inside_string(self, upto: int) -> bool:
        """An odd number of ``"`` or of ``'`` between the current line's start and ``upto``."""
        if upto < self.counted:
            self.counted, self.double, self.single = self.start, 0, 0
        self.double += self.text.count('"', self.counted, upto)
        self.single += self.text.count("'", self.counted, upto)
        self.counted = max(self.counted, upto)
        return self.double % 2 == 1 or self.single % 2 == 1


def assignments(text: str, path: str = "") -> Iterator[Assignment]:
    """Every credential-named assignment in ``text`` (values not yet judged)."""
    code = _is_code(path)
    done: set[int] = set()
    lines = _Lines(text)
    for start, end in _word_spans(text, _literal_hits(text)):
        if start in done:
            continue
        left = start
        while left > 0 and start - left < _MAX_NAME and text[left - 1] in _IDENT:
            left -= 1
        right = end
        while right < len(text) and right - end < _MAX_NAME and text[right] in _IDENT:
            right += 1
        if left in done:
            continue
        done.add(left)
        name = text[left:right].rstrip(".-")
        right = left + len(name)
        judged = credential_name(name)
        if judged is None:
            continue
        line_start, line_end = lines.bounds(left)
        read = _reader(text, left, right, line_start, line_end, code)
        if read is None:
            continue
        value, offset, style, quoted = read
        upto = left - 1 if left > line_start and text[left - 1] in "\"'" else left  # the name's own quote
        inside_string = lines.inside_string(upto)
        if code and style == "next-line":
            continue  # `if token:` and the line after it: a YAML shape only outside source code
        if not quoted and style in ("assign", "cli"):
            after = offset + len(value)
            if (code and style == "assign" and not inside_string) or text[after:after + 1] in ("(", "[") \
                    or (_IDENTIFIER_CHAIN.match(value) and segments_into_words(value)):
                style = "reference"  # password = settings.DB_PASSWORD / load_key(...): a name, not a value
        for scheme in ("Bearer ", "bearer ", "Basic ", "basic ", "token ", "Token "):
            if value.startswith(scheme) and len(value) > len(scheme) + 8:
                value, offset = value[len(scheme):], offset + len(scheme)
                break
        yield Assignment(name, value, offset, style, quoted, judged[0])


# --- command lines, headers, SQL, URLs ---------------------------------------------------------
_PATTERNS: tuple[tuple[str, bool, re.Pattern[str]], ...] = (
    ("header", False, re.compile(
        r"(?i)\bauthorization[\"']?\s*[:=]\s*[\"']?(?:bearer|token|bot|ssws|apikey)\s+"
        r"(?P<v>[A-Za-z0-9._~+/=\-]{12,2000})")),
    ("basic", True, re.compile(r"(?i)\bauthorization[\"']?\s*[:=]\s*[\"']?basic\s+(?P<v>[A-Za-z0-9+/]{8,400}={0,2})")),
    ("header", False, re.compile(r"(?i)(?<![\w-])bearer\s+(?P<v>[A-Za-z0-9._~+/\-]{20,2000}={0,2})")),
    ("cli", True, re.compile(r"(?:^|[\s\"'])(?:-u|--user)[\s=]+[\"']?[^\s:\"'@]{1,100}:(?P<v>[^\s\"'@]{1,200})")),
    ("cli", True, re.compile(r"\bmysql(?:dump|admin|sh|import)?\b[^\n]{0,200}?\s-p(?P<v>[^\s\"'-][^\s\"']{2,200})")),
    ("cli", True, re.compile(r"\bsshpass\s+-p\s*[\"']?(?P<v>[^\s\"']{3,200})")),
    ("cli", True, re.compile(r"\bredis-cli\b[^\n]{0,200}?\s-a\s+[\"']?(?P<v>[^\s\"']{3,200})")),
    ("cli", True, re.compile(r"\blogin\b[^\n]{0,200}?\s(?:-u|--username)[\s=]+\S{1,100}\s+-p\s*[\"']?"
                             r"(?P<v>[^\s\"'-][^\s\"']{2,200})")),
    ("sql", True, re.compile(r"(?i)\bIDENTIFIED\s+(?:WITH\s+\w{1,40}\s+)?BY\s+(?:PASSWORD\s+)?"
                             r"[\"'](?P<v>[^\"'\n]{1,200})[\"']")),
    ("cli", True, re.compile(r"\bjdbc:oracle:thin:[\w.\-]{1,100}/(?P<v>[^@\s/\"']{1,200})@")),
    ("url", True, re.compile(
        r"\b(?P<scheme>amqps?|smtps?|ftps?|sftp|ldaps?|https?|mssql|sqlserver|oracle|redis|rediss|mongodb|"
        r"mongodb\+srv|mysql|postgres|postgresql|mariadb|nats|kafka|git|svn|ssh|telnet|imap|pop3|ws|wss)"
        r"://[^\s:/@'\"<>]{1,100}:(?P<v>[^\s@'\"<>/]{1,200})@[\w.\-\[\]]{1,253}")),
)


# Per pattern: the literal every match contains (found in lower case) and how far before it a match
# can start (`-u` inside ` --user`: 2; `://` after the longest scheme, `mongodb+srv`: 11).
_GATED = tuple(zip(_PATTERNS, ("authorization", "authorization", "bearer", "-u", "mysql", "sshpass", "redis-cli",
                               "login", "identified", "jdbc:oracle", "://"),
                   (0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 11), strict=True))


def pattern_assignments(text: str) -> Iterator[Assignment]:
    """Command-line, header, SQL and URL credentials (each regex bounded, gated by a literal).

    Each regex is tried only at the offsets where one of its matches could start, read off the
    positions of its gate literal: the same matches as ``finditer`` over the whole text (which
    the test compares), without running any regex over text that holds no gate.
    """
    hits = _literal_hits(text)
    if hits is None:
        yield from _pattern_assignments_everywhere(text)
        return
    for (style, password, pattern), gate, back in _GATED:
        positions = hits.get(gate)
        if not positions:
            continue
        starts = sorted({max(0, at - shift) for at in positions for shift in range(back + 1)}) if back else positions
        resume = 0
        for start in starts:
            if start < resume:
                continue
            match = pattern.match(text, start)
            if match is None:
                continue
            resume = match.end()
            yield Assignment(style, match.group("v"), match.start("v"), style, True, password)


def _pattern_assignments_everywhere(text: str) -> Iterator[Assignment]:
    """The plain form: every pattern over the whole text (for text ``lower()`` does not fold like ``re.I``)."""
    lowered = text.lower()
    for (style, password, pattern), gate, _ in _GATED:
        if gate not in lowered:
            continue
        for match in pattern.finditer(text):
            yield Assignment(style, match.group("v"), match.start("v"), style, True, password)


# --- Kubernetes Secrets ------------------------------------------------------------------------
_K8S_SECRET = re.compile(r"(?m)^kind:\s*[\"']?Secret[\"']?\s*$")


def kubernetes_secret_values(text: str) -> Iterator[tuple[str, str, str, int]]:
    """(key, decoded value, raw value, offset) for each entry of a Secret's ``data:``/``stringData:``."""
    if "Secret" not in text or _K8S_SECRET.search(text) is None:
        return
    section: str | None = None
    section_indent = 0
    position = 0
    for line in text.split("\n"):
        start = position
        position += len(line) + 1
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        if stripped == "---":
            section = None
            continue
        head = re.match(r"(data|stringData):\s*$", stripped)
        if head:
            section, section_indent = head.group(1), indent
            continue
        if section is None:
            continue
        if indent <= section_indent:
            section = None
            continue
        entry = re.match(r"([\w.\-]{1,253})\s*:\s*[\"']?([^\s\"']{1,20000})[\"']?\s*$", stripped)
        if entry is None:
            continue
        key, raw = entry.group(1), entry.group(2)
        offset = start + line.find(raw, indent + len(key))
        if section == "stringData":
            yield key, raw, raw, offset
            continue
        try:
            decoded = base64.b64decode(raw, validate=True).decode("utf-8").strip()
        except (binascii.Error, ValueError, UnicodeDecodeError):
            continue
        if decoded and decoded.isprintable():
            yield key, decoded, raw, offset

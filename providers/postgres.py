"""PostgreSQL: log in with a found connection URL or password and read the catalog, nothing else.

Why this is safe enough to run against someone's database:

* the host is part of the credential (it sits next to the password), so the provider connects
  only when the user said so: ``--verify-embedded-hosts`` (use the URL's host) or
  ``--endpoint postgres=HOST:PORT`` (use that host instead);
* the session starts read-only: ``default_transaction_read_only=on`` and ``statement_timeout`` go
  in the startup packet, then ``SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY`` and
  ``BEGIN READ ONLY``; the provider checks ``transaction_read_only`` is really on before any
  catalog query and ends with ``ROLLBACK``;
* every statement passes :func:`check_statement`: :func:`tokenize` reads it by PostgreSQL's own
  lexical rules (comments ended by LF or CR, nested ``/* */``, ``E''``/``U&''`` strings, dollar
  quoting, quoted identifiers), then an allow-list of shapes (one SELECT or ``WITH … AS (SELECT …)
  SELECT``, a few SETs, BEGIN READ ONLY, ROLLBACK) and of functions (:data:`ALLOWED_FUNCTIONS`)
  refuses anything else: multiple statements, ``SELECT … INTO``, row locks, data-modifying CTEs
  and any function not on the list, quoted or not.

What it reports (paraphrasing trufflehog's postgres analyzer, see shared/reference/providers.md
§25): role attributes (``rolsuper``, ``rolcreatedb``, ``rolcreaterole``, ``rolbypassrls``,
``rolreplication``), membership in predefined roles (``pg_write_all_data``, ``pg_read_all_data``,
``pg_database_owner``, ``pg_execute_server_program``), which databases it owns (DROP DATABASE),
and in the connected database which tables it owns or may DELETE/TRUNCATE/UPDATE/INSERT/SELECT.
"""

from __future__ import annotations

import contextlib
import re
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import parse_qs, unquote, urlsplit

from providers.base import (
    Introspection,
    Provider,
    ProviderContext,
    invalid,
    live,
    unverifiable,
)
from scanner.model import Action, BlastRadius, Capability, Credential, EnvClass, Resource
from scanner.redact import REDACTOR, safe_error

EMBEDDED_HOST_REASON = ("database host comes from the scanned file; pass --verify-embedded-hosts or "
                        "--endpoint postgres=HOST:PORT")
STATEMENT_TIMEOUT_MS = 5000
MAX_TABLES = 5000
MAX_TABLE_RESOURCES = 50
DEFAULT_PORT = 5432


class StatementRefused(RuntimeError):
    """Raised instead of sending a SQL statement that is not a catalog read."""


# ---------------------------------------------------------------------------------------------
# The SQL guard
# ---------------------------------------------------------------------------------------------

_ALLOWED_SETS = re.compile(
    r"^SET\s+(?:SESSION\s+)?(?:"
    r"SESSION\s+CHARACTERISTICS\s+AS\s+TRANSACTION\s+READ\s+ONLY"
    r"|TRANSACTION\s+READ\s+ONLY"
    r"|(?:statement_timeout|lock_timeout|idle_in_transaction_session_timeout)\s*(?:=|TO)\s*'?\d+'?"
    r"|default_transaction_read_only\s*(?:=|TO)\s*'?on'?"
    r")$", re.I)
_ALLOWED_BEGIN = re.compile(r"^(?:BEGIN(?:\s+TRANSACTION|\s+WORK)?|START\s+TRANSACTION)\s+READ\s+ONLY$", re.I)
_ALLOWED_ROLLBACK = re.compile(r"^ROLLBACK(?:\s+TRANSACTION|\s+WORK)?$", re.I)

ALLOWED_FUNCTIONS = frozenset({
    # what this module's own catalog queries call
    "current_database", "current_setting", "pg_is_in_recovery", "pg_has_role", "pg_get_userbyid",
    "has_database_privilege", "has_table_privilege", "any", "cast",
    # obviously pure reads and expressions
    "has_schema_privilege", "version", "current_schema", "count", "coalesce", "nullif", "greatest",
    "least", "array_agg", "lower", "upper", "length",
})
"""Every function a SELECT may call, by exact name (a quoted name is compared as written). Anything
else, including every function with a side effect (``pg_terminate_backend``, ``set_config``,
``lo_*``, ``pg_*advisory*``, ``pg_create_*_slot``, ``dblink``, ``nextval``, ``pg_read_file``, …),
is refused by not being here."""

# Keywords that may stand before "(" without being a function call. Only reserved and column-name
# keywords, which PostgreSQL never reads as a function name; ``OVER``, ``FILTER``, ``MATERIALIZED``
# and ``BY`` can name functions, so they pass only in their own place.
_PAREN_KEYWORDS = frozenset({
    "select", "from", "where", "and", "or", "not", "in", "exists", "as", "on", "using",
    "when", "then", "else", "case", "having", "limit", "offset", "union", "intersect", "except",
    "all", "some", "between", "group", "distinct", "array", "row", "values", "lateral", "with", "end",
})
_AFTER_CALL_KEYWORDS = frozenset({"over", "filter"})
_BY_AFTER = frozenset({"group", "order", "partition"})  # BY is unreserved: `by(1)` could be a call
# Unquoted words that make a SELECT write, lock or create something: refused wherever they occur.
# (UESCAPE changes what a U& string's escapes mean: not used, so not guessed at.)
_WRITING_WORDS = frozenset({"into", "insert", "update", "delete", "merge", "truncate", "copy", "call",
                            "lock", "notify", "execute", "uescape"})
_ROW_LOCKS = frozenset({"update", "share", "no", "key"})

_SPACE = " \t\n\r\f\v"
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_OP_CHARS = "+-*/<>=~!@#%^&|`?,()[].:;"


@dataclass(frozen=True)
class Token:
    kind: str
    """``word`` (unquoted, lower-cased), ``quoted`` (a "quoted identifier", as written), ``string``,
    ``dollar`` (a dollar-quoted string), ``number``, ``param`` (``$1``) or ``op`` (one character)."""
    value: str
    text: str


def _is_ident_start(ch: str) -> bool:
    return ch.isalpha() or ch == "_" or ord(ch) >= 0x80


def _is_ident_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_$" or ord(ch) >= 0x80


def _quoted_end(sql: str, start: int, quote: str, *, backslash: bool) -> int:
    """Index just after the closing ``quote`` of the literal whose opening quote is at ``start``."""
    i, n = start + 1, len(sql)
    while i < n:
        ch = sql[i]
        if backslash and ch == "\\":
            i += 2
            continue
        if ch == quote:
            if i + 1 < n and sql[i + 1] == quote:
                i += 2
                continue
            return i + 1
        i += 1
    raise StatementRefused("unterminated quoted string or identifier")


def tokenize(sql: str) -> list[Token]:
    """PostgreSQL's lexical rules, as far as deciding what a statement does needs them.

    Comments (``--`` to the end of the line, ended by LF or CR; nested ``/* */``) are dropped;
    ``'…'``, ``E'…'`` (backslash escapes), ``U&'…'``, ``B'…'``, ``X'…'``, ``N'…'`` are strings;
    ``$tag$…$tag$`` is a dollar-quoted string; ``"…"`` is an identifier kept as written. Anything the
    lexer does not understand (an unterminated literal or comment, a stray backslash) is refused.
    """
    tokens: list[Token] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in _SPACE:
            i += 1
            continue
        if sql.startswith("--", i):
            while i < n and sql[i] not in "\r\n":
                i += 1
            continue
        if sql.startswith("/*", i):
            depth, i = 1, i + 2
            while depth:
                if i >= n:
                    raise StatementRefused("unterminated comment")
                if sql.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif sql.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
            continue
        if ch == "'":
            end = _quoted_end(sql, i, "'", backslash=False)
            body = sql[i + 1:end - 1]
            # with standard_conforming_strings off a backslash escapes: refuse what would end elsewhere
            if "\\'" in body or "\\\\" in body or body.endswith("\\"):
                raise StatementRefused("backslash before a quote in a string; refused as ambiguous")
            tokens.append(Token("string", body, sql[i:end]))
            i = end
            continue
        if ch in "eE" and sql.startswith("'", i + 1):
            end = _quoted_end(sql, i + 1, "'", backslash=True)
            tokens.append(Token("string", sql[i + 2:end - 1], sql[i:end]))
            i = end
            continue
        if ch in "uU" and sql.startswith("&", i + 1) and i + 2 < n and sql[i + 2] in "'\"":
            if sql[i + 2] == '"':
                raise StatementRefused("U&\"…\" identifiers are not used by credreach")
            end = _quoted_end(sql, i + 2, "'", backslash=False)
            tokens.append(Token("string", sql[i + 3:end - 1], sql[i:end]))
            i = end
            continue
        if ch in "bBxXnN" and sql.startswith("'", i + 1):
            end = _quoted_end(sql, i + 1, "'", backslash=False)
            if "\\" in sql[i + 2:end - 1]:
                raise StatementRefused("backslash in a bit or national string; refused as ambiguous")
            tokens.append(Token("string", sql[i + 2:end - 1], sql[i:end]))
            i = end
            continue
        if ch == '"':
            end = _quoted_end(sql, i, '"', backslash=False)
            tokens.append(Token("quoted", sql[i + 1:end - 1].replace('""', '"'), sql[i:end]))
            i = end
            continue
        if ch == "$":
            number = re.match(r"\$\d+", sql[i:])
            if number:
                tokens.append(Token("param", number.group(), number.group()))
                i += number.end()
                continue
            tag = re.match(r"\$(?:[A-Za-z_\u0080-\U0010ffff][A-Za-z0-9_\u0080-\U0010ffff]*)?\$", sql[i:])
            if not tag:
                raise StatementRefused("stray `$` in statement")
            end = sql.find(tag.group(), i + tag.end())
            if end < 0:
                raise StatementRefused("unterminated dollar-quoted string")
            end += tag.end()
            tokens.append(Token("dollar", sql[i + tag.end():end - tag.end()], sql[i:end]))
            i = end
            continue
        if _is_ident_start(ch):
            j = i + 1
            while j < n and _is_ident_char(sql[j]):
                j += 1
            # PostgreSQL folds ASCII letters only (str.lower() would fold e.g. the Kelvin sign to k)
            tokens.append(Token("word", sql[i:j].translate(_ASCII_LOWER), sql[i:j]))
            i = j
            continue
        if ch.isdigit() or (ch == "." and i + 1 < n and sql[i + 1].isdigit()):
            j = i + 1
            while j < n and (sql[j].isalnum() or sql[j] in "._"
                             or (sql[j] in "+-" and sql[j - 1] in "eE" and not sql[i:j].lower().startswith("0x"))):
                j += 1
            tokens.append(Token("number", sql[i:j], sql[i:j]))
            i = j
            continue
        if ch in _OP_CHARS:
            tokens.append(Token("op", ch, ch))
            i += 1
            continue
        raise StatementRefused(f"unexpected character {ch!r} in statement")
    return tokens


def _statement(tokens: list[Token]) -> list[Token]:
    """The one statement in ``tokens`` (a trailing semicolon is allowed)."""
    while tokens and tokens[-1].value == ";" and tokens[-1].kind == "op":
        tokens = tokens[:-1]
    if any(t.kind == "op" and t.value == ";" for t in tokens):
        raise StatementRefused("only one statement at a time")
    if not tokens:
        raise StatementRefused("empty statement")
    return tokens


def _matching(tokens: list[Token], start: int) -> int:
    """Index of the ``)`` closing the ``(`` at ``start``."""
    depth = 0
    for index in range(start, len(tokens)):
        token = tokens[index]
        if token.kind == "op" and token.value == "(":
            depth += 1
        elif token.kind == "op" and token.value == ")":
            depth -= 1
            if depth == 0:
                return index
    raise StatementRefused("unbalanced parentheses")


def _starts_select(tokens: list[Token]) -> bool:
    index = 0
    while index < len(tokens) and tokens[index].kind == "op" and tokens[index].value == "(":
        index += 1
    return index < len(tokens) and tokens[index].kind == "word" and tokens[index].value == "select"


def _check_with(tokens: list[Token]) -> None:
    """``WITH [RECURSIVE] name AS [NOT] [MATERIALIZED] (SELECT …) [, …] SELECT …``; nothing else."""
    index = 1
    if index < len(tokens) and tokens[index].kind == "word" and tokens[index].value == "recursive":
        index += 1
    while True:
        if index >= len(tokens) or tokens[index].kind not in ("word", "quoted"):
            raise StatementRefused("WITH without a query name")
        index += 1
        if index < len(tokens) and tokens[index].kind == "word" and tokens[index].value == "as":
            index += 1
        else:
            raise StatementRefused("WITH query must be `name AS (SELECT …)`")
        while index < len(tokens) and tokens[index].kind == "word" and tokens[index].value in ("not", "materialized"):
            index += 1
        if index >= len(tokens) or tokens[index].value != "(" or tokens[index].kind != "op":
            raise StatementRefused("WITH query must be `name AS (SELECT …)`")
        close = _matching(tokens, index)
        if not _starts_select(tokens[index + 1:close]):
            raise StatementRefused("WITH query that is not a SELECT refused (data-modifying CTE)")
        index = close + 1
        if index < len(tokens) and tokens[index].kind == "op" and tokens[index].value == ",":
            index += 1
            continue
        break
    if not _starts_select(tokens[index:]):
        raise StatementRefused("WITH must end in a SELECT")


def _check_select(tokens: list[Token]) -> None:
    depth = 0
    for index, token in enumerate(tokens):
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if token.kind == "dollar":
            raise StatementRefused("dollar-quoted strings are not used by credreach")
        if token.kind == "op":
            depth += {"(": 1, ")": -1}.get(token.value, 0)
            if depth < 0:
                raise StatementRefused("unbalanced parentheses")
            continue
        if token.kind == "word" and token.value in _WRITING_WORDS:
            if token.value == "into":
                raise StatementRefused("SELECT … INTO creates a table; refused")
            raise StatementRefused(f"`{token.value.upper()}` inside a SELECT refused")
        if token.kind == "word" and token.value == "for" and following is not None \
                and following.kind == "word" and following.value in _ROW_LOCKS:
            raise StatementRefused("row-locking SELECT refused")
        calls = following is not None and following.kind == "op" and following.value == "("
        if not calls or token.kind not in ("word", "quoted"):
            continue
        previous = tokens[index - 1] if index else None
        if token.kind == "word" and previous is not None:
            if previous.kind == "word" and (previous.value == "as"
                                            or (token.value == "materialized" and previous.value == "not")):
                continue  # an alias column list `AS t(a, b)`, a type `AS varchar(10)`, `AS [NOT] MATERIALIZED (`
            if token.value in _AFTER_CALL_KEYWORDS and previous.kind == "op" and previous.value == ")":
                continue  # `count(*) OVER (…)`, `count(*) FILTER (WHERE …)`
            if token.value == "by" and previous.kind == "word" and previous.value in _BY_AFTER:
                continue  # `GROUP BY (a, b)`, `ORDER BY (a)`
        if token.kind == "word" and token.value in _PAREN_KEYWORDS:
            continue
        if token.value not in ALLOWED_FUNCTIONS:
            raise StatementRefused("SELECT calls a function that is not on the read-only allow-list; refused")
    if depth != 0:
        raise StatementRefused("unbalanced parentheses")


def check_statement(sql: str) -> None:
    """Raise :class:`StatementRefused` unless ``sql`` is one catalog read or session-safety statement.

    Allowed, after :func:`tokenize`: one ``SELECT`` (or ``WITH name AS (SELECT …) SELECT``) that calls
    only functions on :data:`ALLOWED_FUNCTIONS` and has no ``INTO``, row lock or writing keyword;
    ``SET`` of the read-only characteristics and timeouts; ``BEGIN READ ONLY``; ``ROLLBACK``.
    """
    tokens = _statement(tokenize(sql))
    first = tokens[0]
    keyword = first.value if first.kind == "word" else ""
    if keyword in ("select", "with"):
        if keyword == "with":
            _check_with(tokens)
        _check_select(tokens)
        return
    normalized = " ".join(t.text for t in tokens)
    if any(t.kind in ("quoted", "dollar") for t in tokens):
        raise StatementRefused(f"{first.text[:20].upper()} refused: credreach only reads the catalog")
    if keyword == "set" and _ALLOWED_SETS.match(normalized):
        return
    if keyword in ("begin", "start") and _ALLOWED_BEGIN.match(normalized):
        return
    if keyword == "rollback" and _ALLOWED_ROLLBACK.match(normalized):
        return
    raise StatementRefused(f"{first.text[:20].upper()} refused: credreach only reads the catalog")


class Cutoff:
    """Ends a database exchange at a wall-clock deadline, whatever the server does.

    Socket timeouts bound each read, not the exchange: a host dripping one byte per second never
    trips them, and pg8000 would wait for ever inside a worker thread. At the deadline a daemon
    timer shuts the socket down (on a duplicate descriptor we own, so the number can never be
    reused under us), and the blocked read returns at once with an error.
    """

    def __init__(self, raw: socket.socket, deadline: float) -> None:
        self._guard = raw.dup()
        self._lock = threading.Lock()
        self.fired = False
        self._closed = False
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            if self._closed:
                return
            self.fired = True
            with contextlib.suppress(OSError):
                self._guard.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._timer.cancel()
        with self._lock:
            self._closed = True
            with contextlib.suppress(OSError):
                self._guard.close()


class ReadOnlySession:
    """A pg8000 connection wrapped so that only statements passing :func:`check_statement` run."""

    def __init__(self, connection: Any, cutoff: Cutoff | None = None) -> None:
        self._connection = connection
        self.cutoff = cutoff

    @property
    def cut_off(self) -> bool:
        return self.cutoff is not None and self.cutoff.fired

    def run(self, sql: str, **params: Any) -> list[list[Any]]:
        check_statement(sql)
        rows = self._connection.run(sql, **params)
        return [list(row) for row in rows or []]

    def close(self) -> None:
        with contextlib.suppress(Exception):  # closing must not fail the verdict
            self.run("ROLLBACK")
        with contextlib.suppress(Exception):
            self._connection.close()
        if self.cutoff is not None:
            self.cutoff.close()


# ---------------------------------------------------------------------------------------------
# Where to connect
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    """What the credential names: who logs in where. The password is kept out of ``repr``."""

    user: str
    password: str
    host: str | None
    port: int
    database: str | None
    sslmode: str = "prefer"

    def __repr__(self) -> str:
        return f"Target(user={self.user!r}, host={self.host!r}, port={self.port}, database={self.database!r})"

    def display(self, host: str | None = None, port: int | None = None) -> str:
        host = host or self.host or "?"
        shown_host = f"[{host}]" if ":" in host and not host.startswith("/") else host
        return f"postgresql://{self.user}@{shown_host}:{port or self.port}/{self.database or self.user}"


class TargetError(ValueError):
    """The credential does not say enough to log in."""


def parse_url(url: str) -> Target:
    """Parse ``postgres[ql][+driver]://user:pass@host:port/db?sslmode=…`` (no libpq needed)."""
    text = url.strip()
    match = re.match(r"^(?:jdbc:)?postgres(?:ql)?(?:\+[a-z0-9]+)?://", text, re.I)
    if not match:
        raise TargetError("not a postgres:// URL")
    try:
        parts = urlsplit("postgresql://" + text[match.end():])
        host = parts.hostname
        port = parts.port or DEFAULT_PORT
    except ValueError as exc:
        raise TargetError("URL host or port cannot be parsed (several hosts are not supported)") from exc
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    user = unquote(parts.username or "") or query.get("user", "")
    password = unquote(parts.password or "") or query.get("password", "")
    if not host and query.get("host"):
        host = query["host"]
    database = unquote(parts.path.lstrip("/")) or query.get("dbname") or None
    if not user or not password:
        raise TargetError("URL has no user name or no password")
    return Target(user, password, host, port, database, query.get("sslmode", "prefer").lower())


_COMPANION_KEYS: Mapping[str, tuple[str, ...]] = {
    "host": ("host", "hostname", "PGHOST", "pghost", "server"),
    "port": ("port", "PGPORT", "pgport"),
    "user": ("user", "username", "PGUSER", "pguser", "login"),
    "database": ("database", "dbname", "db", "PGDATABASE", "pgdatabase"),
    "sslmode": ("sslmode", "PGSSLMODE"),
}


def _companion(companions: Mapping[str, str], name: str) -> str | None:
    for key in _COMPANION_KEYS[name]:
        value = companions.get(key)
        if value:
            return value
    return None


def target_from(credential: Credential) -> Target:
    if credential.kind == "postgres_url":
        return parse_url(credential.secret)
    companions = credential.companions
    user = _companion(companions, "user")
    if not user:
        raise TargetError("password found without a user name next to it")
    port_text = _companion(companions, "port") or str(DEFAULT_PORT)
    if not port_text.isdigit():
        raise TargetError("port next to the password is not a number")
    host = _companion(companions, "host")
    if host in ("*", ""):
        host = None
    database = _companion(companions, "database")
    if database == "*":
        database = None
    sslmode = (_companion(companions, "sslmode") or "prefer").lower()
    return Target(user, credential.secret, host, int(port_text), database, sslmode)


def override_host(base_url: str) -> tuple[str, int]:
    """``--endpoint postgres=HOST:PORT`` (a ``postgresql://HOST:PORT`` form is accepted too)."""
    text = base_url.strip()
    if "://" not in text:
        text = "//" + text
    parts = urlsplit(text)
    if not parts.hostname:
        raise TargetError("--endpoint for postgres must be HOST:PORT")
    return parts.hostname, parts.port or DEFAULT_PORT


# ---------------------------------------------------------------------------------------------
# Reading the catalog
# ---------------------------------------------------------------------------------------------

_PREDEFINED_ROLES = ("pg_write_all_data", "pg_read_all_data", "pg_database_owner",
                     "pg_execute_server_program", "pg_read_server_files", "pg_write_server_files",
                     "pg_signal_backend")

Q_SESSION = ("SELECT current_user::text, current_database()::text, current_setting('server_version'), "
             "pg_is_in_recovery(), current_setting('transaction_read_only')")
Q_ROLE = ("SELECT rolsuper, rolcreatedb, rolcreaterole, rolbypassrls, rolreplication "
          "FROM pg_roles WHERE rolname = current_user")
Q_PREDEFINED = ("SELECT r.rolname::text FROM pg_roles r WHERE r.rolname = ANY(CAST(:names AS text[])) "
                "AND pg_has_role(current_user, r.oid, 'MEMBER') ORDER BY 1")
Q_MEMBER_OF = ("SELECT b.rolname::text FROM pg_auth_members m JOIN pg_roles b ON b.oid = m.roleid "
               "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = current_user ORDER BY 1")
Q_DATABASES = ("SELECT d.datname::text, pg_get_userbyid(d.datdba)::text, "
               "pg_has_role(current_user, d.datdba, 'MEMBER'), "
               "has_database_privilege(d.oid, 'CONNECT'), has_database_privilege(d.oid, 'CREATE') "
               "FROM pg_database d WHERE NOT d.datistemplate ORDER BY 1")
# Owning the table or its schema both allow DROP TABLE (in PostgreSQL 15+ the database owner owns
# `public` through pg_database_owner).
Q_TABLES = ("SELECT n.nspname::text, c.relname::text, "
            "pg_has_role(current_user, c.relowner, 'MEMBER') "
            "OR pg_has_role(current_user, n.nspowner, 'MEMBER'), "
            "has_table_privilege(c.oid, 'DELETE'), has_table_privilege(c.oid, 'TRUNCATE'), "
            "has_table_privilege(c.oid, 'UPDATE'), has_table_privilege(c.oid, 'INSERT'), "
            "has_table_privilege(c.oid, 'SELECT') "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
            "AND n.nspname NOT LIKE 'pg\\_toast%' ORDER BY 1, 2 LIMIT " + str(MAX_TABLES + 1))


@dataclass(frozen=True)
class TableAccess:
    schema: str
    name: str
    owns: bool
    delete: bool
    truncate: bool
    update: bool
    insert: bool
    select: bool

    @property
    def qualified(self) -> str:
        return self.name if self.schema == "public" else f"{self.schema}.{self.name}"


@dataclass(frozen=True)
class DatabaseInfo:
    name: str
    owner: str
    owns: bool
    connect: bool
    create: bool


@dataclass(frozen=True)
class CatalogFacts:
    user: str
    database: str
    server_version: str
    replica: bool
    superuser: bool
    createdb: bool
    createrole: bool
    bypassrls: bool
    replication: bool
    predefined: tuple[str, ...]
    member_of: tuple[str, ...]
    databases: tuple[DatabaseInfo, ...]
    tables: tuple[TableAccess, ...]
    tables_truncated: bool


def read_catalog(session: ReadOnlySession) -> CatalogFacts:
    """The catalog queries, in one read-only transaction. Raises if the session is not read-only."""
    session.run(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}")
    session.run("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    session.run("BEGIN READ ONLY")
    user, database, version, replica, read_only = session.run(Q_SESSION)[0]
    if str(read_only).lower() != "on":
        raise StatementRefused("server did not put the transaction in read-only mode; stopped")
    role_rows = session.run(Q_ROLE)
    superuser, createdb, createrole, bypassrls, replication = role_rows[0] if role_rows else [False] * 5
    predefined = tuple(row[0] for row in session.run(Q_PREDEFINED, names=list(_PREDEFINED_ROLES)))
    member_of = tuple(row[0] for row in session.run(Q_MEMBER_OF))
    databases = tuple(DatabaseInfo(str(r[0]), str(r[1]), bool(r[2]), bool(r[3]), bool(r[4]))
                      for r in session.run(Q_DATABASES))
    table_rows = session.run(Q_TABLES)
    tables = tuple(TableAccess(str(r[0]), str(r[1]), *(bool(v) for v in r[2:8]))
                   for r in table_rows[:MAX_TABLES])
    session.run("ROLLBACK")
    return CatalogFacts(str(user), str(database), str(version), bool(replica), bool(superuser),
                        bool(createdb), bool(createrole), bool(bypassrls), bool(replication), predefined,
                        member_of, databases, tables, len(table_rows) > MAX_TABLES)


# ---------------------------------------------------------------------------------------------
# Facts -> blast radius
# ---------------------------------------------------------------------------------------------

def environment_of(database: str, host: str | None) -> EnvClass:
    """Database name first (``app_production``), then the host (``db.prod.internal``)."""
    by_name = classify_database(database)
    if by_name is not EnvClass.UNKNOWN:
        return by_name
    return classify_database(host or "")


def classify_database(name: str) -> EnvClass:
    from providers.base import classify_environment

    return classify_environment(name.replace("_", "-"))


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def blast_radius(facts: CatalogFacts, host: str, port: int) -> BlastRadius:
    server = Resource("postgres server", f"{host}:{port}", env_class=environment_of("", host))
    db_resources = {d.name: Resource("database", d.name, environment=d.name,
                                     env_class=environment_of(d.name, host), parent=f"server {host}:{port}")
                    for d in facts.databases}
    current_db = db_resources.get(facts.database) or Resource(
        "database", facts.database, environment=facts.database,
        env_class=environment_of(facts.database, host), parent=f"server {host}:{port}")
    parent = f"database `{facts.database}`"

    def table_resource(table: TableAccess) -> Resource:
        return Resource("table", table.qualified, environment=facts.database, env_class=current_db.env_class,
                        parent=parent)

    def table_resources(tables: list[TableAccess]) -> tuple[Resource, ...]:
        return tuple(table_resource(t) for t in tables[:MAX_TABLE_RESOURCES])

    capabilities: list[Capability] = []
    notes: list[str] = []
    scopes: list[str] = []
    unknowns: list[str] = []
    attributes = [name for name, flag in (("SUPERUSER", facts.superuser), ("CREATEDB", facts.createdb),
                                          ("CREATEROLE", facts.createrole), ("BYPASSRLS", facts.bypassrls),
                                          ("REPLICATION", facts.replication)) if flag]
    scopes.extend(attributes)
    scopes.extend(f"member of {role}" for role in facts.predefined)
    every_db = tuple(db_resources.values()) or (current_db,)

    if facts.superuser:
        capabilities.append(Capability(Action.ADMIN, "SUPERUSER", (server, *every_db)))
        capabilities.append(Capability(Action.DELETE, "DROP DATABASE", every_db))
        notes.append(f"`{facts.user}` is a superuser on {host}:{port}: it can drop every database "
                     f"({', '.join(f'`{d.name}`' for d in every_db)}), read and change every table, and run "
                     "operating-system commands through COPY … PROGRAM.")
    else:
        owned = [db_resources[d.name] for d in facts.databases if d.owns]
        if owned:
            capabilities.append(Capability(Action.DELETE, "DROP DATABASE", tuple(owned)))
            for db in owned:
                notes.append(f"can drop database `{db.name}` (it owns it)")
        if "pg_execute_server_program" in facts.predefined:
            capabilities.append(Capability(Action.ADMIN, "COPY … PROGRAM", (server,)))
            notes.append("member of pg_execute_server_program: can run operating-system commands "
                         "on the server.")
        if facts.createrole:
            capabilities.append(Capability(Action.ADMIN, "CREATEROLE", (server,)))
            notes.append("CREATEROLE: can create roles and grant itself non-superuser roles.")
        if "pg_write_all_data" in facts.predefined:
            capabilities.append(Capability(Action.DELETE, "DELETE (pg_write_all_data)", every_db))
            notes.append("member of pg_write_all_data: can INSERT, UPDATE and DELETE rows in every table of "
                         "every database.")
        if "pg_read_all_data" in facts.predefined:
            capabilities.append(Capability(Action.READ, "SELECT (pg_read_all_data)", every_db))
            notes.append("member of pg_read_all_data: can read every table of every database.")
        if facts.createdb:
            capabilities.append(Capability(Action.WRITE, "CREATEDB", (server,)))
        if facts.replication:
            capabilities.append(Capability(Action.READ, "REPLICATION", (server,)))
            notes.append("REPLICATION: can stream a copy of all data on the server.")
        if facts.bypassrls:
            notes.append("BYPASSRLS: row-level security policies do not apply to it.")

        tables = list(facts.tables)
        owned_tables = [t for t in tables if t.owns]
        deletable = [t for t in tables if t.delete or t.truncate or t.owns]
        writable = [t for t in tables if (t.update or t.insert) and not (t.delete or t.truncate or t.owns)]
        readable = [t for t in tables if t.select]
        if owned_tables:
            capabilities.append(Capability(Action.DELETE, "DROP TABLE", table_resources(owned_tables)))
            notes.append(f"owns {_plural(len(owned_tables), 'table')} (or their schema) in "
                         f"`{facts.database}`: can DROP them")
        if deletable:
            flags = (("DELETE", any(t.delete for t in deletable)),
                     ("TRUNCATE", any(t.truncate for t in deletable)))
            verbs = "/".join(v for v, on in flags if on) or "DROP"
            capabilities.append(Capability(Action.DELETE, verbs, table_resources(deletable)))
            notes.append(f"can {verbs} {_plural(len(deletable), 'table')} in `{facts.database}`")
        if writable:
            capabilities.append(Capability(Action.WRITE, "INSERT/UPDATE", table_resources(writable)))
            notes.append(f"can INSERT/UPDATE {_plural(len(writable), 'table')} in `{facts.database}`")
        if readable:
            capabilities.append(Capability(Action.READ, "SELECT", table_resources(readable)))
            if not deletable and not writable:
                notes.append(f"can only read: SELECT on {_plural(len(readable), 'table')} "
                             f"in `{facts.database}`")
        if not capabilities:
            notes.append(f"logs in to `{facts.database}` but holds no table privileges there")
        others = [d.name for d in facts.databases if d.name != facts.database and d.connect and not d.owns]
        if others:
            unknowns.append("table privileges in other databases it can connect to ("
                            + ", ".join(f"`{name}`" for name in others[:10])
                            + ") were not read: that would take one login per database")
    if facts.tables_truncated:
        notes.append(f"more than {MAX_TABLES} tables; only the first {MAX_TABLES} were examined")
    if facts.replica:
        notes.append("the server is a read replica (pg_is_in_recovery); writes would go to its primary")
    if facts.member_of:
        scopes.extend(f"role {name}" for name in facts.member_of if name not in facts.predefined)
    resources = (server, *every_db)
    return BlastRadius(identity=f"{facts.user}@{host}:{port}/{facts.database}",
                       token_type="superuser role" if facts.superuser else "database role",
                       scopes=tuple(dict.fromkeys(scopes)), resources=resources,
                       capabilities=tuple(capabilities), notes=tuple(notes), unknowns=tuple(unknowns))


# ---------------------------------------------------------------------------------------------
# The provider
# ---------------------------------------------------------------------------------------------

def _ssl_context(sslmode: str) -> ssl.SSLContext | bool | None:
    """pg8000's ssl_context for a libpq ``sslmode``: False = plain, None = try TLS then plain."""
    if sslmode == "disable":
        return False
    if sslmode in ("verify-ca", "verify-full"):
        context = ssl.create_default_context()
        context.check_hostname = sslmode == "verify-full"
        return context
    if sslmode == "require":
        return True  # pg8000: TLS without certificate checks, like libpq's `require`
    return None  # allow / prefer: TLS when the server offers it


def _error_fields(exc: BaseException) -> dict[str, str]:
    args = getattr(exc, "args", ())
    if args and isinstance(args[0], dict):
        return {str(k): str(v) for k, v in args[0].items()}
    return {}


class PostgresProvider(Provider):
    name = "postgres"
    display_name = "PostgreSQL"
    kinds = frozenset({"postgres_url", "postgres_password"})
    default_base_url = "postgresql://"
    reveals = ("superuser and role attributes, databases it owns (can DROP), tables it may "
               "DELETE/TRUNCATE/UPDATE in the named database; catalog reads in a READ ONLY transaction")
    docs = ("https://www.postgresql.org/docs/current/view-pg-roles.html",
            "https://www.postgresql.org/docs/current/functions-info.html#FUNCTIONS-INFO-ACCESS-TABLE",
            "https://www.postgresql.org/docs/current/predefined-roles.html")

    connect_timeout: ClassVar[float] = 10.0

    def introspect(self, credential: Credential, ctx: ProviderContext) -> Introspection:
        try:
            target = target_from(credential)
        except TargetError as exc:
            return unverifiable(f"cannot use this PostgreSQL credential: {exc}")
        REDACTOR.register(target.password)
        offline = self._offline(target)
        if ctx.endpoint_overridden:
            try:
                host, port = override_host(ctx.http.base_url)
            except TargetError as exc:
                return unverifiable(str(exc), blast=offline)
        elif ctx.allow_embedded_hosts:
            if not target.host:
                return unverifiable("no database host next to the password; "
                                    "pass --endpoint postgres=HOST:PORT", blast=offline)
            host, port = target.host, target.port
        else:
            return unverifiable(EMBEDDED_HOST_REASON, blast=offline)
        endpoint = target.display(host, port)
        timeout = max(1.0, min(self.connect_timeout, ctx.http.settings.timeout))
        deadline = time.monotonic() + SESSION_BOUND_FACTOR * timeout
        if ctx.http.settings.deadline is not None:
            deadline = min(deadline, ctx.http.settings.deadline)
        try:
            session = self._connect(target, host, port, timeout, deadline)
        except _Invalid as exc:
            return invalid(str(exc), endpoint)
        except _Unverifiable as exc:
            return unverifiable(str(exc), endpoint, offline)
        try:
            facts = read_catalog(session)
        except StatementRefused as exc:
            return unverifiable(f"stopped before reading the catalog: {exc}", endpoint, offline)
        except Exception as exc:
            if session.cut_off:
                return unverifiable(f"logged in, but {host}:{port} was too slow: cut off at the time bound "
                                    "(--verify-timeout)", endpoint, offline)
            fields = _error_fields(exc)
            detail = fields.get("M") or safe_error(exc)
            return unverifiable(f"logged in, but reading the catalog failed: {detail}", endpoint, offline)
        finally:
            session.close()
        blast = blast_radius(facts, host, port)
        kind = "superuser" if facts.superuser else "role"
        return live(f"logged in as {kind} `{facts.user}` to `{facts.database}` (PostgreSQL "
                    f"{facts.server_version.split()[0]})", endpoint, blast)

    def _offline(self, target: Target) -> BlastRadius:
        """What the credential itself says: who and which database, for unverifiable results."""
        database = target.database or target.user
        resource = Resource("database", database, environment=database,
                            env_class=environment_of(database, target.host),
                            parent=f"server {target.host or '?'}:{target.port}")
        return BlastRadius(identity=f"{target.user}@{target.host or '?'}:{target.port}/{database}",
                           token_type="database password", resources=(resource,))

    def _connect(self, target: Target, host: str, port: int, timeout: float,
                 deadline: float | None = None) -> ReadOnlySession:
        """Log in over a socket credreach opened itself, so that :class:`Cutoff` can end it."""
        import pg8000.native

        deadline = deadline if deadline is not None else time.monotonic() + SESSION_BOUND_FACTOR * timeout
        raw = _open_socket(host, port, timeout)
        cutoff = Cutoff(raw, deadline)
        # standard_conforming_strings=on: a backslash in '…' is a plain character, as the guard reads it.
        startup = {"default_transaction_read_only": "on", "standard_conforming_strings": "on",
                   "statement_timeout": str(STATEMENT_TIMEOUT_MS),
                   "lock_timeout": str(STATEMENT_TIMEOUT_MS)}
        ssl_context = False if host.startswith("/") else _ssl_context(target.sslmode)
        try:
            connection = pg8000.native.Connection(
                target.user, host=host, port=port, database=target.database, password=target.password,
                sock=raw, ssl_context=ssl_context, timeout=timeout,
                application_name="credreach (read-only)", startup_params=startup)
        except pg8000.native.DatabaseError as exc:
            cutoff.close()
            _close_quietly(raw)
            fields = _error_fields(exc)
            code, message = fields.get("C", ""), REDACTOR.scrub(fields.get("M", "login refused"))
            if code == "28P01":
                raise _Invalid(f"server refused the password: {message}") from None
            if code == "3D000":
                raise _Unverifiable(f"password accepted but {message}") from None
            raise _Unverifiable(f"server refused the login ({code or 'no code'}): {message}") from None
        except Exception as exc:
            fired = cutoff.fired
            cutoff.close()
            _close_quietly(raw)
            if fired:
                raise _Unverifiable(f"{host}:{port} too slow: login cut off at the time bound "
                                    "(--verify-timeout)") from None
            if isinstance(exc, (pg8000.native.InterfaceError, OSError)):
                cause = exc.__cause__ or exc
                raise _Unverifiable(f"cannot reach {host}:{port}: {safe_error(cause)}") from None
            raise _Unverifiable(f"connection to {host}:{port} failed: {safe_error(exc)}") from None
        return ReadOnlySession(connection, cutoff)


SESSION_BOUND_FACTOR = 3
"""A whole login plus catalog read may take this many request timeouts, never more (and never past
the ``--verify-timeout`` deadline)."""


def _open_socket(host: str, port: int, timeout: float) -> socket.socket:
    """TCP (or a Unix socket for a ``/dir`` host) with a per-read timeout; unreachable -> _Unverifiable."""
    try:
        if host.startswith("/"):
            raw = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            raw.settimeout(timeout)
            try:
                raw.connect(f"{host.rstrip('/')}/.s.PGSQL.{port}")
            except OSError:
                raw.close()
                raise
        else:
            raw = socket.create_connection((host, port), timeout)
        raw.settimeout(timeout)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        return raw
    except (OSError, ValueError) as exc:
        raise _Unverifiable(f"cannot reach {host}:{port}: {safe_error(exc)}") from None


def _close_quietly(raw: socket.socket) -> None:
    with contextlib.suppress(OSError):
        raw.close()


class _Invalid(Exception):
    pass


class _Unverifiable(Exception):
    pass


PROVIDER = PostgresProvider()

"""``~/.netrc`` and PostgreSQL's ``~/.pgpass``.

netrc: whitespace-separated tokens ``machine HOST login USER password SECRET [account A]``, a
``default`` entry, and ``macdef NAME`` bodies that run until an empty line (skipped). The Heroku
CLI writes ``machine api.heroku.com`` / ``git.heroku.com`` entries (providers.md §16); other
passwords are classified by their prefix (a ``ghp_`` for github.com) or reported as
``netrc_password``.

pgpass: ``hostname:port:database:username:password`` per line, ``\\:`` and ``\\\\`` escapes,
``#`` comments (PostgreSQL docs, libpq-pgpass).
"""

from __future__ import annotations

import re

from scanner.sources.store_parsers._common import StoreFile, classify_token

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|\S+')
HEROKU_HOSTS = ("api.heroku.com", "git.heroku.com")


def _tokens(store_file: StoreFile) -> list[tuple[str, int]]:
    """(token, offset) pairs, with macdef bodies removed."""
    text = store_file.text
    result: list[tuple[str, int]] = []
    pos = 0
    while True:
        match = _TOKEN.search(text, pos)
        if not match:
            break
        token = match.group(0)
        offset = match.start()
        pos = match.end()
        if token.startswith('"') and token.endswith('"') and len(token) >= 2:
            token, offset = re.sub(r"\\(.)", r"\1", token[1:-1]), offset + 1
        if token == "macdef":
            end = text.find("\n\n", pos)
            pos = len(text) if end < 0 else end + 2
            continue
        result.append((token, offset))
    return result


def parse_netrc(store_file: StoreFile) -> None:
    tokens = _tokens(store_file)
    entries: list[dict[str, tuple[str, int]]] = []
    current: dict[str, tuple[str, int]] | None = None
    i = 0
    while i < len(tokens):
        word, offset = tokens[i]
        if word == "machine" and i + 1 < len(tokens):
            current = {"machine": tokens[i + 1]}
            entries.append(current)
            i += 2
        elif word == "default":
            current = {"machine": ("default", offset)}
            entries.append(current)
            i += 1
        elif word in ("login", "password", "account", "port") and i + 1 < len(tokens) and current is not None:
            current[word] = tokens[i + 1]
            i += 2
        else:
            i += 1
    for entry in entries:
        if "password" not in entry:
            continue
        host = entry["machine"][0]
        login = entry.get("login", ("", 0))[0]
        secret, offset = entry["password"]
        if host in HEROKU_HOSTS:
            provider, kind = "heroku", "heroku_token"
        else:
            provider, kind = classify_token(secret) or ("generic", "netrc_password")
        store_file.emit(provider, kind, secret, store_file.position(offset), profile=host,
                        companions={"host": host if host != "default" else "", "login": login})


def _split_pgpass(line: str) -> list[tuple[str, int]]:
    """Fields of one pgpass line with the column offset where each starts."""
    fields: list[tuple[str, int]] = []
    current: list[str] = []
    start = 0
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == "\\" and i + 1 < len(line):
            current.append(line[i + 1])
            i += 2
            continue
        if ch == ":" and len(fields) < 4:
            fields.append(("".join(current), start))
            current = []
            start = i + 1
        else:
            current.append(ch)
        i += 1
    fields.append(("".join(current), start))
    return fields


def parse_pgpass(store_file: StoreFile) -> None:
    bad = 0
    offset = 0
    for line in store_file.text.splitlines(keepends=True):
        start = offset
        offset += len(line)
        body = line.rstrip("\r\n")
        if not body.strip() or body.lstrip().startswith("#"):
            continue
        fields = _split_pgpass(body)
        if len(fields) != 5 or not fields[4][0]:
            bad += 1
            continue
        (host, _), (port, _), (database, _), (user, _), (password, column) = fields
        store_file.emit("postgres", "postgres_password", password, store_file.position(start + column),
                        profile=f"{user}@{host}:{port}/{database}",
                        companions={"host": host, "port": port, "database": database, "user": user})
    if bad:
        store_file.warn(f"{bad} line(s) are not host:port:database:user:password")

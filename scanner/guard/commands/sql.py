"""SQL, Mongo and Redis statements, from psql/mysql/sqlite3/mongosh/redis-cli and one-liners.

Statement classes: DROP, TRUNCATE, DELETE or UPDATE without WHERE, ``ALTER ... DROP`` -> delete;
GRANT/REVOKE/roles/``ALTER SYSTEM`` -> admin; other DDL/DML -> write; SELECT/SHOW/EXPLAIN -> read.
Mongo: ``drop()``, ``dropDatabase()``, ``deleteMany({})``/``remove({})`` -> delete. Redis: FLUSHALL,
FLUSHDB -> delete. Where the statement comes from: ``-c``/``-e``/``--eval``/``--command``, ``-f
file``, stdin (here-doc, ``< file``, a pipe from ``echo``), or the positional SQL of sqlite3.
Credential: a URL in the command (its password is the secret), ``DATABASE_URL``/``PG*``/
``MYSQL_PWD`` from the environment, ``~/.pgpass``/``~/.my.cnf``.
"""

from __future__ import annotations

import re

from scanner.guard.commands import common
from scanner.guard.commands.context import Ctx
from scanner.guard.commands.model import ADMIN, DELETE, OPAQUE, READ, WRITE, CredRef, Operation
from scanner.guard.commands.shell import SimpleCommand

_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)
_STRING = re.compile(r"'(?:''|[^'])*'|\$(\w*)\$.*?\$\1\$", re.S)


def classify_sql(text: str) -> list[tuple[str, str]]:
    """(action, statement summary) for each statement in ``text``."""
    clean = _STRING.sub("''", _COMMENT.sub(" ", text))
    out = []
    for statement in clean.split(";"):
        words = statement.split()
        if not words:
            continue
        upper = [w.upper().strip("();,") for w in words]
        head = upper[0]
        summary = " ".join(words[:4])[:80]
        if head in ("DROP", "TRUNCATE"):
            out.append((DELETE, summary))
        elif head == "DELETE" or head == "UPDATE":
            out.append((DELETE if "WHERE" not in upper else WRITE, summary))
        elif head == "ALTER" and ("DROP" in upper or "SYSTEM" in upper or "ROLE" in upper or "USER" in upper):
            out.append((ADMIN if ("ROLE" in upper or "USER" in upper or "SYSTEM" in upper) and "DROP" not in upper
                        else DELETE, summary))
        elif head in ("GRANT", "REVOKE") or (head == "CREATE" and len(upper) > 1 and upper[1] in ("ROLE", "USER")):
            out.append((ADMIN, summary))
        elif head in ("SELECT", "SHOW", "EXPLAIN", "DESCRIBE", "DESC", "WITH", "VALUES", "TABLE", "\\D", "\\DT",
                      "\\L", "BEGIN", "COMMIT", "SET", "USE", "\\C", "\\Q"):
            if head == "WITH" and re.search(r"\b(DELETE|UPDATE|INSERT|DROP)\b", " ".join(upper)):
                out.append((DELETE if re.search(r"\b(DELETE|DROP)\b", " ".join(upper)) else WRITE, summary))
            else:
                out.append((READ, summary))
        elif head in ("FLUSHALL", "FLUSHDB"):
            out.append((DELETE, summary))
        else:
            out.append((WRITE, summary))
    return out


_MONGO_DELETE = re.compile(r"\.(drop|dropDatabase|dropIndexes)\s*\(|\.(deleteMany|remove)\s*\(\s*\{\s*\}\s*\)"
                           r"|\.(deleteMany|remove)\s*\(\s*\)")
_MONGO_WRITE = re.compile(r"\.(insert\w*|update\w*|replace\w*|delete\w*|remove|bulkWrite|createCollection|"
                          r"renameCollection)\s*\(")


def classify_mongo(text: str) -> list[tuple[str, str]]:
    if _MONGO_DELETE.search(text):
        return [(DELETE, _MONGO_DELETE.search(text).group(0)[:60])]  # type: ignore[union-attr]
    if re.search(r"\b(createUser|grantRolesToUser|dropUser|updateUser)\b", text):
        return [(ADMIN, "user/role change")]
    if _MONGO_WRITE.search(text):
        return [(WRITE, _MONGO_WRITE.search(text).group(0)[:60])]  # type: ignore[union-attr]
    return [(READ, text[:60])] if text.strip() else []


CLIENTS = {"psql": "postgres", "pg_restore": "postgres", "dropdb": "postgres", "mysql": "mysql",
           "mariadb": "mysql", "sqlite3": "sqlite", "mongosh": "mongodb", "mongo": "mongodb",
           "redis-cli": "redis", "cockroach": "postgres", "pgcli": "postgres", "mycli": "mysql",
           "clickhouse-client": "clickhouse", "duckdb": "duckdb", "usql": "sql"}
DB_ENV = {"postgres": ("DATABASE_URL", "POSTGRES_URL", "PGPASSWORD", "PGHOST"),
          "mysql": ("DATABASE_URL", "MYSQL_URL", "MYSQL_PWD"),
          "mongodb": ("MONGODB_URI", "MONGO_URL", "DATABASE_URL"),
          "redis": ("REDIS_URL", "REDISCLI_AUTH"), "sqlite": (), "clickhouse": ("CLICKHOUSE_URL",),
          "duckdb": (), "sql": ("DATABASE_URL",)}


def db_credentials(ctx: Ctx, engine: str, words: list[str]) -> tuple[CredRef, ...]:
    named = ctx.literal_refs(words)
    if named:
        return tuple(named)
    urls = [w for w in words if "://" in w]
    refs: list[CredRef] = []
    for url in urls:
        for var in re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", url):
            ref = ctx.env_ref(var)
            if ref:
                refs.append(ref)
        if not refs and "@" in url and "$" not in url:
            refs.append(CredRef("unknown", "a database URL in the command the reach map does not know"))
    if refs or urls:
        return tuple(refs)
    for var in DB_ENV.get(engine, ()):
        ref = ctx.env_ref(var)
        if ref:
            return (ref,)
    if engine == "postgres":
        return (ctx.store_ref("postgres", (".pgpass",), "`~/.pgpass`", store="pgpass"),)
    if engine == "mysql":
        return (ctx.store_ref("mysql", (".my.cnf",), "`~/.my.cnf`", store="mysql-config"),)
    return ()


def db_hints(args: list[str], ctx: Ctx) -> tuple[str, ...]:
    hosts = common.options(args, "-h", "--host", "-d", "--dbname", "--database")
    hosts += [re.sub(r"^[a-z+]+://[^@/]*@", "", w) for w in args if "://" in w]
    for var in ("PGHOST", "PGDATABASE", "DATABASE_URL", "POSTGRES_URL", "MYSQL_URL", "MONGODB_URI", "REDIS_URL"):
        value = ctx.env.get(var)
        if value and not value.startswith("$__"):
            # the host and database name, never the password
            hosts.append(re.sub(r"^[a-z+]+://[^@/]*@", "", value).split("?")[0] if "://" in value else value)
    return common.env_hints(hosts)


def recognise(name: str, args: list[str], cmd: SimpleCommand, ctx: Ctx) -> None:
    engine = CLIENTS.get(name, "sql")
    if name == "cockroach" and (not args or args[0] != "sql"):
        return
    if name == "dropdb":
        judge_statements(engine, [(DELETE, "dropdb " + " ".join(args[-1:]))], args, ctx, name)
        return
    if name == "pg_restore":
        action = DELETE if common.has(args, "-c", "--clean") else WRITE
        judge_statements(engine, [(action, "pg_restore" + (" --clean" if action == DELETE else ""))], args, ctx, name)
        return
    texts: list[str] = []
    texts += common.options(args, "-c", "--command", "-e", "--execute", "--eval")
    for path in common.options(args, "-f", "--file"):
        text = ctx.read_text(path)
        if text is None:
            ctx.add(Operation(engine, f"{name} -f {path}", OPAQUE, credentials=db_credentials(ctx, engine, args),
                              hints=db_hints(args, ctx),
                              summary=f"`{name}` runs `{path}`, which the guard cannot read"))
        else:
            texts.append(text)
    if name == "sqlite3":
        pos = common.positionals(args)
        texts += pos[1:]
    if name == "redis-cli":
        pos = common.positionals(args, {"-h", "-p", "-a", "-n", "-u", "--user", "--pass"})
        if pos:
            texts.append(" ".join(pos))
    if cmd.stdin_text is not None:
        texts.append(cmd.stdin_text)
    elif cmd.stdin_file:
        text = ctx.read_text(cmd.stdin_file)
        if text is None:
            texts.append("-- unreadable")
            ctx.add(Operation(engine, f"{name} < {cmd.stdin_file}", OPAQUE,
                              credentials=db_credentials(ctx, engine, args),
                              summary=f"`{name}` reads `{cmd.stdin_file}`, which the guard cannot read"))
        else:
            texts.append(text)
    elif cmd.piped_in:
        ctx.add(Operation(engine, f"{name} (statements from a pipe)", OPAQUE,
                          credentials=db_credentials(ctx, engine, args), hints=db_hints(args, ctx),
                          summary=f"`{name}` runs statements from a pipe the guard cannot see into"))
        return
    if not texts:
        # an interactive session: whatever the agent types next
        judge_statements(engine, [(WRITE, f"{name} interactive session")], args, ctx, name)
        return
    statements = []
    for text in texts:
        statements += classify_mongo(text) if engine == "mongodb" else classify_sql(text)
    judge_statements(engine, statements, args, ctx, name)


def judge_statements(engine: str, statements: list[tuple[str, str]], args: list[str], ctx: Ctx, tool: str) -> None:
    creds = db_credentials(ctx, engine, args)
    hints = db_hints(args, ctx)
    for action, summary in statements[:20]:
        ctx.add(Operation(engine, summary, action, "database", (), hints, creds, summary=f"`{tool}`: {summary}"))

"""The PostgreSQL statement guard reads SQL as PostgreSQL does, and allows only catalog reads.

Two halves: every bypass string from the red-team pass (issue 12, item 12) and its variants is
refused by :func:`check_statement`; every statement the provider itself sends (imported from the
module, not copied) is accepted. The last tests run statements through a real
:class:`ReadOnlySession` on a throwaway PostgreSQL (tests/pg_server.py): a refused statement never
reaches the server (the setting it would have changed is unchanged), and the lexer's idea of where
a comment or string ends matches the server's.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pg8000.native
import pytest

from providers import postgres
from providers.postgres import (
    ALLOWED_FUNCTIONS,
    ReadOnlySession,
    StatementRefused,
    check_statement,
    parse_url,
    tokenize,
)
from tests.pg_server import PgServer, pg_server  # noqa: F401  (session fixture)

OWN_QUERIES = [getattr(postgres, name) for name in dir(postgres) if name.startswith("Q_")]


BYPASSES = [
    # quoted function names: an identifier in double quotes is still a function call
    '"pg_terminate_backend"(1)',
    'SELECT "pg_terminate_backend"(pg_backend_pid())',
    'SELECT pg_catalog."pg_terminate_backend"(1)',
    'SELECT "pg_catalog"."set_config"(\'default_transaction_read_only\', \'off\', false)',
    'SELECT "PG_TERMINATE_BACKEND"(1)',
    'SELECT U&"pg_terminate\\005fbackend"(1)',
    # comments: `--` ends at CR as well as LF; nested /* */ comments
    "SELECT 1 -- harmless\rDELETE FROM orders",
    "SELECT 1 -- x\r; DELETE FROM orders",
    "SELECT 1 --\r, pg_terminate_backend(1)",
    "SELECT /* a /* nested */ */ pg_terminate_backend(1)",  # out of the nested comment here
    "SELECT /* unterminated pg_sleep(1)",
    "SELECT /* /* */ 1",
    # dollar quoting, which hides anything from a naive scan
    "SELECT $$x$$, pg_terminate_backend(1)",
    "SELECT $a$ ' $a$, set_config('a', 'b', false)",
    "SELECT $tag$ unterminated",
    "DO $$ BEGIN PERFORM pg_terminate_backend(1); END $$",
    "SELECT $x$a$x$",
    # strings: the end of the literal as the server sees it
    "SELECT E'\\'', pg_terminate_backend(1) --'",
    "SELECT e'\\\\', set_config('a','b',false)",
    "SELECT 'a\\'', pg_terminate_backend(1) --'",  # ambiguous if standard_conforming_strings were off
    "SELECT U&'x', lo_unlink(1)",
    "SELECT 'unterminated",
    # side-effect functions, qualified or not, spaced or not
    "SELECT set_config('default_transaction_read_only', 'off', false)",
    "SELECT count(*), set_config('a', 'b', false) FROM pg_roles",
    "SELECT pg_catalog.set_config ('a','b',false)",
    "SELECT pg_terminate_backend (1)",
    "SELECT pg_cancel_backend(1)",
    "SELECT lo_import('/etc/passwd')",
    "SELECT lo_unlink(1)",
    "SELECT pg_advisory_lock(1)",
    "SELECT pg_try_advisory_xact_lock(1)",
    "SELECT pg_create_logical_replication_slot('s', 'test_decoding')",
    "SELECT pg_create_physical_replication_slot('s')",
    "SELECT pg_drop_replication_slot('s')",
    "SELECT nextval('orders_id_seq')",
    "SELECT setval('orders_id_seq', 1)",
    "SELECT pg_read_file('/etc/passwd')",
    "SELECT pg_ls_dir('.')",
    "SELECT dblink_exec('host=x', 'DROP TABLE t')",
    "SELECT * FROM dblink('host=x', 'SELECT 1') AS t(a int)",
    "SELECT pg_reload_conf()",
    "SELECT pg_sleep(100)",
    "SELECT pg_notify('c', 'x')",
    "SELECT txid_current()",
    "SELECT query_to_xml('DELETE FROM orders RETURNING 1', true, true, '')",
    "SELECT * FROM generate_series(1, 1000000000)",
    "SELECT 1 FROM pg_roles WHERE lower(rolname) = 'x' OR pg_terminate_backend(1)",
    "SELECT (SELECT pg_terminate_backend(1))",
    "SELECT 1 FROM pg_roles r JOIN LATERAL (SELECT set_config('a','b',false)) s ON true",
    "SELECT count(*) OVER w, pg_sleep(1) FROM pg_roles WINDOW w AS ()",
    "SELECT over(1)",
    "SELECT materialized(1)",
    "SELECT by(1)",
    "SELECT like('a', 'b'), join(1)",
    # CTEs that write
    "WITH gone AS (DELETE FROM orders RETURNING *) SELECT * FROM gone",
    "WITH a AS (SELECT 1), b AS (UPDATE orders SET note = 'x' RETURNING 1) SELECT * FROM a",
    "WITH a AS MATERIALIZED (INSERT INTO orders DEFAULT VALUES RETURNING 1) SELECT 1",
    "WITH a AS (SELECT 1) DELETE FROM orders",
    "WITH a AS (SELECT 1) INSERT INTO orders SELECT * FROM a",
    "WITH RECURSIVE a AS (SELECT 1) UPDATE orders SET note = 'x'",
    "WITH a AS (SELECT 1 FROM orders FOR UPDATE) SELECT * FROM a",
    "WITH a(x) AS (SELECT 1) SELECT x FROM a",  # a column list is not needed: not guessed at
    "WITH a AS (VALUES (1)) SELECT * FROM a",
    "WITH SELECT 1",
    # several statements
    "SELECT 1; DELETE FROM orders",
    "SELECT 1;;DELETE FROM orders",
    "SELECT ';' ; SELECT pg_terminate_backend(1)",
    "SELECT 1 /* ; */ ; DROP TABLE orders",
    "BEGIN READ ONLY; COMMIT",
    # writes, locks and tables made by a SELECT
    "SELECT * INTO stolen FROM orders",
    "SELECT * FROM orders FOR UPDATE",
    "SELECT * FROM orders FOR NO KEY UPDATE",
    "SELECT * FROM orders FOR SHARE",
    "SELECT * FROM orders FOR KEY SHARE",
    "SELECT * FROM orders\tfor\nupdate",
    # not a SELECT at all
    "TABLE orders",
    "VALUES (1)",
    "(SELECT 1)",
    "EXPLAIN ANALYZE DELETE FROM orders",
    "CALL do_things()",
    "COPY orders TO PROGRAM 'id'",
    "SET default_transaction_read_only = off",
    "SET \"default_transaction_read_only\" = on",
    "SET statement_timeout = 5000 -- \r; RESET ALL",
    "SET ROLE app_owner",
    "RESET default_transaction_read_only",
    "START TRANSACTION READ WRITE",
    "BEGIN",
    "COMMIT",
    "ROLLBACK TO SAVEPOINT x",
    "PREPARE p AS DELETE FROM orders",
    "EXECUTE p",
    "LISTEN c",
    # unbalanced or unknown text
    "SELECT (1",
    "SELECT 1)",
    "SELECT \\ 1",
    "SELECT $ 1",
    "",
    "   ",
    "-- only a comment",
    ";",
]


@pytest.mark.parametrize("sql", BYPASSES)
def test_bypass_is_refused(sql: str) -> None:
    with pytest.raises(StatementRefused):
        check_statement(sql)


OWN_STATEMENTS = [
    *OWN_QUERIES,
    f"SET statement_timeout = {postgres.STATEMENT_TIMEOUT_MS}",
    "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
    "BEGIN READ ONLY",
    "ROLLBACK",
]


def test_the_module_defines_the_queries_it_runs() -> None:
    assert len(OWN_QUERIES) >= 6 and all(q.lstrip().upper().startswith("SELECT") for q in OWN_QUERIES)


@pytest.mark.parametrize("sql", OWN_STATEMENTS)
def test_the_providers_own_statements_are_accepted(sql: str) -> None:
    check_statement(sql)


PLAIN_READS = [
    "SELECT 'it''s; fine', 'pg_terminate_backend(1)'",
    'SELECT 1 AS "set_config"',
    "SELECT count(*) FROM pg_roles",
    "SELECT count(*) FILTER (WHERE rolsuper) OVER () FROM pg_roles",
    "SELECT 1 -- pg_terminate_backend(1)\n",
    "SELECT 1 /* pg_terminate_backend(1) /* nested */ still a comment */",
    "SELECT E'\\' pg_terminate_backend(1)'",
    "SELECT 1;",
    "WITH r AS (SELECT rolname FROM pg_roles) SELECT count(*) FROM r",
    "WITH r AS NOT MATERIALIZED (SELECT 1) SELECT * FROM r",
    "SELECT x.a FROM (SELECT 1) AS x(a)",
    "SELECT CAST('1' AS numeric(10, 2)), 1::int, ARRAY(SELECT 1), 1 = ANY(ARRAY[1])",
    "SELECT coalesce(nullif(lower('A'), ''), upper('b'))",
    "SELECT rolsuper, count(*) FROM pg_roles GROUP BY (rolsuper) ORDER BY (rolsuper)",
]


@pytest.mark.parametrize("sql", PLAIN_READS)
def test_plain_reads_are_accepted(sql: str) -> None:
    check_statement(sql)


def test_tokenizer_reads_literals_and_comments_as_postgresql_does() -> None:
    kinds = [(t.kind, t.value) for t in tokenize(
        "SELECT /* a /* b */ c */ 'x''y', E'\\'q', $t$ $ ' $t$, \"Mixed\"\"Id\", U&'u', 1.5e-3, $1 -- end\rFROM")]
    assert kinds == [("word", "select"), ("string", "x''y"), ("op", ","), ("string", "\\'q"), ("op", ","),
                     ("dollar", " $ ' "), ("op", ","), ("quoted", 'Mixed"Id'), ("op", ","), ("string", "u"),
                     ("op", ","), ("number", "1.5e-3"), ("op", ","), ("param", "$1"), ("word", "from")]


def test_only_ascii_letters_are_folded_like_postgresql() -> None:
    assert [t.value for t in tokenize("SELECT \u212aILL, CoUnT")] == ["select", "\u212aill", ",", "count"]


def test_allow_list_has_no_side_effect_function() -> None:
    assert not {name for name in ALLOWED_FUNCTIONS
                if name.startswith(("lo_", "pg_advisory", "pg_try_advisory", "pg_create", "pg_drop", "dblink"))
                or name in ("set_config", "nextval", "setval", "pg_terminate_backend", "pg_read_file")}


# --- against a real server -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def session(pg_server: PgServer) -> Iterator[ReadOnlySession]:  # noqa: F811
    password = secrets.token_urlsafe(12)
    pg_server.execute("postgres", f"CREATE ROLE sqlguard_probe LOGIN PASSWORD '{password}'")
    target = parse_url(pg_server.url("sqlguard_probe", password, "postgres"))
    opened = postgres.PROVIDER._connect(target, "127.0.0.1", pg_server.port, 5.0)
    try:
        yield opened
    finally:
        opened.close()


def test_refused_statements_never_reach_the_server(session: ReadOnlySession) -> None:
    before = session._connection.run("SELECT current_setting('application_name')")
    for sql in ("SELECT set_config('application_name', 'changed', false)",
                "SELECT \"set_config\"('application_name', 'changed', false)",
                "SELECT 1 -- x\r, set_config('application_name', 'changed', false)",
                "SELECT $q$x$q$, set_config('application_name', 'changed', false)"):
        with pytest.raises(StatementRefused):
            session.run(sql)
    assert session._connection.run("SELECT current_setting('application_name')") == before


def test_startup_makes_the_session_read_only_and_strings_standard(session: ReadOnlySession) -> None:
    assert session.run("SELECT current_setting('default_transaction_read_only'), "
                       "current_setting('standard_conforming_strings')") == [["on", "on"]]


@pytest.mark.parametrize("sql, expected", [
    ("SELECT 1 -- comment ends at CR\r+ 1", 2),
    ("SELECT 1 /* a /* nested */ still */ + 2", 3),
    ("SELECT length('a\\b')", 3),
    ("SELECT length(E'a\\'b')", 3),
    ("SELECT length(U&'\\0041b')", 2),
])
def test_the_server_agrees_with_the_lexer(session: ReadOnlySession, sql: str, expected: int) -> None:
    check_statement(sql)
    assert session.run(sql) == [[expected]]


@pytest.mark.parametrize("sql", PLAIN_READS)
def test_accepted_reads_are_valid_sql_for_the_server(session: ReadOnlySession, sql: str) -> None:
    """No accepted statement rests on a misreading: the server runs each one as the read it is."""
    assert session.run(sql)


def test_server_refuses_writes_even_when_sent_past_the_guard(session: ReadOnlySession) -> None:
    with pytest.raises(pg8000.native.DatabaseError) as refused:
        session._connection.run("CREATE TABLE sqlguard_probe_t (a int)")
    assert refused.value.args[0]["C"] == "25006"

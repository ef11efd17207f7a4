"""PostgreSQL provider against a real, throwaway PostgreSQL server (tests/pg_server.py).

Roles of different power are created by the fixture's superuser; after each introspection the
test proves nothing changed (checksums of every table's contents, the role and database
catalogs, and the per-table write counters) and that the SQL guard refuses writes.
"""

from __future__ import annotations

import secrets
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pg8000.native
import pytest

from providers.base import HttpSettings, Introspection, ProviderContext, ReadOnlyHttp
from providers.postgres import (
    EMBEDDED_HOST_REASON,
    PROVIDER,
    Q_DATABASES,
    Q_MEMBER_OF,
    Q_PREDEFINED,
    Q_ROLE,
    Q_SESSION,
    Q_TABLES,
    ReadOnlySession,
    StatementRefused,
    check_statement,
    parse_url,
)
from scanner.model import Action, EnvClass, VerificationStatus
from tests.helpers import context_for, make_credential
from tests.pg_server import PgServer, pg_server  # noqa: F401  (session fixture)

TABLES = ("customers", "orders", "invoices", "audit_log")


@dataclass(frozen=True)
class Roles:
    passwords: dict[str, str]

    def url(self, server: PgServer, role: str, database: str = "app_production",
            host: str | None = None) -> str:
        return server.url(role, self.passwords[role], database, host)


@pytest.fixture(scope="module")
def roles(pg_server: PgServer) -> Iterator[Roles]:  # noqa: F811
    passwords = {name: secrets.token_urlsafe(12) for name in
                 ("ops_root", "app_owner", "reporting", "cleanup_job", "analyst")}
    s = pg_server
    s.execute("postgres",
              f"CREATE ROLE ops_root LOGIN SUPERUSER PASSWORD '{passwords['ops_root']}'",
              f"CREATE ROLE app_owner LOGIN PASSWORD '{passwords['app_owner']}'",
              f"CREATE ROLE reporting LOGIN PASSWORD '{passwords['reporting']}'",
              f"CREATE ROLE cleanup_job LOGIN PASSWORD '{passwords['cleanup_job']}'",
              f"CREATE ROLE analyst LOGIN PASSWORD '{passwords['analyst']}'",
              "GRANT pg_read_all_data TO analyst",
              "CREATE DATABASE app_production OWNER app_owner",
              "CREATE DATABASE app_dev OWNER ops_root")
    statements: list[str] = ["SET ROLE app_owner"]
    for table in TABLES:
        statements += [f"CREATE TABLE {table} (id serial PRIMARY KEY, note text NOT NULL)",
                       f"INSERT INTO {table} (note) SELECT 'row ' || g FROM generate_series(1, 25) g"]
    statements += ["GRANT SELECT ON ALL TABLES IN SCHEMA public TO reporting, cleanup_job",
                   "GRANT DELETE ON orders, invoices TO cleanup_job",
                   "GRANT TRUNCATE ON audit_log TO cleanup_job",
                   "RESET ROLE"]
    s.execute("app_production", *statements)
    s.execute("app_dev", "CREATE TABLE scratch (id int)", "INSERT INTO scratch VALUES (1), (2)")
    yield Roles(passwords)


def snapshot(server: PgServer) -> dict[str, Any]:
    """Everything a write could change, read as the superuser: contents, catalog, write counters."""
    state: dict[str, Any] = {
        "roles": server.query("postgres", "SELECT rolname, rolsuper, rolcreatedb, rolcreaterole, "
                                          "rolcanlogin, rolpassword FROM pg_authid ORDER BY 1"),
        "databases": server.query("postgres",
                                  "SELECT datname, datdba::regrole::text FROM pg_database ORDER BY 1"),
    }
    for db in ("app_production", "app_dev"):
        tables = [r[0] for r in server.query(db, "SELECT relname FROM pg_class c JOIN pg_namespace n ON "
                                                 "n.oid = c.relnamespace WHERE n.nspname = 'public' AND "
                                                 "c.relkind = 'r' ORDER BY 1")]
        state[f"{db}.tables"] = tables
        for table in tables:
            state[f"{db}.{table}"] = server.query(
                db, "SELECT count(*), md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) "
                    f"FROM {table} t")
        state[f"{db}.grants"] = server.query(db, "SELECT relname, relacl::text FROM pg_class "
                                                 "WHERE relnamespace = 'public'::regnamespace ORDER BY 1")
        state[f"{db}.writes"] = server.query(db, "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del "
                                                 "FROM pg_stat_user_tables ORDER BY 1")
    return state


def embedded_context(timeout: float = 5.0) -> ProviderContext:
    """A run with --verify-embedded-hosts and no endpoint override: the URL's own host is used."""
    return ProviderContext(http=ReadOnlyHttp(PROVIDER.default_base_url, HttpSettings(timeout=timeout)),
                           endpoint_overridden=False, allow_embedded_hosts=True)


def introspect_url(server: PgServer, url: str) -> Introspection:
    credential = make_credential("postgres", "postgres_url", url)
    before = snapshot(server)
    result = PROVIDER.introspect(credential, embedded_context())
    assert snapshot(server) == before, "introspection changed the database"
    return result


def caps(result: Introspection, action: Action) -> dict[str, Any]:
    return {c.operation: c for c in result.blast_radius.capabilities if c.action is action}


def test_superuser_can_drop_every_database(pg_server: PgServer, roles: Roles) -> None:  # noqa: F811
    url = roles.url(pg_server, "ops_root")
    result = introspect_url(pg_server, url)
    assert result.verification.status is VerificationStatus.LIVE
    assert "superuser" in result.verification.reason
    blast = result.blast_radius
    assert blast.identity == f"ops_root@127.0.0.1:{pg_server.port}/app_production"
    assert "SUPERUSER" in blast.scopes
    assert "SUPERUSER" in caps(result, Action.ADMIN)
    dropped = {r.name: r.env_class for r in caps(result, Action.DELETE)["DROP DATABASE"].resources}
    assert dropped["app_production"] is EnvClass.PRODUCTION
    assert dropped["app_dev"] is EnvClass.DEVELOPMENT
    assert any("superuser" in note and "`app_production`" in note for note in blast.notes)
    assert roles.passwords["ops_root"] not in repr(result)


def test_database_owner_can_drop_its_database_and_tables(pg_server: PgServer, roles: Roles) -> None:  # noqa: F811
    result = introspect_url(pg_server, roles.url(pg_server, "app_owner"))
    assert result.verification.status is VerificationStatus.LIVE
    blast = result.blast_radius
    assert "SUPERUSER" not in blast.scopes
    assert "member of pg_database_owner" in blast.scopes
    delete = caps(result, Action.DELETE)
    assert [r.name for r in delete["DROP DATABASE"].resources] == ["app_production"]
    assert delete["DROP DATABASE"].resources[0].env_class is EnvClass.PRODUCTION
    assert sorted(r.name for r in delete["DROP TABLE"].resources) == sorted(TABLES)
    assert "can drop database `app_production` (it owns it)" in blast.notes
    assert "can DELETE/TRUNCATE 4 tables in `app_production`" in blast.notes
    assert not caps(result, Action.ADMIN)


def test_read_only_role_reports_read_only(pg_server: PgServer, roles: Roles) -> None:  # noqa: F811
    result = introspect_url(pg_server, roles.url(pg_server, "reporting"))
    assert result.verification.status is VerificationStatus.LIVE
    assert not caps(result, Action.DELETE) and not caps(result, Action.WRITE)
    assert not caps(result, Action.ADMIN)
    select = caps(result, Action.READ)["SELECT"]
    assert sorted(r.name for r in select.resources) == sorted(TABLES)
    assert all(r.env_class is EnvClass.PRODUCTION for r in select.resources)
    assert "can only read: SELECT on 4 tables in `app_production`" in result.blast_radius.notes
    assert any("app_dev" in u for u in result.blast_radius.unknowns)


def test_role_with_delete_on_some_tables(pg_server: PgServer, roles: Roles) -> None:  # noqa: F811
    result = introspect_url(pg_server, roles.url(pg_server, "cleanup_job"))
    assert result.verification.status is VerificationStatus.LIVE
    delete = caps(result, Action.DELETE)
    assert set(delete) == {"DELETE/TRUNCATE"}
    assert sorted(r.name for r in delete["DELETE/TRUNCATE"].resources) == ["audit_log", "invoices", "orders"]
    assert "can DELETE/TRUNCATE 3 tables in `app_production`" in result.blast_radius.notes
    assert "DROP DATABASE" not in delete


def test_predefined_read_all_data_role(pg_server: PgServer, roles: Roles) -> None:  # noqa: F811
    result = introspect_url(pg_server, roles.url(pg_server, "analyst", database="app_dev"))
    assert result.verification.status is VerificationStatus.LIVE
    read = caps(result, Action.READ)
    assert {r.name for r in read["SELECT (pg_read_all_data)"].resources} >= {"app_production", "app_dev"}
    assert not caps(result, Action.DELETE)


def test_wrong_password_is_invalid(pg_server: PgServer, roles: Roles) -> None:  # noqa: F811
    url = pg_server.url("cleanup_job", "not-the-password-" + secrets.token_hex(4), "app_production")
    result = introspect_url(pg_server, url)
    assert result.verification.status is VerificationStatus.INVALID
    assert "password" in result.verification.reason
    assert "not-the-password" not in repr(result)


def test_password_with_companions(pg_server: PgServer, roles: Roles) -> None:  # noqa: F811
    credential = make_credential("postgres", "postgres_password", roles.passwords["reporting"],
                                 {"host": "127.0.0.1", "port": str(pg_server.port), "user": "reporting",
                                  "database": "app_production"}, path="home/.pgpass")
    before = snapshot(pg_server)
    result = PROVIDER.introspect(credential, embedded_context())
    assert snapshot(pg_server) == before
    assert result.verification.status is VerificationStatus.LIVE
    assert result.blast_radius.identity == f"reporting@127.0.0.1:{pg_server.port}/app_production"


def test_endpoint_override_replaces_the_urls_host(pg_server: PgServer, roles: Roles) -> None:  # noqa: F811
    url = roles.url(pg_server, "cleanup_job", host="db.prod.internal")
    credential = make_credential("postgres", "postgres_url", url)
    before = snapshot(pg_server)
    result = PROVIDER.introspect(credential, context_for(f"127.0.0.1:{pg_server.port}"))
    assert snapshot(pg_server) == before
    assert result.verification.status is VerificationStatus.LIVE
    assert result.verification.endpoint == f"postgresql://cleanup_job@127.0.0.1:{pg_server.port}/app_production"


def test_embedded_host_not_contacted_without_permission(roles: Roles) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        url = f"postgresql://app_owner:{roles.passwords['app_owner']}@127.0.0.1:{port}/app_production"
        ctx = ProviderContext(http=ReadOnlyHttp(PROVIDER.default_base_url), endpoint_overridden=False)
        result = PROVIDER.introspect(make_credential("postgres", "postgres_url", url), ctx)
        listener.setblocking(False)
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody connected
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert result.verification.reason == EMBEDDED_HOST_REASON
    assert result.blast_radius.resources[0].env_class is EnvClass.PRODUCTION


def test_connection_refused_is_unverifiable(roles: Roles) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql://reporting:{roles.passwords['reporting']}@127.0.0.1:{port}/app_production"
    credential = make_credential("postgres", "postgres_url", url)
    result = PROVIDER.introspect(credential, embedded_context(timeout=2))
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert "cannot reach" in result.verification.reason
    assert roles.passwords["reporting"] not in repr(result)


def test_silent_server_times_out_as_unverifiable(roles: Roles) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)  # accepts at the TCP level, never answers the startup packet
        port = listener.getsockname()[1]
        url = f"postgresql://reporting:{roles.passwords['reporting']}@127.0.0.1:{port}/app_production"
        credential = make_credential("postgres", "postgres_url", url)
        result = PROVIDER.introspect(credential, embedded_context(timeout=1))
    assert result.verification.status is VerificationStatus.UNVERIFIABLE


def test_session_is_read_only_at_the_server_even_past_the_guard(pg_server: PgServer, roles: Roles) -> None:  # noqa: F811
    """Defence in depth: the startup packet already makes every transaction read-only."""
    target = parse_url(roles.url(pg_server, "cleanup_job"))
    session = PROVIDER._connect(target, "127.0.0.1", pg_server.port, 5.0)
    before = snapshot(pg_server)
    try:
        with pytest.raises(StatementRefused):
            session.run("DELETE FROM orders")
        with pytest.raises(pg8000.native.DatabaseError) as refused:
            session._connection.run("DELETE FROM orders")  # bypass the guard on purpose
        assert refused.value.args[0]["C"] == "25006"  # read_only_sql_transaction
    finally:
        session.close()
    assert snapshot(pg_server) == before


@pytest.mark.parametrize("sql", [
    "DELETE FROM orders",
    "delete from orders",
    "TRUNCATE audit_log",
    "DROP DATABASE app_production",
    "INSERT INTO orders (note) VALUES ('x')",
    "UPDATE orders SET note = 'x'",
    "COPY orders TO PROGRAM 'id'",
    "SELECT 1; DELETE FROM orders",
    "SELECT 1 /* ; */ ; DROP TABLE orders",
    "SELECT * INTO stolen FROM orders",
    "SELECT id FROM orders FOR UPDATE",
    "SELECT pg_terminate_backend(42)",
    "SELECT lo_unlink(1)",
    "SELECT set_config('default_transaction_read_only', 'off', false)",
    "WITH gone AS (DELETE FROM orders RETURNING *) SELECT * FROM gone",
    "SET default_transaction_read_only = off",
    "SET ROLE app_owner",
    "SET SESSION AUTHORIZATION ops_root",
    "BEGIN",
    "START TRANSACTION READ WRITE",
    "COMMIT",
    "ALTER ROLE reporting SUPERUSER",
    "GRANT ALL ON orders TO reporting",
    "DO $$ BEGIN DELETE FROM orders; END $$",
    "SELECT $x$a$x$",
    "",
])
def test_guard_refuses_anything_but_catalog_reads(sql: str) -> None:
    with pytest.raises(StatementRefused):
        check_statement(sql)


@pytest.mark.parametrize("sql", [
    Q_SESSION, Q_ROLE, Q_PREDEFINED, Q_MEMBER_OF, Q_DATABASES, Q_TABLES,
    "SET statement_timeout = 5000", "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
    "BEGIN READ ONLY", "ROLLBACK", "SELECT 'it''s; fine'",
])
def test_guard_allows_the_providers_own_statements(sql: str) -> None:
    check_statement(sql)


def test_guard_refuses_before_sending(pg_server: PgServer, roles: Roles) -> None:  # noqa: F811
    conn = pg8000.native.Connection("cleanup_job", host="127.0.0.1", port=pg_server.port,
                                    database="app_production", password=roles.passwords["cleanup_job"],
                                    ssl_context=False, timeout=5)
    session = ReadOnlySession(conn)
    before = snapshot(pg_server)
    try:
        with pytest.raises(StatementRefused):
            session.run("DELETE FROM orders")
        assert session.run("SELECT count(*) FROM orders") == [[25]]
    finally:
        session.close()
    assert snapshot(pg_server) == before


def test_url_parsing_keeps_the_password_out_of_repr() -> None:
    target = parse_url("postgres+psycopg2://u%40x:p%2Fss@db.example.com:6543/app?sslmode=require")
    assert (target.user, target.password, target.host, target.port, target.database, target.sslmode) == (
        "u@x", "p/ss", "db.example.com", 6543, "app", "require")
    assert "p/ss" not in repr(target)


def test_unparseable_url_is_unverifiable() -> None:
    result = PROVIDER.introspect(make_credential("postgres", "postgres_url", "postgres://onlyuser@host/db"),
                                 embedded_context())
    assert result.verification.status is VerificationStatus.UNVERIFIABLE

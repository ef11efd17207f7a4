"""A throwaway, real PostgreSQL server for the test session.

Why a real server: the PostgreSQL provider's whole job is reading the catalog (role attributes,
ownership, grants) and proving it changed nothing; a fake wire protocol would prove neither.

The fixture runs ``initdb`` into a fresh temporary directory, starts ``postgres`` with ``pg_ctl``
on 127.0.0.1 on a free port (unix socket in the same temporary directory), and removes it all at
the end of the session. ``initdb`` refuses to run as root, so when the tests run as root the
binaries run as the unprivileged ``nobody`` user (``runuser``/``setpriv``) and the directory is
handed to that user. When no PostgreSQL binaries are installed the tests that need the server
are skipped with the reason (``apt-get install postgresql`` provides them).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pg8000.native
import pytest

SUPERUSER = "credreach_super"


def find_binary(name: str) -> str | None:
    """``name`` on PATH, else the newest Debian-style /usr/lib/postgresql/*/bin/<name>."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda p: _version_key(p.split("/")[-3]))
    return candidates[-1] if candidates else None


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".") if part.isdigit())


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_user_prefix() -> tuple[list[str], int | None, int | None]:
    """Command prefix that drops root to ``nobody`` (and its uid/gid), or nothing when not root."""
    if os.geteuid() != 0:
        return [], None, None
    entry = pwd.getpwnam("nobody")
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", "nobody", "--"], entry.pw_uid, entry.pw_gid
    setpriv = shutil.which("setpriv")
    if setpriv:
        return ([setpriv, f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--clear-groups"],
                entry.pw_uid, entry.pw_gid)
    raise RuntimeError("running as root and neither runuser nor setpriv is available to drop privileges")


@dataclass
class PgServer:
    """A running server: where it listens and the superuser that set it up."""

    host: str
    port: int
    socket_dir: str
    superuser: str
    superuser_password: str
    directory: str
    log_file: str
    _prefix: list[str] = field(default_factory=list, repr=False)
    _pg_ctl: str = ""

    def connect(self, user: str | None = None, password: str | None = None,
                database: str = "postgres") -> pg8000.native.Connection:
        return pg8000.native.Connection(
            user or self.superuser, host=self.host, port=self.port, database=database,
            password=password if user else self.superuser_password, ssl_context=False, timeout=10)

    def execute(self, database: str, *statements: str) -> None:
        """Run setup statements as the superuser (tests only: the provider never writes)."""
        conn = self.connect(database=database)
        try:
            for statement in statements:
                conn.run(statement)
        finally:
            conn.close()

    def query(self, database: str, sql: str, **params: Any) -> list[list[Any]]:
        conn = self.connect(database=database)
        try:
            return [list(row) for row in conn.run(sql, **params)]
        finally:
            conn.close()

    def url(self, user: str, password: str, database: str, host: str | None = None) -> str:
        from urllib.parse import quote

        return (f"postgresql://{quote(user, safe='')}:{quote(password, safe='')}@"
                f"{host or self.host}:{self.port}/{database}")

    def stop(self) -> None:
        subprocess.run([*self._prefix, self._pg_ctl, "stop", "-D", os.path.join(self.directory, "data"),
                        "-m", "fast", "-w", "-t", "30"], capture_output=True, timeout=60, check=False)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _reap_orphans(pg_ctl: str, prefix: list[str]) -> None:
    """Stop servers left by an earlier test run that was killed before its teardown (e.g. a timeout)."""
    for owner_file in glob.glob(os.path.join(tempfile.gettempdir(), "credreach-pg-*", "owner.pid")):
        directory = os.path.dirname(owner_file)
        try:
            with open(owner_file, encoding="utf-8") as handle:
                owner = int(handle.read().strip() or 0)
        except (OSError, ValueError):
            continue
        if owner and _alive(owner):
            continue
        subprocess.run([*prefix, pg_ctl, "stop", "-D", os.path.join(directory, "data"), "-m", "immediate",
                        "-w", "-t", "30"], capture_output=True, timeout=60, check=False)
        shutil.rmtree(directory, ignore_errors=True)


@contextlib.contextmanager
def running_server() -> Iterator[PgServer]:
    initdb = find_binary("initdb")
    pg_ctl = find_binary("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not installed; apt-get install postgresql")
    prefix, uid, gid = _as_user_prefix()
    _reap_orphans(pg_ctl, prefix)
    directory = tempfile.mkdtemp(prefix="credreach-pg-")
    with open(os.path.join(directory, "owner.pid"), "w", encoding="utf-8") as handle:
        handle.write(str(os.getpid()))
    data_dir = os.path.join(directory, "data")
    socket_dir = os.path.join(directory, "sock")
    log_file = os.path.join(directory, "server.log")
    password = secrets.token_urlsafe(18)
    pwfile = os.path.join(directory, "pwfile")
    with open(pwfile, "w", encoding="utf-8") as handle:
        handle.write(password + "\n")
    os.mkdir(socket_dir)
    if uid is not None and gid is not None:
        for path in (directory, socket_dir, pwfile):
            os.chown(path, uid, gid)
    server: PgServer | None = None
    try:
        subprocess.run([*prefix, initdb, "-D", data_dir, "-U", SUPERUSER, "--pwfile", pwfile,
                        "--auth=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync"],
                       check=True, capture_output=True, timeout=120)
        os.unlink(pwfile)
        port = _free_port()
        options = (f"-c listen_addresses=127.0.0.1 -p {port} -k {socket_dir} -c fsync=off "
                   "-c full_page_writes=off -c synchronous_commit=off -c max_connections=40")
        started = subprocess.run([*prefix, pg_ctl, "start", "-D", data_dir, "-l", log_file, "-w",
                                  "-t", "60", "-o", options], capture_output=True, timeout=90, check=False)
        if started.returncode != 0:
            log = ""
            if os.path.exists(log_file):
                with open(log_file, encoding="utf-8", errors="replace") as handle:
                    log = handle.read()
            raise RuntimeError(f"pg_ctl start failed: {started.stderr.decode(errors='replace')}\n{log}")
        server = PgServer("127.0.0.1", port, socket_dir, SUPERUSER, password, directory, log_file,
                          prefix, pg_ctl)
        _wait_ready(server)
        yield server
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(directory, ignore_errors=True)


def _wait_ready(server: PgServer, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            server.connect().close()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    with running_server() as server:
        yield server

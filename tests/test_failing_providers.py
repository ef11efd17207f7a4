"""Failing providers: every fault ends as ``unverifiable`` with a reason, within the time budget.

Faults are real servers on loopback: a raw socket server that accepts and never answers, one that
drips a byte every 0.5 s (in the status line or in the body), a closed port, and recording
:class:`FakeProvider` servers answering 429/500/garbage/huge bodies/redirects. They are driven
through :class:`ReadOnlyHttp`, through :func:`providers.verify.verify_all` with the real Railway and
GitHub providers, and through the CLI with ``--endpoint`` and ``--verify-timeout``. Bounds come
from pytest-timeout, never from assertions on speed.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from credreach.fakes._server import FakeProvider, FakeResponse, RecordedRequest, assert_read_only
from providers.base import MAX_BODY_BYTES, HttpSettings, ProviderError, ReadOnlyHttp, status_problem
from providers.verify import VerifyOptions, verify_all
from scanner.model import VerificationStatus
from tests.conftest import run_credreach
from tests.helpers import make_credential

RAILWAY_UUID = "5f3c1a2b-9d8e-4f7a-b6c5-" + "1e2d3f4a5b6c"
GH_TOKEN = "ghp_" + "R8fK2mQ9xZ4vB7nL1pW3sT6yH0jD5cG8aE2u"


# --- servers ---------------------------------------------------------------------------------------

class RawServer:
    """A TCP server on 127.0.0.1 whose every connection is handed to ``behaviour(conn, stop)``.

    It records the bytes each connection sent, so a test can prove what (if anything) arrived.
    """

    def __init__(self, behaviour: Callable[[socket.socket, threading.Event], None]) -> None:
        self._behaviour = behaviour
        self._stop = threading.Event()
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.2)
        self.received: list[bytes] = []
        self._threads: list[threading.Thread] = []
        self._accepter = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(1.0)
            try:
                self.received.append(conn.recv(65536))
            except OSError:
                self.received.append(b"")
            with contextlib.suppress(OSError):
                self._behaviour(conn, self._stop)

    def __enter__(self) -> RawServer:
        self._accepter.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._sock.close()
        self._accepter.join()
        for thread in self._threads:
            thread.join(timeout=5)


def hang(conn: socket.socket, stop: threading.Event) -> None:
    """Accept the request and never answer."""
    stop.wait()


def drip_status_line(conn: socket.socket, stop: threading.Event) -> None:
    """A byte every 0.5 s, forever, before the headers are even complete."""
    payload = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 10_000
    for byte in payload:
        if stop.wait(0.5):
            return
        conn.sendall(bytes([byte]))


def drip_body(conn: socket.socket, stop: threading.Event) -> None:
    """Prompt headers, then a body of 10 000 bytes sent one byte per 0.5 s."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n{")
    while not stop.wait(0.5):
        conn.sendall(b" ")


def closed_port() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now: connection refused
    return f"http://127.0.0.1:{port}"


class Scripted(FakeProvider):
    """A recording fake that answers each request with the next scripted response (the last repeats)."""

    def __init__(self, *responses: FakeResponse) -> None:
        super().__init__()
        self._responses = list(responses)

    def handle(self, request: RecordedRequest) -> FakeResponse:
        with self._lock:
            index = min(len(self.requests) - 1, len(self._responses) - 1)
        return self._responses[index]


@pytest.fixture
def http_settings() -> HttpSettings:
    return HttpSettings(timeout=2.0, retries=2, max_retry_after=3.0)


# --- ReadOnlyHttp -----------------------------------------------------------------------------------

@pytest.mark.timeout(60)
def test_hanging_server_times_out(http_settings: HttpSettings) -> None:
    with RawServer(hang) as server, pytest.raises(ProviderError, match="timed out"):
        ReadOnlyHttp(server.url, http_settings).get("/me")


@pytest.mark.timeout(60)
def test_connection_refused(http_settings: HttpSettings) -> None:
    with pytest.raises(ProviderError, match="cannot connect"):
        ReadOnlyHttp(closed_port(), http_settings).get("/me")


@pytest.mark.timeout(60)
@pytest.mark.parametrize("behaviour", [drip_status_line, drip_body], ids=["status-line", "body"])
def test_slow_drip_is_cut_off(behaviour: Callable[[socket.socket, threading.Event], None],
                              http_settings: HttpSettings) -> None:
    """A byte every 0.5 s never trips a per-read timeout; the per-request bound must end it."""
    with RawServer(behaviour) as server, pytest.raises(ProviderError, match="too slow|timed out"):
        ReadOnlyHttp(server.url, http_settings).get("/me")


@pytest.mark.timeout(60)
def test_429_retry_after_is_honoured_then_succeeds(http_settings: HttpSettings) -> None:
    with Scripted(FakeResponse(429, {"message": "slow down"}, {"Retry-After": "1"}),
                  FakeResponse(200, {"ok": True})) as fake:
        started = time.monotonic()
        response = ReadOnlyHttp(fake.url, http_settings).get("/me")
        waited = time.monotonic() - started
    assert response.status == 200 and response.json() == {"ok": True}
    assert len(fake.requests) == 2
    assert waited >= 1.0  # it really waited as told (a lower bound, not a speed assertion)
    assert_read_only(fake.requests)


@pytest.mark.timeout(60)
def test_429_with_a_long_retry_after_is_not_waited_for(http_settings: HttpSettings) -> None:
    with Scripted(FakeResponse(429, {"message": "slow down"}, {"Retry-After": "3600"})) as fake:
        response = ReadOnlyHttp(fake.url, http_settings).get("/me")
    assert response.status == 429 and len(fake.requests) == 1
    assert status_problem(response) == "rate limited by provider (HTTP 429, Retry-After 3600s)"


@pytest.mark.timeout(60)
def test_500s_are_retried_a_bounded_number_of_times(http_settings: HttpSettings) -> None:
    with Scripted(FakeResponse(503, {"error": "unavailable"})) as fake:
        response = ReadOnlyHttp(fake.url, http_settings).get("/me")
    assert response.status == 503
    assert len(fake.requests) == http_settings.retries + 1
    assert status_problem(response) == "provider error (HTTP 503)"


@pytest.mark.timeout(60)
@pytest.mark.parametrize("raw", [b"{not json", b"\xff\xfe\x00", b"", b"<html>502 Bad Gateway</html>"])
def test_malformed_json_is_a_provider_error(raw: bytes, http_settings: HttpSettings) -> None:
    with Scripted(FakeResponse(200, raw=raw)) as fake:
        response = ReadOnlyHttp(fake.url, http_settings).get("/me")
    with pytest.raises(ProviderError, match="malformed JSON"):
        response.json()


@pytest.mark.timeout(60)
def test_huge_response_is_not_read(http_settings: HttpSettings) -> None:
    body = b"[" + b"0," * (MAX_BODY_BYTES // 2 + 1024) + b"0]"
    with Scripted(FakeResponse(200, raw=body)) as fake, pytest.raises(ProviderError, match="larger than"):
        ReadOnlyHttp(fake.url, http_settings).get("/me")


@pytest.mark.timeout(60)
@pytest.mark.parametrize("status", [301, 302, 307, 308])
@pytest.mark.parametrize("other_host", ["127.0.0.1", "localhost"])
def test_redirect_to_another_host_is_never_followed(status: int, other_host: str,
                                                    http_settings: HttpSettings) -> None:
    with Scripted(FakeResponse(200, {"stolen": True})) as elsewhere:
        port = elsewhere.url.rsplit(":", 1)[1]
        target = f"http://{other_host}:{port}/collect"
        with Scripted(FakeResponse(status, {"moved": True}, {"Location": target})) as origin:
            http = ReadOnlyHttp(origin.url, http_settings)
            with pytest.raises(ProviderError, match="redirects are never followed"):
                http.get("/me", headers={"Authorization": f"Bearer {GH_TOKEN}"})
    assert elsewhere.requests == []  # the second host received nothing at all
    assert len(origin.requests) == 1 and origin.requests[0].bearer == GH_TOKEN
    assert http.sent == [("GET", origin.url + "/me")]


@pytest.mark.timeout(60)
def test_absolute_url_to_another_host_is_refused_before_sending(http_settings: HttpSettings) -> None:
    with Scripted(FakeResponse(200, {})) as elsewhere, Scripted(FakeResponse(200, {})) as origin:
        http = ReadOnlyHttp(origin.url, http_settings)
        with pytest.raises(Exception, match="refusing to send a credential"):
            http.get(elsewhere.url + "/me")
    assert elsewhere.requests == [] and origin.requests == [] and http.sent == []


# --- verify_all with real providers ---------------------------------------------------------------

def _faults() -> Iterator[tuple[str, Callable[[], object]]]:
    yield "hang", lambda: RawServer(hang)
    yield "drip-status-line", lambda: RawServer(drip_status_line)
    yield "drip-body", lambda: RawServer(drip_body)
    yield "429", lambda: Scripted(FakeResponse(429, {"errors": [{"message": "rate"}]}, {"Retry-After": "60"}))
    yield "500", lambda: Scripted(FakeResponse(500, {"errors": [{"message": "boom"}]}))
    yield "garbage", lambda: Scripted(FakeResponse(200, raw=b"{\"data\": "))
    yield "wrong-shape", lambda: Scripted(FakeResponse(200, ["not", "an", "object"]))
    yield "huge", lambda: Scripted(FakeResponse(200, raw=b" " * (MAX_BODY_BYTES + 10)))
    yield "redirect", lambda: Scripted(FakeResponse(302, None, {"Location": "http://localhost:9/x"}))


FAULTS = dict(_faults())


@pytest.mark.timeout(90)
@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("provider,kind,secret", [
    ("railway", "railway_account_token", RAILWAY_UUID),
    ("github", "github_classic_pat", GH_TOKEN),
])
def test_each_fault_ends_unverifiable_with_a_reason(fault: str, provider: str, kind: str, secret: str) -> None:
    with FAULTS[fault]() as server:  # type: ignore[attr-defined]
        credential = make_credential(provider, kind, secret)
        results = verify_all([credential], VerifyOptions(endpoints={provider: server.url}, budget_seconds=8,
                                                         request_timeout=2))
    verification = results[credential.fingerprint].verification
    assert verification.status is VerificationStatus.UNVERIFIABLE, verification
    assert verification.reason and secret not in verification.reason
    if isinstance(server, FakeProvider):
        assert_read_only(server.requests)


@pytest.mark.timeout(90)
def test_unreachable_provider_ends_unverifiable() -> None:
    credential = make_credential("railway", "railway_account_token", RAILWAY_UUID)
    results = verify_all([credential], VerifyOptions(endpoints={"railway": closed_port()}, budget_seconds=8,
                                                     request_timeout=2))
    verification = results[credential.fingerprint].verification
    assert verification.status is VerificationStatus.UNVERIFIABLE
    assert "connect" in verification.reason


@pytest.mark.timeout(90)
def test_budget_bounds_many_credentials_on_a_hanging_provider() -> None:
    """Twelve tokens, one dripping server, a 3 s budget: verify_all returns and names the budget."""
    credentials = [make_credential("railway", "railway_account_token", RAILWAY_UUID[:-2] + f"{i:02d}")
                   for i in range(12)]
    with RawServer(drip_status_line) as server:
        results = verify_all(credentials, VerifyOptions(endpoints={"railway": server.url}, budget_seconds=3,
                                                        request_timeout=30))
    assert set(results) == {c.fingerprint for c in credentials}
    for result in results.values():
        assert result.verification.status is VerificationStatus.UNVERIFIABLE
        assert result.verification.reason


# --- the CLI ----------------------------------------------------------------------------------------

@pytest.mark.timeout(120)
@pytest.mark.parametrize("behaviour", [hang, drip_status_line, drip_body], ids=["hang", "drip-status", "drip-body"])
def test_cli_verify_timeout_bounds_the_whole_run(tmp_path: Path,
                                                 behaviour: Callable[[socket.socket, threading.Event], None]) -> None:
    (tmp_path / ".env").write_text(f"RAILWAY_TOKEN={RAILWAY_UUID}\nGITHUB_TOKEN={GH_TOKEN}\n")
    with RawServer(behaviour) as railway, RawServer(behaviour) as github:
        run = run_credreach("scan", str(tmp_path), "-f", "json", "--verify-timeout", "3",
                            "--endpoint", f"railway={railway.url}", "--endpoint", f"github={github.url}",
                            cwd=tmp_path, env={"HOME": str(tmp_path / "no-home")}, timeout=90)
    assert run.returncode in (0, 1), run.stderr
    assert "Traceback" not in run.stderr
    report = json.loads(run.stdout)
    statuses = {c["kind"]: c["verification"] for c in report["credentials"]}
    assert set(statuses) == {"railway_project_token", "github_classic_pat"}
    for verification in statuses.values():
        assert verification["status"] == "unverifiable" and verification["reason"]
    assert RAILWAY_UUID not in run.stdout + run.stderr and GH_TOKEN not in run.stdout + run.stderr
    # The credential went to the endpoint it was sent to and nowhere else.
    assert any(RAILWAY_UUID.encode() in r for r in railway.received)
    assert not any(RAILWAY_UUID.encode() in r for r in github.received)


# --- a database host that drips (issue 12.5) ---------------------------------------------------------

def drip_postgres(conn: socket.socket, stop: threading.Event) -> None:
    """Answer the SSL request with ``N`` (no TLS), then drip an endless authentication message.

    The PostgreSQL wire protocol (https://www.postgresql.org/docs/current/protocol-flow.html):
    the client's first 8 bytes are an SSLRequest, answered by one byte ``S``/``N``; the server then
    sends ``R`` messages. Here the ``R`` message's length says 64 KiB and its bytes come one per
    0.3 s, so every single read succeeds and a per-read timeout never fires.
    """
    conn.sendall(b"N")
    with contextlib.suppress(OSError):
        conn.recv(65536)  # the startup packet
    for byte in b"R\x00\x01\x00\x00" + b"\x00" * 65536:
        if stop.wait(0.3):
            return
        conn.sendall(bytes([byte]))


@pytest.mark.timeout(90)
def test_dripping_database_host_leaves_no_thread_holding_the_process() -> None:
    """verify_all returns at the budget, the provider cut itself off, and no worker keeps the process alive."""
    with RawServer(drip_postgres) as server:
        port = server.url.rsplit(":", 1)[1]
        credential = make_credential("postgres", "postgres_url",
                                     f"postgresql://app:Dr1pP4ssw0rdQz@127.0.0.1:{port}/app_production")
        before = set(threading.enumerate())
        results = verify_all([credential], VerifyOptions(endpoints={}, budget_seconds=2, request_timeout=30,
                                                         allow_embedded_hosts=True))
        lingering = [t for t in set(threading.enumerate()) - before if t.is_alive() and not t.daemon]
    verification = results[credential.fingerprint].verification
    assert verification.status is VerificationStatus.UNVERIFIABLE
    assert "cut off" in verification.reason or "budget" in verification.reason
    assert "Dr1pP4ssw0rdQz" not in verification.reason
    assert lingering == []
    assert server.received and server.received[0][:8] == b"\x00\x00\x00\x08\x04\xd2\x16\x2f"  # SSLRequest


@pytest.mark.timeout(120)
@pytest.mark.parametrize("behaviour", [drip_postgres, hang], ids=["drip", "hang"])
def test_cli_exits_after_the_budget_when_a_database_host_drips(
        tmp_path: Path, behaviour: Callable[[socket.socket, threading.Event], None]) -> None:
    """The real process, ``--verify-embedded-hosts``: report written AND exit code returned.

    Before the fix the report was printed at the budget but the process never exited (a
    ThreadPoolExecutor worker stuck in pg8000's read was joined at interpreter exit). The bound
    is the subprocess timeout: 3 s budget plus a generous margin for a loaded machine.
    """
    with RawServer(behaviour) as server:
        port = server.url.rsplit(":", 1)[1]
        (tmp_path / ".env").write_text(
            f"DATABASE_URL=postgresql://app:Dr1pP4ssw0rdQz@127.0.0.1:{port}/app_production\n")
        run = run_credreach("scan", str(tmp_path), "-f", "json", "--verify-timeout", "3",
                            "--verify-embedded-hosts", cwd=tmp_path,
                            env={"HOME": str(tmp_path / "no-home")}, timeout=60)
    assert run.returncode in (0, 1), run.stderr
    assert "Traceback" not in run.stderr
    (entry,) = json.loads(run.stdout)["credentials"]
    assert entry["kind"] == "postgres_url"
    assert entry["verification"]["status"] == "unverifiable" and entry["verification"]["reason"]
    assert "Dr1pP4ssw0rdQz" not in run.stdout + run.stderr

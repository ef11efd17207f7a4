"""Verification orchestrator: each credential checked once, concurrently, within a time budget.

Credentials arrive deduplicated by fingerprint, so a token found in ten places is checked once;
a process-wide cache keeps that true across repeated scans in one process (demo, tests).
Any failure of a provider ends as a Verification with a reason; nothing here raises.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from providers.base import (
    HttpSettings,
    Introspection,
    ProviderContext,
    ReadOnlyHttp,
    endpoint_for,
    unverifiable,
)
from providers.guard import MutationRefused
from providers.registry import provider_for_kind
from scanner.model import Credential, Verification, VerificationStatus
from scanner.redact import safe_error


@dataclass(frozen=True)
class VerifyOptions:
    endpoints: Mapping[str, str]
    budget_seconds: float = 60.0
    request_timeout: float = 10.0
    concurrency: int = 8
    allow_embedded_hosts: bool = False


REPORT_GRACE_SECONDS = 0.5
"""After the budget, how long a provider that cut itself off at the deadline has to hand in its own
(more precise) reason before the generic "budget exhausted" one is used."""

_CACHE: dict[tuple[str, str], Introspection] = {}
_CACHE_LOCK = threading.Lock()


def _not_attempted(reason: str) -> Introspection:
    return Introspection(Verification(VerificationStatus.NOT_ATTEMPTED, reason))


def verify_one(credential: Credential, options: VerifyOptions, deadline: float,
               semaphores: dict[str, threading.Semaphore]) -> Introspection:
    provider = provider_for_kind(credential.kind)
    if provider is None:
        return _not_attempted(f"no provider check for {credential.kind}")
    base_url, overridden = endpoint_for(provider, options.endpoints)
    key = (credential.fingerprint, base_url)
    with _CACHE_LOCK:
        if key in _CACHE:
            return _CACHE[key]
    settings = HttpSettings(timeout=options.request_timeout, deadline=deadline)
    semaphore = semaphores.setdefault(provider.name, threading.Semaphore(settings.concurrency_per_provider))
    http = ReadOnlyHttp(base_url, settings, semaphore)
    ctx = ProviderContext(http=http, endpoint_overridden=overridden,
                          allow_embedded_hosts=options.allow_embedded_hosts,
                          other_default_urls=provider.other_default_urls)
    try:
        result = provider.introspect(credential, ctx)
    except MutationRefused as exc:
        result = Introspection(Verification(VerificationStatus.ERROR,
                                            f"credreach refused its own request: {safe_error(exc)}", base_url))
    except Exception as exc:  # a provider bug must not end the scan
        result = unverifiable(f"{provider.display_name} check failed: {safe_error(exc)}", base_url)
    if result.verification.status in (VerificationStatus.LIVE, VerificationStatus.INVALID):
        with _CACHE_LOCK:
            _CACHE[key] = result
    return result


def verify_all(credentials: Iterable[Credential], options: VerifyOptions) -> dict[str, Introspection]:
    """Introspect every credential; returns fingerprint -> Introspection for each one.

    Why daemon threads and not a ``ThreadPoolExecutor``: the executor's workers are joined by an
    interpreter exit hook (``concurrent.futures.thread._python_exit``) even after
    ``shutdown(wait=False)``, so one provider call stuck in a read (a database host dripping a
    byte at a time) kept the whole process alive after the report was written. Daemon workers
    are abandoned at the budget and never hold the process open; each provider also bounds its
    own sockets (see :mod:`providers.postgres`), so an abandoned worker ends soon after.
    """
    creds = list(credentials)
    deadline = time.monotonic() + options.budget_seconds
    semaphores: dict[str, threading.Semaphore] = {}
    work: queue.SimpleQueue[Credential] = queue.SimpleQueue()
    for credential in creds:
        work.put(credential)
    finished: dict[str, Introspection] = {}
    expected = len({c.fingerprint for c in creds})
    lock = threading.Lock()
    all_done = threading.Event()
    if not creds:
        all_done.set()

    def worker() -> None:
        while time.monotonic() < deadline:
            try:
                credential = work.get_nowait()
            except queue.Empty:
                return
            result = verify_one(credential, options, deadline, semaphores)
            with lock:
                finished[credential.fingerprint] = result
                if len(finished) >= expected:
                    all_done.set()

    for index in range(min(max(1, options.concurrency), max(1, len(creds)))):
        threading.Thread(target=worker, name=f"verify-{index}", daemon=True).start()
    all_done.wait(max(0.0, deadline - time.monotonic()) + REPORT_GRACE_SECONDS)
    with lock:
        results = dict(finished)
    for credential in creds:
        results.setdefault(credential.fingerprint, unverifiable(
            f"verification time budget of {options.budget_seconds:.0f}s exhausted (--verify-timeout)"))
    return results

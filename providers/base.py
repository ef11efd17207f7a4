"""Provider interface and the one HTTP client every provider uses.

The client is the enforcement point for the rules that are never bent:

* read-only: every request passes :func:`providers.guard.check_request` before it is sent;
* a secret goes only to its own provider: the client is bound to one base URL (the provider's
  default, or one the user set with ``--endpoint NAME=URL`` / ``CREDREACH_ENDPOINT_NAME``) and
  refuses any other host; redirects are never followed;
* bounded: per-request timeout, a deadline on slow-drip bodies, a cap on body size, retries with
  backoff on 429/5xx honouring ``Retry-After``, and a per-provider concurrency limit.
"""

from __future__ import annotations

import json
import os
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlsplit

import requests

from providers.guard import MutationRefused, ReadOnlyPost, check_request
from scanner.model import (
    BlastRadius,
    Credential,
    EnvClass,
    Verification,
    VerificationStatus,
)
from scanner.redact import REDACTOR, safe_error

USER_AGENT = "credreach/0.1 (read-only credential introspection)"
MAX_BODY_BYTES = 8 * 1024 * 1024


class ProviderError(Exception):
    """A provider call failed in a way that makes the credential unverifiable."""


class InvalidCredential(Exception):
    """The provider answered that the credential is not valid (revoked, expired, wrong)."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str

    def json(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ProviderError(f"malformed JSON from provider (HTTP {self.status})") from exc

    def header(self, name: str) -> str | None:
        lower = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lower:
                return value
        return None


@dataclass
class HttpSettings:
    timeout: float = 10.0
    retries: int = 2
    max_retry_after: float = 5.0
    max_body_bytes: int = MAX_BODY_BYTES
    concurrency_per_provider: int = 4
    deadline: float | None = None
    """Absolute ``time.monotonic()`` after which no request starts (``--verify-timeout``)."""


class ReadOnlyHttp:
    """An HTTP client bound to one provider base URL that can only read."""

    def __init__(self, base_url: str, settings: HttpSettings | None = None,
                 semaphore: threading.Semaphore | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._origin = _origin(self.base_url)
        self.settings = settings or HttpSettings()
        self._semaphore = semaphore or threading.Semaphore(self.settings.concurrency_per_provider)
        self._session = requests.Session()
        self._session.trust_env = False  # no proxies or netrc from the environment: secrets go direct
        self.sent: list[tuple[str, str]] = []

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def get(self, path: str, *, headers: Mapping[str, str] | None = None,
            params: Mapping[str, str] | None = None) -> Response:
        return self.request("GET", path, headers=headers, params=params)

    def graphql(self, path: str, query: str, variables: Mapping[str, Any] | None = None,
                *, headers: Mapping[str, str] | None = None) -> Response:
        body: dict[str, Any] = {"query": query}
        if variables:
            body["variables"] = dict(variables)
        return self.request("POST", path, headers=headers, json_body=body,
                            post_kind=ReadOnlyPost.GRAPHQL_QUERY)

    def request(self, method: str, path: str, *, headers: Mapping[str, str] | None = None,
                params: Mapping[str, str] | None = None, json_body: object = None,
                form: Mapping[str, str] | None = None, post_kind: ReadOnlyPost | None = None,
                ) -> Response:
        url = self.url(path)
        if _origin(url) != self._origin:
            raise MutationRefused(f"refusing to send a credential to {_origin(url)}; bound to {self._origin}")
        check_request(method, url, post_kind=post_kind, json_body=json_body, form=form)
        all_headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        all_headers.update(headers or {})
        attempt = 0
        while True:
            self._check_deadline()
            with self._semaphore:
                response = self._send_once(method, url, all_headers, params, json_body, form)
            retryable = response.status == 429 or response.status >= 500
            if not retryable or attempt >= self.settings.retries:
                return response
            wait = _retry_after(response.header("Retry-After"), attempt)
            if wait > self.settings.max_retry_after:
                return response
            if self.settings.deadline is not None and time.monotonic() + wait > self.settings.deadline:
                return response
            time.sleep(wait)
            attempt += 1

    def _check_deadline(self) -> None:
        if self.settings.deadline is not None and time.monotonic() >= self.settings.deadline:
            raise ProviderError("verification time budget exhausted (--verify-timeout)")

    def _send_once(self, method: str, url: str, headers: Mapping[str, str],
                   params: Mapping[str, str] | None, json_body: object,
                   form: Mapping[str, str] | None) -> Response:
        """One exchange, bounded by wall-clock time.

        Socket timeouts bound each read, not the whole exchange: a server dripping one byte per
        second into the status line or a Content-Length body never trips them. The exchange runs
        in a daemon thread and is abandoned when the bound passes (the thread ends when the server
        closes or the process exits; a daemon thread never holds the process open).
        """
        self.sent.append((method, url))
        timeout = self.settings.timeout
        if self.settings.deadline is not None:
            timeout = max(0.1, min(timeout, self.settings.deadline - time.monotonic()))
        outcome: list[Response | BaseException] = []
        done = threading.Event()

        def exchange() -> None:
            try:
                outcome.append(self._exchange(method, url, headers, params, json_body, form, timeout))
            except BaseException as exc:  # handed to the caller below
                outcome.append(exc)
            finally:
                done.set()

        threading.Thread(target=exchange, name="credreach-http", daemon=True).start()
        if not done.wait(timeout + 0.5):
            raise ProviderError(f"response from {self._origin} too slow (over {timeout:.0f}s)")
        result = outcome[0]
        if isinstance(result, BaseException):
            raise result
        return result

    def _exchange(self, method: str, url: str, headers: Mapping[str, str],
                  params: Mapping[str, str] | None, json_body: object,
                  form: Mapping[str, str] | None, timeout: float) -> Response:
        started = time.monotonic()
        try:
            raw = self._session.request(
                method, url, headers=dict(headers), params=params,
                json=json_body if json_body is not None else None,
                data=dict(form) if form is not None else None,
                timeout=(min(timeout, 5.0), timeout), allow_redirects=False, stream=True,
            )
        except requests.exceptions.Timeout as exc:
            raise ProviderError(f"timed out after {timeout:.0f}s talking to {self._origin}") from exc
        except requests.exceptions.ConnectionError as exc:
            raise ProviderError(f"cannot connect to {self._origin}: {_short(exc)}") from exc
        except requests.exceptions.RequestException as exc:
            raise ProviderError(f"request to {self._origin} failed: {safe_error(exc)}") from exc
        try:
            if 300 <= raw.status_code < 400:
                target = raw.headers.get("Location", "")
                raise ProviderError(
                    f"provider answered HTTP {raw.status_code} redirecting to {_origin(target) or 'elsewhere'};"
                    " redirects are never followed with a credential")
            chunks: list[bytes] = []
            size = 0
            for chunk in raw.iter_content(65536):
                size += len(chunk)
                if size > self.settings.max_body_bytes:
                    raise ProviderError(f"response larger than {self.settings.max_body_bytes} bytes; not read")
                if time.monotonic() - started > timeout:
                    raise ProviderError(f"response from {self._origin} too slow (over {timeout:.0f}s)")
                chunks.append(chunk)
        except requests.exceptions.RequestException as exc:
            raise ProviderError(f"reading response from {self._origin} failed: {_short(exc)}") from exc
        finally:
            raw.close()
        return Response(raw.status_code, dict(raw.headers), b"".join(chunks), url)


def _short(exc: BaseException) -> str:
    text = safe_error(exc)
    return text if len(text) < 200 else text[:200] + "…"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{parts.hostname.lower()}:{port}"


def _retry_after(value: str | None, attempt: int) -> float:
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
    return 0.5 * (2 ** attempt)


@dataclass(frozen=True)
class Introspection:
    verification: Verification
    blast_radius: BlastRadius = field(default_factory=BlastRadius)


@dataclass(frozen=True)
class ProviderContext:
    """What a provider gets besides the credential: its HTTP client and run options."""

    http: ReadOnlyHttp
    endpoint_overridden: bool
    allow_embedded_hosts: bool = False
    """``--verify-embedded-hosts``: may a credential whose host is part of the credential itself
    (database URL, kubeconfig cluster) be checked against that host."""
    other_default_urls: tuple[str, ...] = ()
    """Further default hosts of the same provider (AWS: IAM beside STS)."""

    def http_for(self, default_url: str) -> ReadOnlyHttp:
        """Client for another of the provider's own default hosts; the override replaces all of them."""
        if self.endpoint_overridden or default_url.rstrip("/") == self.http.base_url:
            return self.http
        if default_url.rstrip("/") not in {u.rstrip("/") for u in self.other_default_urls}:
            raise MutationRefused(f"{default_url} is not one of this provider's own hosts")
        return ReadOnlyHttp(default_url, self.http.settings, self.http._semaphore)


class Provider(ABC):
    """One provider: which credential kinds it handles and how to ask what they can do."""

    name: ClassVar[str]
    """Short id used in ``--endpoint NAME=URL`` and ``CREDREACH_ENDPOINT_NAME``."""
    display_name: ClassVar[str]
    kinds: ClassVar[frozenset[str]]
    default_base_url: ClassVar[str]
    other_default_urls: ClassVar[tuple[str, ...]] = ()
    reveals: ClassVar[str]
    """One line for ``credreach providers``: what introspection can tell."""
    docs: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def introspect(self, credential: Credential, ctx: ProviderContext) -> Introspection:
        """Ask the provider, read-only, what the credential is and what it can do."""


def live(reason: str, endpoint: str, blast: BlastRadius) -> Introspection:
    return Introspection(Verification(VerificationStatus.LIVE, reason, endpoint), blast)


def invalid(reason: str, endpoint: str) -> Introspection:
    return Introspection(Verification(VerificationStatus.INVALID, reason, endpoint))


def unverifiable(reason: str, endpoint: str | None = None, blast: BlastRadius | None = None) -> Introspection:
    return Introspection(Verification(VerificationStatus.UNVERIFIABLE, REDACTOR.scrub(reason), endpoint),
                         blast or BlastRadius())


def status_problem(response: Response) -> str | None:
    """A human reason for a non-2xx answer that is not an auth failure, or None when 2xx."""
    if 200 <= response.status < 300:
        return None
    if response.status == 429:
        retry = response.header("Retry-After")
        return "rate limited by provider (HTTP 429" + (f", Retry-After {retry}s)" if retry else ")")
    if response.status >= 500:
        return f"provider error (HTTP {response.status})"
    return f"unexpected answer (HTTP {response.status})"


_PRODUCTION_WORDS = ("production", "prod", "live", "main", "master", "prd")
_STAGING_WORDS = ("staging", "stage", "stg", "preprod", "pre-prod", "uat", "qa")
_DEVELOPMENT_WORDS = ("development", "dev", "test", "testing", "sandbox", "preview", "local", "demo")


def classify_environment(name: str | None) -> EnvClass:
    """Environment class from a name: words, not substrings, so `product-api` is not production."""
    if not name:
        return EnvClass.UNKNOWN
    import re

    words = set(re.split(r"[^a-z0-9]+", name.lower()))
    if words & set(_STAGING_WORDS) or "pre-prod" in name.lower():
        return EnvClass.STAGING
    if words & set(_PRODUCTION_WORDS):
        return EnvClass.PRODUCTION
    if words & set(_DEVELOPMENT_WORDS):
        return EnvClass.DEVELOPMENT
    return EnvClass.UNKNOWN


def endpoint_for(provider: type[Provider] | Provider, overrides: Mapping[str, str]) -> tuple[str, bool]:
    """The base URL a provider's secrets may go to, and whether the user chose it explicitly."""
    name = provider.name
    if name in overrides:
        return overrides[name].rstrip("/"), True
    env_value = os.environ.get(f"CREDREACH_ENDPOINT_{name.upper().replace('-', '_')}")
    if env_value:
        return env_value.rstrip("/"), True
    return provider.default_base_url, False

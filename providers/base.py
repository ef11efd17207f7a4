"""Provider interface and the one HTTP client every provider uses.

The client is the enforcement point for the rules that are never bent:

* read-only: every request passes :func:`providers.guard.check_request` before it is sent, then
  :func:`providers.allowed_calls.check_call`: no method override, no mutating ``Action=``,
  ``query=`` or Slack method, and only the (method, path) pairs on the calling provider's own
  allow-list (the provider is known from :data:`ACTIVE_PROVIDER`, set around every ``introspect``);
* a secret goes only to its own provider: the client is bound to one base URL (the provider's
  default, or one the user set with ``--endpoint NAME=URL`` / ``CREDREACH_ENDPOINT_NAME``) and
  refuses any other host; redirects are never followed;
* bounded: per-request timeout, a deadline on slow-drip bodies, a cap on body size, retries with
  backoff on 429/5xx honouring ``Retry-After``, and a per-provider concurrency limit.
"""

from __future__ import annotations

import contextvars
import functools
import json
import logging
import os
import re
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlsplit

import requests

from providers import allowed_calls
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
HTTP_LOG = logging.getLogger("credreach.http")
MAX_BODY_BYTES = 8 * 1024 * 1024

ACTIVE_PROVIDER: contextvars.ContextVar[str | None] = contextvars.ContextVar("credreach_provider", default=None)
"""Name of the provider whose ``introspect`` is running in this thread (set by :class:`Provider`);
:meth:`ReadOnlyHttp.request` checks every call against that provider's allow-list in
:mod:`providers.allowed_calls`. None outside any ``introspect``: generic checks only."""


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
        allowed_calls.check_call(ACTIVE_PROVIDER.get(), method, url, self.base_url,
                                 headers=headers, params=params, form=form)
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
        started = time.monotonic()
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
            _log_request(method, url, "no answer (too slow)", started)
            raise ProviderError(f"response from {self._origin} too slow (over {timeout:.0f}s)")
        result = outcome[0]
        _log_request(method, url, result.status if isinstance(result, Response)
                     else f"failed ({type(result).__name__})", started)
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


def _log_request(method: str, url: str, status: int | str, started: float) -> None:
    """One ``-v``/``--debug`` line per provider request: method, host, path, status, time.

    The query string is left out (providers may pass identifiers there) and the record goes
    through the redacting log filter like every other, so a secret in a path is masked too.
    """
    if not HTTP_LOG.isEnabledFor(logging.INFO):
        return
    parts = urlsplit(url)
    host = parts.hostname or "?"
    if parts.port:
        host += f":{parts.port}"
    HTTP_LOG.info("%s %s %s -> %s in %.2fs", method, host, parts.path or "/", status, time.monotonic() - started)


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

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Wrap each subclass's own ``introspect`` so that every HTTP call made while it runs is
        checked against that provider's allow-list (:data:`ACTIVE_PROVIDER`)."""
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("introspect")
        if own is None or getattr(own, "__isabstractmethod__", False) or getattr(own, "_credreach_scoped", False):
            return

        @functools.wraps(own)
        def introspect(self: Provider, credential: Credential, ctx: ProviderContext) -> Introspection:
            token = ACTIVE_PROVIDER.set(type(self).name)
            try:
                return own(self, credential, ctx)
            finally:
                ACTIVE_PROVIDER.reset(token)

        introspect._credreach_scoped = True  # type: ignore[attr-defined]
        cls.introspect = introspect  # type: ignore[method-assign]

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


# --- pagination: the one way every provider reads a list ------------------------------------------
#
# A list read once understates: the 61st zone, the 101st project, the 201st app is exactly the one
# nobody looked at. Every provider that lists goes through :func:`paginate` (HTTP) or
# :func:`collect` (anything else, e.g. GraphQL Relay connections), each page style below is the
# provider's documented one, and a list that stops early (page cap, failing page, a next link to
# another host, a repeated page) says so in :meth:`Listing.shortfall`, never silently.

MAX_PAGES = 10
"""Default page cap per list: 500-2,000 items at documented page sizes, bounded so one credential
cannot turn a scan into thousands of calls. Reaching it is reported (``listed 500 of 1,342 zones``)."""


@dataclass(frozen=True)
class PageRequest:
    """How to ask for one page: a path (or an absolute next-page URL on the bound host)."""

    path: str
    params: Mapping[str, str] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Page:
    """One page as its style read it: the items, the next page to ask for (None: this was the last)
    and the provider's total when it reports one."""

    items: tuple[Any, ...]
    next: Any = None
    total: int | None = None


class PageFailed(Exception):
    """A page could not be read; the message says why (for the report)."""


@dataclass(frozen=True)
class Listing:
    """A whole list, or as much of it as could be read, with why it stopped when it stopped early."""

    what: str
    items: tuple[Any, ...]
    pages: int
    total: int | None = None
    capped: bool = False
    """Stopped at the page cap with more pages left."""
    problem: str | None = None
    """Why a page after the first could not be read (or why the first failed, with ``status``)."""
    max_pages: int = MAX_PAGES
    status: int = 200
    """HTTP status of the first page (0 when not HTTP or never sent)."""
    first: Response | None = None

    @property
    def ok(self) -> bool:
        """The first page was read (later pages may still have failed: see :attr:`complete`)."""
        return 200 <= self.status < 300 and (self.pages > 0 or self.problem is None)

    @property
    def complete(self) -> bool:
        return self.ok and not self.capped and self.problem is None

    def shortfall(self) -> str | None:
        """The report's sentence when the list is not whole, e.g. ``listed 500 of 1,342 zones``."""
        count = len(self.items)
        if self.capped:
            if self.total is not None and self.total > count:
                return (f"listed {count:,} of {self.total:,} {self.what} (page cap of {self.max_pages} "
                        "pages reached); the rest were not inspected")
            return (f"listed {count:,} {self.what}; more exist (page cap of {self.max_pages} pages "
                    "reached); the rest were not inspected")
        if self.problem and self.pages > 0:
            of = f" of {self.total:,}" if self.total is not None and self.total > count else ""
            return f"listed {count:,}{of} {self.what}; {self.problem}, so the list may be incomplete"
        return None


def collect(fetch: Any, *, what: str, first: Any = None, max_pages: int = MAX_PAGES) -> Listing:
    """Read pages with ``fetch(cursor) -> Page`` (``first`` is the first cursor) up to ``max_pages``.

    ``fetch`` raises :class:`PageFailed` for a page it could not read: on the first page that
    propagates (the caller decides what no list means); later, the pages read so far are kept and
    the listing says the rest is missing.
    """
    items: list[Any] = []
    total: int | None = None
    seen: set[str] = set()
    cursor = first
    for index in range(max_pages):
        try:
            page: Page = fetch(cursor)
        except PageFailed as exc:
            if index == 0:
                raise
            return Listing(what, tuple(items), index, total, problem=f"page {index + 1} could not be read ({exc})",
                           max_pages=max_pages)
        items.extend(page.items)
        if page.total is not None:
            total = page.total
        if page.next is None:
            return Listing(what, tuple(items), index + 1, total, max_pages=max_pages)
        seen.add(repr(cursor))
        if repr(page.next) in seen:
            return Listing(what, tuple(items), index + 1, total, max_pages=max_pages,
                           problem="the provider pointed back to a page already read")
        cursor = page.next
    return Listing(what, tuple(items), max_pages, total, capped=True, max_pages=max_pages)


class PageStyle:
    """A provider's documented way of saying "there is more". Subclasses read one answer."""

    def first(self, path: str, params: Mapping[str, str] | None,
              headers: Mapping[str, str]) -> PageRequest:
        return PageRequest(path, dict(params) if params is not None else None, dict(headers))

    def read(self, request: PageRequest, response: Response) -> Page:  # pragma: no cover - abstract
        raise NotImplementedError


def _dig(data: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _items(data: Any, key: tuple[str, ...]) -> tuple[Any, ...]:
    found = _dig(data, key) if key else data
    return tuple(found) if isinstance(found, list) else ()


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None and str(value).strip() != "" else None
    except (TypeError, ValueError):
        return None


def _with(params: Mapping[str, str] | None, **extra: str) -> dict[str, str]:
    return {**(params or {}), **extra}


_LINK_PART = re.compile(r'<([^>]*)>((?:\s*;\s*[^;,]+)*)')


def link_next(header: str | None) -> str | None:
    """The ``rel="next"`` target of an RFC 8288 ``Link`` header (Sentry's ``results="false"`` means none)."""
    for match in _LINK_PART.finditer(header or ""):
        attrs = match.group(2).lower().replace(" ", "")
        if ('rel="next"' in attrs or "rel=next" in attrs) and 'results="false"' not in attrs:
            return match.group(1)
    return None


@dataclass(frozen=True)
class LinkHeader(PageStyle):
    """``Link: <url>; rel="next"`` (GitHub, Hugging Face, Sentry). The next URL carries its own query."""

    items_key: tuple[str, ...] = ()

    def read(self, request: PageRequest, response: Response) -> Page:
        target = link_next(response.header("Link"))
        return Page(_items(response.json(), self.items_key),
                    PageRequest(target, None, request.headers) if target else None)


@dataclass(frozen=True)
class NextPageHeader(PageStyle):
    """GitLab: ``X-Next-Page`` (empty on the last page), ``X-Total`` (omitted for large lists)."""

    def read(self, request: PageRequest, response: Response) -> Page:
        following = (response.header("X-Next-Page") or "").strip()
        nxt = PageRequest(request.path, _with(request.params, page=following), request.headers) \
            if following else None
        return Page(_items(response.json(), ()), nxt, _int(response.header("X-Total")))


@dataclass(frozen=True)
class ResultInfo(PageStyle):
    """Cloudflare v4 envelope: ``result_info {page, per_page, total_pages, total_count}``."""

    def read(self, request: PageRequest, response: Response) -> Page:
        data = response.json()
        info = _dig(data, ("result_info",)) or {}
        page = _int(_dig(info, ("page",))) or _int((request.params or {}).get("page")) or 1
        pages = _int(_dig(info, ("total_pages",)))
        nxt = PageRequest(request.path, _with(request.params, page=str(page + 1)), request.headers) \
            if pages is not None and page < pages else None
        return Page(_items(data, ("result",)), nxt, _int(_dig(info, ("total_count",))))


@dataclass(frozen=True)
class BodyCursor(PageStyle):
    """A cursor in the body sent back as a parameter: Vercel ``pagination.next`` -> ``until``,
    Slack ``response_metadata.next_cursor`` -> ``cursor``, Kubernetes ``metadata.continue``."""

    items_key: tuple[str, ...]
    cursor: tuple[str, ...]
    param: str

    def read(self, request: PageRequest, response: Response) -> Page:
        data = response.json()
        value = _dig(data, self.cursor)
        nxt = PageRequest(request.path, _with(request.params, **{self.param: str(value)}), request.headers) \
            if value not in (None, "", 0) else None
        return Page(_items(data, self.items_key), nxt)


@dataclass(frozen=True)
class HasMore(PageStyle):
    """``has_more`` plus the last id sent back (OpenAI ``last_id``/``after``, Anthropic ``after_id``,
    Stripe: the last item's ``id`` as ``starting_after``)."""

    items_key: tuple[str, ...] = ("data",)
    last: tuple[str, ...] = ("last_id",)
    param: str = "after"

    def read(self, request: PageRequest, response: Response) -> Page:
        data = response.json()
        items = _items(data, self.items_key)
        last = _dig(data, self.last) if self.last else (_dig(items[-1], ("id",)) if items else None)
        more = bool(_dig(data, ("has_more",))) and last not in (None, "")
        nxt = PageRequest(request.path, _with(request.params, **{self.param: str(last)}), request.headers) \
            if more else None
        return Page(items, nxt)


@dataclass(frozen=True)
class NextUrl(PageStyle):
    """A next-page URL in the body: DigitalOcean ``links.pages.next`` (total ``meta.total``),
    Docker Hub ``next``, npm ``urls.next``, Twilio ``next_page_uri``."""

    items_key: tuple[str, ...]
    url: tuple[str, ...]
    total: tuple[str, ...] = ()

    def read(self, request: PageRequest, response: Response) -> Page:
        data = response.json()
        target = _dig(data, self.url)
        nxt = PageRequest(str(target), None, request.headers) if isinstance(target, str) and target else None
        return Page(_items(data, self.items_key), nxt, _int(_dig(data, self.total)) if self.total else None)


@dataclass(frozen=True)
class RangeHeader(PageStyle):
    """Heroku Platform API: ``Range: id ..; max=1000`` asks for a page; an answer of ``206 Partial
    Content`` with ``Next-Range`` means more, sent back verbatim as the next ``Range``
    (https://devcenter.heroku.com/articles/platform-api-reference#ranges)."""

    range: str = "id ..; max=1000"

    def first(self, path: str, params: Mapping[str, str] | None,
              headers: Mapping[str, str]) -> PageRequest:
        return PageRequest(path, dict(params) if params else None, {**headers, "Range": self.range})

    def read(self, request: PageRequest, response: Response) -> Page:
        following = response.header("Next-Range") if response.status == 206 else None
        nxt = PageRequest(request.path, request.params, {**request.headers, "Range": following}) \
            if following else None
        return Page(_items(response.json(), ()), nxt)


def paginate(http: ReadOnlyHttp, path: str, style: PageStyle, *, what: str,
             headers: Mapping[str, str] | None = None, params: Mapping[str, str] | None = None,
             max_pages: int = MAX_PAGES) -> Listing:
    """GET every page of a list in the provider's documented ``style``, up to ``max_pages``.

    The first page's non-2xx answer comes back as a listing with that ``status`` and no items (the
    caller decides: a 403 may itself be the finding); network errors and malformed JSON on the first
    page raise :class:`ProviderError` as a single GET would. A next-page URL on another host is
    never followed: the secret stays on its provider's bound host.
    """
    first_request = style.first(path, params, dict(headers or {}))
    answers: list[Response] = []

    def fetch(request: PageRequest) -> Page:
        if request.path.startswith(("http://", "https://")) and _origin(request.path) != http._origin:
            raise PageFailed(f"the next-page link pointed to {_origin(request.path) or 'another host'}; "
                             "not followed with the credential")
        on_first = not answers
        try:
            response = http.get(request.path, headers=request.headers, params=request.params)
        except ProviderError as exc:
            if on_first:
                raise
            raise PageFailed(str(exc)) from exc
        except MutationRefused as exc:  # incl. allowed_calls.CallRefused: a next link off the list
            if on_first:
                raise
            raise PageFailed(f"the next-page link is not a call credreach makes ({exc}); not followed") from exc
        answers.append(response)
        if not 200 <= response.status < 300:
            raise PageFailed(status_problem(response) or f"HTTP {response.status}")
        try:
            return style.read(request, response)
        except ProviderError as exc:
            if on_first:
                raise
            raise PageFailed("malformed answer") from exc

    try:
        listing = collect(fetch, what=what, first=first_request, max_pages=max_pages)
    except PageFailed as exc:
        first = answers[0] if answers else None
        return Listing(what, (), 0, problem=str(exc), max_pages=max_pages,
                       status=first.status if first else 0, first=first)
    first = answers[0]
    return Listing(listing.what, listing.items, listing.pages, listing.total, listing.capped,
                   listing.problem, max_pages, first.status, first)

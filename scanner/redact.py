"""Redaction and fingerprints: the only ways a secret is allowed to leave memory.

A fingerprint is ``HMAC-SHA256(key, secret)`` truncated to 32 hex digits. The key defaults to a
public, fixed value so fingerprints are stable across machines (baselines and SARIF
``partialFingerprints`` depend on that); set ``CREDREACH_FINGERPRINT_KEY`` to a team secret so
that nobody holding a report can confirm a guessed secret against it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import os
import re
import threading
from collections import Counter
from urllib.parse import unquote

DEFAULT_FINGERPRINT_KEY = "credreach-fingerprint-v1"
FINGERPRINT_KEY_ENV = "CREDREACH_FINGERPRINT_KEY"

# Non-secret prefixes that identify a token type; a preview keeps them so a person can tell
# what kind of token it is without seeing any of its secret part.
KNOWN_PREFIXES = (
    "github_pat_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "glpat-", "sk-proj-", "sk-svcacct-",
    "sk-admin-", "sk-ant-api03-", "sk-ant-admin01-", "sk-ant-", "sk_live_", "sk_test_", "rk_live_",
    "rk_test_", "hf_", "npm_", "dckr_pat_", "dop_v1_", "doo_v1_", "xoxb-", "xoxp-", "xoxa-", "xapp-",
    "SG.", "AKIA", "ASIA", "pypi-", "sntrys_", "sntryu_", "lin_api_", "sbp_", "HRKU-", "SK", "sk-",
)


def fingerprint(secret: str, key: str | None = None) -> str:
    key = key if key is not None else os.environ.get(FINGERPRINT_KEY_ENV, DEFAULT_FINGERPRINT_KEY)
    digest = hmac.new(key.encode(), secret.encode("utf-8", "surrogateescape"), hashlib.sha256)
    return digest.hexdigest()[:32]


# A URL with a password in its userinfo: ``scheme://user:PASSWORD@host...``. The user name stops
# at the first ``:`` (RFC 3986 userinfo); the password runs to the LAST ``@`` of the value, because
# real passwords hold unencoded ``@`` and ``:`` (``postgres://app:p@ss:w0rd@db/app``) and stopping at
# the first ``@`` would print the rest of the password as if it were the host. Masking too much
# (an ``@`` in a query string) hides part of the host; masking too little would leak, so the
# greedy match is the safe side.
_URL_PASSWORD = re.compile(
    r"^(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<password>.+)(?P<tail>@[^@]*)$", re.I | re.S)

# Companion values that are identifiers, not secrets (kept readable in reports, never registered).
NON_SECRET_COMPANIONS = frozenset({
    "host", "registry", "username", "user", "login", "profile", "region", "server", "context",
    "cluster", "database", "port", "client_email", "project_id", "token_uri", "account_sid",
})

MIN_REDACTED_LENGTH = 8
"""Values shorter than this are never searched for in output (see :func:`is_redactable`)."""

_WORDLIKE = re.compile(r"[a-z]+(?:[-_. ][a-z]+)*")


def url_password(value: str) -> str | None:
    """The password of a ``scheme://user:password@host`` value (up to the last ``@``), or None."""
    match = _URL_PASSWORD.match(value)
    return match.group("password") if match else None


def is_redactable(value: str) -> bool:
    """Whether a value is credential-like enough to be searched for and replaced in free text.

    Replacing a value everywhere it occurs is only safe for values that do not also occur as
    ordinary text: a detected "password" of ``postgres``, ``secret`` or ``changeme`` would
    otherwise rewrite every message that mentions the word. So a value is redactable only when it
    is at least :data:`MIN_REDACTED_LENGTH` characters, has at least 5 distinct characters and
    a Shannon entropy of at least 2.5 bits per character, and is not a lower-case word or
    snake/kebab-case phrase under 24 characters. Such values are not credentials (the detector
    does not report them either); structured fields are never scrubbed at all.
    """
    text = value.strip()
    if len(text) < MIN_REDACTED_LENGTH or len(set(text)) < 5:
        return False
    if len(text) < 24 and _WORDLIKE.fullmatch(text):
        return False
    if len(text) < 16 and (text.isdigit() or (text.isalpha() and (text.islower() or text.isupper()))):
        return False
    size = len(text)
    entropy = -sum(n / size * math.log2(n / size) for n in Counter(text).values())
    return entropy >= 2.5


def preview(secret: str) -> str:
    """A redacted preview: known prefix, two leading and two trailing characters, and the length.

    For a URL with a password (database URLs) the password alone is masked: the host and the
    database name say which system is at risk and are not secret.
    """
    url = _URL_PASSWORD.match(secret)
    if url:
        return f"{url.group('head')}****{url.group('tail')}"
    prefix = next((p for p in KNOWN_PREFIXES if secret.startswith(p) and len(secret) > len(p) + 8), "")
    body = secret[len(prefix):]
    if len(body) < 12:
        return f"{prefix}****"
    return f"{prefix}{body[:2]}…{body[-2:]} ({len(secret)} chars)"


class Redactor:
    """Knows every secret found so far and scrubs them from free text before it is shown.

    Free text is what credreach did not build from structured fields: provider messages,
    exception text, log records, warnings, provider-derived notes. Reporters call :meth:`scrub`
    on each such value where they build it; kinds, providers, rule ids, paths, fingerprints, ids
    and resource names are never passed through it. ``--show-secrets`` disables it.

    Matching uses an index on the first :data:`MIN_REDACTED_LENGTH` characters of every
    registered spelling, so a scrub costs one dictionary lookup per character of the text,
    whatever the number of secrets (a regular expression alternation of thousands of secrets
    cost 70% of a scan's run time as a final pass over the report).
    """

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._registered: set[str] = set()
        self._index: dict[str, tuple[str, ...]] = {}
        self._lock = threading.Lock()
        self.enabled = True
        self.version = 0
        """Bumped whenever a value is added: what a caller's remembered scrub results are valid for."""

    def register(self, secret: str) -> None:
        """Remember ``secret`` (and a URL's password) if it is redactable; otherwise ignore it."""
        if not secret or secret in self._registered:
            return
        self._registered.add(secret)  # the same value found in many places is read once
        password = url_password(secret)
        decoded = unquote(password) if password and "%" in password else None
        values = [v for v in (secret, password, decoded) if v and is_redactable(v)]
        if not values:
            return
        spellings = {s for s in self._spellings(*values) if len(s) >= MIN_REDACTED_LENGTH}
        with self._lock:
            for value in spellings - self._secrets:
                self._secrets.add(value)
                key = value[:MIN_REDACTED_LENGTH]
                # One entry replaced whole (atomic for readers), longest first for leftmost-longest.
                self._index[key] = tuple(sorted((*self._index.get(key, ()), value), key=len, reverse=True))
                self.version += 1

    def __len__(self) -> int:
        return len(self._secrets)

    @staticmethod
    def _spellings(*values: str | None) -> set[str]:
        """Each value as it may appear in output: raw, stripped, and escaped the way ``repr()``
        (exception messages quote header values that way) and JSON (non-ASCII as ``\\uXXXX``) do.
        A secret read with a trailing newline or a non-ASCII character would otherwise slip past.
        """
        out: set[str] = set()
        for value in values:
            if not value:
                continue
            for form in (value, value.strip()):
                out.update({form, repr(form)[1:-1], json.dumps(form)[1:-1],
                            json.dumps(form, ensure_ascii=False)[1:-1]})
        return {v for v in out if v}

    def scrub(self, text: str) -> str:
        """``text`` with every registered secret replaced by its preview (leftmost, longest)."""
        if not self.enabled or not text or len(text) < MIN_REDACTED_LENGTH:
            return text
        index = self._index  # entries are replaced whole on register, so reading needs no lock
        if not index:
            return text
        k = MIN_REDACTED_LENGTH
        out: list[str] = []
        last = i = 0
        end = len(text) - k
        while i <= end:
            candidates = index.get(text[i:i + k])
            if candidates:
                for secret in candidates:
                    if text.startswith(secret, i):
                        out.append(text[last:i])
                        out.append(preview(secret))
                        i = last = i + len(secret)
                        break
                else:
                    i += 1
            else:
                i += 1
        if not out:
            return text
        out.append(text[last:])
        return "".join(out)


REDACTOR = Redactor()


class RedactingFilter(logging.Filter):
    """Logging filter that scrubs every record, args included, before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not leak args either
            message = str(record.msg)
        record.msg = REDACTOR.scrub(message)
        record.args = ()
        return True


def safe_error(exc: BaseException) -> str:
    """An exception as one redacted line: type and message, never a traceback."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return REDACTOR.scrub(text.replace("\n", " "))[:500]

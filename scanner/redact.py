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
import os
import re
import threading

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


_URL_PASSWORD = re.compile(r"^(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<password>[^@\s]+)(?P<tail>@.*)$", re.I)


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
    """Knows every secret found so far and scrubs them from any text before it is shown.

    Used by the logging filter, by error messages built from provider responses and exceptions,
    and by every reporter as a final pass. ``--show-secrets`` disables it.
    """

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()
        self.enabled = True

    def register(self, secret: str) -> None:
        if len(secret) < 6:
            return
        url = _URL_PASSWORD.match(secret)
        with self._lock:
            for value in self._spellings(secret, url.group("password") if url else None):
                if len(value) >= 6 and value not in self._secrets:
                    self._secrets.add(value)
                    self._pattern = None

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
        if not self.enabled or not text:
            return text
        with self._lock:
            if not self._secrets:
                return text
            if self._pattern is None:
                ordered = sorted(self._secrets, key=len, reverse=True)
                self._pattern = re.compile("|".join(re.escape(s) for s in ordered))
            pattern = self._pattern
        return pattern.sub(lambda m: preview(m.group(0)), text)


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

"""One spelling per secret: the key deduplication and fingerprints are computed from.

Why: the same key is written differently in different files. A JSON encoder escapes ``/`` as
``\\/`` (PHP, some Java), a URL or form percent-encodes ``/ + @ :`` (``%2F %2B %40 %3A``), a
Kubernetes Secret or a Basic-auth header holds it base64-encoded. Detectors report what is
written, so one key found in three files became three credentials, three baseline entries and
three rotation items. :func:`canonical_secret` undoes those encodings; the pipeline groups hits
and computes fingerprints on its result, and keeps the value as found for verification.

It is a pure function and conservative: an encoding is undone only when the value is entirely
well-formed in it (every ``%`` starts a valid escape of UTF-8 bytes; base64 only when the whole
value is padded base64 of at least 24 characters that decodes to printable ASCII without spaces,
which a random token essentially never does), so distinct secrets are not merged by accident.
"""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import unquote

_JSON_ESCAPE = re.compile(r'\\(["\\/bfnrt]|u[0-9a-fA-F]{4})')
_JSON_SIMPLE = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_BASE64 = re.compile(r"^(?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$")
_PRINTABLE_TOKEN = re.compile(r"^[\x21-\x7e]+$")
MIN_BASE64_LENGTH = 24
MAX_ROUNDS = 3


def _json_unescape(value: str) -> str:
    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        return _JSON_SIMPLE[code] if len(code) == 1 else chr(int(code[1:], 16))

    out = _JSON_ESCAPE.sub(one, value)
    try:  # join surrogate pairs written as two \u escapes; a lone half keeps the original
        return out.encode("utf-16", "surrogatepass").decode("utf-16")
    except UnicodeError:
        return value


def _percent_decode(value: str) -> str:
    if not _PERCENT.search(value) or _BAD_PERCENT.search(value):
        return value
    try:
        return unquote(value, errors="strict")
    except UnicodeDecodeError:
        return value


def _base64_decode(value: str) -> str:
    if len(value) < MIN_BASE64_LENGTH or not _BASE64.match(value):
        return value
    try:
        decoded = base64.b64decode(value, validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        return value
    return decoded if len(decoded) >= 8 and _PRINTABLE_TOKEN.match(decoded) else value


def canonical_secret(value: str) -> str:
    """``value`` with JSON string escapes, percent-encoding and base64 undone (see module docstring).

    Repeated until nothing changes (at most :data:`MAX_ROUNDS` rounds: base64 of a URL-encoded
    value is decoded too); a value in none of these encodings is returned unchanged.
    """
    out = value
    for _ in range(MAX_ROUNDS):
        before = out
        if "\\" in out:
            out = _json_unescape(out)
        if "%" in out:
            out = _percent_decode(out)
        out = _base64_decode(out)
        if out == before:
            break
    return out

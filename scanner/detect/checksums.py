"""Offline checksums some token formats carry, so a malformed look-alike is told from a real token.

GitHub's classic tokens (``ghp_ gho_ ghu_ ghs_ ghr_``, 36-character body) and npm's granular
tokens (``npm_``, 36-character body) end in six base62 characters: the CRC32 of the 30 random
characters before them (GitHub: "Behind GitHub's new authentication token formats", 2021; npm
uses the same scheme, see the npm CLI's token format notes). A value whose checksum does not match
was never issued: a placeholder, a typo or a made-up test value.
"""

from __future__ import annotations

import os
import zlib

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
CRC_PREFIXES = ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "npm_")
STRICT_ENV = "CREDREACH_STRICT_CHECKSUMS"


def strict_checksums() -> bool:
    """Whether a failed checksum drops the hit (``--strict-checksums``; env so worker processes see it).

    Off by default: providers already demote a checksum-failing token offline (reported as invalid,
    never sent), and many test trees hold hand-made tokens a user may still want to see.
    """
    return os.environ.get(STRICT_ENV, "") not in ("", "0")


def _base62(value: int) -> str:
    digits = ""
    while value:
        value, rem = divmod(value, 62)
        digits = _BASE62[rem] + digits
    return digits or "0"


def crc32_base62(random_part: str) -> str:
    return _base62(zlib.crc32(random_part.encode("ascii")) & 0xFFFFFFFF).rjust(6, "0")


def checksum_applies(token: str) -> bool:
    """True for the formats whose checksum is published: a CRC prefix and a 36-character body."""
    return token.startswith(CRC_PREFIXES) and len(token) == 40


def checksum_ok(token: str) -> bool:
    """The CRC32 check of a 40-character ``ghp_``/``npm_``-style token (True when it does not apply)."""
    if not checksum_applies(token):
        return True
    body = token[4:]
    if not (body.isascii() and body.isalnum()):
        return False
    return crc32_base62(body[:30]) == body[30:]


def make_token(prefix: str, random30: str) -> str:
    """A checksum-valid token for tests and the detection corpus (never a real one: random input)."""
    return prefix + random30 + crc32_base62(random30)

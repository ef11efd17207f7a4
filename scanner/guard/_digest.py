"""SHA-256 and HMAC-SHA256 for the hook path without :mod:`hashlib`/:mod:`hmac`.

``import hashlib`` loads OpenSSL's libcrypto (``_hashlib``), a few milliseconds of every hook
call; the interpreter's own SHA-256 module (``_sha256`` up to 3.11, ``_sha2`` from 3.12) gives the
same digests for the two uses here (the reach map's workspace key, the credential fingerprint).
:mod:`hashlib` is the fallback where that module is not built. HMAC is RFC 2104, as :mod:`hmac`.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

_BLOCK = 64
_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))
_CTOR: list[Callable[[bytes], Any]] = []


def sha256(data: bytes) -> Any:
    """A SHA-256 hash object of ``data`` (``hexdigest()``, ``digest()``)."""
    if not _CTOR:
        try:
            from _sha256 import sha256 as ctor  # type: ignore[import-not-found]  # CPython <= 3.11
        except ImportError:
            try:
                from _sha2 import sha256 as ctor  # type: ignore[import-not-found]  # CPython >= 3.12
            except ImportError:
                from hashlib import sha256 as ctor
        _CTOR.append(ctor)
    return _CTOR[0](data)


def hmac_sha256_hex(key: bytes, message: bytes) -> str:
    """``hmac.new(key, message, hashlib.sha256).hexdigest()``."""
    if len(key) > _BLOCK:
        key = sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    inner = sha256(key.translate(_IPAD) + message).digest()
    return str(sha256(key.translate(_OPAD) + inner).hexdigest())

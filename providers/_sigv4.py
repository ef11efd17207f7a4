"""AWS Signature Version 4 for Query-protocol POSTs, by hand (hashlib/hmac, no botocore).

Why by hand: credreach must not depend on boto3/botocore at runtime, and the only requests it
signs are small form-encoded ``POST /`` reads to STS and IAM, so the general algorithm shrinks to
one canonical request with an empty query string and a handful of signed headers.

Algorithm: "Create a signed AWS API request" and "Elements of an AWS API request signature",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
(canonical request -> string to sign ``AWS4-HMAC-SHA256`` -> key derived from
``AWS4<secret>``/date/region/service/``aws4_request`` -> hex HMAC in the ``Authorization`` header).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime, timezone
from urllib.parse import urlencode, urlsplit

ALGORITHM = "AWS4-HMAC-SHA256"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"


def encode_form(form: Mapping[str, str]) -> str:
    """The body exactly as ``requests`` will send ``data=form`` (``urlencode`` of the items, in order)."""
    return urlencode(list(form.items()))


def host_header(base_url: str) -> str:
    """The ``Host`` value an HTTP client sends for ``base_url``: default ports are left out."""
    parts = urlsplit(base_url)
    host = (parts.hostname or "").lower()
    port = parts.port
    if port is None or (parts.scheme == "https" and port == 443) or (parts.scheme == "http" and port == 80):
        return host
    return f"{host}:{port}"


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret_key: str, date: str, region: str, service: str) -> bytes:
    k_date = _hmac(("AWS4" + secret_key).encode("utf-8"), date)
    k_region = _hmac(k_date, region)
    k_service = _hmac(k_region, service)
    return _hmac(k_service, "aws4_request")


def sign_query_post(
    *,
    base_url: str,
    form: Mapping[str, str],
    access_key_id: str,
    secret_access_key: str,
    session_token: str | None,
    region: str,
    service: str,
    now: datetime | None = None,
) -> dict[str, str]:
    """Headers (``Authorization``, ``X-Amz-Date``, ``Content-Type``, token) for ``POST /`` with ``form``.

    The caller must send exactly :func:`encode_form` of the same mapping as the body; that is what
    ``requests`` does with ``data=dict(form)``, so the payload hash matches.
    """
    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    amz_date = moment.strftime("%Y%m%dT%H%M%SZ")
    date = moment.strftime("%Y%m%d")
    payload_hash = hashlib.sha256(encode_form(form).encode("utf-8")).hexdigest()
    headers = {
        "content-type": FORM_CONTENT_TYPE,
        "host": host_header(base_url),
        "x-amz-date": amz_date,
    }
    if session_token:
        headers["x-amz-security-token"] = session_token
    signed_names = sorted(headers)
    canonical_headers = "".join(f"{name}:{' '.join(headers[name].split())}\n" for name in signed_names)
    signed_headers = ";".join(signed_names)
    canonical_request = "\n".join(["POST", "/", "", canonical_headers, signed_headers, payload_hash])
    scope = f"{date}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(
        [ALGORITHM, amz_date, scope, hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()])
    signature = hmac.new(signing_key(secret_access_key, date, region, service),
                         string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    out = {
        "Authorization": (f"{ALGORITHM} Credential={access_key_id}/{scope}, "
                          f"SignedHeaders={signed_headers}, Signature={signature}"),
        "X-Amz-Date": amz_date,
        "Content-Type": FORM_CONTENT_TYPE,
    }
    if session_token:
        out["X-Amz-Security-Token"] = session_token
    return out

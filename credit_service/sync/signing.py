"""Request signing of the exchange protocol: HMAC-SHA256 over a canonical request.

canonical = METHOD \\n PATH \\n sorted query string \\n timestamp \\n nonce \\n SHA-256(body)
Both sides (the city's client and the platform) use this module, so they agree by
construction; docs/sync-protocol.md states it for other implementations.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping
from urllib.parse import urlencode

HEADER_KEY, HEADER_TIME, HEADER_NONCE, HEADER_SIGNATURE = (
    "X-App-Key",
    "X-Timestamp",
    "X-Nonce",
    "X-Signature",
)
MAX_SKEW_SECONDS = 300


def canonical_request(
    method: str, path: str, query: Mapping[str, str], timestamp: str, nonce: str, body: bytes
) -> str:
    ordered = urlencode(sorted((k, str(v)) for k, v in query.items()))
    return "\n".join(
        (method.upper(), path, ordered, timestamp, nonce, hashlib.sha256(body).hexdigest())
    )


def signature(secret: str, canonical: str) -> str:
    digest = hmac.new(secret.encode("utf-8"), canonical.encode("utf-8"), hashlib.sha256)
    return base64.b64encode(digest.digest()).decode("ascii")


def sign(
    app_key: str,
    secret: str,
    method: str,
    path: str,
    query: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,
) -> dict[str, str]:
    """The headers that authenticate one request."""
    timestamp = str(int(now if now is not None else time.time()))
    nonce = secrets.token_hex(16)
    canonical = canonical_request(method, path, query, timestamp, nonce, body)
    return {
        HEADER_KEY: app_key,
        HEADER_TIME: timestamp,
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: signature(secret, canonical),
    }


def verify(
    secret: str,
    method: str,
    path: str,
    query: Mapping[str, str],
    body: bytes,
    headers: Mapping[str, str],
    *,
    now: float | None = None,
) -> str | None:
    """Why a request's signature is unacceptable, or None when it is good. Replays are
    the caller's to refuse (nonces seen inside the time window)."""
    timestamp, nonce = headers.get(HEADER_TIME, ""), headers.get(HEADER_NONCE, "")
    if not timestamp.isdigit() or not nonce:
        return "missing timestamp or nonce"
    if abs((now if now is not None else time.time()) - int(timestamp)) > MAX_SKEW_SECONDS:
        return "timestamp outside the allowed window"
    expected = signature(secret, canonical_request(method, path, query, timestamp, nonce, body))
    if not hmac.compare_digest(expected, headers.get(HEADER_SIGNATURE, "")):
        return "bad signature"
    return None

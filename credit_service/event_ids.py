"""Outbox event ids: UUIDv7 (RFC 9562), time-ordered.

An event id is unique across platforms and indexed unique in the outbox. A random
(version 4) id lands anywhere in that index, so at a million events every insert touches
a page that is no longer cached: a bulk import's outbox writes went three times slower
at a million rows on SQLite (measured: 30 s against 10 s). A version 7 id starts with its
millisecond timestamp, so new ids go to the end of the index; its 74 random bits keep it
unguessable and unique.
"""

from __future__ import annotations

import os
import time
import uuid

_VERSION_7 = 0x7 << 76
_VARIANT_RFC = 0x2 << 62
_RANDOM_A = (1 << 12) - 1  # 12 bits after the version
_RANDOM_B = (1 << 62) - 1  # 62 bits after the variant


def new_event_id(now_ns: int | None = None) -> str:
    """A new UUIDv7 as text; ``now_ns`` (Unix nanoseconds) is for tests."""
    millis = (time.time_ns() if now_ns is None else now_ns) // 1_000_000
    random = int.from_bytes(os.urandom(10))
    value = (
        (millis & ((1 << 48) - 1)) << 80
        | _VERSION_7
        | ((random >> 62) & _RANDOM_A) << 64
        | _VARIANT_RFC
        | (random & _RANDOM_B)
    )
    return str(uuid.UUID(int=value))

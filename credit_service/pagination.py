"""Keyset pagination with opaque cursors: stable under inserts, no OFFSET scans."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from credit_service.errors import InvalidInput

T = TypeVar("T")
MAX_LIMIT = 500
MAX_ID = 2**31 - 1  # ids and sequence numbers are 32-bit integer columns


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results and the cursor of the next page (None on the last page)."""

    items: list[T]
    next_cursor: str | None


def encode_cursor(position: dict[str, Any]) -> str:
    raw = json.dumps(position, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    """The position a cursor stands for.

    :raises InvalidInput: for a cursor this service did not issue.
    """
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        position = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError) as exc:
        raise InvalidInput(
            "invalid cursor; 游标无效", errors={"cursor": ["not a valid cursor"]}
        ) from exc
    if not isinstance(position, dict):
        raise InvalidInput("invalid cursor; 游标无效", errors={"cursor": ["not a valid cursor"]})
    return position


def cursor_int(cursor: str | None, key: str = "after") -> int | None:
    """The integer a simple id-keyed cursor carries."""
    position = decode_cursor(cursor)
    if position is None:
        return None
    value = position.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_ID:
        raise InvalidInput("invalid cursor; 游标无效", errors={"cursor": ["not a valid cursor"]})
    return value


def page_by_id(rows: list[T], limit: int, id_of: Any) -> Page[T]:
    """Cut a result fetched with ``limit + 1`` rows into a page and its next cursor."""
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor({"after": id_of(rows[-1])}) if has_more and rows else None
    return Page(rows, next_cursor)

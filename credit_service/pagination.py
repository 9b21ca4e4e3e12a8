"""Keyset pagination with opaque cursors: stable under inserts, no OFFSET scans."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

from sqlalchemy import and_, or_

from credit_service.bounds import id_in_range
from credit_service.errors import InvalidInput

T = TypeVar("T")
MAX_LIMIT = 500


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results and the cursor of the next page (None on the last page)."""

    items: list[T]
    next_cursor: str | None


def encode_cursor(position: dict[str, Any]) -> str:
    raw = json.dumps(position, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str | None, *, field: str = "cursor") -> dict[str, Any] | None:
    """The position a cursor stands for.

    :raises InvalidInput: for a cursor this service did not issue, naming ``field``.
    """
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        position = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError) as exc:
        raise _invalid(field) from exc
    if not isinstance(position, dict):
        raise _invalid(field)
    return position


def cursor_int(cursor: str | None, key: str = "after") -> int | None:
    """The integer a simple id-keyed cursor carries."""
    position = decode_cursor(cursor)
    if position is None:
        return None
    return position_id(position, key)


def position_id(position: dict[str, Any], key: str, field: str = "cursor") -> int:
    """The row id at ``key`` of a decoded cursor: an id this service could have issued
    (a float, a string or a number past the id columns' range is a forged cursor).

    :raises InvalidInput: naming ``field``.
    """
    value = position.get(key)
    if isinstance(value, int) and id_in_range(value):
        return value
    raise _invalid(field)


def _invalid(field: str) -> InvalidInput:
    return InvalidInput("invalid-cursor", errors={field: ["invalid-cursor"]})


def page_by_id(rows: list[T], limit: int, id_of: Any) -> Page[T]:
    """Cut a result fetched with ``limit + 1`` rows into a page and its next cursor."""
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor({"after": id_of(rows[-1])}) if has_more and rows else None
    return Page(rows, next_cursor)


@dataclass(frozen=True)
class NewestFirst:
    """Pages newest first by a date column, then the id (the public lists, the notices):
    the cursor carries the last row's pair under ``key`` and ``id``, so a cursor of one
    list is no cursor of another that names its date otherwise."""

    day: Any  # the date column
    id: Any  # the id column breaking ties
    key: str = "d"

    def select(self, query: Any, cursor: str | None, limit: int) -> Any:
        """``query`` ordered, cut at ``limit + 1`` rows and started after ``cursor``.

        :raises InvalidInput: a cursor this service did not issue.
        """
        query = self.ordered(query).limit(limit + 1)
        position = self.position(cursor)
        return query if position is None else query.where(self.after(*position))

    def ordered(self, query: Any) -> Any:
        """``query`` newest first."""
        return query.order_by(self.day.desc(), self.id.desc())

    def cut(self, rows: list[T], limit: int, last: Any) -> tuple[list[T], str | None]:
        """The page's rows and the next cursor; ``last(row)`` is its (date, id)."""
        if len(rows) <= limit:
            return rows, None
        rows = rows[:limit]
        day, row_id = last(rows[-1])
        return rows, encode_cursor({self.key: day.isoformat(), "id": row_id})

    def after(self, day: Any, row_id: Any) -> Any:
        """SQL condition: the rows after the one at (``day``, ``row_id``): values, or bind
        parameters of a statement built once (``dishonesty.public_search``)."""
        return or_(self.day < day, and_(self.day == day, self.id < row_id))

    def position(self, cursor: str | None) -> tuple[date, int] | None:
        """The (date, id) of the row a cursor of this list names, or None for none.

        :raises InvalidInput: a cursor this service did not issue.
        """
        position = decode_cursor(cursor)
        if position is None:
            return None
        row_id = position_id(position, "id")
        try:
            return date.fromisoformat(position[self.key]), row_id
        except (KeyError, TypeError, ValueError) as exc:
            raise _invalid("cursor") from exc

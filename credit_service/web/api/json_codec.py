"""The API's JSON both ways: Flask's provider (reading integers safely, writing Chinese as
it is) and the bytes of the hottest answers.

Writing goes through orjson: the standard library's encoder took about half a
millisecond for a public search page of 20 entries in Chinese, a tenth of the whole
request, and orjson 40 µs (docs/performance.md, ninth session). Its output is the
standard library's with ``ensure_ascii=False`` and compact separators, dates in ISO 8601;
Flask's own rule for dates and times in a ``jsonify`` (HTTP dates) is kept by passing
them to Flask's default. What orjson will not write the standard library writes, as
before: an integer past 64 bits (a raw row a platform sent, kept in quarantine), a
mapping with keys that are not strings (Flask sorts those as numbers), nesting past 254
levels.
"""

from __future__ import annotations

import json
import math
from datetime import date
from typing import Any

import orjson
from flask import Response
from flask.json.provider import DefaultJSONProvider


def _read_int(text: str) -> int | float:
    """A JSON integer. One with more digits than Python reads (4,300) comes as an
    infinity, as a float literal too large already does (1e400): every field then refuses
    it as out of range, naming the field, where parsing would have failed with a 500."""
    try:
        return int(text)
    except ValueError:
        return -math.inf if text.startswith("-") else math.inf


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, writing Chinese as it is (by orjson, compact, keys sorted as
    Flask sorts them) and reading integers with ``_read_int`` (request.get_json and the
    arguments of every API view read through it)."""

    ensure_ascii = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if kwargs.get("indent") is not None:  # pretty-printed (debug): Flask's own
            return super().dumps(obj, **kwargs)
        sort = orjson.OPT_SORT_KEYS if kwargs.get("sort_keys", self.sort_keys) else 0
        try:
            written = orjson.dumps(
                obj, default=self.default, option=orjson.OPT_PASSTHROUGH_DATETIME | sort
            )
        except orjson.JSONEncodeError:  # what orjson will not write (see above): Flask's
            return super().dumps(obj, **{"separators": (",", ":"), **kwargs})
        return written.decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        kwargs.setdefault("parse_int", _read_int)
        return super().loads(s, **kwargs)


def json_bytes(data: Any) -> bytes:
    """``data`` (plain JSON values and dates, as the public views build them) as compact
    UTF-8 JSON, its keys in the order given, dates in ISO 8601."""
    return _written(data, sort_keys=False)


def shaped_json(data: Any) -> Response:
    """``data`` as JSON, already in its response schema's shape (the keys the schema
    declares, dates as ``date``): for the hottest answer, a single credit check, whose
    schema dump cost more than its encoding. The bytes are the ones the dump and Flask's
    JSON would give (sorted keys, compact, dates in ISO 8601): tests compare them."""
    return Response(_written(data, sort_keys=True) + b"\n", mimetype="application/json")


def _written(data: Any, *, sort_keys: bool) -> bytes:
    """``data`` written by orjson, or by the standard library, in the same form, where
    orjson will not write it (see above)."""
    try:
        return orjson.dumps(data, option=orjson.OPT_SORT_KEYS if sort_keys else 0)
    except orjson.JSONEncodeError:
        text = json.dumps(
            data, ensure_ascii=False, sort_keys=sort_keys, separators=(",", ":"), default=_iso_date
        )
        return text.encode()


def _iso_date(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")

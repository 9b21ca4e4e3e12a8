"""The API's JSON written by orjson (``web/api/json_codec.py``) says what the standard
library said: Chinese as it is, compact, keys sorted where Flask sorts them, Flask's HTTP
dates in a ``jsonify`` and ISO 8601 dates in the public answers."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from flask import Flask

from credit_service.db import json_value
from credit_service.web.api.json_codec import JSONProvider, json_bytes, shaped_json


@dataclass
class Point:
    x: int


def test_the_provider_writes_as_flask_did_with_chinese_as_it_is():
    app = Flask(__name__)
    app.json = JSONProvider(app)
    value = {
        "名称": "宣城永兴江南商贸有限公司",
        "b": [1, 2.5, None, True],
        "a": {"when": datetime(2026, 12, 4, 8, 30, tzinfo=UTC), "day": date(2026, 12, 4)},
        "amount": Decimal("12.50"),
        "id": uuid.UUID(int=1),
        "point": Point(3),
    }
    standard = Flask(__name__)  # Flask's own provider, with Chinese as it is
    standard.json.ensure_ascii = False  # type: ignore[attr-defined]
    with app.app_context():
        ours = app.json.dumps(value)
    with standard.app_context():
        theirs = standard.json.dumps(value, separators=(",", ":"))
    assert ours == theirs
    assert "宣城永兴江南商贸有限公司" in ours and '"a":{"day":"Fri, 04 Dec 2026' in ours
    with app.app_context():
        assert app.json.loads('{"n": 1' + "0" * 5000 + "}")["n"] == float("inf")


def test_the_public_answers_keep_their_order_and_write_iso_dates():
    page = {"items": [{"name": "宣城", "published_on": date(2026, 12, 4)}], "next_cursor": None}
    written = json_bytes(page)
    assert (
        written.decode()
        == '{"items":[{"name":"宣城","published_on":"2026-12-04"}],"next_cursor":null}'
    )
    assert json.loads(written) == json.loads(json.dumps(page, default=str))


def test_a_shaped_answer_is_sorted_compact_and_ends_with_a_newline():
    answer = shaped_json({"z": 1, "a": date(2026, 1, 2), "名": "某"})
    assert answer.get_data() == '{"a":"2026-01-02","z":1,"名":"某"}\n'.encode()
    assert answer.mimetype == "application/json"


def test_what_orjson_will_not_write_is_written_as_before():
    """An integer past 64 bits (a raw row a platform sent, kept in quarantine), keys that
    are not strings, nesting past orjson's 254 levels: written by the standard library,
    as Flask wrote them, never a 500."""
    app = Flask(__name__)
    app.json = JSONProvider(app)
    standard = Flask(__name__)
    standard.json.ensure_ascii = False  # type: ignore[attr-defined]
    deep: list = []
    for _ in range(300):
        deep = [deep]
    values = [
        {"revision": 123456789012345678901234, "名": "宣城"},
        {10: "ten", 2: "two", 1: "one"},
        {"deep": deep},
    ]
    for value in values:
        with app.app_context():
            ours = app.json.dumps(value)
        with standard.app_context():
            assert ours == standard.json.dumps(value, separators=(",", ":"))
        assert json.loads(json_bytes(value)) == json.loads(json.dumps(value))
        assert json.loads(shaped_json(value).get_data()) == json.loads(json.dumps(value))
    with app.app_context():
        assert app.json.dumps(values[1]) == '{"1":"one","2":"two","10":"ten"}'  # numbers
    written = '{"revision":123456789012345678901234,"名":"宣城"}\n'
    assert shaped_json(values[0]).get_data() == written.encode()


def test_a_json_column_is_read_as_the_standard_library_reads_it():
    """``db.json_value`` reads by orjson, and by the standard library what orjson would
    read otherwise: an integer past 64 bits (orjson: a float) and NaN (orjson: refused)."""
    texts = [
        '["intentional_infringement", "patent"]',
        '{"名称": "宣城永兴", "n": [1, 2.5, null, true]}',
        "[123456789012345678901234567890, 9223372036854775807]",
        '{"a": NaN}',
    ]
    for text in texts:
        for given in (text, text.encode()):
            assert repr(json_value(given)) == repr(json.loads(text))
    assert json_value("[123456789012345678901234567890]") == [123456789012345678901234567890]

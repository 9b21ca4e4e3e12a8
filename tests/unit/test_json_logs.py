"""Log lines as JSON (the default LOG_FORMAT) or text: the fields, the request id, and no
resident ID number in any of them (credit_service.json_logs)."""

from __future__ import annotations

import io
import json
import logging

import pytest

from credit_service import json_logs, request_ids
from credit_service.config import Settings
from tests.factories import unique_resident_id


def written(formatter: logging.Formatter, log) -> str:  # type: ignore[no-untyped-def]
    """What ``log(logger)`` writes through a handler with ``formatter``."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger = logging.getLogger("tests.json_logs")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        log(logger)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_a_line_is_one_json_object_with_the_request_id():
    with request_ids.bound("line-request-1"):
        text = written(json_logs.JsonFormatter(), lambda log: log.warning("two\nlines %d", 2))
    assert text.count("\n") == 1  # one line, the message's newline escaped
    line = json.loads(text)
    assert line["message"] == "two\nlines 2"
    assert (line["level"], line["logger"]) == ("WARNING", "tests.json_logs")
    assert line["request_id"] == "line-request-1"
    assert line["time"].endswith("+00:00") and "T" in line["time"]


def test_outside_a_request_the_id_is_null():
    line = json.loads(written(json_logs.JsonFormatter(), lambda log: log.warning("idle")))
    assert line["request_id"] is None and "exception" not in line


def test_a_traceback_is_one_field():
    def log(logger: logging.Logger) -> None:
        try:
            raise ValueError("bad value")
        except ValueError:
            logger.exception("failed")

    text = written(json_logs.JsonFormatter(), log)
    assert text.count("\n") == 1
    line = json.loads(text)
    assert line["message"] == "failed"
    assert (
        line["exception"].startswith("Traceback") and "ValueError: bad value" in line["exception"]
    )


def test_resident_ids_are_masked_in_message_traceback_and_access_fields():
    """Masked before the line is serialized: after a newline (``\\n`` in JSON) too."""
    person = unique_resident_id()
    masked = f"{person[:6]}************"

    def log(logger: logging.Logger) -> None:
        logger.warning("lookup of\n%s", person)
        try:
            raise KeyError(person)
        except KeyError:
            logger.exception("no entity %s", person)
        fields = {"path": f"/console/entities/{person}", "query": f"q={person}"}
        logger.info("GET %s", f"/console/entities/{person}", extra={json_logs.ACCESS: fields})

    text = written(json_logs.JsonFormatter(), log)
    assert person not in text
    lookup, error, access = (json.loads(line) for line in text.splitlines())
    assert lookup["message"] == f"lookup of\n{masked}"
    assert masked in error["message"] and masked in error["exception"]
    assert access["path"] == f"/console/entities/{masked}" and access["query"] == f"q={masked}"


def test_the_text_format_names_the_request_and_masks():
    person = unique_resident_id()
    with request_ids.bound("text-request-1"):
        text = written(json_logs.TextFormatter(), lambda log: log.warning("about %s", person))
    assert person not in text
    assert text.rstrip().endswith(
        f"WARNING tests.json_logs [text-request-1] about {person[:6]}" + "*" * 12
    )


@pytest.mark.parametrize(
    ("value", "kind"), [("json", json_logs.JsonFormatter), ("TEXT", json_logs.TextFormatter)]
)
def test_log_format_chooses_the_formatter(value, kind):
    settings = Settings.from_env({"LOG_FORMAT": value})
    assert isinstance(json_logs.formatter(settings), kind)


def test_an_unknown_log_format_is_refused():
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        Settings.from_env({"LOG_FORMAT": "xml"})

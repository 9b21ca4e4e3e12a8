"""Every answer carries an X-Request-ID (the client's when well-formed, else a fresh one),
and the audit rows, outbox events and log lines of the request carry the same id
(issue #21). gunicorn's own answers and access log: tests/integration/test_access_log.py
and test_gunicorn_errors.py."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from credit_service import request_ids
from credit_service.audit.models import AuditEvent
from credit_service.json_logs import JsonFormatter
from credit_service.sync.models import OutboxEvent
from credit_service.web.access import public
from tests.factories import PENALTY_ITEM, create_entity, penalty_fields, unique_resident_id

UUID7 = r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


@contextmanager
def json_lines(logger: str = "") -> Iterator[io.StringIO]:
    """What ``logger`` (the root by default) writes while the block runs, as the service's
    handler writes it: JSON lines, formatted as each record is logged."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    target = logging.getLogger(logger)
    level = target.level
    target.addHandler(handler)
    target.setLevel(logging.INFO)  # the default LOG_LEVEL
    try:
        yield stream
    finally:
        target.removeHandler(handler)
        target.setLevel(level)


def parsed(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_an_answer_gets_a_fresh_id_when_none_was_sent(client):
    first, second = client.get("/readyz"), client.get("/readyz")
    ids = [r.headers["X-Request-ID"] for r in (first, second)]
    assert all(re.fullmatch(UUID7, i) for i in ids)  # time-ordered, like the event ids
    assert ids[0] != ids[1]


def test_the_liveness_probe_gets_no_id_and_no_access_line(client, caplog):
    """A probe a second would bury the log (``web.probes``); /readyz is logged."""
    with caplog.at_level(logging.INFO, logger="credit_service.access"):
        live, ready = client.get("/healthz"), client.get("/readyz")
    assert "X-Request-ID" not in live.headers and "X-Request-ID" in ready.headers
    logged = [r.getMessage() for r in caplog.records if r.name == "credit_service.access"]
    assert len(logged) == 1 and logged[0].startswith("GET /readyz ")


@pytest.mark.parametrize("sent", ["abcd1234", "trace_01.A-b", "x" * 64])
def test_a_well_formed_id_is_echoed(client, sent):
    assert client.get("/readyz", headers={"X-Request-ID": sent}).headers["X-Request-ID"] == sent


@pytest.mark.parametrize(
    "sent",
    [
        "short",  # under 8
        "x" * 65,  # over 64
        "has spaces in it",
        "<script>alert(1)</script>",
        "trace;id=1,2",
        "编号编号编号编号编号",
        "a" * 10_000,
    ],
    ids=["short", "long", "spaces", "markup", "punctuation", "chinese", "huge"],
)
def test_a_malformed_id_is_replaced(client, sent):
    answered = client.get("/readyz", headers={"X-Request-ID": sent}).headers["X-Request-ID"]
    assert answered != sent and request_ids.WELL_FORMED.fullmatch(answered)


def test_a_resident_id_sent_as_request_id_is_replaced(client):
    """18 digits are well-formed characters, but a person's number never enters a log."""
    person = unique_resident_id()
    answered = client.get("/readyz", headers={"X-Request-ID": person}).headers["X-Request-ID"]
    assert answered != person and person[:6] not in answered[:6]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/nowhere", 404),
        ("get", "/api/v1/entities", 401),
        ("delete", "/api/v1/catalogs", 405),
        ("post", "/api/v1/public/dishonesty-list", 405),
    ],
)
def test_problem_answers_carry_the_id(client, method, path, status):
    response = getattr(client, method)(path, headers={"X-Request-ID": "problem-trace-1"})
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert response.headers["X-Request-ID"] == "problem-trace-1"


def test_a_500_carries_the_id_and_its_logged_traceback_names_it(app, client):
    @public("test")
    def explode():
        raise RuntimeError("boom")

    app.add_url_rule("/test-explode-request-id", "test_explode_request_id", explode)
    with json_lines() as stream:
        response = client.get("/test-explode-request-id", headers={"X-Request-ID": "trace-500-x"})
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "trace-500-x"
    errors = [line for line in parsed(stream) if line["level"] == "ERROR"]
    assert errors and all(line["request_id"] == "trace-500-x" for line in errors)
    assert "RuntimeError: boom" in errors[0]["exception"]


def test_the_access_line_names_request_endpoint_status_and_duration(client):
    with json_lines("credit_service.access") as stream:
        response = client.get("/api/v1/catalogs?x=1")
    (line,) = parsed(stream)
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert line["logger"] == "credit_service.access" and line["level"] == "INFO"
    assert (line["method"], line["path"], line["query"]) == ("GET", "/api/v1/catalogs", "x=1")
    assert line["endpoint"] == "catalogs.Catalogs"
    assert line["status"] == 200 and line["duration_ms"] >= 0
    assert re.fullmatch(r"GET /api/v1/catalogs 200 \d+\.\d ms", line["message"])
    assert line["time"].endswith("+00:00")  # UTC


def test_a_resident_id_in_path_and_query_is_masked_in_the_json_lines(client, auth):
    person = unique_resident_id()
    with json_lines() as stream:
        client.get(f"/api/v1/entities/{person}?q={person}", headers=auth("regulator"))
    written = stream.getvalue()
    assert person not in written
    access = [line for line in parsed(stream) if line["logger"] == "credit_service.access"]
    masked = f"{person[:6]}************"
    assert access[0]["path"] == f"/api/v1/entities/{masked}"
    assert access[0]["query"] == f"q={masked}"


def test_a_write_s_audit_row_and_outbox_event_carry_the_answer_s_id(client, ctx, auth):
    entity = create_entity(ctx)["identifier"]
    filing = {"entity": entity, "item_code": PENALTY_ITEM, "fields": penalty_fields()}
    headers = {**auth("regulator"), "X-Request-ID": "file-record-0001"}

    filed = client.post("/api/v1/records", json=filing, headers=headers)

    assert filed.status_code == 201, filed.get_data(as_text=True)
    assert filed.headers["X-Request-ID"] == "file-record-0001"
    record_id = str(filed.get_json()["id"])
    with ctx.read_session_factory() as session:
        audited = session.scalars(
            select(AuditEvent).where(
                AuditEvent.object_type == "record", AuditEvent.object_id == record_id
            )
        ).all()
        events = session.scalars(
            select(OutboxEvent).where(
                OutboxEvent.aggregate_type == "record", OutboxEvent.aggregate_id == record_id
            )
        ).all()
    assert [(a.action, a.request_id) for a in audited] == [("record.file", "file-record-0001")]
    assert [(e.event_type, e.request_id) for e in events] == [("record.filed", "file-record-0001")]


def test_a_generated_id_is_the_one_stored(client, ctx, auth):
    entity = create_entity(ctx)["identifier"]
    filing = {"entity": entity, "item_code": PENALTY_ITEM, "fields": penalty_fields()}
    filed = client.post("/api/v1/records", json=filing, headers=auth("regulator"))
    with ctx.read_session_factory() as session:
        stored = session.scalar(
            select(AuditEvent.request_id).where(
                AuditEvent.action == "record.file",
                AuditEvent.object_id == str(filed.get_json()["id"]),
            )
        )
    assert stored == filed.headers["X-Request-ID"]


def test_the_audit_search_finds_a_request_s_rows(client, ctx, auth):
    entity = create_entity(ctx)["identifier"]
    filing = {"entity": entity, "item_code": PENALTY_ITEM, "fields": penalty_fields()}
    regulator = {**auth("regulator"), "X-Request-ID": "searched-request-1"}
    client.post("/api/v1/records", json=filing, headers=regulator)

    found = client.get(
        "/api/v1/admin/audit?request_id=searched-request-1", headers=auth("auditor")
    ).get_json()["items"]

    assert [(e["action"], e["request_id"]) for e in found] == [
        ("record.file", "searched-request-1")
    ]


def test_outside_any_request_nothing_is_current(ctx):
    assert request_ids.current() is None
    with request_ids.bound("outer-id-1"):
        with request_ids.bound("inner-id-1"):
            assert request_ids.current() == "inner-id-1"
        assert request_ids.current() == "outer-id-1"
    assert request_ids.current() is None

"""A single credit check's own path on real connections (both databases, commits real):
its read and its audit row go straight through the driver on the thread's connection
(``held_connections.read_rows``/``write_row``), and its answer is encoded without the
schema's dump (``shaped_json``). The other check tests run in one shared transaction,
where these fall back to SQLAlchemy: here the fast path itself answers."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import func, select

from credit_service import request_ids
from credit_service.access import Actor
from credit_service.audit import services as audit
from credit_service.audit.models import AuditEvent
from credit_service.dishonesty import checks
from credit_service.dishonesty.check_reads import read_for_checks
from credit_service.held_connections import read_rows, write_row
from credit_service.web import create_app
from credit_service.web.api.dishonesty import CheckSchema
from tests.api.test_credit_checks import file_finding, listed_entity
from tests.api.test_objections_api import filed, mark, took
from tests.factories import CITY, bearer_for, create_person
from tests.integration.test_repair import listed

PURPOSE = "fiscal_funding"
CHECKER = Actor(role="checker", username="held-checker", region_code=CITY, city_code=CITY)


@pytest.fixture
def client(live_ctx):  # type: ignore[no-untyped-def]
    app = create_app(context=live_ctx)
    app.testing = True
    return app.test_client()


def credit_check_events(ctx) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with ctx.session_factory() as session:
        query = select(AuditEvent).where(AuditEvent.action == "credit.check")
        return list(session.execute(query.order_by(AuditEvent.id)).scalars())


def test_the_answer_is_the_schema_dump_and_the_audit_row_is_committed(live_ctx, client):
    """A listed entity with a CNIPA finding: listing, records and measures, each with its
    dates, as the schema would dump them; the row committed before the answer."""
    owner, case = listed_entity(live_ctx)
    file_finding(live_ctx, owner, date(2026, 3, 2))
    headers = bearer_for(live_ctx, "checker")
    answer = client.get(
        f"/api/v1/credit-checks/{owner['identifier']}",
        query_string={"purpose": PURPOSE},
        headers={**headers, "X-Request-ID": "held-path-0001"},
    )
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    with live_ctx.read_session_factory() as session:
        same = checks.assessment(live_ctx, session.connection(), owner["identifier"], PURPOSE)
    expected = CheckSchema().dump({"identifier": owner["identifier"], "found": True, **same})
    assert answer.get_json() == expected
    assert answer.get_json()["listing"]["decision_no"] == case["decision_no"]
    assert answer.get_json()["dishonest_records"] and answer.get_json()["measures"]
    events = credit_check_events(live_ctx)
    assert [(e.object_id, e.outcome, e.request_id) for e in events] == [
        (str(owner["id"]), "success", "held-path-0001")
    ]
    assert events[0].details["conclusion"] == answer.get_json()["conclusion"]
    assert events[0].occurred_at.tzinfo is not None  # a UTC datetime, converted back


def test_a_person_is_masked_in_the_answer_and_the_trail(live_ctx, client):
    """A checker's check of a resident ID (counted against its daily limit, in the
    transaction that records it): the entity masked, the trail too."""
    person = create_person(live_ctx)
    headers = bearer_for(live_ctx, "checker")
    masked_id = person["identifier"][:6] + "*" * 8 + person["identifier"][-4:]
    answer = client.get(
        f"/api/v1/credit-checks/{person['identifier']}",
        query_string={"purpose": PURPOSE},
        headers=headers,
    )
    assert answer.status_code == 200
    assert answer.get_json()["identifier"] == person["identifier"]  # the caller's input
    assert answer.get_json()["entity"]["identifier"] == masked_id
    (event,) = credit_check_events(live_ctx)
    assert person["identifier"] not in str(event.details)


def test_the_marks_are_read_through_the_driver_too(live_ctx, client):
    """Accepted objections on the listing and on the record: both marks in the answer."""
    owner, record, case = listed(live_ctx)
    enterprise = bearer_for(live_ctx, "enterprise", uscc=owner["identifier"])
    regulator, checker = bearer_for(live_ctx, "regulator"), bearer_for(live_ctx, "checker")
    on_listing = filed(client, enterprise, f"listing:{case['id']}", field="grounds")
    on_record = filed(client, enterprise, f"record:{record['id']}")
    assert (
        client.get(
            f"/api/v1/credit-checks/{owner['identifier']}?purpose=awards", headers=checker
        ).get_json()["listing"]["objection_pending"]
        is False
    )
    took(client, regulator, on_listing["id"], "accept")
    took(client, regulator, on_record["id"], "accept")
    single = client.get(
        f"/api/v1/credit-checks/{owner['identifier']}?purpose=awards", headers=checker
    ).get_json()
    assert mark(single["listing"]) == (True, on_listing["id"])
    assert [mark(r) for r in single["dishonest_records"]] == [(True, on_record["id"])]


def test_the_driver_read_converts_as_sqlalchemy_does(live_ctx):
    """Dates from SQLite's text, JSON lists, None: the same values either way."""
    owner, _ = listed_entity(live_ctx)
    file_finding(live_ctx, owner, date(2026, 3, 2))
    today = live_ctx.today()
    held = read_for_checks(live_ctx.read_session_factory, [owner["identifier"]], today)
    with live_ctx.read_session_factory() as session:
        core = read_for_checks(session.connection(), [owner["identifier"]], today)
    assert held.entities.keys() == core.entities.keys() == {owner["identifier"]}
    assert tuple(held.listings[owner["id"]]) == tuple(core.listings[owner["id"]])
    assert [tuple(r) for r in held.records[owner["id"]]] == [
        tuple(r) for r in core.records[owner["id"]]
    ]
    listing = held.listings[owner["id"]]
    assert isinstance(listing.decided_on, date) and isinstance(listing.measures, list)


def test_a_failed_write_leaves_nothing_and_the_next_one_goes_through(live_ctx):
    """A NOT NULL violation: the error reaches the caller, no row stays, and the
    thread's connection (on SQLite, the writers' turn too) is free for the next write."""
    now = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
    row = {"actor": "a", "role": "checker", "source_ip": None, "action": "credit.check"}
    row |= {"object_type": "entity", "object_id": "1", "outcome": "success"}
    broken = {**row, "occurred_at": None, "details": {}, "request_id": None}
    with pytest.raises(sa_exc.IntegrityError):
        write_row(live_ctx.session_factory, audit._insert_one, broken)
    assert credit_check_events(live_ctx) == []
    with request_ids.bound("after-failure-1"):
        audit.append_alone(live_ctx.session_factory, actor=CHECKER, action="credit.check", now=now)
    (event,) = credit_check_events(live_ctx)
    assert (event.occurred_at, event.request_id, event.details) == (now, "after-failure-1", {})
    assert read_rows(live_ctx.read_session_factory, _count_checks, {}) == [(1,)]


def _count_checks():  # type: ignore[no-untyped-def]
    return select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "credit.check")

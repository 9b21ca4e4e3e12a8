"""The transactional outbox: every change that leaves the city writes its event in the
same transaction (so a rollback leaves none), and changes pulled from a platform write
none. In process, with the savepoint ``ctx`` of tests/conftest.py, on both databases."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from credit_service import changes
from credit_service.access import SYSTEM, Actor
from credit_service.clock import local_noon
from credit_service.dishonesty import services as dishonesty_services
from credit_service.entities import services as entity_services
from credit_service.records import services as record_services
from credit_service.records.models import CreditRecord
from credit_service.sync import outbox
from credit_service.sync.models import EVENT_TYPES, OutboxEvent
from tests.factories import PENALTY_ITEM, create_entity, file_penalty, penalty_fields, step_papers

SYNC = Actor(role="sync", username="sync:anhui", via="sync")
REGULATOR = Actor(role="regulator", username="r-city", region_code="341800", city_code="341800")


class Boom(Exception):
    """Raised inside a transaction to roll it back."""


def events(ctx, **where) -> list[OutboxEvent]:
    conditions = [getattr(OutboxEvent, k) == v for k, v in where.items()]
    with ctx.session_factory() as session:
        return list(
            session.execute(select(OutboxEvent).where(*conditions).order_by(OutboxEvent.id))
            .scalars()
            .all()
        )


def total(ctx) -> int:
    with ctx.session_factory() as session:
        return session.execute(select(func.count()).select_from(OutboxEvent)).scalar_one()


def test_filing_a_record_writes_one_record_filed_event(ctx):
    owner = create_entity(ctx)
    before = total(ctx)

    record = file_penalty(ctx, owner["identifier"])

    [event] = events(ctx, aggregate_type="record", aggregate_id=str(record["id"]))
    assert event.event_type == "record.filed"
    assert event.subject == owner["identifier"]
    assert event.occurred_at == ctx.now()
    assert len(event.event_id) == 36
    assert event.payload["fields"]["CF_WSH"] == record["fields"]["CF_WSH"]
    assert total(ctx) == before + 1

    # the same record filed again is the existing one: no second event
    again, created = record_services.file_record(
        ctx,
        SYSTEM,
        entity=owner["identifier"],
        item_code=PENALTY_ITEM,
        fields=dict(record["fields"]),
    )
    assert not created and again["id"] == record["id"]
    assert total(ctx) == before + 1


def test_a_rolled_back_filing_leaves_no_event(ctx):
    owner = create_entity(ctx)
    before = total(ctx)

    with pytest.raises(Boom), ctx.session_factory.begin() as session:
        entity = entity_services.find_entity(session, owner["identifier"])
        record, created = record_services.file_record_for(
            session, ctx, SYSTEM, entity, PENALTY_ITEM, penalty_fields()
        )
        assert created
        changes.settle(session)  # what the commit would do first
        assert (
            session.execute(select(func.count()).select_from(OutboxEvent)).scalar_one()
            == before + 1
        )  # written in this very transaction
        raise Boom

    assert total(ctx) == before


def test_corrections_revocations_and_listings_write_their_events(ctx, clock):
    owner = create_entity(ctx)
    record = file_penalty(ctx, owner["identifier"], CF_CFLB=["罚款", "责令停产停业"])
    changed = {**record["fields"], "CF_SY": "在产品包装上标注他人专利号"}

    record_services.correct_record(ctx, SYSTEM, record["id"], fields=changed, reason="笔误")
    record_services.correct_record(ctx, SYSTEM, record["id"], fields=changed, reason="同上")
    case = dishonesty_services.propose(
        ctx,
        REGULATOR,
        entity=owner["identifier"],
        record_ids=[record["id"]],
        reason="当事人故意假冒他人专利，受到责令停产停业的较重行政处罚",
    )
    for step, kwargs in (
        ("serve_notice", {}),
        ("waive", {"reason": "当事人书面放弃陈述、申辩", **step_papers("waive")}),
        ("decide_list", {}),
        ("publish", {}),
    ):
        dishonesty_services.advance(ctx, REGULATOR, case["id"], step, **kwargs)
    clock.set(local_noon(date(2027, 2, 1)))
    record_services.revoke_record(ctx, REGULATOR, record["id"], reason="复议决定撤销原处罚")

    about_record = events(ctx, aggregate_type="record", aggregate_id=str(record["id"]))
    assert [e.event_type for e in about_record] == [
        "record.filed",
        "record.corrected",  # once: the unchanged second correction is no revision
        "record.revoked",
    ]
    assert about_record[1].payload["fields"]["CF_SY"] == "在产品包装上标注他人专利号"
    about_listing = events(ctx, aggregate_type="listing", aggregate_id=str(case["id"]))
    assert [e.event_type for e in about_listing] == ["listing.published", "listing.removed"]
    assert about_listing[0].payload["decision_no"]
    assert about_listing[1].payload["removal_reason"]
    assert {e.subject for e in about_record + about_listing} == {owner["identifier"]}
    assert {e.event_type for e in about_record + about_listing} <= set(EVENT_TYPES)


def test_changes_made_by_the_sync_actor_write_no_event(ctx):
    owner = create_entity(ctx)
    before = total(ctx)

    record, created = record_services.file_record(
        ctx, SYNC, entity=owner["identifier"], item_code=PENALTY_ITEM, fields=penalty_fields()
    )
    record_services.correct_record(
        ctx, SYNC, record["id"], fields={**record["fields"], "CF_SY": "更正"}, reason="pulled"
    )
    record_services.revoke_record(ctx, SYNC, record["id"], reason="revoked elsewhere")

    assert created
    assert total(ctx) == before
    assert not outbox.leaves_the_city(SYNC)
    assert outbox.leaves_the_city(SYSTEM) and outbox.leaves_the_city(REGULATOR)


def test_an_unknown_event_type_is_refused(ctx):
    before = total(ctx)
    known = outbox.Event("record.filed", "x", "record", 1, {})
    unknown = outbox.Event("record.deleted", "x", "record", 1, {})
    with pytest.raises(ValueError, match="record.deleted"), ctx.session_factory.begin() as s:
        outbox.write(s, [known, unknown], now=ctx.now())
    assert total(ctx) == before


def test_ended_publications_emit_their_event_once(ctx, clock):
    owner = create_entity(ctx)
    record = file_penalty(ctx, owner["identifier"])
    young = file_penalty(ctx, owner["identifier"])
    assert record_services.end_publications(ctx, SYSTEM) == 0

    clock.set(local_noon(date(2030, 1, 10)))  # the penalties' publicity ended meanwhile
    with ctx.session_factory() as session:
        session.get(CreditRecord, young["id"]).publicity_end = date(2030, 6, 1)
        session.commit()
    ended = record_services.end_publications(ctx, SYSTEM)
    again = record_services.end_publications(ctx, SYSTEM)

    assert (ended, again) == (1, 0)
    [event] = events(ctx, event_type="record.publication_ended")
    assert event.aggregate_id == str(record["id"])
    assert event.subject == owner["identifier"]
    assert record_services.read_record(ctx, SYSTEM, record["id"])["status"] == "expired"
    assert record_services.read_record(ctx, SYSTEM, young["id"])["status"] == "active"


def test_flask_records_end_publications_runs_the_nightly_step(app, ctx, clock):
    owner = create_entity(ctx)
    record = file_penalty(ctx, owner["identifier"])
    clock.set(local_noon(date(2030, 1, 10)))
    result = app.test_cli_runner().invoke(args=["records", "end-publications"])
    assert result.exit_code == 0 and result.output == "1 records' publication ended\n"
    assert record_services.read_record(ctx, SYSTEM, record["id"])["status"] == "expired"

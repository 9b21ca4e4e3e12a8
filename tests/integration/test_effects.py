"""Side effects flow one way: services record facts (credit_service/changes.py) and the
handler table (credit_service/effects.py) turns them into the tier recompute, the outbox
events and the change feed before the transaction commits, in it. On both databases.

The machinery is tested on a session factory of its own (the test's connection) with a
table of spies; the real table through the facts the services record.
"""

from __future__ import annotations

import csv
import dataclasses
import gc
import io
import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from credit_service import changes
from credit_service.access import SYSTEM
from credit_service.changes import EntitiesChanged, RecordCorrected, RecordStatusChanged
from credit_service.effects import HANDLERS
from credit_service.entities.models import Entity
from credit_service.records import exchange, layouts
from credit_service.records import importer as record_importer
from credit_service.records.models import CreditRecord
from credit_service.sync import outbox
from credit_service.sync.models import OutboxEvent
from credit_service.tiers import services as tier_services
from credit_service.tiers.models import TierAssignment, TierChange
from credit_service.web import create_app
from tests.conftest import make_settings
from tests.factories import create_entity, file_penalty, penalty_fields, unique_uscc


class Boom(Exception):
    """Raised inside a transaction to roll it back."""


@pytest.fixture
def applied(ctx):  # type: ignore[no-untyped-def]
    return tier_services.apply_rule_set(ctx, SYSTEM)


def factory_with(ctx, table) -> sessionmaker:  # type: ignore[no-untyped-def]
    """A write factory on the test's connection with ``table`` installed instead."""
    factory = sessionmaker(
        bind=ctx.session_factory.kw["bind"],
        class_=Session,
        expire_on_commit=False,
        join_transaction_mode="create_savepoint",
    )
    changes.install(factory, table, ctx)
    return factory


class Spy:
    """A handler that keeps the lists it was given (and may record more facts)."""

    def __init__(self, log: list, name: str, then=None) -> None:  # type: ignore[no-untyped-def]
        self.log, self.name, self.then = log, name, then

    def __call__(self, session, ctx, facts) -> None:  # type: ignore[no-untyped-def]
        self.log.append((self.name, list(facts)))
        if self.then:
            self.then(session, facts)


def events(ctx, **where) -> list[OutboxEvent]:  # type: ignore[no-untyped-def]
    with ctx.session_factory() as session:
        query = select(OutboxEvent).filter_by(**where).order_by(OutboxEvent.id)
        return list(session.execute(query).scalars())


def tier_history(ctx, entity_id: int) -> list[tuple[str | None, str, str]]:  # type: ignore[no-untyped-def]
    with ctx.session_factory() as session:
        rows = session.execute(
            select(TierChange).where(TierChange.entity_id == entity_id).order_by(TierChange.id)
        ).scalars()
        return [(c.old_tier, c.new_tier, c.cause) for c in rows]


# --- the machinery ------------------------------------------------------------------------------


def test_every_fact_has_its_row_in_the_handler_table():
    facts = {
        value
        for value in vars(changes).values()
        if dataclasses.is_dataclass(value) and value.__module__ == changes.__name__
    }
    assert set(HANDLERS) == facts
    assert all(HANDLERS[fact] for fact in facts)


def test_each_handler_gets_the_facts_of_its_types_as_one_list_in_the_order_recorded(ctx):
    log: list = []
    both, corrections = Spy(log, "both"), Spy(log, "corrections")
    factory = factory_with(ctx, {EntitiesChanged: (both,), RecordCorrected: (both, corrections)})
    first, second = EntitiesChanged((1,), "first"), EntitiesChanged((2, 3), "second")
    corrected = RecordCorrected(1, 7)

    with factory.begin() as session:
        changes.record(session, first, corrected)
        changes.record(session, second)
        assert changes.pending(session) == [first, corrected, second]
        assert log == []  # nothing before the commit

    assert log == [("both", [first, corrected, second]), ("corrections", [corrected])]


def test_a_fact_recorded_by_a_handler_is_handled_in_a_next_round_before_the_commit(ctx):
    log: list = []
    follow = EntitiesChanged((5,), "followed")
    first = Spy(log, "first", then=lambda session, _: changes.record(session, follow))
    factory = factory_with(ctx, {RecordCorrected: (first,), EntitiesChanged: (Spy(log, "next"),)})

    with factory.begin() as session:
        changes.record(session, RecordCorrected(5, 9))

    assert log == [("first", [RecordCorrected(5, 9)]), ("next", [follow])]


def test_handlers_that_never_stop_recording_fail_the_commit(ctx):
    again = Spy([], "again", then=lambda session, facts: changes.record(session, *facts))
    factory = factory_with(ctx, {EntitiesChanged: (again,)})

    with pytest.raises(RuntimeError, match="rounds"), factory.begin() as session:
        changes.record(session, EntitiesChanged((1,), "loop"))

    assert len(again.log) == changes.MAX_ROUNDS


def test_a_rollback_discards_the_pending_facts(ctx):
    log: list = []
    factory = factory_with(ctx, {EntitiesChanged: (Spy(log, "spy"),)})

    with factory() as session:
        with pytest.raises(Boom), session.begin():
            changes.record(session, EntitiesChanged((1,), "rolled back"))
            raise Boom
        assert changes.pending(session) == []
        with session.begin():  # the same session, a new transaction
            changes.record(session, EntitiesChanged((2,), "kept"))

    assert log == [("spy", [EntitiesChanged((2,), "kept")])]


def test_a_rolled_back_savepoint_discards_only_the_facts_recorded_inside_it(ctx):
    log: list = []
    factory = factory_with(ctx, {EntitiesChanged: (Spy(log, "spy"),)})
    before, inside, after = (EntitiesChanged((n,), str(n)) for n in (1, 2, 3))

    with factory.begin() as session:
        changes.record(session, before)
        with pytest.raises(Boom), session.begin_nested():
            changes.record(session, inside)
            raise Boom
        with session.begin_nested():  # released: its facts wait for the commit
            changes.record(session, after)
        assert log == []

    assert log == [("spy", [before, after])]


def test_a_savepoint_rolled_back_after_a_settle_drops_what_came_after_it(ctx):
    log: list = []
    factory = factory_with(ctx, {EntitiesChanged: (Spy(log, "spy"),)})
    before, settled, later = (EntitiesChanged((n,), str(n)) for n in (1, 2, 3))

    with factory.begin() as session:
        changes.record(session, before)
        with pytest.raises(Boom), session.begin_nested():
            changes.record(session, settled)
            changes.settle(session)  # its effects roll back with the savepoint
            changes.record(session, later)
            raise Boom
        assert changes.pending(session) == []

    assert log == [("spy", [before, settled])]


def test_settle_handles_the_facts_now_and_the_commit_does_not_again(ctx):
    log: list = []
    factory = factory_with(ctx, {EntitiesChanged: (Spy(log, "spy"),)})

    with factory.begin() as session:
        changes.record(session, EntitiesChanged((1,), "early"))
        changes.settle(session)
        assert log == [("spy", [EntitiesChanged((1,), "early")])]

    assert len(log) == 1


def test_a_failing_handler_rolls_the_whole_transaction_back(ctx):
    def fail(session, ctx, facts):  # type: ignore[no-untyped-def]
        raise Boom

    factory = factory_with(ctx, {EntitiesChanged: (fail,)})
    identifier = unique_uscc()

    with pytest.raises(Boom), factory.begin() as session:
        now = ctx.now()
        session.add(
            Entity(
                kind="organisation",
                identifier=identifier,
                name="回滚测试有限公司",
                region_code="341802",
                content_hash="",
                created_at=now,
                updated_at=now,
            )
        )
        session.flush()
        changes.record(session, EntitiesChanged((1,), "fails"))

    with ctx.session_factory() as session:
        assert session.execute(select(Entity).filter_by(identifier=identifier)).first() is None


def test_every_new_factory_gets_its_listeners_whatever_ids_python_reuses(ctx):
    """A factory's session class may take the id of a collected one: SQLAlchemy's
    ``event.contains`` then says its listeners are there when they are not."""
    for n in range(30):
        log: list = []
        with factory_with(ctx, {EntitiesChanged: (Spy(log, "spy"),)}).begin() as session:
            changes.record(session, EntitiesChanged((n,), "again"))
        assert log == [("spy", [EntitiesChanged((n,), "again")])]
        gc.collect()


def test_facts_need_a_session_with_a_table_that_knows_them(ctx):
    plain = sessionmaker(bind=ctx.session_factory.kw["bind"], class_=Session)
    with plain() as session, pytest.raises(RuntimeError, match="handler table"):
        changes.record(session, EntitiesChanged((1,), "nowhere"))
    with factory_with(ctx, {})() as session, pytest.raises(TypeError, match="EntitiesChanged"):
        changes.record(session, EntitiesChanged((1,), "unknown"))


# --- the real table ------------------------------------------------------------------------------


def test_the_tier_recompute_takes_every_fact_of_a_transaction_once_per_entity(ctx, applied):
    owner = create_entity(ctx)
    other = create_entity(ctx)

    with ctx.session_factory.begin() as session:
        for entity in (owner, other):
            session.get(TierAssignment, entity["id"]).tier = "A"  # stale, as if edited
        changes.record(
            session,
            EntitiesChanged((owner["id"],), "first look"),
            EntitiesChanged((owner["id"], other["id"]), "second look"),
            EntitiesChanged((owner["id"],), "first look"),
        )

    assert tier_history(ctx, owner["id"])[1:] == [("A", "B", "first look; second look")]
    assert tier_history(ctx, other["id"])[1:] == [("A", "B", "second look")]


@pytest.mark.parametrize(
    ("status", "from_platform", "event_type", "tier"),
    [
        ("revoked", False, "record.revoked", "B"),
        ("expired", False, "record.publication_ended", "B"),
        ("repaired", False, None, "B"),
        ("revoked", True, None, "B"),
        ("active", False, None, "C"),
    ],
)
def test_a_record_status_change_moves_the_tier_and_tells_the_platforms_what_they_track(
    ctx, applied, status, from_platform, event_type, tier
):
    owner = create_entity(ctx)
    record = file_penalty(ctx, owner["identifier"])

    with ctx.session_factory.begin() as session:
        session.get(CreditRecord, record["id"]).status = status
        changes.record(
            session, RecordStatusChanged(owner["id"], record["id"], status, from_platform)
        )

    sent = [e.event_type for e in events(ctx, aggregate_id=str(record["id"]))]
    assert sent == ["record.filed"] + ([event_type] if event_type else [])
    with ctx.session_factory() as session:
        assert session.get(TierAssignment, owner["id"]).tier == tier


def test_an_event_the_protocol_does_not_know_rolls_the_change_back(ctx, monkeypatch):
    owner = create_entity(ctx)
    monkeypatch.setattr("credit_service.sync.outbox.EVENT_TYPES", ("listing.published",))

    with pytest.raises(ValueError, match="record.filed"):
        file_penalty(ctx, owner["identifier"])

    with ctx.session_factory() as session:
        filed = select(func.count()).select_from(CreditRecord).filter_by(entity_id=owner["id"])
        assert session.execute(filed).scalar_one() == 0


# --- the bulk import takes the same path -------------------------------------------------------


def import_penalties(ctx, owner: dict, count: int):  # type: ignore[no-untyped-def]
    rows = [
        {
            "CF_XDR_MC": owner["name"],
            "CF_XDR_LB": "法人及非法人组织",
            "CF_XDR_SHXYM": owner["identifier"],
            "CF_FRDB": "张三",
            "CF_JDRQ": "2026-03-15",
            "CF_CFJG": "宣城市市场监督管理局",
            "CF_CFJGDM": "11341800MB0000001",
            **{k: v for k, v in penalty_fields().items() if k.startswith("CF_")},
            "CF_CFLB": "罚款",
        }
        for _ in range(count)
    ]
    stream = io.StringIO()
    writer = csv.DictWriter(stream, fieldnames=[c for c in layouts.DSGS_COLUMNS if c in rows[0]])
    writer.writeheader()
    writer.writerows(rows)
    stream.seek(0)
    return record_importer.import_records(ctx, SYSTEM, stream)


def test_the_bulk_import_writes_its_events_through_the_one_writer_in_one_call(
    ctx, applied, monkeypatch
):
    owner = create_entity(ctx)
    calls = []
    write = outbox.write

    def spy(session, events, *, now):  # type: ignore[no-untyped-def]
        calls.append([e.event_type for e in events])
        return write(session, events, now=now)

    monkeypatch.setattr(outbox, "write", spy)
    report = import_penalties(ctx, owner, 3)

    assert report.created == 3
    assert calls == [["record.filed"] * 3]  # one batch, one insert
    sent = events(ctx, subject=owner["identifier"], event_type="record.filed")
    assert len(sent) == 3 and len({e.event_id for e in sent}) == 3
    with ctx.session_factory() as session:
        for event in sent:
            record = session.execute(
                select(CreditRecord).filter_by(source_ref=event.payload["fields"]["CF_WSH"])
            ).scalar_one()
            entity = session.get(Entity, owner["id"])
            by_hand = exchange.record_payload(exchange.record_values(record), entity)
            # the same event filing by hand writes, but for the ids the bulk rows lack
            assert event.aggregate_id == by_hand["record_key"]
            assert event.payload == json.loads(json.dumps({**by_hand, "record_id": None}))
    assert tier_history(ctx, owner["id"])[-1] == ("B", "C", "records imported")


def test_the_bulk_import_is_held_to_the_event_types_of_the_protocol(ctx, monkeypatch):
    owner = create_entity(ctx)
    monkeypatch.setattr("credit_service.sync.outbox.EVENT_TYPES", ("listing.published",))

    with pytest.raises(ValueError, match="record.filed"):
        import_penalties(ctx, owner, 2)

    with ctx.session_factory() as session:
        filed = select(func.count()).select_from(CreditRecord).filter_by(entity_id=owner["id"])
        assert session.execute(filed).scalar_one() == 0


def test_the_web_app_builds_its_context_with_the_handler_table(tmp_path):
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'app.db'}", tmp_path))
    ctx = app.extensions["credit_service"]
    try:
        with ctx.session_factory() as session:
            changes.record(session, EntitiesChanged((1,), "installed"))
            assert changes.pending(session) == [EntitiesChanged((1,), "installed")]
    finally:
        ctx.close()

"""The hash-chained audit trail against a real database: append, verify, purge."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from credit_service.access import SYSTEM, Actor
from credit_service.audit import services as audit
from credit_service.audit.models import AuditChainHead, AuditEvent
from credit_service.audit.rules import row_digest
from credit_service.errors import InvalidInput

CLERK = Actor(role="regulator", username="clerk", region_code="341800", city_code="341800")


def append(ctx, action: str = "test.act", *, actor: Actor = CLERK, **kwargs) -> AuditEvent:
    with ctx.session_factory.begin() as session:
        return audit.append(session, actor=actor, action=action, now=ctx.now(), **kwargs)


def append_many(ctx, n: int) -> list[AuditEvent]:
    events = []
    for i in range(n):
        events.append(append(ctx, object_type="entity", object_id=i, details={"n": i, "名": "值"}))
        ctx.clock.advance(minutes=1)
    return events


def events_in_order(ctx) -> list[AuditEvent]:
    with ctx.session_factory() as session:
        return list(session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars())


def execute(ctx, sql: str, **params) -> None:
    with ctx.session_factory.begin() as session:
        session.execute(text(sql), params)


def set_details(ctx, event_id: int, details: dict) -> None:
    """Tamper with a row behind the service's back, as someone with database access could."""
    cast = "CAST(:details AS JSONB)" if ctx.engine.dialect.name == "postgresql" else ":details"
    execute(
        ctx,
        f"UPDATE audit_events SET details = {cast} WHERE id = :id",
        details=json.dumps(details, ensure_ascii=False),
        id=event_id,
    )


# --- append and verify ----------------------------------------------------------------------


def test_appended_events_form_a_verifiable_chain(ctx):
    append_many(ctx, 5)

    report = audit.verify_chain(ctx.session_factory)

    assert report.ok is True
    assert report.checked == len(events_in_order(ctx)) >= 5
    assert report.bad_seq is None and report.problem is None and report.problem_params == {}


def test_each_event_links_to_the_one_before(ctx):
    append_many(ctx, 3)

    rows = events_in_order(ctx)

    assert [r.seq for r in rows] == list(range(rows[0].seq, rows[0].seq + len(rows)))
    links = zip(rows, rows[1:], strict=False)
    assert all(later.prev_hash == earlier.row_hash for earlier, later in links)
    with ctx.session_factory() as session:
        head = session.get(AuditChainHead, 1)
    assert (head.last_seq, head.last_hash) == (rows[-1].seq, rows[-1].row_hash)


def test_an_event_stores_who_when_and_what(ctx, clock):
    actor = Actor(role="regulator", username="王敏", source_ip="10.0.0.7")

    event = append(
        ctx,
        "entity.update",
        actor=actor,
        object_type="entity",
        object_id=42,
        outcome="denied",
        details={"changed": ["name"]},
    )

    [stored] = [e for e in events_in_order(ctx) if e.id == event.id]
    assert (stored.actor, stored.role, stored.source_ip) == ("王敏", "regulator", "10.0.0.7")
    assert (stored.object_type, stored.object_id, stored.outcome) == ("entity", "42", "denied")
    assert stored.occurred_at == clock.now()
    assert stored.details == {"changed": ["name"]}


def test_an_event_rolls_back_with_the_act_that_failed(ctx):
    append_many(ctx, 2)
    before = events_in_order(ctx)

    with pytest.raises(RuntimeError):
        with ctx.session_factory.begin() as session:
            audit.append(session, actor=CLERK, action="test.doomed", now=ctx.now())
            raise RuntimeError("the act failed")

    assert [e.id for e in events_in_order(ctx)] == [e.id for e in before]
    assert audit.verify_chain(ctx.session_factory).ok
    assert append(ctx).seq == before[-1].seq + 1


def test_details_that_are_not_json_native_are_stored_as_verifiable_text(ctx, clock):
    append(ctx, details={"when": clock.now(), "ids": (1, 2)})

    assert audit.verify_chain(ctx.session_factory).ok
    assert events_in_order(ctx)[-1].details == {"when": str(clock.now()), "ids": [1, 2]}


# --- tampering is detected ------------------------------------------------------------------


def test_altering_the_details_of_a_row_is_detected_naming_that_row(ctx):
    events = append_many(ctx, 5)
    target = events[2]

    set_details(ctx, target.id, {"n": 999, "名": "值"})
    report = audit.verify_chain(ctx.session_factory)

    assert report.ok is False
    assert (report.bad_seq, report.bad_id) == (target.seq, target.id)
    assert report.problem == "audit-row-altered"
    assert report.problem_params == {"seq": target.seq, "id": target.id}
    assert report.checked == target.seq - events_in_order(ctx)[0].seq


def test_altering_the_actor_of_a_row_is_detected_naming_that_row(ctx):
    events = append_many(ctx, 4)
    target = events[1]

    execute(
        ctx, "UPDATE audit_events SET actor = :a WHERE id = :id", a="someone-else", id=target.id
    )
    report = audit.verify_chain(ctx.session_factory)

    assert report.ok is False
    assert (report.bad_seq, report.bad_id) == (target.seq, target.id)
    assert (report.problem, report.problem_params) == (
        "audit-row-altered",
        {"seq": target.seq, "id": target.id},
    )


def test_rewriting_a_row_with_a_recomputed_hash_breaks_the_link_to_the_next_row(ctx):
    events = append_many(ctx, 4)
    target, following = events[1], events[2]
    forged = row_digest(
        seq=target.seq,
        occurred_at=target.occurred_at,
        actor=target.actor,
        role=target.role,
        source_ip=target.source_ip,
        action="forged",
        object_type=target.object_type,
        object_id=target.object_id,
        outcome=target.outcome,
        details=target.details,
        prev_hash=target.prev_hash,
    )

    execute(
        ctx,
        "UPDATE audit_events SET action = 'forged', row_hash = :h WHERE id = :id",
        h=forged,
        id=target.id,
    )
    report = audit.verify_chain(ctx.session_factory)

    assert report.ok is False
    assert (report.bad_seq, report.bad_id) == (following.seq, following.id)
    assert report.problem == "audit-row-unlinked"
    assert report.problem_params == {"seq": following.seq, "id": following.id}


def test_deleting_a_middle_row_is_detected(ctx):
    events = append_many(ctx, 5)
    deleted = events[2]

    execute(ctx, "DELETE FROM audit_events WHERE id = :id", id=deleted.id)
    report = audit.verify_chain(ctx.session_factory)

    assert report.ok is False
    assert report.bad_seq == deleted.seq + 1
    assert report.bad_id == events[3].id
    assert report.problem == "audit-seq-gap"
    assert report.problem_params == {"seq": deleted.seq + 1, "expected_seq": deleted.seq}


def test_deleting_the_newest_row_is_detected_by_the_head(ctx):
    events = append_many(ctx, 4)
    newest = events[-1]

    execute(ctx, "DELETE FROM audit_events WHERE id = :id", id=newest.id)
    report = audit.verify_chain(ctx.session_factory)

    assert report.ok is False
    assert report.bad_seq == newest.seq
    assert report.problem == "audit-chain-short"
    assert report.problem_params == {"seq": newest.seq - 1, "head_seq": newest.seq}


def test_deleting_every_row_is_detected(ctx):
    append_many(ctx, 3)

    execute(ctx, "DELETE FROM audit_events")
    report = audit.verify_chain(ctx.session_factory)

    assert report.ok is False
    assert report.checked == 0


# --- purge ----------------------------------------------------------------------------------


@pytest.mark.parametrize("days", [0, 30, 179])
def test_purging_with_a_retention_under_180_days_is_refused(ctx, clock, days):
    clock.advance(days=-400)
    append_many(ctx, 2)
    clock.advance(days=400)
    before = len(events_in_order(ctx))

    with pytest.raises(InvalidInput) as raised:
        audit.purge(ctx.session_factory, now=clock.now(), retention_days=days, actor=SYSTEM)

    assert "retention_days" in raised.value.errors
    assert len(events_in_order(ctx)) == before


def test_purge_deletes_only_rows_older_than_the_retention(ctx, clock):
    start = clock.now()
    clock.set(start - timedelta(days=400))
    old = append_many(ctx, 3)
    clock.set(start - timedelta(days=100))
    young = append_many(ctx, 2)
    clock.set(start)

    deleted = audit.purge(ctx.session_factory, now=start, retention_days=365, actor=SYSTEM)

    remaining = events_in_order(ctx)
    assert deleted == len(old)
    assert [e.id for e in remaining[: len(young)]] == [e.id for e in young]
    assert remaining[-1].action == "audit.purge"
    assert remaining[-1].details == {
        "deleted": 3,
        "through_seq": old[-1].seq,
        "retention_days": 365,
    }
    report = audit.verify_chain(ctx.session_factory)
    assert report.ok is True
    assert report.checked == len(young) + 1


def test_a_row_exactly_at_the_retention_boundary_is_kept(ctx, clock):
    start = clock.now()
    clock.set(start - timedelta(days=180, seconds=1))
    too_old = append(ctx)
    clock.set(start - timedelta(days=180))
    boundary = append(ctx)
    clock.set(start)

    deleted = audit.purge(ctx.session_factory, now=start, retention_days=180, actor=SYSTEM)

    ids = [e.id for e in events_in_order(ctx)]
    assert deleted == 1
    assert too_old.id not in ids
    assert boundary.id in ids


def test_purge_stops_at_the_first_young_row_even_if_older_rows_follow(ctx, clock):
    start = clock.now()
    clock.set(start - timedelta(days=500))
    first_old = append(ctx)
    clock.set(start - timedelta(days=10))
    young = append(ctx)
    clock.set(start - timedelta(days=500))
    late_old = append(ctx)  # a clock that went backwards: older than the row before it
    clock.set(start)

    deleted = audit.purge(ctx.session_factory, now=start, retention_days=365, actor=SYSTEM)

    ids = [e.id for e in events_in_order(ctx)]
    assert deleted == 1
    assert first_old.id not in ids
    assert young.id in ids and late_old.id in ids
    assert audit.verify_chain(ctx.session_factory).ok


def test_purge_with_nothing_old_enough_deletes_nothing_and_writes_nothing(ctx, clock):
    events = append_many(ctx, 3)

    deleted = audit.purge(ctx.session_factory, now=clock.now(), retention_days=180, actor=SYSTEM)

    assert deleted == 0
    assert [e.id for e in events_in_order(ctx)] == [e.id for e in events]


def test_a_second_purge_deletes_only_what_aged_since_the_first(ctx, clock):
    start = clock.now()
    clock.set(start - timedelta(days=400))
    append_many(ctx, 2)
    clock.set(start - timedelta(days=200))
    middle = append_many(ctx, 2)
    clock.set(start)
    audit.purge(ctx.session_factory, now=start, retention_days=365, actor=SYSTEM)

    later = start + timedelta(days=200)
    clock.set(later)
    deleted = audit.purge(ctx.session_factory, now=later, retention_days=365, actor=SYSTEM)

    assert deleted == len(middle)
    remaining = events_in_order(ctx)
    assert [e.action for e in remaining] == ["audit.purge", "audit.purge"]
    assert audit.verify_chain(ctx.session_factory).ok


def test_tampering_after_a_purge_is_still_detected(ctx, clock):
    start = clock.now()
    clock.set(start - timedelta(days=400))
    append_many(ctx, 3)
    clock.set(start - timedelta(days=10))
    young = append_many(ctx, 3)
    clock.set(start)
    audit.purge(ctx.session_factory, now=start, retention_days=365, actor=SYSTEM)

    set_details(ctx, young[0].id, {"n": -1})
    report = audit.verify_chain(ctx.session_factory)

    assert report.ok is False
    assert (report.bad_seq, report.bad_id) == (young[0].seq, young[0].id)


def test_deleting_the_first_row_left_after_a_purge_is_detected(ctx, clock):
    start = clock.now()
    clock.set(start - timedelta(days=400))
    append_many(ctx, 2)
    clock.set(start - timedelta(days=10))
    young = append_many(ctx, 3)
    clock.set(start)
    audit.purge(ctx.session_factory, now=start, retention_days=365, actor=SYSTEM)

    execute(ctx, "DELETE FROM audit_events WHERE id = :id", id=young[0].id)
    report = audit.verify_chain(ctx.session_factory)

    assert report.ok is False
    assert report.bad_seq == young[1].seq

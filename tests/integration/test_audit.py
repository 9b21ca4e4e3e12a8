"""The sealed, signed audit log against a real database: append, seal, verify, purge, and
tampering by someone with write access to the database but not the signing key."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from credit_service.access import SYSTEM, Actor
from credit_service.audit import rules, sealing, verification
from credit_service.audit import services as audit
from credit_service.audit.models import AuditCheckpoint, AuditEvent
from credit_service.errors import InvalidInput
from credit_service.signing_keys import new_seed, verify_signature

CLERK = Actor(role="regulator", username="clerk", region_code="341800", city_code="341800")


def append(ctx, action: str = "test.act", *, actor: Actor = CLERK, **kwargs) -> AuditEvent:
    with ctx.session_factory.begin() as session:
        return audit.append(session, actor=actor, action=action, now=ctx.now(), **kwargs)


def append_several(ctx, n: int) -> list[AuditEvent]:
    events = []
    for i in range(n):
        events.append(append(ctx, object_type="entity", object_id=i, details={"n": i, "名": "值"}))
        ctx.clock.advance(minutes=1)
    return events


def sealed(ctx, n: int) -> list[AuditEvent]:
    """``n`` new rows, sealed, as the database now holds them."""
    ids = {e.id for e in append_several(ctx, n)}
    sealing.seal_log(ctx)
    return [e for e in rows(ctx) if e.id in ids]


def rows(ctx) -> list[AuditEvent]:
    with ctx.session_factory() as session:
        return list(session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars())


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


def rehash_from(ctx, seq: int) -> None:
    """Recompute every public hash from row ``seq`` on, as an attacker who read
    ``audit.rules`` can (the keyed codes and the signatures they cannot)."""
    with ctx.session_factory.begin() as session:
        log = session.execute(
            select(AuditEvent).where(AuditEvent.seq.is_not(None)).order_by(AuditEvent.seq)
        )
        head = None
        for row in log.scalars():
            if row.seq == seq - 1:
                head = row.chain_hash
            if row.seq >= seq:
                head = rules.link(head, rules.leaf_hash(row.seq, rules.content_of(row)))
                row.chain_hash = head


def verify(ctx) -> verification.Verification:
    return verification.verify_log(ctx)


def problems(result: verification.Verification) -> list[tuple[str, int | None]]:
    return [(f.problem, f.seq) for f in result.findings]


# --- append and seal ------------------------------------------------------------------------


def test_an_appended_row_waits_for_its_seal_then_takes_the_next_place(ctx):
    events = append_several(ctx, 3)
    assert all(e.seq is None and e.chain_hash is None for e in rows(ctx))

    result = sealing.seal_log(ctx)

    stored = rows(ctx)
    assert [e.seq for e in stored] == list(range(1, len(stored) + 1))
    assert result.rows == len(stored) and result.size == stored[-1].seq
    assert result.head == stored[-1].chain_hash
    assert all(e.row_mac and len(e.row_mac) == 64 for e in stored)
    assert {e.id for e in events} <= {e.id for e in stored}
    assert verify(ctx).ok


def test_each_row_chains_to_the_one_before(ctx):
    log = sealed(ctx, 4)

    head = rules.link(log[0].chain_hash, rules.leaf_hash(log[1].seq, rules.content_of(log[1])))

    assert head == log[1].chain_hash
    assert [e.seq for e in log] == list(range(log[0].seq, log[0].seq + 4))


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

    [stored] = [e for e in rows(ctx) if e.id == event.id]
    assert (stored.actor, stored.role, stored.source_ip) == ("王敏", "regulator", "10.0.0.7")
    assert (stored.object_type, stored.object_id, stored.outcome) == ("entity", "42", "denied")
    assert stored.occurred_at == clock.now()
    assert stored.details == {"changed": ["name"]}


def test_append_many_writes_every_row_masked_in_one_call(ctx):
    entry = dict(actor=CLERK, action="credit.check", now=ctx.now(), object_type="entity")
    with ctx.session_factory.begin() as session:
        audit.append_many(
            session,
            [{**entry, "details": {"identifier": "341802199001011235"}}, {**entry, "object_id": 7}],
        )

    added = [e for e in rows(ctx) if e.action == "credit.check"]
    assert [e.object_id for e in added] == [None, "7"]
    assert "341802199001011235" not in json.dumps(added[0].details)
    sealing.seal_log(ctx)
    assert verify(ctx).ok


def test_a_rolled_back_append_leaves_no_gap_in_the_log(ctx):
    append_several(ctx, 2)
    with pytest.raises(RuntimeError):
        with ctx.session_factory.begin() as session:
            audit.append(session, actor=CLERK, action="test.doomed", now=ctx.now())
            raise RuntimeError("the act failed")
    append_several(ctx, 2)

    sealing.seal_log(ctx)

    assert "test.doomed" not in {e.action for e in rows(ctx)}
    seqs = [e.seq for e in rows(ctx)]
    assert seqs == list(range(1, len(seqs) + 1))
    assert verify(ctx).ok


def test_details_that_are_not_json_native_are_stored_as_verifiable_text(ctx, clock):
    append(ctx, details={"when": clock.now(), "ids": (1, 2)})
    sealing.seal_log(ctx)

    assert verify(ctx).ok
    assert rows(ctx)[-1].details == {"when": str(clock.now()), "ids": [1, 2]}


def test_a_seal_with_nothing_new_signs_nothing(ctx):
    sealed(ctx, 2)
    with ctx.session_factory() as session:
        before = session.execute(select(AuditCheckpoint.id)).all()

    result = sealing.seal_log(ctx)

    assert result.rows == 0
    with ctx.session_factory() as session:
        assert session.execute(select(AuditCheckpoint.id)).all() == before


def test_a_checkpoint_verifies_with_nothing_but_the_published_key(ctx):
    sealed(ctx, 3)
    with ctx.session_factory() as session:
        checkpoint = audit.latest_checkpoint(session)
    [published] = ctx.key_ring.published()

    statement = json.loads(checkpoint["statement"])

    assert checkpoint["key_id"] == published["key_id"]
    assert verify_signature(
        published["public_key"], checkpoint["statement"].encode(), checkpoint["signature"]
    )
    assert (statement["type"], statement["size"]) == ("audit-checkpoint", rows(ctx)[-1].seq)
    assert not verify_signature(
        published["public_key"],
        checkpoint["statement"].replace('"size"', '"Size"').encode(),
        checkpoint["signature"],
    )


def test_every_checkpoint_is_copied_out_of_the_database(ctx):
    sealed(ctx, 2)
    sealed(ctx, 2)

    copies = list(verification.read_witness([ctx.settings.audit_witness_dir]))

    sizes = [json.loads(c["statement"])["size"] for c in copies]
    assert sizes[-1] == rows(ctx)[-1].seq and len(sizes) == 2


# --- tampering is detected, the row named -----------------------------------------------------


def test_altering_a_row_is_detected_naming_that_row(ctx):
    log = sealed(ctx, 5)
    target = log[2]

    set_details(ctx, target.id, {"n": 999, "名": "值"})
    result = verify(ctx)

    assert not result.ok
    assert result.first.problem == "audit-row-forged"
    assert (result.first.seq, result.first.id) == (target.seq, target.id)
    assert problems(result) == [("audit-row-forged", target.seq)]


def test_altering_a_row_and_recomputing_every_hash_is_still_detected_at_that_row(ctx):
    log = sealed(ctx, 5)
    target = log[1]
    execute(ctx, "UPDATE audit_events SET actor = 'someone-else' WHERE id = :id", id=target.id)

    rehash_from(ctx, target.seq)
    result = verify(ctx)

    assert (result.first.problem, result.first.seq, result.first.id) == (
        "audit-row-forged",
        target.seq,
        target.id,
    )
    assert ("audit-checkpoint-mismatch", rows(ctx)[-1].seq) in problems(result)
    assert [p for p, _ in problems(result)].count("audit-row-forged") == 1


def test_a_row_whose_hash_no_longer_links_is_named_as_altered(ctx):
    log = sealed(ctx, 3)
    execute(ctx, "UPDATE audit_events SET chain_hash = :h WHERE id = :id", h="f" * 64, id=log[1].id)

    result = verify(ctx)

    assert problems(result) == [("audit-row-altered", log[1].seq)]
    assert result.first.id == log[1].id


def test_deleting_a_middle_row_is_detected_naming_its_place(ctx):
    log = sealed(ctx, 5)
    deleted = log[2]

    execute(ctx, "DELETE FROM audit_events WHERE id = :id", id=deleted.id)
    result = verify(ctx)

    assert problems(result) == [("audit-row-missing", deleted.seq)]
    assert result.first.params == {"seq": deleted.seq, "through": deleted.seq}


def test_deleting_the_newest_rows_and_their_checkpoint_shows_against_the_copies(ctx):
    sealed(ctx, 3)
    newest = sealed(ctx, 2)

    execute(ctx, "DELETE FROM audit_events WHERE seq >= :s", s=newest[0].seq)
    execute(ctx, "DELETE FROM audit_checkpoints WHERE size >= :s", s=newest[0].seq)
    result = verify(ctx)

    assert problems(result) == [("audit-log-truncated", newest[0].seq)]
    assert result.first.params == {"seq": newest[0].seq - 1, "size": newest[-1].seq}


def test_inserting_a_row_into_the_sealed_log_is_detected(ctx, clock):
    log = sealed(ctx, 2)
    values = dict(
        occurred_at=clock.now(),
        actor="forger",
        role="admin",
        source_ip=None,
        action="user.create",
        object_type=None,
        object_id=None,
        outcome="success",
        details={},
    )
    seq = log[-1].seq + 1
    head = rules.link(log[-1].chain_hash, rules.leaf_hash(seq, values))
    with ctx.session_factory.begin() as session:
        session.add(AuditEvent(**values, seq=seq, chain_hash=head, row_mac="0" * 64))
    forged = rows(ctx)[-1]

    result = verify(ctx)

    assert problems(result) == [("audit-row-unsigned", seq)]
    assert result.first.id == forged.id


def test_a_checkpoint_altered_in_the_database_is_detected(ctx):
    sealed(ctx, 2)
    execute(
        ctx, "UPDATE audit_checkpoints SET statement = replace(statement, 'audit-checkpoint', 'x')"
    )

    result = verify(ctx)

    assert problems(result)[0][0] == "audit-checkpoint-invalid"
    assert not result.ok


def test_rows_signed_with_a_retired_key_still_verify_and_not_without_it(ctx):
    sealed(ctx, 2)
    old_key = ctx.key_ring.current
    seed = (ctx.settings.data_dir / "audit-signing.key").read_text().strip()
    ctx.settings = ctx.settings.replace(audit_signing_key=new_seed(), audit_retired_keys=seed)
    sealed(ctx, 2)

    assert ctx.key_ring.current.key_id != old_key.key_id
    assert verify(ctx).ok
    ctx.settings = ctx.settings.replace(audit_retired_keys=None)
    assert "audit-checkpoint-invalid" in [p for p, _ in problems(verify(ctx))]


# --- purge ----------------------------------------------------------------------------------


def purge(ctx, days: int, now=None) -> int:
    return sealing.purge(
        ctx.session_factory,
        ctx.key_ring,
        now=now or ctx.now(),
        retention_days=days,
        actor=SYSTEM,
        witness_dir=ctx.settings.audit_witness_dir,
    )


@pytest.mark.parametrize("days", [0, 30, 179])
def test_purging_with_a_retention_under_180_days_is_refused(ctx, clock, days):
    clock.advance(days=-400)
    append_several(ctx, 2)
    clock.advance(days=400)
    before = len(rows(ctx))

    with pytest.raises(InvalidInput) as raised:
        purge(ctx, days)

    assert "retention_days" in raised.value.errors
    assert len(rows(ctx)) == before


def test_purge_deletes_only_rows_older_than_the_retention_and_still_verifies(ctx, clock):
    start = clock.now()
    clock.set(start - timedelta(days=400))
    old = append_several(ctx, 3)
    clock.set(start - timedelta(days=100))
    young = append_several(ctx, 2)
    clock.set(start)

    deleted = purge(ctx, 365)

    remaining = rows(ctx)
    assert deleted >= len(old)
    assert not {e.id for e in old} & {e.id for e in remaining}
    assert [e.id for e in remaining[: len(young)]] == [e.id for e in young]
    assert remaining[-1].action == "audit.purge"
    assert remaining[-1].details["retention_days"] == 365
    sealing.seal_log(ctx)
    result = verify(ctx)
    assert result.ok, result.findings
    assert result.checked == len(young) + 1


def test_a_row_exactly_at_the_retention_boundary_is_kept(ctx, clock):
    start = clock.now()
    clock.set(start - timedelta(days=180, seconds=1))
    too_old = append(ctx)
    clock.set(start - timedelta(days=180))
    boundary = append(ctx)
    clock.set(start)

    purge(ctx, 180)

    ids = [e.id for e in rows(ctx)]
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

    purge(ctx, 365)

    ids = [e.id for e in rows(ctx)]
    assert first_old.id not in ids
    assert young.id in ids and late_old.id in ids
    sealing.seal_log(ctx)
    assert verify(ctx).ok


def test_a_second_purge_deletes_only_what_aged_since_the_first(ctx, clock):
    start = clock.now()
    clock.set(start - timedelta(days=400))
    append_several(ctx, 2)
    clock.set(start - timedelta(days=200))
    middle = append_several(ctx, 2)
    clock.set(start)
    purge(ctx, 365)

    later = start + timedelta(days=200)
    clock.set(later)
    deleted = purge(ctx, 365, later)

    assert deleted == len(middle)
    assert [e.action for e in rows(ctx)] == ["audit.purge", "audit.purge"]
    sealing.seal_log(ctx)
    assert verify(ctx).ok


def test_deleting_the_oldest_rows_without_a_signed_purge_is_detected(ctx, clock):
    clock.advance(days=-400)
    log = sealed(ctx, 4)
    clock.advance(days=400)

    execute(ctx, "DELETE FROM audit_events WHERE seq <= :s", s=log[1].seq)
    result = verify(ctx)

    assert problems(result) == [("audit-purge-unsigned", 1)]
    assert result.first.params == {"seq": 1, "through": log[1].seq}


def test_a_signed_purge_of_rows_inside_the_retention_is_detected(ctx, clock):
    log = sealed(ctx, 4)  # written today
    through = log[1]
    statement = rules.purge_statement(
        through=through.seq,
        head=through.chain_hash,
        newest_purged_at=through.occurred_at,
        purged_at=clock.now(),
        days=365,
    )
    text_ = rules.canonical(statement).decode()
    with ctx.session_factory.begin() as session:  # as a purge that ignored the rule would
        session.execute(AuditEvent.__table__.delete().where(AuditEvent.seq <= through.seq))
        session.add(
            AuditCheckpoint(
                kind="purge",
                size=through.seq,
                head=through.chain_hash,
                signed_at=clock.now(),
                key_id=ctx.key_ring.current.key_id,
                statement=text_,
                signature=ctx.key_ring.current.sign(text_.encode()),
            )
        )

    result = verify(ctx)

    assert problems(result) == [("audit-purge-too-early", through.seq)]


def test_a_purge_refuses_to_erase_rows_that_were_tampered_with(ctx, clock):
    clock.advance(days=-400)
    log = sealed(ctx, 3)
    clock.advance(days=400)
    execute(ctx, "UPDATE audit_events SET chain_hash = :h WHERE id = :id", h="e" * 64, id=log[1].id)

    with pytest.raises(Exception) as raised:
        purge(ctx, 365)

    assert getattr(raised.value, "code", None) == "audit-purge-refused"
    assert {e.id for e in log} <= {e.id for e in rows(ctx)}


def test_tampering_after_a_purge_is_still_detected(ctx, clock):
    start = clock.now()
    clock.set(start - timedelta(days=400))
    append_several(ctx, 3)
    clock.set(start - timedelta(days=10))
    young = append_several(ctx, 3)
    clock.set(start)
    purge(ctx, 365)
    sealing.seal_log(ctx)
    [first] = [e for e in rows(ctx) if e.id == young[0].id]

    set_details(ctx, first.id, {"n": -1})
    result = verify(ctx)

    assert (result.first.seq, result.first.id) == (first.seq, first.id)

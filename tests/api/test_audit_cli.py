"""flask audit seal | verify | purge | keygen: the operator's commands on the audit log."""

from __future__ import annotations

import base64
import dataclasses
import json
from datetime import timedelta

from sqlalchemy import select, update

from credit_service.access import SYSTEM, Actor
from credit_service.audit import sealing
from credit_service.audit import services as audit
from credit_service.audit.models import AuditEvent
from credit_service.web.i18n import translate

CHECKER = Actor(role="checker", username="checker-1", region_code="341800")


def audited_at(ctx, clock, days_ago: float, action: str = "test.act") -> AuditEvent:
    """An audit row written ``days_ago`` days before the clock's present."""
    present = clock.now()
    clock.set(present - timedelta(days=days_ago))
    with ctx.session_factory.begin() as session:
        event = audit.append(session, actor=SYSTEM, action=action, now=clock.now())
    clock.set(present)
    return event


def remaining_ids(ctx) -> list[int]:
    with ctx.session_factory() as session:
        return list(session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=["audit", *args])


def test_seal_then_verify_reports_an_intact_log(app, ctx, clock):
    events = [audited_at(ctx, clock, 1) for _ in range(3)]

    sealed = run(app, "seal")
    verified = run(app, "verify")

    assert sealed.exit_code == 0, sealed.output
    assert f"sealed {len(remaining_ids(ctx))} audit rows" in sealed.stdout
    assert verified.exit_code == 0, verified.output
    assert "audit log intact:" in verified.stdout
    assert "0 rows await their seal" in verified.stdout
    assert len(events) <= int(verified.stdout.split("audit log intact: ")[1].split()[0])


def test_verify_names_a_row_altered_by_sql_and_exits_1(app, ctx, clock):
    events = [audited_at(ctx, clock, 3 - i) for i in range(3)]
    sealing.seal_log(ctx)
    with ctx.session_factory() as session:
        target = session.get(AuditEvent, events[1].id)
    with ctx.session_factory.begin() as session:
        session.execute(
            update(AuditEvent).where(AuditEvent.id == target.id).values(actor="someone-else")
        )

    result = run(app, "verify")

    assert result.exit_code == 1
    assert (
        f"AUDIT LOG BROKEN at row {target.seq} (id {target.id}): audit-row-forged" in result.stderr
    )
    assert "authentication code fails" in result.stderr  # in words, in English
    assert "audit log NOT intact" in result.stdout


def test_verify_shows_who_looked_up_whom_with_resident_ids_masked(app, ctx):
    with ctx.session_factory.begin() as session:
        audit.append(
            session,
            actor=CHECKER,
            action="credit.check",
            now=ctx.now(),
            object_type="entity",
            outcome="not_found",
            details={"identifier": "341802199001011235", "purpose": "procurement"},
        )

    result = run(app, "verify")

    assert "who looked up whom, last 30 days" in result.stdout
    [line] = [x for x in result.stdout.splitlines() if "checker-1" in x]
    assert "credit.check" in line and "1 acts" in line and "1 subjects" in line
    assert "341802199001011235" not in result.stdout


def test_verify_reads_other_copies_of_the_checkpoints(app, ctx, clock, tmp_path):
    audited_at(ctx, clock, 1)
    sealing.seal_log(ctx)
    copies = tmp_path / "from-province.jsonl"
    [line] = [json.dumps(audit.checkpoint_copy(c), ensure_ascii=False) for c in _checkpoints(ctx)]
    forged = json.loads(line) | {"signature": base64.b64encode(b"x" * 64).decode()}
    copies.write_text(line + "\n" + json.dumps(forged) + "\n", encoding="utf-8")

    result = run(app, "verify", "--checkpoints", str(copies))

    assert result.exit_code == 1
    assert "audit-witness-invalid" in result.stderr
    assert "and 2 copies" in result.stdout  # the folder's, and the file's good one


def _checkpoints(ctx):
    from credit_service.audit.models import AuditCheckpoint

    with ctx.session_factory() as session:
        return list(session.scalars(select(AuditCheckpoint)))


def test_purge_keeps_the_retention_set(app, ctx, clock):
    old = [audited_at(ctx, clock, days) for days in (500, 400)]
    kept = [audited_at(ctx, clock, days) for days in (300, 200, 1)]

    result = run(app, "purge")

    assert result.exit_code == 0, result.output
    ids = remaining_ids(ctx)
    assert not {e.id for e in old} & set(ids)
    assert {e.id for e in kept} <= set(ids)
    with ctx.session_factory() as session:
        purge = session.get(AuditEvent, ids[-1])
    assert (purge.action, purge.actor[:4]) == ("audit.purge", "cli:")
    assert purge.details["deleted"] == int(result.stdout.split()[1]) >= len(old)
    assert run(app, "verify").exit_code == 0


def test_purge_at_the_floor_keeps_the_last_180_days(app, ctx, clock):
    ctx.settings = ctx.settings.replace(audit_retention_days=180)
    gone = audited_at(ctx, clock, 181)
    kept = audited_at(ctx, clock, 179)

    result = run(app, "purge")

    assert result.exit_code == 0, result.output
    assert "older than 180 days" in result.stdout
    ids = remaining_ids(ctx)
    assert gone.id not in ids and kept.id in ids


def test_purge_never_goes_under_180_days_whatever_the_setting(app, ctx, clock):
    young = audited_at(ctx, clock, 100)
    unchecked = dataclasses.replace(ctx.settings)
    object.__setattr__(unchecked, "audit_retention_days", 30)  # past the start-up check
    ctx.settings = unchecked

    result = run(app, "purge")

    assert result.exit_code == 1
    said = translate("error.retention-too-short", "en", min_days=180)
    assert f"error: {said}" in result.stderr
    assert young.id in remaining_ids(ctx)


def test_keygen_prints_a_key_the_settings_accept(app, ctx):
    result = run(app, "keygen")

    seed = result.stdout.strip()
    assert len(base64.b64decode(seed)) == 32
    ring_settings = ctx.settings.replace(audit_signing_key=seed)
    ctx.settings = ring_settings
    assert ctx.key_ring.current.key_id != ""

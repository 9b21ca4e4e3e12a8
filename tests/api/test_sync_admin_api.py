"""The sync and jobs administration API: platform health from the outbox, dead letters
and their re-queueing, quarantined rows, job runs. Admins only; no simulator needed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from credit_service.audit.models import AuditEvent
from credit_service.clock import local_noon
from credit_service.demo.seed import platforms_file
from credit_service.errors import read_stored, stored_text
from credit_service.event_ids import new_event_id
from credit_service.jobs import services as job_services
from credit_service.sync import outbox
from credit_service.sync.models import (
    REASON_LENGTH,
    DeadLetter,
    OutboxEvent,
    QuarantinedRow,
    Requeued,
    SyncPosition,
)
from tests.factories import create_entity, file_penalty

ENDPOINTS = (
    ("get", "/api/v1/admin/sync"),
    ("get", "/api/v1/admin/sync/dead-letters"),
    ("post", "/api/v1/admin/sync/dead-letters/1/requeue"),
    ("get", "/api/v1/admin/sync/quarantine"),
    ("get", "/api/v1/admin/jobs"),
)


@pytest.fixture(autouse=True)
def platforms(ctx, tmp_path):
    """A platforms file like the demo's; nothing listens on its port."""
    path = tmp_path / "platforms.yaml"
    path.write_text(platforms_file(9, "test-secret"), encoding="utf-8")
    ctx.settings = ctx.settings.replace(sync_platforms_file=path)
    return path


def emit(ctx, event_type: str = "record.filed", subject: str = "91341802MA0000001X") -> int:
    with ctx.session_factory.begin() as session:
        event = outbox.Event(event_type, subject, "record", 1, {"n": 1}, event_id=new_event_id())
        outbox.write(session, [event], now=ctx.now())
        return session.execute(
            select(OutboxEvent.id).where(OutboxEvent.event_id == event.event_id)
        ).scalar_one()


def dead_letter(ctx, event_id: int, reason: str = "event type not accepted") -> int:
    with ctx.session_factory.begin() as session:
        letter = DeadLetter(platform_id="anhui", event_id=event_id, reason=reason, at=ctx.now())
        session.add(letter)
        session.flush()
        return letter.id


def test_the_status_counts_pending_events_from_the_outbox(ctx, client, auth, clock):
    admin = auth("admin")
    owner = create_entity(ctx)
    file_penalty(ctx, owner["identifier"])
    file_penalty(ctx, owner["identifier"])
    clock.advance(minutes=10)

    response = client.get("/api/v1/admin/sync", headers=admin)

    assert response.status_code == 200, response.get_json()
    [anhui] = response.get_json()
    assert anhui["platform"] == "anhui" and anhui["direction"] == "both"
    assert anhui["pending"] == 2
    assert anhui["oldest_pending_age_seconds"] == 600
    assert (anhui["dead_letters"], anhui["quarantined"], anhui["in_flight_attempts"]) == (0, 0, 0)
    assert anhui["last_push_success_at"] is None and anhui["last_reconciliation"] is None

    newest = emit(ctx)
    with ctx.session_factory.begin() as session:  # pushed up to the one before the newest
        session.add(SyncPosition(platform_id="anhui", last_event_id=newest - 1))
    assert client.get("/api/v1/admin/sync", headers=admin).get_json()[0]["pending"] == 1


@pytest.mark.parametrize(
    ("occurred", "in_time_through"),
    [
        (date(2026, 11, 20), date(2026, 11, 25)),  # Friday: Mon 23, Tue 24, Wed 25
        (date(2026, 9, 30), date(2026, 10, 10)),  # National Day; Saturday 10-10 is a make-up day
        (date(2026, 12, 30), date(2027, 1, 5)),  # across the year end (2027 provisional)
    ],
)
def test_events_unconfirmed_after_three_working_days_are_flagged(
    ctx, client, auth, clock, occurred, in_time_through
):
    admin = auth("admin")
    clock.set(local_noon(occurred))
    pending, refused = emit(ctx), emit(ctx)
    with ctx.session_factory.begin() as session:  # the second was pushed and refused
        session.add(SyncPosition(platform_id="anhui", last_event_id=refused))
    dead_letter(ctx, refused)
    clock.set(local_noon(in_time_through))
    [status] = client.get("/api/v1/admin/sync", headers=admin).get_json()
    assert (status["pending"], status["unconfirmed_overdue"]) == (0, 0)
    with ctx.session_factory.begin() as session:
        session.get(SyncPosition, "anhui").last_event_id = pending - 1
    [status] = client.get("/api/v1/admin/sync", headers=admin).get_json()
    assert (status["pending"], status["unconfirmed_overdue"]) == (1, 0)
    clock.set(local_noon(in_time_through + timedelta(days=1)))
    [status] = client.get("/api/v1/admin/sync", headers=admin).get_json()
    assert (status["pending"], status["unconfirmed_overdue"]) == (1, 2)  # the refused one too


def test_without_a_platforms_file_there_is_nothing_to_show(ctx, client, auth, tmp_path):
    ctx.settings = ctx.settings.replace(sync_platforms_file=tmp_path / "absent.yaml")
    response = client.get("/api/v1/admin/sync", headers=auth("admin"))
    assert (response.status_code, response.get_json()) == (200, [])


def test_dead_letters_are_listed_and_requeued_once(ctx, client, auth):
    admin = auth("admin")
    event = emit(ctx, "record.corrected")
    refusal = {"code": "upstream-refused", "upstream_status": 400, "body": "needs batch_id"}
    letter = dead_letter(ctx, event, stored_text(refusal, REASON_LENGTH))

    listed = client.get("/api/v1/admin/sync/dead-letters", headers=admin)

    assert listed.status_code == 200
    [shown] = listed.get_json()
    assert shown["id"] == letter and shown["platform"] == "anhui"
    assert shown["event_type"] == "record.corrected"
    assert read_stored(shown["reason"]) == refusal
    assert len(shown["event_id"]) == 36
    assert client.get("/api/v1/admin/sync", headers=admin).get_json()[0]["dead_letters"] == 1

    requeued = client.post(f"/api/v1/admin/sync/dead-letters/{letter}/requeue", headers=admin)

    assert requeued.status_code == 204, requeued.get_json()
    assert client.get("/api/v1/admin/sync/dead-letters", headers=admin).get_json() == []
    with ctx.session_factory() as session:
        [queued] = session.execute(select(Requeued)).scalars().all()
        assert (queued.platform_id, queued.event_id) == ("anhui", event)
        assert session.get(DeadLetter, letter).requeued_at == ctx.now()
        audited = session.execute(
            select(AuditEvent).where(AuditEvent.action == "sync.requeue")
        ).scalar_one()
        assert audited.object_id == str(letter)

    again = client.post(f"/api/v1/admin/sync/dead-letters/{letter}/requeue", headers=admin)
    assert again.status_code == 404
    assert again.get_json()["code"] == "dead-letter-not-found"
    missing = client.post("/api/v1/admin/sync/dead-letters/999999/requeue", headers=admin)
    assert missing.status_code == 404


def test_quarantined_rows_are_listed_with_their_reason(ctx, client, auth):
    row = {"change_id": "demo-999", "kind": "record", "record": {"party": {"CF_XDR_MC": "外地"}}}
    with ctx.session_factory.begin() as session:
        session.add(
            QuarantinedRow(
                platform_id="anhui",
                change_id="demo-999",
                reason=stored_text({"code": "party-not-registered"}, REASON_LENGTH),
                row=row,
                received_at=ctx.now(),
            )
        )

    response = client.get("/api/v1/admin/sync/quarantine", headers=auth("admin"))

    assert response.status_code == 200
    [shown] = response.get_json()
    assert (shown["platform"], shown["change_id"]) == ("anhui", "demo-999")
    assert read_stored(shown["reason"]) == {"code": "party-not-registered"}
    assert shown["row"] == row


def test_job_runs_are_listed_newest_first(ctx, client, auth, clock):
    slot = ctx.now().replace(second=0, microsecond=0)
    job_services.run_recorded(ctx, "sync.push", slot, "host-a:1", lambda: {"anhui": {}})
    job_services.run_recorded(
        ctx, "sync.push", slot + timedelta(minutes=1), "host-a:1", lambda: 1 / 0
    )

    response = client.get("/api/v1/admin/jobs", headers=auth("admin"))

    assert response.status_code == 200
    runs = response.get_json()
    assert [r["outcome"] for r in runs] == ["failed", "succeeded"]
    assert read_stored(runs[0]["detail"]) == {
        "code": "job-failed",
        "failure": "ZeroDivisionError",
        "message": "division by zero",
    }
    assert {r["job_id"] for r in runs} == {"sync.push"}
    assert {r["host"] for r in runs} == {"host-a:1"}


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_only_admins_may_call_the_sync_endpoints(ctx, client, auth, method, path):
    letter = dead_letter(ctx, emit(ctx))
    path = path.replace("/1/", f"/{letter}/")

    for role in ("regulator", "viewer", "auditor"):
        response = getattr(client, method)(path, headers=auth(role))
        assert response.status_code == 403, (role, response.get_json())
    assert getattr(client, method)(path).status_code == 401
    with ctx.session_factory() as session:
        assert session.get(DeadLetter, letter).requeued_at is None  # refused means untouched

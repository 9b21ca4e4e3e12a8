"""The outbox and the job runs past their retention (docs/retention.md): reported by
count, then purged with the retention purge, never an event a platform may still be
sent, never a job's last success."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from credit_service.access import Actor
from credit_service.audit.models import AuditEvent
from credit_service.clock import local_noon
from credit_service.demo.seed import platforms_file
from credit_service.errors import CatalogError
from credit_service.event_ids import new_event_id
from credit_service.jobs.models import JobRun
from credit_service.retention import reports
from credit_service.retention import services as retention
from credit_service.sync import delivered, outbox
from credit_service.sync.models import DeadLetter, OutboxEvent, Requeued, SyncBatch, SyncPosition
from credit_service.sync.platforms import load_platforms
from credit_service.web.pages.wording import stored_words

ADMIN = Actor(role="admin", username="retention-admin", via="cli")
START = date(2026, 3, 2)
DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def one_pushing_platform(ctx, tmp_path):
    path = tmp_path / "platforms.yaml"
    path.write_text(platforms_file(9, "test-secret"), encoding="utf-8")
    ctx.settings = ctx.settings.replace(sync_platforms_file=path)


def at(clock, day: date) -> None:
    clock.set(local_noon(day))


def emit(ctx, count: int = 1) -> list[int]:
    """``count`` record events, occurring now; their outbox ids."""
    events = [
        outbox.Event("record.filed", "91341802MA0000001X", "record", n, {"n": n}, new_event_id())
        for n in range(count)
    ]
    with ctx.session_factory.begin() as session:
        outbox.write(session, events, now=ctx.now())
        return list(
            session.execute(
                select(OutboxEvent.id)
                .where(OutboxEvent.event_id.in_([e.event_id for e in events]))
                .order_by(OutboxEvent.id)
            ).scalars()
        )


def taken_through(ctx, event_id: int) -> None:
    """The platform has taken every event up to ``event_id``."""
    with ctx.session_factory.begin() as session:
        position = session.get(SyncPosition, "anhui") or SyncPosition(platform_id="anhui")
        position.last_event_id = event_id
        session.add(position)


def remaining(ctx, ids: list[int]) -> list[int]:
    with ctx.session_factory() as session:
        return list(
            session.execute(
                select(OutboxEvent.id).where(OutboxEvent.id.in_(ids)).order_by(OutboxEvent.id)
            ).scalars()
        )


def purge_after_report(ctx, clock, day: date, on: date | None = None) -> dict:
    """A report on ``day``, then the purge (of the day ``on``, default that day) its
    grace period later."""
    at(clock, day)
    retention.report(ctx, ADMIN)
    at(clock, day + ctx.settings.retention_grace_days * DAY)
    return retention.purge(ctx, ADMIN, on)


def test_events_every_platform_took_go_after_their_retention_days(ctx, clock):
    at(clock, START)
    old = emit(ctx, 3)
    at(clock, START + 100 * DAY)
    recent = emit(ctx, 2)
    taken_through(ctx, recent[-1])
    days = ctx.settings.outbox_retention_days
    assert days == 180

    report_day = START + days * DAY  # the old events are 180 days old that day: not yet
    at(clock, report_day)
    retention.report(ctx, ADMIN)
    written = json.loads((reports.folder(ctx) / f"{report_day}.json").read_text("utf-8"))
    assert written["outbox"] == {"retention_days": 180, "rows": 0, "through_id": None}

    done = purge_after_report(ctx, clock, report_day + DAY)
    assert done["purged_outbox"] == 3 and done["outbox_rows"] == 3
    assert remaining(ctx, old + recent) == recent
    with ctx.session_factory() as session:
        rows = session.execute(
            select(AuditEvent).where(AuditEvent.action == "outbox.purge")
        ).scalars()
        assert [(r.details["count"], r.details["through_id"]) for r in rows] == [(3, old[-1])]


def test_an_event_a_platform_has_not_taken_stays(ctx, clock):
    at(clock, START)
    ids = emit(ctx, 4)
    taken_through(ctx, ids[1])

    done = purge_after_report(ctx, clock, START + 200 * DAY)

    assert done["purged_outbox"] == 2
    assert remaining(ctx, ids) == ids[2:]


def test_a_platform_never_pushed_to_keeps_every_event(ctx, clock):
    at(clock, START)
    ids = emit(ctx, 2)
    assert purge_after_report(ctx, clock, START + 200 * DAY)["purged_outbox"] == 0
    assert remaining(ctx, ids) == ids


def test_a_dead_letter_and_a_requeued_event_stay(ctx, clock):
    at(clock, START)
    ids = emit(ctx, 3)
    taken_through(ctx, ids[-1])
    with ctx.session_factory.begin() as session:
        session.add(DeadLetter(platform_id="anhui", event_id=ids[0], reason="x", at=ctx.now()))
        session.add(Requeued(platform_id="anhui", event_id=ids[1], queued_at=ctx.now()))

    assert purge_after_report(ctx, clock, START + 200 * DAY)["purged_outbox"] == 1
    assert remaining(ctx, ids) == ids[:2]


def test_a_position_counts_when_the_platforms_file_is_gone(ctx, clock, tmp_path):
    at(clock, START)
    ids = emit(ctx, 3)
    taken_through(ctx, ids[0])
    ctx.settings = ctx.settings.replace(sync_platforms_file=tmp_path / "absent.yaml")
    with ctx.session_factory() as session:
        assert delivered.taken_through(session, ctx) == ids[0]

    assert purge_after_report(ctx, clock, START + 200 * DAY)["purged_outbox"] == 1
    assert remaining(ctx, ids) == ids[1:]


def test_nothing_goes_while_the_platforms_file_cannot_be_read(ctx, clock, tmp_path):
    """A platform in it may never have been pushed to (its secret not set yet, say)."""
    at(clock, START)
    ids = emit(ctx, 2)
    taken_through(ctx, ids[-1])
    path = tmp_path / "no-secret.yaml"
    text = platforms_file(9, "x").replace("    secret: x\n", "    secret_env: NOT_SET_HERE\n")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError):
        load_platforms(path)
    ctx.settings = ctx.settings.replace(sync_platforms_file=path)
    assert purge_after_report(ctx, clock, START + 200 * DAY)["purged_outbox"] == 0
    assert remaining(ctx, ids) == ids


def test_a_batch_in_flight_keeps_its_events(ctx, clock):
    at(clock, START)
    ids = emit(ctx, 4)
    taken_through(ctx, ids[-1])  # a position past a batch: a batch of re-queued events
    with ctx.session_factory.begin() as session:
        session.add(
            SyncBatch(
                platform_id="anhui",
                batch_key="k-1",
                first_event_id=ids[2],
                last_event_id=ids[3],
                event_ids=ids[2:],
                next_attempt_at=ctx.now(),
                created_at=ctx.now(),
            )
        )
    assert purge_after_report(ctx, clock, START + 200 * DAY)["purged_outbox"] == 2
    assert remaining(ctx, ids) == ids[2:]


def test_a_dead_letter_requeued_and_delivered_goes_with_its_event(ctx, clock):
    at(clock, START)
    ids = emit(ctx, 2)
    taken_through(ctx, ids[-1])
    with ctx.session_factory.begin() as session:
        session.add(
            DeadLetter(
                platform_id="anhui",
                event_id=ids[0],
                reason="x",
                at=ctx.now(),
                requeued_at=ctx.now(),
            )
        )
    assert purge_after_report(ctx, clock, START + 200 * DAY)["purged_outbox"] == 2
    assert remaining(ctx, ids) == []
    with ctx.session_factory() as session:
        assert session.execute(select(func.count()).select_from(DeadLetter)).scalar_one() == 0


def test_job_details_recorded_before_the_outbox_retention_keep_their_words():
    old = {"code": "retention-reported", "day": "2026-03-02", "records": 1, "entities": 0}
    old |= {"evidence": 0, "held": 0, "audit_rows": 5}
    words = stored_words(json.dumps(old))
    assert words and "本次只生成报告" in words and "{" not in words


def test_an_event_out_of_time_order_never_goes_early(ctx, clock):
    """The bound is found by halving the ids' range: a newer event with a lower id stops
    it there, and no event goes before its own time."""
    at(clock, START)
    old = emit(ctx, 2)
    at(clock, START + 150 * DAY)
    newer = emit(ctx, 1)
    at(clock, START)
    late = emit(ctx, 1)  # written after ``newer``, occurred with the old ones
    taken_through(ctx, late[0])

    done = purge_after_report(ctx, clock, START + 200 * DAY)

    assert done["purged_outbox"] == 3  # the old ones and the late one, by their own time
    assert remaining(ctx, old + newer + late) == newer


def test_the_bound_is_the_first_event_at_or_after_the_cutoff(ctx, clock):
    ids = []
    for n in range(10):
        at(clock, START + n * DAY)
        ids += emit(ctx, n % 3)  # days without an event, and days with two
    times = {}
    with ctx.session_factory() as session:
        for event_id, occurred in session.execute(select(OutboxEvent.id, OutboxEvent.occurred_at)):
            times[event_id] = occurred
        for n in range(-1, 12):
            cutoff = local_noon(START + n * DAY)
            expected = min((i for i in ids if times[i] >= cutoff), default=None)
            assert delivered._first_at_or_after(session, cutoff) == expected, n


def test_an_event_taken_after_the_report_waits_for_the_next_one(ctx, clock):
    at(clock, START)
    ids = emit(ctx, 2)
    taken_through(ctx, ids[0])
    at(clock, START + 200 * DAY)
    retention.report(ctx, ADMIN)
    taken_through(ctx, ids[1])  # the report listed only the first

    at(clock, START + 207 * DAY)
    assert retention.purge(ctx, ADMIN)["purged_outbox"] == 1
    assert remaining(ctx, ids) == ids[1:]


def test_the_outbox_retention_is_never_under_30_days():
    from credit_service.config import Settings
    from credit_service.errors import InvalidInput

    with pytest.raises((InvalidInput, ValueError)):
        Settings.from_env({"OUTBOX_RETENTION_DAYS": "29"})


def run(ctx, job_id: str, scheduled: datetime, outcome: str) -> int:
    with ctx.session_factory.begin() as session:
        row = JobRun(
            job_id=job_id,
            scheduled_for=scheduled,
            started_at=scheduled,
            finished_at=scheduled,
            outcome=outcome,
            host="test",
        )
        session.add(row)
        session.flush()
        return row.id


def test_job_runs_go_after_their_retention_days_but_each_jobs_last_success_stays(ctx, clock):
    at(clock, START)
    now = ctx.now()
    seal = [run(ctx, "audit.seal", now - timedelta(days=d), "succeeded") for d in (120, 100, 1)]
    rare = run(ctx, "calendar.refresh", now - timedelta(days=300), "succeeded")
    failed = run(ctx, "calendar.refresh", now - timedelta(days=200), "failed")

    done = purge_after_report(ctx, clock, START - 7 * DAY)  # the report a week before

    assert done["purged_job_runs"] == 3  # two old seals and the old failure
    with ctx.session_factory() as session:
        left = set(session.execute(select(JobRun.id)).scalars())
        audited = session.execute(
            select(func.count()).where(AuditEvent.action == "job_runs.prune")
        ).scalar_one()
    assert left >= {seal[2], rare} and not left & {seal[0], seal[1], failed}
    assert audited == 1


def test_a_purge_of_an_earlier_day_takes_only_what_was_past_retention_that_day(ctx, clock):
    """``purge --on DAY`` counts the outbox's and the job runs' retention back from that
    day, as its plan does, not from now: what passed retention only since stays."""
    outbox_days = ctx.settings.outbox_retention_days
    at(clock, START)
    older_event = emit(ctx)
    at(clock, START + 5 * DAY)
    newer_event = emit(ctx)
    taken_through(ctx, newer_event[-1])
    report_day = START + (outbox_days + 6) * DAY  # both events past retention that day
    today = report_day + ctx.settings.retention_grace_days * DAY
    at(clock, today)
    on = START + (outbox_days + 3) * DAY  # the newer event is 178 days old that day
    runs_days, now = ctx.settings.job_runs_retention_days, ctx.now()
    older_run = run(ctx, "audit.seal", now - (today - on) - (runs_days + 1) * DAY, "succeeded")
    newer_run = run(ctx, "audit.seal", now - (runs_days + 1) * DAY, "succeeded")
    run(ctx, "audit.seal", now, "succeeded")  # the last success, kept whatever its age

    done = purge_after_report(ctx, clock, report_day, on=on)

    assert done["day"] == on.isoformat()
    assert done["purged_outbox"] == 1 == done["outbox_rows"]
    assert remaining(ctx, older_event + newer_event) == newer_event
    assert done["purged_job_runs"] == 1 == done["job_runs"]
    with ctx.session_factory() as session:
        left = set(session.execute(select(JobRun.id)).scalars())
    assert newer_run in left and older_run not in left

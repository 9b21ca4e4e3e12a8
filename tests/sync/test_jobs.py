"""The job table and what its jobs do on each tick: every job with its trigger in the
scheduler's time zone, runs keyed by their fire time in that zone, platforms reached at
their own push and pull intervals, and the holiday calendar read again before
provisional deadlines are recomputed. In process, with the test's FixedClock."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from credit_service.errors import CatalogError
from credit_service.jobs.models import JobRun
from credit_service.repair import services as repair_services
from credit_service.sync.client import CHANGES_PATH
from credit_service.sync.platforms import interval_passed
from credit_service.workdays import WorkdayCalendar
from schedulers import jobs
from schedulers.__main__ import build_scheduler, run_job, scheduled_slot
from tests.integration.test_repair import (
    FIXTURE_2027,
    D,
    apply,
    enterprise_of,
    general_penalty,
    on,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
SPECS = {spec.id: spec for spec in jobs.JOBS}
DAILY = {
    "records.end_publication": time(0, 30),
    "dishonesty.expire": time(1, 0),
    "tiers.recompute_nightly": time(2, 0),
    "sync.reconcile": time(3, 0),
    "retention.run": time(3, 30),
    "deadlines.refresh_provisional": time(4, 0),
    "audit.purge": time(4, 30),
    "inspections.publish_results": time(5, 0),
    "notifications.digest": time(7, 30),
}
EVERY = {
    "sync.push": timedelta(minutes=1),
    "sync.pull": timedelta(minutes=5),
    "audit.seal": timedelta(seconds=10),
    "imports.run": timedelta(seconds=5),
    "notifications.send_emails": timedelta(minutes=1),
}


def next_fire_times(trigger, after: datetime, n: int = 2) -> list[datetime]:
    times, previous = [], None
    for _ in range(n):
        previous = trigger.get_next_fire_time(previous, after)
        times.append(previous)
        after = previous + timedelta(microseconds=1)
    return times


# --- the job table ----------------------------------------------------------------------------


def test_the_job_table_fires_each_job_on_its_trigger_in_shanghai_time(ctx):
    assert ctx.settings.timezone == "Asia/Shanghai"
    scheduler = build_scheduler(ctx)
    triggers = {job.id: job.trigger for job in scheduler.get_jobs()}
    hourly_jobs = {"repair.flag_deadlines", "objections.flag_deadlines"}
    assert set(triggers) == {*DAILY, *EVERY, *hourly_jobs, "scheduler.lease"}
    assert {str(t.timezone) for t in triggers.values()} == {"Asia/Shanghai"}

    for job_id, interval in EVERY.items():
        assert triggers[job_id].interval == interval, job_id
    morning = datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)
    for job_id, at in DAILY.items():
        first = datetime.combine(D("2026-11-26"), at, tzinfo=SHANGHAI)
        assert next_fire_times(triggers[job_id], morning) == [first, first + timedelta(days=1)]
    hourly = next_fire_times(triggers["repair.flag_deadlines"], morning)
    assert hourly == [morning.replace(minute=5), morning.replace(hour=11, minute=5)]


def test_the_audit_seal_runs_as_often_as_the_settings_say(ctx):
    ctx.settings = ctx.settings.replace(audit_seal_seconds=3)

    triggers = {job.id: job.trigger for job in build_scheduler(ctx).get_jobs()}

    assert triggers["audit.seal"].interval == timedelta(seconds=3)


def test_the_slot_of_a_daily_job_is_its_fire_time_in_the_schedulers_zone():
    day, hour = timedelta(days=1), timedelta(hours=1)
    fired = datetime(2026, 11, 26, 1, 0, 2, tzinfo=SHANGHAI)
    # floored in UTC it was the previous day's 08:00 (Shanghai)
    assert scheduled_slot(fired, day) == datetime(2026, 11, 25, 8, 0, tzinfo=SHANGHAI)
    one_am = datetime(2026, 11, 26, 1, 0, tzinfo=SHANGHAI)
    assert scheduled_slot(fired, day, SHANGHAI, hour) == one_am
    assert scheduled_slot(fired + timedelta(minutes=4), day, SHANGHAI, hour) == one_am
    assert scheduled_slot(one_am + day, day, SHANGHAI, hour) == one_am + day
    five_past = datetime(2026, 11, 26, 10, 5, tzinfo=SHANGHAI)
    assert (
        scheduled_slot(
            five_past + timedelta(seconds=30), hour, SHANGHAI, SPECS["repair.flag_deadlines"].phase
        )
        == five_past
    )
    assert SPECS["dishonesty.expire"].phase == hour and SPECS["sync.push"].phase == timedelta(0)


def test_a_daily_run_is_recorded_for_its_fire_time_and_runs_once(ctx, clock):
    spec = SPECS["dishonesty.expire"]
    clock.set(datetime(2026, 11, 26, 1, 0, 2, tzinfo=SHANGHAI))
    assert run_job(ctx, spec) == "succeeded"
    clock.advance(seconds=40)  # another scheduler firing the same job a little later
    assert run_job(ctx, spec) == "duplicate"
    clock.set(datetime(2026, 11, 27, 1, 3, tzinfo=SHANGHAI))  # next day, three minutes late
    assert run_job(ctx, spec) == "succeeded"
    with ctx.session_factory() as session:
        slots = session.execute(
            select(JobRun.scheduled_for).where(JobRun.job_id == spec.id).order_by(JobRun.id)
        ).scalars()
        assert [s.astimezone(SHANGHAI) for s in slots] == [
            datetime(2026, 11, 26, 1, 0, tzinfo=SHANGHAI),
            datetime(2026, 11, 27, 1, 0, tzinfo=SHANGHAI),
        ]


# --- per-platform intervals -------------------------------------------------------------------


def test_a_platform_is_due_once_its_interval_passed_give_or_take_the_tick_slack():
    last = datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)
    assert interval_passed(None, last, 300)
    assert not interval_passed(last, last + timedelta(seconds=54), 60)
    assert interval_passed(last, last + timedelta(seconds=55), 60)  # a tick a little early
    assert not interval_passed(last, last + timedelta(seconds=240), 300)
    assert interval_passed(last, last + timedelta(seconds=300), 300)
    assert not interval_passed(last, last + timedelta(seconds=1), 4)  # slack: half of it
    assert interval_passed(last, last + timedelta(seconds=2), 4)


def reached(result: dict) -> dict[str, bool]:
    return {platform: outcome != jobs.SKIPPED for platform, outcome in result.items()}


@pytest.mark.slow
def test_the_sync_jobs_reach_each_platform_at_its_own_interval(live_ctx, simulators, add_events):
    sims = simulators(
        {"id": "fast", "direction": "both", "push_every_seconds": 60, "pull_every_seconds": 300},
        {"id": "slow", "direction": "both", "push_every_seconds": 180, "pull_every_seconds": 600},
    )
    clock = live_ctx.clock

    pushes = []
    for _ in range(4):  # the push job's ticks, a minute apart, each with a new event
        add_events(1)
        pushes.append(reached(jobs.push_job(live_ctx)))
        clock.advance(minutes=1)
    assert pushes == [
        {"fast": True, "slow": True},
        {"fast": True, "slow": False},
        {"fast": True, "slow": False},
        {"fast": True, "slow": True},  # three minutes after its last attempt
    ]
    fast, slow = (sims[p][1].stats() for p in ("fast", "slow"))
    assert (fast["distinct_events"], fast["batches"]) == (4, 4)
    assert (slow["distinct_events"], slow["batches"]) == (4, 2)  # the later three in one

    add_events(1)
    assert reached(jobs.push_job(live_ctx)) == {"fast": True, "slow": False}
    by_hand = jobs.push_job(live_ctx, every_platform=True)  # python -m schedulers run
    assert by_hand["slow"]["accepted"] == 1 and by_hand["fast"]["accepted"] == 0

    pulls = []
    for _ in range(3):  # the pull job's ticks, five minutes apart
        pulls.append(reached(jobs.pull_job(live_ctx)))
        clock.advance(minutes=5)
    assert pulls == [
        {"fast": True, "slow": True},
        {"fast": True, "slow": False},
        {"fast": True, "slow": True},
    ]
    assert [sims[p][1].stats()["requests"][CHANGES_PATH] for p in ("fast", "slow")] == [3, 2]


# --- the holiday calendar ---------------------------------------------------------------------


def test_the_provisional_deadlines_job_reads_a_year_file_added_after_the_start(
    ctx, clock, tmp_path
):
    holidays = tmp_path / "catalogs" / "holidays"
    holidays.mkdir(parents=True)
    ctx.settings = dataclasses.replace(ctx.settings, catalogs_dir=holidays.parent)
    ctx.calendar = WorkdayCalendar(holidays)  # read at start: no 2027 yet
    owner, record = general_penalty(ctx, decided="2026-10-01")
    enterprise = enterprise_of(ctx, owner)
    on(clock, D("2027-02-04"))
    application = apply(ctx, enterprise, f"record:{record['id']}")
    assert (application["acceptance_due"], application["due_provisional"]) == (
        D("2027-02-09"),
        True,
    )
    started_with = ctx.calendar
    assert jobs.provisional_deadlines_job(ctx) == 0
    assert ctx.calendar is started_with  # the folder did not change: not read again

    shutil.copy(FIXTURE_2027, holidays / "2027.yaml")
    assert jobs.provisional_deadlines_job(ctx) == 1
    assert ctx.calendar is not started_with and ctx.calendar.is_known_year(2027)
    refreshed = repair_services.get_application(ctx, enterprise, application["id"])
    assert (refreshed["acceptance_due"], refreshed["due_provisional"]) == (
        D("2027-02-16"),  # after the Spring Festival
        False,
    )

    with_2027 = ctx.calendar
    (holidays / "2028.yaml").write_text("year: 2028\nholidays: []\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="2028.yaml"):
        jobs.provisional_deadlines_job(ctx)  # the run fails, naming the file
    assert ctx.calendar is with_2027  # and the calendar read before stays

"""The scheduler: several processes, one leader, one recorded run per job and slot.

Two real ``python -m schedulers`` processes run the push job every two seconds against
the same database; a job run by hand is recorded too; the lease and the unique run key
are checked in process with a FixedClock."""

from __future__ import annotations

import dataclasses
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, select

from credit_service.config import PROJECT_ROOT
from credit_service.errors import read_stored
from credit_service.jobs import services as job_services
from credit_service.jobs.models import JobRun, SchedulerLease
from schedulers.__main__ import scheduled_slot

pytestmark = pytest.mark.slow

SCHEDULER = [
    sys.executable,
    "-m",
    "schedulers",
    "--only",
    "sync.push",
    "--interval-seconds",
    "2",
]


def job_runs(ctx) -> list[JobRun]:
    with ctx.read_session_factory() as session:
        return list(session.execute(select(JobRun).order_by(JobRun.scheduled_for)).scalars())


def stop(*processes: subprocess.Popen) -> None:
    """Ctrl-C to all at once (each releases its lease as it stops; one by one, a follower
    could take over the lease its leader just released and run a slot), then SIGKILL for
    any that lingers."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def test_two_schedulers_run_each_slot_once_under_one_leader(
    live_ctx, simulator, add_events, subprocess_env, save_platform, tmp_path, count_rows
):
    platform, control, _ = simulator
    save_platform(dataclasses.replace(platform, batch_size=10))
    produced = add_events(30)
    logs = [(tmp_path / f"scheduler-{i}.log").open("wb") for i in range(2)]
    processes = [
        subprocess.Popen(SCHEDULER, cwd=PROJECT_ROOT, env=subprocess_env, stdout=log, stderr=log)
        for log in logs
    ]
    try:
        started, deadline = time.monotonic(), time.monotonic() + 40
        while time.monotonic() - started < 9 or len(job_runs(live_ctx)) < 3:
            assert time.monotonic() < deadline, "fewer than 3 runs in 40 s"
            assert all(p.poll() is None for p in processes), "a scheduler exited"
            time.sleep(0.25)
    finally:
        stop(*processes)
        for log in logs:
            log.close()

    runs = job_runs(live_ctx)
    assert len(runs) >= 3
    assert {r.job_id for r in runs} == {"sync.push"}
    with live_ctx.read_session_factory() as session:
        per_slot = session.execute(
            select(JobRun.job_id, JobRun.scheduled_for, func.count()).group_by(
                JobRun.job_id, JobRun.scheduled_for
            )
        ).all()
    assert {n for _, _, n in per_slot} == {1}  # the unique key: one run per slot
    slots = [r.scheduled_for for r in runs]
    gaps = [later - earlier for earlier, later in zip(slots, slots[1:], strict=False)]
    assert all(gap >= timedelta(seconds=2) for gap in gaps)
    assert all(s == scheduled_slot(s, timedelta(seconds=2)) for s in slots)
    hosts = {r.host for r in runs}
    assert len(hosts) == 1, hosts  # the lease: one leader ran every job
    finished = [r for r in runs if r.outcome != "running"]  # the last may have been cut short
    assert len(finished) >= len(runs) - 1
    assert {r.outcome for r in finished} == {"succeeded"}, [r.detail for r in finished]
    assert "anhui" in finished[0].detail
    assert count_rows(SchedulerLease) == 0  # released on Ctrl-C
    assert control.stats()["distinct_events"] == len(produced)
    assert requests.get(f"{platform.base_url}/sim/events", timeout=10).json() == sorted(produced)


def test_jobs_run_by_hand_are_recorded_each_time(live_ctx, simulator, add_events, subprocess_env):
    platform, control, _ = simulator
    produced = add_events(12)

    def run_by_hand() -> None:
        finished = subprocess.run(
            [sys.executable, "-m", "schedulers", "run", "sync.push"],
            cwd=PROJECT_ROOT,
            env=subprocess_env,
            capture_output=True,
            timeout=120,
        )
        assert finished.returncode == 0, finished.stderr.decode()[-2000:]

    run_by_hand()
    run_by_hand()  # at once again: its own run, not a "duplicate" of the first

    first, second = job_runs(live_ctx)
    assert (first.job_id, first.outcome, second.outcome) == ("sync.push", "succeeded", "succeeded")
    assert first.scheduled_for < second.scheduled_for
    assert first.finished_at >= first.started_at
    assert "'accepted': 12" in first.detail and "'accepted': 0" in second.detail
    assert control.stats()["distinct_events"] == len(produced)

    unknown = subprocess.run(
        [sys.executable, "-m", "schedulers", "run", "no.such.job"],
        cwd=PROJECT_ROOT,
        env=subprocess_env,
        capture_output=True,
        timeout=60,
    )
    assert unknown.returncode == 2 and b"unknown job" in unknown.stderr


# --- in process -------------------------------------------------------------------------------


def test_a_slot_runs_once_and_a_second_fire_is_a_duplicate(ctx, clock):
    slot = scheduled_slot(ctx.now(), timedelta(minutes=1))
    calls = []

    assert job_services.run_recorded(ctx, "t.job", slot, "a:1", lambda: calls.append(1)) == (
        "succeeded"
    )
    assert job_services.run_recorded(ctx, "t.job", slot, "b:2", lambda: calls.append(2)) == (
        "duplicate"
    )
    assert calls == [1]
    clock.advance(minutes=1)
    next_slot = scheduled_slot(ctx.now(), timedelta(minutes=1))
    assert job_services.run_recorded(ctx, "t.job", next_slot, "b:2", lambda: 1) == "succeeded"
    assert job_services.run_recorded(ctx, "t.other", slot, "b:2", lambda: 1) == "succeeded"

    def boom():
        raise RuntimeError("platform file unreadable")

    clock.advance(minutes=1)
    failing_slot = scheduled_slot(ctx.now(), timedelta(minutes=1))
    assert job_services.run_recorded(ctx, "t.job", failing_slot, "a:1", boom) == "failed"
    with ctx.session_factory() as session:
        failed = session.execute(
            select(JobRun).where(JobRun.scheduled_for == failing_slot)
        ).scalar_one()
    assert failed.outcome == "failed"
    assert read_stored(failed.detail) == {
        "code": "job-failed",
        "failure": "RuntimeError",
        "message": "platform file unreadable",
    }
    assert failed.finished_at == ctx.now()


def test_a_run_left_running_by_a_dead_process_is_closed_as_interrupted(ctx, clock):
    """A killed scheduler leaves its run 'running'; the next run of the job closes it,
    but not a run of the live leader or one younger than a lease period."""
    lease = ctx.settings.scheduler_lease_seconds
    started = ctx.now()
    with ctx.session_factory.begin() as session:
        for n, (host, job) in enumerate(
            (("dead:1", "t.job"), ("leader:2", "t.job"), ("dead:1", "t.other"))
        ):
            slot = started - timedelta(minutes=n)
            session.add(JobRun(job_id=job, scheduled_for=slot, started_at=started, host=host))
    assert job_services.hold_lease(ctx, "leader:2", seconds=lease * 3)
    clock.advance(seconds=lease - 1)
    assert job_services.run_recorded(ctx, "t.job", ctx.now(), "new:3", lambda: 1) == "succeeded"
    assert outcomes(ctx) == {
        ("t.job", "dead:1"): "running",  # younger than a lease period: maybe still alive
        ("t.job", "leader:2"): "running",
        ("t.other", "dead:1"): "running",
        ("t.job", "new:3"): "succeeded",
    }
    clock.advance(seconds=2)
    assert job_services.run_recorded(ctx, "t.job", ctx.now(), "new:3", lambda: 1) == "succeeded"
    result = outcomes(ctx)
    assert result[("t.job", "dead:1")] == "interrupted"
    assert result[("t.job", "leader:2")] == "running"  # the leader is alive
    assert result[("t.other", "dead:1")] == "running"  # another job: closed by its own next run
    with ctx.session_factory() as session:
        closed = session.execute(
            select(JobRun).where(JobRun.host == "dead:1", JobRun.job_id == "t.job")
        ).scalar_one()
    assert read_stored(closed.detail) == {"code": "job-interrupted"}


def outcomes(ctx) -> dict[tuple[str, str], str]:
    with ctx.session_factory() as session:
        return {
            (r.job_id, r.host): r.outcome
            for r in session.execute(select(JobRun).order_by(JobRun.id)).scalars()
        }


def test_the_lease_has_one_holder_until_it_expires(ctx, clock):
    assert job_services.hold_lease(ctx, "a:1", seconds=90)
    assert not job_services.hold_lease(ctx, "b:2", seconds=90)
    clock.advance(seconds=60)
    assert job_services.hold_lease(ctx, "a:1", seconds=90)  # renewed: 90 s from now
    clock.advance(seconds=60)
    assert not job_services.hold_lease(ctx, "b:2", seconds=90)
    clock.advance(seconds=31)
    assert job_services.hold_lease(ctx, "b:2", seconds=90)  # expired: taken over
    assert not job_services.hold_lease(ctx, "a:1", seconds=90)

    job_services.release_lease(ctx, "a:1")  # not the holder: nothing happens
    assert not job_services.hold_lease(ctx, "a:1", seconds=90)
    job_services.release_lease(ctx, "b:2")
    assert job_services.hold_lease(ctx, "a:1", seconds=90)


def test_slots_are_shared_by_processes_firing_at_nearly_the_same_moment(clock):
    period = timedelta(minutes=5)
    first = clock.now().replace(minute=10, second=0, microsecond=300)
    assert scheduled_slot(first, period) == scheduled_slot(first + timedelta(seconds=3), period)
    assert scheduled_slot(first, period) != scheduled_slot(first + period, period)
    assert scheduled_slot(first, period) == first.replace(microsecond=0)

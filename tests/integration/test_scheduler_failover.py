"""Two real scheduler processes (``python -m schedulers``) on one PostgreSQL database: the
leader is killed with SIGKILL, the follower takes over once the lease has run out (not
before: never two leaders), and no (job, scheduled slot) runs twice. Run with ``-s`` to
see the takeover time measured (docs/replica.md)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select

from credit_service.config import PROJECT_ROOT
from credit_service.jobs.models import JobRun, SchedulerLease
from credit_service.jobs.services import LEASE_NAME
from tests.sync.test_scheduler import stop

pytestmark = pytest.mark.slow

LEASE = 5  # SCHEDULER_LEASE_SECONDS: the leader renews it every second (LEASE // 3)
JOB = "dishonesty.expire"
SCHEDULER = [sys.executable, "-m", "schedulers", "--only", JOB, "--interval-seconds", "1"]


@pytest.fixture
def pg_ctx(live_ctx, db_kind):  # type: ignore[no-untyped-def]
    if db_kind == "sqlite":
        pytest.skip("two scheduler processes against one PostgreSQL database")
    return live_ctx


def runs(ctx) -> list[JobRun]:  # type: ignore[no-untyped-def]
    with ctx.read_session_factory() as session:
        return list(session.execute(select(JobRun).order_by(JobRun.scheduled_for)).scalars())


def lease(ctx) -> SchedulerLease | None:  # type: ignore[no-untyped-def]
    with ctx.read_session_factory() as session:
        return session.get(SchedulerLease, LEASE_NAME)


def wait_for(what: str, condition, timeout_s: float, *processes) -> None:  # type: ignore
    """Poll until `condition()`, while the given schedulers keep running."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {timeout_s} s"
        assert all(p.poll() is None for p in processes), "a scheduler exited"
        time.sleep(0.05)


def start(ctx, log: Path) -> subprocess.Popen:  # type: ignore[no-untyped-def]
    env = {
        **os.environ,
        "DATABASE_URL": ctx.settings.database_url,
        "SCHEDULER_LEASE_SECONDS": str(LEASE),
        "DATA_DIR": str(ctx.settings.data_dir),
        "CATALOGS_DIR": str(PROJECT_ROOT / "catalogs"),
        "LOG_LEVEL": "INFO",
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    with log.open("ab") as out:
        return subprocess.Popen(SCHEDULER, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=out)


def holder_of(process: subprocess.Popen) -> str:
    return f":{process.pid}"


def test_the_follower_takes_over_a_killed_leader_within_the_lease(pg_ctx, tmp_path):
    logs = [tmp_path / "leader.log", tmp_path / "follower.log"]
    leader = start(pg_ctx, logs[0])
    follower = None
    try:
        wait_for(
            "the first scheduler leads and runs",
            lambda: sum(r.host.endswith(holder_of(leader)) for r in runs(pg_ctx)) >= 2,
            60,
            leader,
        )
        follower = start(pg_ctx, logs[1])
        wait_for("the second scheduler starts", lambda: "starting" in logs[1].read_text(), 60)
        time.sleep(3)  # it fires its job every second, and is refused the lease
        assert follower.poll() is None
        assert {r.host for r in runs(pg_ctx)} == {runs(pg_ctx)[0].host}  # the leader's only

        leader.send_signal(signal.SIGKILL)
        leader.wait(timeout=10)
        killed = datetime.now(UTC)
        expires = lease(pg_ctx).expires_at  # the dead leader's: nobody renews it now

        def taken_over() -> bool:
            return any(r.host.endswith(holder_of(follower)) for r in runs(pg_ctx))

        wait_for("the follower takes over", taken_over, LEASE + 15, follower)
        first = next(r for r in runs(pg_ctx) if r.host.endswith(holder_of(follower)))
        wait_for(
            "the follower keeps running the job",
            lambda: sum(r.host.endswith(holder_of(follower)) for r in runs(pg_ctx)) >= 3,
            15,
            follower,
        )
    finally:
        stop(*(process for process in (leader, follower) if process is not None))
    log_text = "\n".join(p.read_text(errors="replace")[-2000:] for p in logs)

    with pg_ctx.read_session_factory() as session:
        per_slot = session.execute(
            select(JobRun.job_id, JobRun.scheduled_for, func.count()).group_by(
                JobRun.job_id, JobRun.scheduled_for
            )
        ).all()
        unique = inspect(session.connection()).get_unique_constraints("job_runs")
    assert {n for _, _, n in per_slot} == {1}, per_slot  # no slot ran twice
    assert {tuple(u["column_names"]) for u in unique} == {("job_id", "scheduled_for")}

    all_runs = runs(pg_ctx)
    led = [r for r in all_runs if r.host.endswith(holder_of(leader))]
    followed = [r for r in all_runs if r.host.endswith(holder_of(follower))]
    assert len(led) + len(followed) == len(all_runs), log_text  # two holders, no other
    assert max(r.scheduled_for for r in led) < min(r.scheduled_for for r in followed)
    assert first.started_at >= expires  # not before the dead leader's lease ran out
    takeover = (first.started_at - killed).total_seconds()
    # the lease, the follower's next fire (every second) and a second for a busy machine
    assert takeover <= LEASE + 3, log_text
    assert len(followed) >= 3 and {r.outcome for r in followed} >= {"succeeded"}
    # a run the leader was killed in is closed by the follower, not left running
    assert {r.outcome for r in led} <= {"succeeded", "interrupted"}, log_text
    missed = (min(r.scheduled_for for r in followed) - max(r.scheduled_for for r in led)) // (
        timedelta(seconds=1)
    ) - 1
    print(
        f"\nSIGKILL to the leader; the follower ran its first slot {takeover:.2f} s later "
        f"(SCHEDULER_LEASE_SECONDS={LEASE}; {(first.started_at - expires).total_seconds():.2f} "
        f"s after the lease ran out); {missed} one-second slots in between ran nowhere, "
        f"none twice; {len(led)} runs by the leader, {len(followed)} by the follower"
    )

"""python -m schedulers            run the job table (one leader among all processes)
python -m schedulers run JOB_ID  run one job now, by hand
python -m schedulers --only JOB --interval-seconds N   (demos and tests: a faster table)
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import socket
import sys
from datetime import UTC, datetime, timedelta, tzinfo

from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
from apscheduler.schedulers.blocking import BlockingScheduler

from credit_service import json_logs
from credit_service.bootstrap import build_context
from credit_service.config import Settings
from credit_service.context import Context
from credit_service.files import restrict_umask
from credit_service.jobs import services as job_services
from schedulers.jobs import JOBS, JobSpec, configured

logger = logging.getLogger("schedulers")
HOLDER = f"{socket.gethostname()}:{os.getpid()}"


WALL_EPOCH = datetime(2000, 1, 1)  # naive: a wall-clock time in the scheduler's zone


def scheduled_slot(
    now: datetime, period: timedelta, tz: tzinfo = UTC, phase: timedelta = timedelta(0)
) -> datetime:
    """The scheduled time a run belongs to, so two processes firing the same job at
    nearly the same moment share one slot: ``now`` floored to the job's period on the
    wall clock of ``tz`` (the scheduler's TIMEZONE, where its cron triggers fire), plus
    the job's ``phase``. A daily job at 01:00 Asia/Shanghai firing at 01:00:02 is the
    01:00 Shanghai slot of that day (floored in UTC it was 08:00 the day before)."""
    wall = (now.astimezone(tz) - phase).replace(tzinfo=None)
    steps = (wall - WALL_EPOCH) // period
    return (WALL_EPOCH + steps * period + phase).replace(tzinfo=tz)


def run_job(ctx: Context, spec: JobSpec, *, by_hand: bool = False) -> str:
    """Run a job if this process is the leader and the slot was not run yet."""
    seconds = ctx.settings.scheduler_lease_seconds
    if not by_hand and not job_services.hold_lease(ctx, HOLDER, seconds=seconds):
        return "not-leader"
    now = ctx.now()
    # a run by hand is its own slot (to the microsecond): two in one second both run
    slot = now if by_hand else scheduled_slot(now, spec.period, ctx.tz, spec.phase)
    func = (spec.by_hand if by_hand else None) or spec.func
    outcome = job_services.run_recorded(ctx, spec.id, slot, HOLDER, lambda: func(ctx))
    logger.info("job %s (%s): %s", spec.id, slot.isoformat(), outcome)
    return outcome


def build_scheduler(ctx: Context, jobs: tuple[JobSpec, ...] | None = None) -> BlockingScheduler:
    """The scheduler with the job table (by default as the settings configure it)."""
    jobs = configured(JOBS, ctx.settings) if jobs is None else jobs
    scheduler = BlockingScheduler(
        timezone=ctx.settings.timezone,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
    )
    for spec in jobs:
        scheduler.add_job(
            run_job,
            spec.trigger,
            args=(ctx, spec),
            id=spec.id,
            replace_existing=True,
            **spec.trigger_args,
        )
    scheduler.add_job(
        job_services.hold_lease,
        "interval",
        args=(ctx, HOLDER),
        kwargs={"seconds": ctx.settings.scheduler_lease_seconds},
        seconds=max(1, ctx.settings.scheduler_lease_seconds // 3),
        id="scheduler.lease",
    )
    scheduler.add_listener(_on_error, EVENT_JOB_ERROR)
    return scheduler


def _on_error(event: JobExecutionEvent) -> None:
    logger.error("job %s raised %r", event.job_id, event.exception)


def _faster(jobs: tuple[JobSpec, ...], only: list[str], seconds: int) -> tuple[JobSpec, ...]:
    chosen = [j for j in jobs if j.id in only] if only else list(jobs)
    return tuple(
        dataclasses.replace(
            j,
            trigger="interval",
            trigger_args={"seconds": seconds},
            period=timedelta(seconds=seconds),
        )
        for j in chosen
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m schedulers")
    parser.add_argument("command", nargs="?", choices=("start", "run"), default="start")
    parser.add_argument("job", nargs="?")
    parser.add_argument("--only", action="append", default=[])
    parser.add_argument("--interval-seconds", type=int)
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    json_logs.configure(settings)
    restrict_umask()
    ctx = build_context(settings)
    specs = {j.id: j for j in JOBS}
    if args.command == "run":
        if args.job not in specs:
            parser.error(f"unknown job; one of: {', '.join(specs)}")
        return 0 if run_job(ctx, specs[args.job], by_hand=True) == "succeeded" else 1
    table = configured(JOBS, ctx.settings)
    jobs = _faster(table, args.only, args.interval_seconds) if args.interval_seconds else table
    scheduler = build_scheduler(ctx, jobs)
    logger.info("scheduler %s starting with %d jobs", HOLDER, len(jobs))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        job_services.release_lease(ctx, HOLDER)
    return 0


if __name__ == "__main__":
    sys.exit(main())

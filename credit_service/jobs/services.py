"""Running scheduled jobs safely with several scheduler processes: a leader lease in the
database, and a unique (job, scheduled time) row per run so a duplicate fire is a no-op;
and what monitoring reads of the runs (``job_health``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from credit_service import request_ids
from credit_service.context import Context
from credit_service.errors import CreditServiceError, stored_text
from credit_service.jobs.models import DETAIL_LENGTH, JobRun, SchedulerLease

logger = logging.getLogger(__name__)
LEASE_NAME = "scheduler"


def hold_lease(ctx: Context, holder: str, *, seconds: int) -> bool:
    """Take or renew the leader lease; False while another holder's lease is unexpired."""
    now = ctx.now()
    try:
        with ctx.session_factory.begin() as session:
            lease = session.get(SchedulerLease, LEASE_NAME, with_for_update=True)
            if lease is None:
                session.add(
                    SchedulerLease(
                        name=LEASE_NAME, holder=holder, expires_at=now + timedelta(seconds=seconds)
                    )
                )
                return True
            if lease.holder != holder and lease.expires_at > now:
                return False
            lease.holder, lease.expires_at = holder, now + timedelta(seconds=seconds)
            return True
    except IntegrityError:
        return False  # another process created the lease at the same moment


def _close_interrupted(session: Session, ctx: Context, job_id: str, host: str) -> None:
    """Earlier runs of the job still marked running whose process is gone: started more
    than a lease period ago by someone who does not hold the leader lease now (a killed
    or partitioned scheduler). Without this they would show as running forever."""
    now = ctx.now()
    lease = session.get(SchedulerLease, LEASE_NAME)
    alive = lease.holder if lease is not None and lease.expires_at > now else None
    session.execute(
        update(JobRun)
        .where(
            JobRun.job_id == job_id,
            JobRun.finished_at.is_(None),
            JobRun.host != host,
            JobRun.host != (alive or ""),
            JobRun.started_at < now - timedelta(seconds=ctx.settings.scheduler_lease_seconds),
        )
        .values(
            outcome="interrupted",
            finished_at=now,
            detail=stored_text({"code": "job-interrupted"}, DETAIL_LENGTH),
        )
    )


def release_lease(ctx: Context, holder: str) -> None:
    with ctx.session_factory.begin() as session:
        lease = session.get(SchedulerLease, LEASE_NAME, with_for_update=True)
        if lease is not None and lease.holder == holder:
            session.delete(lease)


def run_recorded(
    ctx: Context, job_id: str, scheduled_for: datetime, host: str, work: Callable[[], Any]
) -> str:
    """Run ``work`` once for (job, scheduled time): 'succeeded', 'failed' or 'duplicate'.

    The run's request id is ``job-<job>-<run id>`` (``request_ids.job_request_id``): its
    log lines, audit rows and outbox events name the row of ``job_runs`` they came from.
    """
    try:
        with ctx.session_factory.begin() as session:
            _close_interrupted(session, ctx, job_id, host)
            run = JobRun(
                job_id=job_id, scheduled_for=scheduled_for, started_at=ctx.now(), host=host
            )
            session.add(run)
    except IntegrityError:
        logger.info("job %s for %s already ran elsewhere", job_id, scheduled_for)
        return "duplicate"
    with request_ids.bound(request_ids.job_request_id(job_id, run.id)):
        try:
            detail, outcome = str(work())[:DETAIL_LENGTH], "succeeded"
        except Exception as exc:  # a failed job is recorded, and the scheduler keeps running
            logger.exception("job %s failed", job_id)
            detail, outcome = stored_text(_failure(exc), DETAIL_LENGTH), "failed"
    with ctx.session_factory.begin() as session:
        stored = session.get(JobRun, run.id)
        stored.finished_at, stored.outcome, stored.detail = ctx.now(), outcome, detail
    return outcome


def _failure(exc: Exception) -> dict[str, Any]:
    """A failed run's detail: the error's code and params, or for any other exception (a
    defect, or a library's failure) its type and message, for the administrator."""
    if isinstance(exc, CreditServiceError):
        return exc.as_record()
    return {"code": "job-failed", "failure": type(exc).__name__, "message": str(exc)[:500]}


@dataclass(frozen=True)
class JobHealth:
    """A job as monitoring sees it: its last success, and its recent runs by outcome."""

    job_id: str
    last_success_at: datetime | None
    recent: dict[str, int]  # outcome -> runs scheduled since the instant asked


def job_health(ctx: Context, *, since: datetime) -> list[JobHealth]:
    """Every job that ever ran, with its last success and its runs scheduled since
    ``since``. ``job_runs`` keeps every run (the seal job alone adds 8,640 a day), so each
    read follows the index on (job_id, scheduled_for): the job ids one index probe at a
    time, then each job's newest success and its recent runs, never the whole table."""
    with ctx.read_session_factory() as session:
        return [
            JobHealth(job_id, _last_success(session, job_id), _recent(session, job_id, since))
            for job_id in _job_ids(session)
        ]


def _job_ids(session: Session) -> list[str]:
    """The distinct job ids, as a recursive skip over the index (a DISTINCT would read
    every row)."""
    ids = select(func.min(JobRun.job_id).label("job_id")).cte("job_ids", recursive=True)
    after = select(func.min(JobRun.job_id)).where(JobRun.job_id > ids.c.job_id)
    ids = ids.union_all(select(after.scalar_subquery()).where(ids.c.job_id.is_not(None)))
    return list(session.execute(select(ids.c.job_id).where(ids.c.job_id.is_not(None))).scalars())


def _last_success(session: Session, job_id: str) -> datetime | None:
    newest = _newest_success(session, job_id)
    return newest.finished_at if newest else None


def _newest_success(session: Session, job_id: str) -> Any:
    """The job's newest succeeded run (its id and finish), or None."""
    return session.execute(
        select(JobRun.id, JobRun.finished_at)
        .where(JobRun.job_id == job_id, JobRun.outcome == "succeeded")
        .order_by(JobRun.scheduled_for.desc())
        .limit(1)
    ).first()


def _recent(session: Session, job_id: str, since: datetime) -> dict[str, int]:
    rows = session.execute(
        select(JobRun.outcome, func.count())
        .where(JobRun.job_id == job_id, JobRun.scheduled_for >= since)
        .group_by(JobRun.outcome)
    )
    return {outcome: count for outcome, count in rows.all()}


def runs_before(session: Session, before: datetime) -> int:
    """How many runs ``prune_runs`` would delete for ``before`` (the retention report)."""
    return session.execute(
        select(func.count()).select_from(JobRun).where(*_prunable(session, before))
    ).scalar_one()


def prune_runs(session: Session, before: datetime, *, batch: int = 10_000) -> int:
    """Delete up to ``batch`` runs scheduled before ``before``, oldest first, keeping each
    job's newest success (what monitoring reports as its last success); how many went
    (0: done). ``job_runs`` grows by every run (the seal job alone, 8,640 a day), and
    nothing reads a run older than the job list shows once its day has passed."""
    ids = list(
        session.execute(
            select(JobRun.id).where(*_prunable(session, before)).order_by(JobRun.id).limit(batch)
        ).scalars()
    )
    if ids:
        session.execute(delete(JobRun).where(JobRun.id.in_(ids)))
    return len(ids)


def _prunable(session: Session, before: datetime) -> tuple[Any, ...]:
    newest = (_newest_success(session, job_id) for job_id in _job_ids(session))
    kept = [run.id for run in newest if run is not None]
    return JobRun.scheduled_for < before, JobRun.id.not_in(kept)

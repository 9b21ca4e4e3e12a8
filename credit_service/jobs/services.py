"""Running scheduled jobs safely with several scheduler processes: a leader lease in the
database, and a unique (job, scheduled time) row per run so a duplicate fire is a no-op."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
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

"""The queue of the console's CSV imports: an upload becomes an ``import_jobs`` row and a
private file under DATA_DIR, and returns at once; the scheduler takes the oldest queued
job, runs it (``credit_service.import_runs``) and reports its progress here after each
committed batch, each report its own short transaction, so the page that polls sees the
rows go by.

An import acts as the account that uploaded it, as that account is when the import
runs: one disabled since, or given another role, imports nothing. Its page is shown
within the uploader's region scope (an administrator's imports to administrators only).
A job left running by a process that died is closed as failed by the next round, once
it has shown no progress for a lease period; the batches it committed stay (each is
idempotent: importing the file again is safe).
"""

from __future__ import annotations

import io
import secrets
from datetime import timedelta
from pathlib import Path, PurePath
from typing import Any

from sqlalchemy import ColumnElement, select, true, update

from credit_service.access import REGION_SCOPED_ROLES, Actor
from credit_service.audit import services as audit
from credit_service.auth import services as auth_services
from credit_service.auth.models import User
from credit_service.context import Context
from credit_service.errors import Forbidden, InvalidInput, NotFound, stored_text
from credit_service.files import write_private
from credit_service.imports import ImportReport, count_rows
from credit_service.jobs.models import DETAIL_LENGTH, ImportJob

KINDS = ("records", "entities")
FOLDER = "imports"  # under DATA_DIR
RECENT = 20


def queue_import(
    ctx: Context, actor: Actor, *, kind: str, file_name: str, data: bytes
) -> dict[str, Any]:
    """Keep the uploaded file and queue its import; audited as ``import.queue``.

    :raises InvalidInput: an unknown kind, or a file that is not UTF-8 text (its rows are
        counted here, so that the progress has a total).
    """
    if kind not in KINDS:
        allowed = ", ".join(KINDS)
        raise InvalidInput(errors={"kind": [{"code": "not-one-of", "allowed": allowed}]})
    total = count_rows(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline=""))
    relative = PurePath(FOLDER, f"{secrets.token_hex(16)}.csv").as_posix()
    path = ctx.settings.data_dir / relative
    now = ctx.now()
    write_private(path, data)
    try:
        with ctx.session_factory.begin() as session:
            job = ImportJob(
                kind=kind,
                username=actor.username,
                role=actor.role,
                region_code=actor.region_code if actor.role in REGION_SCOPED_ROLES else None,
                file_name=PurePath(file_name.replace("\\", "/")).name[:255],
                stored_path=relative,
                rows_total=total,
                created_at=now,
            )
            session.add(job)
            session.flush()
            audit.append(
                session,
                actor=actor,
                action="import.queue",
                now=now,
                object_type="import_job",
                object_id=job.id,
                details={"kind": kind, "rows": total, "size": len(data)},
            )
            return job_view(job)
    except BaseException:
        path.unlink(missing_ok=True)  # no row, no file
        raise


def recent_jobs(ctx: Context, actor: Actor, limit: int = RECENT) -> list[dict[str, Any]]:
    """The newest imports the actor may see, newest first."""
    with ctx.read_session_factory() as session:
        jobs = session.execute(
            select(ImportJob).where(_visible(actor)).order_by(ImportJob.id.desc()).limit(limit)
        ).scalars()
        return [job_view(job) for job in jobs]


def get_job(ctx: Context, actor: Actor, job_id: int) -> dict[str, Any]:
    """One import, with its row report once it has ended.

    :raises NotFound: no such import.
    :raises Forbidden: an import outside the actor's region scope.
    """
    with ctx.read_session_factory() as session:
        job = session.get(ImportJob, job_id)
        if job is None:
            raise NotFound("not-found")
        if actor.role in REGION_SCOPED_ROLES and (
            job.region_code is None or not actor.covers_region(job.region_code)
        ):
            raise Forbidden("region-scope", scope=actor.region_code)
        return {**job_view(job), "report": job.report}


def _visible(actor: Actor) -> ColumnElement[bool]:
    """The imports within the actor's region scope, as ``get_job`` sees them in SQL (the
    uploader's scope covered by the actor's, ``Actor.covers_region``): every one for an
    administrator; for a city-wide officer those of every officer; for a county's
    officer that county's."""
    if actor.role not in REGION_SCOPED_ROLES:
        return true()
    if actor.region_code is not None and actor.region_code == actor.city_code:
        return ImportJob.region_code.is_not(None)
    return ImportJob.region_code == (actor.region_code or "")


def claim_next(ctx: Context) -> dict[str, Any] | None:
    """Take the oldest queued import (running from now), or None when none waits. Two
    processes never take the same one: the state changes only where it was queued."""
    now = ctx.now()
    with ctx.session_factory.begin() as session:
        for job_id in session.execute(
            select(ImportJob.id).where(ImportJob.state == "queued").order_by(ImportJob.id)
        ).scalars():
            taken = session.execute(
                update(ImportJob)
                .where(ImportJob.id == job_id, ImportJob.state == "queued")
                .values(state="running", started_at=now, progress_at=now)
            )
            if taken.rowcount == 1:
                return job_view(session.get(ImportJob, job_id))
    return None


def uploader(ctx: Context, job: dict[str, Any]) -> Actor:
    """The account the import acts as, as it is now.

    :raises Forbidden: the account is gone, disabled, or no longer has the role it
        uploaded with.
    """
    with ctx.read_session_factory() as session:
        user = session.execute(
            select(User).where(User.username == job["username"])
        ).scalar_one_or_none()
    if user is None or auth_services.account_refusal(user) or user.role != job["role"]:
        raise Forbidden("import-uploader-changed")
    return auth_services.actor_for(ctx, user, scopes=frozenset(), via="job", source_ip=None)


def stored_file(ctx: Context, job: dict[str, Any]) -> Path:
    return ctx.settings.data_dir / job["stored_path"]


def record_progress(ctx: Context, job_id: int, report: ImportReport) -> None:
    """The counts of the batches committed so far (a job closed meanwhile stays closed)."""
    with ctx.session_factory.begin() as session:
        session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id, ImportJob.state == "running")
            .values(**_counts(report.as_dict()), progress_at=ctx.now())
        )


def finish(
    ctx: Context, job: dict[str, Any], report: dict[str, Any], failure: dict[str, Any] | None
) -> None:
    """End a running import: done with its report, or failed with the error's code and
    params and the report of the batches it committed; its file goes."""
    with ctx.session_factory.begin() as session:
        session.execute(
            update(ImportJob)
            .where(ImportJob.id == job["id"], ImportJob.state == "running")
            .values(
                **_counts(report),
                state="failed" if failure else "done",
                report=report,
                error=stored_text(failure, DETAIL_LENGTH) if failure else None,
                finished_at=ctx.now(),
            )
        )
    stored_file(ctx, job).unlink(missing_ok=True)


def close_interrupted(ctx: Context) -> int:
    """Fail the imports marked running that have shown no progress for a lease period
    (their process died); returns how many."""
    now = ctx.now()
    stale = now - timedelta(seconds=ctx.settings.scheduler_lease_seconds)
    with ctx.session_factory.begin() as session:
        jobs = (
            session.execute(
                select(ImportJob).where(ImportJob.state == "running", ImportJob.progress_at < stale)
            )
            .scalars()
            .all()
        )
        for job in jobs:
            job.state, job.finished_at = "failed", now
            job.error = stored_text({"code": "import-interrupted"}, DETAIL_LENGTH)
        views = [job_view(job) for job in jobs]
    for view in views:
        stored_file(ctx, view).unlink(missing_ok=True)
    return len(views)


def _counts(report: dict[str, Any]) -> dict[str, int]:
    return {
        "rows_processed": report["rows"],
        "rows_accepted": report["rows"] - report["invalid"],
        "rows_rejected": report["invalid"],
    }


def job_view(job: ImportJob) -> dict[str, Any]:
    """An import as its page and the progress it polls show it (the report aside)."""
    return {
        "id": job.id,
        "kind": job.kind,
        "username": job.username,
        "role": job.role,
        "region_code": job.region_code,
        "file_name": job.file_name,
        "stored_path": job.stored_path,
        "state": job.state,
        "rows_total": job.rows_total,
        "rows_processed": job.rows_processed,
        "rows_accepted": job.rows_accepted,
        "rows_rejected": job.rows_rejected,
        "error": job.error,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }

"""Job bookkeeping: one recorded run per scheduled job and time, one leader, and the
queue of console CSV imports the scheduler runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from credit_service.db import JSONType, UTCDateTime

# A run's detail: what the job returned when it succeeded; when it failed or was
# interrupted, JSON text {"code": ..., **params} (errors.stored_text).
DETAIL_LENGTH = 2000
OUTCOMES = ("running", "succeeded", "failed", "interrupted")


class JobRun(SQLModel, table=True):
    """One run of a scheduled job; the unique key makes a duplicate fire a no-op."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job_id", "scheduled_for"),)

    id: int | None = Field(default=None, primary_key=True)
    job_id: str = Field(max_length=60)
    scheduled_for: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    started_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    outcome: str = Field(default="running", max_length=20)
    detail: str | None = Field(default=None, max_length=DETAIL_LENGTH)
    host: str = Field(max_length=200)


class SchedulerLease(SQLModel, table=True):
    """The single-leader lease: whoever holds an unexpired lease runs the jobs."""

    __tablename__ = "scheduler_leases"

    name: str = Field(max_length=40, primary_key=True)
    holder: str = Field(max_length=200)
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ImportJob(SQLModel, table=True):
    """A CSV import uploaded in the console, run off the request by the scheduler.

    The row is the queue (``state`` queued → running → done | failed), the progress the
    page polls (counters updated after each committed batch, ``progress_at`` the last
    sign of life) and, once finished, the import's row report. The import acts as its
    uploader (``username``, ``role``), and its page is shown within the uploader's
    region scope (``region_code``; None: an administrator's, the whole service).
    """

    __tablename__ = "import_jobs"
    __table_args__ = (
        Index("ix_import_jobs_state", "state", "id"),
        Index("ix_import_jobs_region", "region_code", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)  # records | entities
    username: str = Field(max_length=64)
    role: str = Field(max_length=20)
    region_code: str | None = Field(default=None, max_length=6)
    file_name: str = Field(max_length=255)
    stored_path: str = Field(max_length=200)  # under DATA_DIR; the file goes when it ends
    state: str = Field(default="queued", max_length=10)
    rows_total: int = 0
    rows_processed: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    # ImportReport.as_dict(): the counts and the refused rows (line, column, reason, params)
    report: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType))
    error: str | None = Field(default=None, max_length=DETAIL_LENGTH)  # stored_text
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    started_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    progress_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))

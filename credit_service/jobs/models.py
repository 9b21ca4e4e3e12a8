"""Scheduled-job bookkeeping: one recorded run per job and scheduled time, one leader."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from credit_service.db import UTCDateTime

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

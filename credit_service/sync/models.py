"""The transactional outbox: events written in the same transaction as the change."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from credit_service.db import JSONType, UTCDateTime

EVENT_TYPES = (
    "record.filed",
    "record.corrected",
    "record.revoked",
    "record.publication_ended",
    "record.purged",
    "listing.published",
    "listing.removed",
    "repair.granted",
    "objection.marked",
    "objection.cleared",
    "objection.decided",
)
# A refusal kept for the admins (a dead letter's, a quarantined row's reason) and a
# platform's last failure are JSON text, {"code": ..., **params} (errors.stored_text).
REASON_LENGTH = 1000
ERROR_LENGTH = 500


class OutboxEvent(SQLModel, table=True):
    """One change that must leave the city; ``id`` orders events, ``event_id`` is global."""

    __tablename__ = "outbox_events"

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=36, unique=True)
    event_type: str = Field(max_length=40, index=True)
    subject: str = Field(max_length=18)
    aggregate_type: str = Field(max_length=30)
    aggregate_id: str = Field(max_length=64)
    payload: dict[str, Any] = Field(sa_column=Column(JSONType, nullable=False))
    occurred_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # the request, command or job run whose transaction wrote it (credit_service.request_ids):
    # for the city's own tracing, never sent to a platform
    request_id: str | None = Field(default=None, max_length=64)


class SyncPosition(SQLModel, table=True):
    """How far a platform's push has come through the outbox, and its health."""

    __tablename__ = "sync_positions"

    platform_id: str = Field(max_length=40, primary_key=True)
    last_event_id: int = 0
    last_success_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # when the last push run that reached the platform started (the scheduler's tick):
    # push_every_seconds counts from it
    last_attempt_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    last_error: str | None = Field(default=None, max_length=ERROR_LENGTH)
    consecutive_failures: int = 0


class SyncBatch(SQLModel, table=True):
    """A batch being pushed: its idempotency key and events stay the same on every retry."""

    __tablename__ = "sync_batches"

    id: int | None = Field(default=None, primary_key=True)
    platform_id: str = Field(max_length=40, unique=True)  # one batch in flight per platform
    batch_key: str = Field(max_length=36, unique=True)
    first_event_id: int
    last_event_id: int
    event_ids: list[int] = Field(sa_column=Column(JSONType, nullable=False))
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    last_error: str | None = Field(default=None, max_length=ERROR_LENGTH)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class DeadLetter(SQLModel, table=True):
    """An event a platform rejected for good, with the reason; re-queued after correction."""

    __tablename__ = "sync_dead_letters"

    id: int | None = Field(default=None, primary_key=True)
    platform_id: str = Field(max_length=40, index=True)
    event_id: int = Field(foreign_key="outbox_events.id")
    reason: str = Field(max_length=REASON_LENGTH)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    requeued_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class Requeued(SQLModel, table=True):
    """A dead letter sent again: pushed before the outbox position moves on."""

    __tablename__ = "sync_requeued"

    id: int | None = Field(default=None, primary_key=True)
    platform_id: str = Field(max_length=40, index=True)
    event_id: int = Field(foreign_key="outbox_events.id")
    queued_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class PullState(SQLModel, table=True):
    """A platform's pull cursor (committed with the records of the page it covers)."""

    __tablename__ = "sync_pull_state"

    platform_id: str = Field(max_length=40, primary_key=True)
    cursor: str | None = Field(default=None, max_length=500)
    pulled: int = 0
    # when the last successful pull run started (the tick): pull_every_seconds counts from it
    last_success_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    last_error: str | None = Field(default=None, max_length=ERROR_LENGTH)


class QuarantinedRow(SQLModel, table=True):
    """A pulled row that could not be filed, with why: never dropped silently."""

    __tablename__ = "sync_quarantine"

    id: int | None = Field(default=None, primary_key=True)
    platform_id: str = Field(max_length=40, index=True)
    change_id: str = Field(max_length=100)
    reason: str = Field(max_length=REASON_LENGTH)
    row: dict[str, Any] = Field(sa_column=Column(JSONType, nullable=False))
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    resolved_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class Reconciliation(SQLModel, table=True):
    """A day's comparison of what the city pushed and what the platform holds."""

    __tablename__ = "sync_reconciliations"

    id: int | None = Field(default=None, primary_key=True)
    platform_id: str = Field(max_length=40, index=True)
    day: date
    local_count: int
    local_digest: str = Field(max_length=64)
    remote_count: int | None = None
    remote_digest: str | None = Field(default=None, max_length=64)
    matches: bool
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))

"""The transactional outbox: events written in the same transaction as the change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from credit_service.db import JSONType, UTCDateTime

EVENT_TYPES = (
    "record.filed",
    "record.corrected",
    "record.revoked",
    "record.publication_ended",
    "listing.published",
    "listing.removed",
    "repair.granted",
)


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

"""Credit records (信用记录): one fact under one catalog item about one entity."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from credit_service.db import JSONType, UTCDateTime

RECORD_STATUSES = ("active", "expired", "repaired", "revoked")


class CreditRecord(SQLModel, table=True):
    """The current revision of a record; its dates are computed when it is filed."""

    __tablename__ = "credit_records"
    __table_args__ = (
        UniqueConstraint("source_authority", "source_ref"),
        Index("ix_credit_records_entity_status", "entity_id", "status"),
        Index("ix_credit_records_publicity_end", "publicity_end"),
    )

    id: int | None = Field(default=None, primary_key=True)
    entity_id: int = Field(foreign_key="entities.id")
    catalog_item_id: int = Field(foreign_key="catalog_items.id")
    item_code: str = Field(max_length=64)
    domain: str = Field(max_length=40)
    category: str = Field(max_length=20)
    severity: str | None = Field(default=None, max_length=20)
    heavier_penalty: bool = False
    disclosure: str = Field(max_length=20)
    source_authority: str = Field(max_length=200)
    source_ref: str = Field(max_length=200)
    decision_date: date
    publicity_end: date | None = None
    repair_from: date | None = None
    retention_end: date | None = None
    # which day retention_end counts from: conduct_end_date (the record has it) or decision_date
    retention_from: str = Field(default="decision_date", max_length=20)
    early_stop_allowed: bool = True
    status: str = Field(default="active", max_length=20)
    status_reason: str | None = Field(default=None, max_length=500)
    status_changed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    revision: int = 1
    # The revision a platform gave a record it sent us: an older one arriving late is ignored.
    source_revision: int | None = None
    revision_reason: str = Field(default="filed", max_length=500)
    fields: dict[str, Any] = Field(sa_column=Column(JSONType, nullable=False))
    content_hash: str = Field(max_length=64)
    filed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    filed_by: str | None = Field(default=None, max_length=100)
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_by: str | None = Field(default=None, max_length=100)


class CreditRecordRevision(SQLModel, table=True):
    """A superseded revision of a record, kept when a correction replaces it."""

    __tablename__ = "credit_record_revisions"
    __table_args__ = (UniqueConstraint("record_id", "revision"),)

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(foreign_key="credit_records.id", index=True)
    revision: int
    catalog_item_id: int = Field(foreign_key="catalog_items.id")
    decision_date: date
    publicity_end: date | None = None
    severity: str | None = Field(default=None, max_length=20)
    fields: dict[str, Any] = Field(sa_column=Column(JSONType, nullable=False))
    reason: str = Field(max_length=500)  # why this revision was made
    made_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    made_by: str | None = Field(default=None, max_length=100)

"""The append-only audit trail, chained by hashes so that any alteration shows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from credit_service.db import JSONType, UTCDateTime

GENESIS_HASH = "0" * 64


class AuditEvent(SQLModel, table=True):
    """One audited act; ``row_hash`` covers its content, its ``seq`` and the previous hash."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_object", "object_type", "object_id"),)

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True)
    occurred_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    actor: str = Field(max_length=100, index=True)
    role: str = Field(max_length=20)
    source_ip: str | None = Field(default=None, max_length=64)
    action: str = Field(max_length=64, index=True)
    object_type: str | None = Field(default=None, max_length=40)
    object_id: str | None = Field(default=None, max_length=100)
    outcome: str = Field(max_length=20)
    details: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONType, nullable=False)
    )
    prev_hash: str = Field(max_length=64)
    row_hash: str = Field(max_length=64)


class AuditChainHead(SQLModel, table=True):
    """The single row that holds the chain's tip and what purges removed.

    Appenders lock it, which serialises the chain; it also makes truncation of the
    newest rows detectable, which the chain alone cannot show.
    """

    __tablename__ = "audit_chain_head"

    id: int = Field(default=1, primary_key=True)
    last_seq: int = 0
    last_hash: str = Field(default=GENESIS_HASH, max_length=64)
    purged_through_seq: int = 0
    purged_through_hash: str = Field(default=GENESIS_HASH, max_length=64)

"""The audit trail: rows appended without a shared lock, sealed later into a signed log.

Appending is a plain insert (``seq`` and the hashes empty). The sealing job numbers the
rows committed since the last seal, in the order it finds them, extends the hash chain
over them, gives each a keyed authentication code and signs a checkpoint of the chain's
size and head. See docs/security.md, *Audit trail*.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, Text, text
from sqlmodel import Field, SQLModel

from credit_service.db import JSONType, UTCDateTime

GENESIS_HASH = "0" * 64


class AuditEvent(SQLModel, table=True):
    """One audited act. ``seq`` (its place in the log), ``chain_hash`` (the chain's head
    once it is included) and ``row_mac`` (keyed code over both) are set by the seal."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_object", "object_type", "object_id"),
        Index(
            "ix_audit_events_unsealed",
            "id",
            sqlite_where=text("seq IS NULL"),
            postgresql_where=text("seq IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
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
    # the request, command or job run that wrote the row (credit_service.request_ids);
    # hashed into the row's leaf when set (rules.OPTIONAL_COLUMNS)
    request_id: str | None = Field(default=None, max_length=64, index=True)
    seq: int | None = Field(default=None, unique=True)
    chain_hash: str | None = Field(default=None, max_length=64)
    row_mac: str | None = Field(default=None, max_length=64)


class AuditCheckpoint(SQLModel, table=True):
    """A signed statement about the log: a seal (``size`` rows, chain head ``head``) or a
    purge (rows through ``size`` deleted, the chain head there ``head``).

    ``statement`` is the exact text that was signed; the other columns repeat it for
    queries, and verification trusts only the text and its signature.
    """

    __tablename__ = "audit_checkpoints"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=10)  # seal | purge
    size: int = Field(index=True)
    head: str = Field(max_length=64)
    signed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    key_id: str = Field(max_length=16)
    statement: str = Field(sa_column=Column(Text, nullable=False))
    signature: str = Field(max_length=100)

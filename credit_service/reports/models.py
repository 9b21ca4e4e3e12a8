"""Issued credit reports: what each one said (its canonical JSON, signed), to whom and
when. A report is never changed after issue: verification rests on that."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from credit_service.db import UTCDateTime

REQUESTER_KINDS = ("subject", "checker")


class CreditReport(SQLModel, table=True):
    """One issued report: its number, its requester, its signed content."""

    __tablename__ = "credit_reports"
    __table_args__ = (
        UniqueConstraint("requester", "idempotency_key"),
        Index("ix_credit_reports_entity", "entity_id"),
        Index("ix_credit_reports_issued_at", "issued_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=40, unique=True)  # XCXY-2026-000123
    entity_id: int = Field(foreign_key="entities.id")
    requester: str = Field(max_length=100)  # the account's username
    requester_role: str = Field(max_length=20)
    requester_kind: str = Field(max_length=10)  # subject | checker
    purpose: str | None = Field(default=None, max_length=40)
    issued_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    as_of: date
    content: str = Field(sa_column=Column(Text, nullable=False))  # canonical JSON, UTF-8
    content_sha256: str = Field(max_length=64)
    key_id: str = Field(max_length=32)
    signature: str = Field(max_length=200)  # base64 Ed25519 over ``content``
    holder_code_hash: str = Field(max_length=64)  # HMAC of the code printed on the report
    masked: bool = False
    idempotency_key: str | None = Field(default=None, max_length=100)

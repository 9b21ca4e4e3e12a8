"""Severe-dishonesty listing cases (严重失信主体名单), their steps and documents."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from credit_service.db import JSONType, UTCDateTime


class DishonestyCase(SQLModel, table=True):
    """A listing case from proposal to removal; a published case is a list entry."""

    __tablename__ = "dishonesty_cases"
    __table_args__ = (
        Index("ix_dishonesty_cases_entity", "entity_id"),
        Index("ix_dishonesty_cases_published", "state", "published_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    entity_id: int = Field(foreign_key="entities.id")
    region_code: str = Field(max_length=6)
    state: str = Field(max_length=30)
    grounds: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    record_ids: list[int] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    domain: str | None = Field(default=None, max_length=40)
    proposal_reason: str = Field(max_length=2000)
    notice_no: str | None = Field(default=None, max_length=100)
    notice_served_on: date | None = None
    statement_deadline: date | None = None
    statement_deadline_provisional: bool = False
    statement_waived: bool = False
    statement_received_on: date | None = None
    decision_no: str | None = Field(default=None, max_length=100)
    decided_on: date | None = None
    publication_deadline: date | None = None
    publication_deadline_provisional: bool = False
    published_on: date | None = None
    term_ends_on: date | None = None
    removed_on: date | None = None
    removal_reason: str | None = Field(default=None, max_length=40)
    removal_note: str | None = Field(default=None, max_length=1000)
    measures: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    version: int = 1
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class CaseStep(SQLModel, table=True):
    """One step of a case: who did what, when, why, with which documents."""

    __tablename__ = "dishonesty_case_steps"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="dishonesty_cases.id", index=True)
    step: str = Field(max_length=40)
    state_after: str = Field(max_length=30)
    actor: str = Field(max_length=100)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    effective_on: date
    reason: str = Field(max_length=2000)
    details: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONType, nullable=False)
    )


class CaseDocument(SQLModel, table=True):
    """A generated notice (告知书) or decision (决定书), kept with its hash."""

    __tablename__ = "dishonesty_case_documents"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="dishonesty_cases.id", index=True)
    kind: str = Field(max_length=20)
    number: str = Field(max_length=100, unique=True)
    html: str = Field(sa_column=Column(Text, nullable=False))
    sha256: str = Field(max_length=64)
    pdf_path: str | None = Field(default=None, max_length=500)
    pdf_sha256: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class DocumentSequence(SQLModel, table=True):
    """The yearly document-number sequence of an office (e.g. 宣市监信列〔2026〕12号)."""

    __tablename__ = "document_sequences"
    __table_args__ = (UniqueConstraint("prefix", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    prefix: str = Field(max_length=40)
    year: int
    last_number: int = 0


class ListChange(SQLModel, table=True):
    """An addition to or removal from the published list: the public change feed."""

    __tablename__ = "dishonesty_list_changes"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="dishonesty_cases.id", index=True)
    kind: str = Field(max_length=10)  # added | removed
    reason: str | None = Field(default=None, max_length=40)
    effective_on: date
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))

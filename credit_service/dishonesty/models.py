"""Severe-dishonesty listing cases (严重失信主体名单) and the public list's change feed (their
steps and documents are the procedure engine's, in procedures/models.py)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from credit_service.db import JSONType, UTCDateTime


class DishonestyCase(SQLModel, table=True):
    """A listing case from proposal to removal; a published case is a list entry."""

    __tablename__ = "dishonesty_cases"
    __table_args__ = (
        Index("ix_dishonesty_cases_entity", "entity_id"),
        Index("ix_dishonesty_cases_published", "state", "published_on"),
        # the public list's page order: a search by a common fragment of a name reads the
        # newest listings until a page is full (migration c3e5a7b9d1f3), from this index
        # alone on PostgreSQL, which holds what it tests (migration f6b8d0a2c4e7)
        Index(
            "ix_dishonesty_cases_newest",
            "published_on",
            "id",
            postgresql_include=["state", "removed_on", "term_ends_on", "search_name"],
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    entity_id: int = Field(foreign_key="entities.id")
    region_code: str = Field(max_length=6)
    # the organisation's current name, for the public search by a part of it; None for a
    # natural person, whom no search by name finds (D12). Kept here, not only read from
    # entities: the search then reads a list's trigram index, not a province's entities
    # (dishonesty/search_names.py)
    search_name: str | None = Field(default=None, max_length=200)
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


class ListChange(SQLModel, table=True):
    """An addition to or removal from the published list: the public change feed."""

    __tablename__ = "dishonesty_list_changes"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="dishonesty_cases.id", index=True)
    kind: str = Field(max_length=10)  # added | removed
    reason: str | None = Field(default=None, max_length=40)
    effective_on: date
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))

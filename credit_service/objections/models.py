"""Objections and their evidence files (their steps are kept with every procedure's, in
``procedure_steps``; their notices in ``procedure_documents``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Index, UniqueConstraint, text
from sqlmodel import Field

from credit_service.db import JSONType, UTCDateTime
from credit_service.procedures.models import EvidenceFile, PhaseClockColumns

OPEN_STATES = ("received", "accepted", "supplement_requested")
OUTCOMES = ("upheld", "partly_upheld", "not_upheld")
STATES = (*OPEN_STATES, "refused", *OUTCOMES)
CHANNELS = ("enterprise", "office", "platform")
_OPEN_SQL = "state IN ('received', 'accepted', 'supplement_requested')"


class Objection(PhaseClockColumns, table=True):
    """A party's objection to a record or a listing, or to one field of either."""

    __tablename__ = "objections"
    __table_args__ = (
        # One open objection per target and field: a partial unique index on both databases.
        Index(
            "uq_objections_open_target",
            "target_type",
            "target_id",
            "field",
            unique=True,
            sqlite_where=text(_OPEN_SQL),
            postgresql_where=text(_OPEN_SQL),
        ),
        UniqueConstraint("filed_by", "idempotency_key"),
        UniqueConstraint("platform", "platform_ref"),
        Index("ix_objections_region_state", "region_code", "state"),
        Index("ix_objections_target", "target_type", "target_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    target_type: str = Field(max_length=10)  # record | listing
    target_id: int
    # One field objected to ('' = the whole record or listing), the value shown, the value claimed
    field: str = Field(default="", max_length=64)
    value_shown: str | None = Field(default=None, max_length=2000)
    value_claimed: str | None = Field(default=None, max_length=2000)
    entity_id: int = Field(foreign_key="entities.id", index=True)
    region_code: str = Field(max_length=6)
    state: str = Field(max_length=30)
    reasons: str = Field(max_length=4000)
    contact: str = Field(max_length=200)
    channel: str = Field(max_length=10)  # enterprise | office | platform
    filed_by: str = Field(max_length=100)  # the account that filed it (a regulator for office)
    applicant_name: str = Field(max_length=200)  # who objects, as the notices name them
    platform: str | None = Field(default=None, max_length=40)
    platform_ref: str | None = Field(default=None, max_length=100)
    idempotency_key: str | None = Field(default=None, max_length=100)
    received_on: date
    extended_on: date | None = None
    extension_reason: str | None = Field(default=None, max_length=2000)
    refusal_reason: str | None = Field(default=None, max_length=20)
    # What the decision changed: {"action": "correct"|"revoke"|"remove"|"none", ...}
    correction: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType))
    version: int = 1
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ObjectionEvidence(EvidenceFile, table=True):
    """An uploaded evidence file (or the scanned paper application): stored outside any
    served folder under a generated name."""

    __tablename__ = "objection_evidence"

    objection_id: int = Field(foreign_key="objections.id", index=True)

"""Credit-repair applications and their evidence files (their review steps are kept
with every procedure's, in ``procedure_steps``)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, UniqueConstraint, text
from sqlmodel import Field

from credit_service.db import UTCDateTime
from credit_service.procedures.models import EvidenceFile, PhaseClockColumns

OPEN_STATES = ("submitted", "accepted", "supplement_requested")
STATES = (*OPEN_STATES, "not_accepted", "granted", "refused", "revoked")


class RepairApplication(PhaseClockColumns, table=True):
    """An enterprise's application to repair one record or one listing."""

    __tablename__ = "repair_applications"
    __table_args__ = (
        # One open application per target: a partial unique index on both databases.
        Index(
            "uq_repair_applications_open_target",
            "target_type",
            "target_id",
            unique=True,
            sqlite_where=text("state IN ('submitted', 'accepted', 'supplement_requested')"),
            postgresql_where=text("state IN ('submitted', 'accepted', 'supplement_requested')"),
        ),
        UniqueConstraint("applicant", "idempotency_key"),
        Index("ix_repair_applications_region_state", "region_code", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    target_type: str = Field(max_length=10)  # record | listing
    target_id: int
    entity_id: int = Field(foreign_key="entities.id", index=True)
    region_code: str = Field(max_length=6)
    state: str = Field(max_length=30)
    reason: str = Field(max_length=2000)
    measures_taken: str = Field(max_length=4000)
    obligations_performed: bool = False
    commitment_version: str = Field(max_length=40)
    commitment_text: str = Field(max_length=2000)
    committed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    contact: str = Field(max_length=200)
    applicant: str = Field(max_length=100)
    idempotency_key: str | None = Field(default=None, max_length=100)
    submitted_on: date
    revoked_on: date | None = None
    version: int = 1
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class RepairEvidence(EvidenceFile, table=True):
    """An uploaded evidence file: stored outside any served folder under a generated name."""

    __tablename__ = "repair_evidence"

    application_id: int = Field(foreign_key="repair_applications.id", index=True)

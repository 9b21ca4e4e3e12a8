"""The tables every procedure shares: its steps, the documents it issued, and the
yearly document-number sequences."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from credit_service.db import JSONType, UTCDateTime


class ProcedureStep(SQLModel, table=True):
    """One step of one procedure: who did what, when, dated which day, why, on which
    papers, issuing which documents (``details``: JSON, dates as ISO text)."""

    __tablename__ = "procedure_steps"
    __table_args__ = (Index("ix_procedure_steps_subject", "procedure", "subject_id"),)

    id: int | None = Field(default=None, primary_key=True)
    procedure: str = Field(max_length=20)
    subject_id: int
    step: str = Field(max_length=40)
    state_after: str = Field(max_length=30)
    actor: str = Field(max_length=100)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    effective_on: date
    reason: str = Field(max_length=4000)
    details: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONType, nullable=False)
    )


class ProcedureDocument(SQLModel, table=True):
    """A document a step issued (告知书, 决定书 …), kept as HTML with its hash and as a
    PDF file named by its hash."""

    __tablename__ = "procedure_documents"
    __table_args__ = (Index("ix_procedure_documents_subject", "procedure", "subject_id"),)

    id: int | None = Field(default=None, primary_key=True)
    procedure: str = Field(max_length=20)
    subject_id: int
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


class EvidenceFile(SQLModel):
    """The columns of an uploaded evidence file, whichever procedure's table keeps it
    (``repair_evidence``, ``objection_evidence``; procedures/evidence.py stores them):
    kept outside any served folder under a generated name, with its SHA-256."""

    id: int | None = Field(default=None, primary_key=True)
    original_name: str = Field(max_length=200)
    stored_name: str = Field(max_length=80, unique=True)
    content_type: str = Field(max_length=40)
    size: int
    sha256: str = Field(max_length=64)
    uploaded_by: str = Field(max_length=100)
    uploaded_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class PhaseClockColumns(SQLModel):
    """The two-phase clock of a procedure's row (procedures/deadlines.py ``PhaseClock``):
    acceptance and then decision due, the running phase's clock (its due date is
    ``clock_workdays`` working days after ``clock_from``, kept so a provisional date can
    be recomputed, pauses included), a pause's state with the day the party's materials
    are due (``supplement_due_on``; ``supplement_workdays`` the working days it was
    counted with, None for a day the reviewer named: procedures/supplements.py), and the
    queue's flags. Repair applications and objections keep it in the same columns; so is
    their decision."""

    acceptance_due: date | None = None
    clock_from: date | None = None
    clock_workdays: int | None = None
    accepted_on: date | None = None
    decision_due: date | None = None
    due_provisional: bool = False
    paused_on: date | None = None
    paused_remaining: int | None = None
    paused_phase: str | None = Field(default=None, max_length=20)
    supplement_due_on: date | None = None
    supplement_workdays: int | None = None
    decided_on: date | None = None
    decision_reasons: str | None = Field(default=None, max_length=4000)
    decided_by: str | None = Field(default=None, max_length=100)
    due_soon: bool = False
    overdue: bool = False

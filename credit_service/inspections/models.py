"""Inspector roster, conflicts of interest, inspection plans and their items."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from credit_service.db import JSONType, UTCDateTime

OUTCOMES = ("passed", "problems_found", "not_found_at_address")


class Inspector(SQLModel, table=True):
    """A law-enforcement officer who may be drawn to inspect."""

    __tablename__ = "inspectors"

    id: int | None = Field(default=None, primary_key=True)
    badge_no: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=100)
    office_region: str = Field(max_length=6)
    active: bool = True
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class InspectorConflict(SQLModel, table=True):
    """A declared conflict of interest: this inspector never inspects this entity."""

    __tablename__ = "inspector_conflicts"
    __table_args__ = (UniqueConstraint("inspector_id", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    inspector_id: int = Field(foreign_key="inspectors.id", index=True)
    entity_id: int = Field(foreign_key="entities.id")
    reason: str = Field(max_length=500)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class InspectionPlan(SQLModel, table=True):
    """A reproducible draw: same seed and inputs give the same plan."""

    __tablename__ = "inspection_plans"
    # A repeated request (a double click, a retried call) finds the plan it drew.
    __table_args__ = (UniqueConstraint("created_by", "request_key"),)

    id: int | None = Field(default=None, primary_key=True)
    request_key: str | None = Field(default=None, max_length=100)
    region_code: str = Field(max_length=6)
    period_start: date
    period_end: date
    seed: str = Field(max_length=64)
    domain: str | None = Field(default=None, max_length=40)
    rule_set_id: int = Field(foreign_key="tier_rule_sets.id")
    parameters: dict[str, Any] = Field(sa_column=Column(JSONType, nullable=False))
    population_digest: str = Field(max_length=64)
    created_by: str = Field(max_length=100)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class InspectionItem(SQLModel, table=True):
    """One entity to inspect, its two inspectors, and the result once recorded."""

    __tablename__ = "inspection_items"

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="inspection_plans.id", index=True)
    position: int
    entity_id: int = Field(foreign_key="entities.id")
    tier: str = Field(max_length=1)
    triggered: bool = False
    inspector_ids: list[int] = Field(
        default_factory=list, sa_column=Column(JSONType, nullable=False)
    )
    outcome: str | None = Field(default=None, max_length=30)
    note: str | None = Field(default=None, max_length=2000)
    result_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    result_by: str | None = Field(default=None, max_length=100)
    record_id: int | None = Field(default=None, foreign_key="credit_records.id")
    state: str = Field(default="drawn", max_length=20)
    # 一公开 (D20): the day the result went public (the publishing job's run), None until
    # then; the result stays public 3 years from this day.
    published_on: date | None = Field(default=None, index=True)
    version: int = 1
    updated_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))

"""Tier rule-set versions, current tiers, their history, and manual overrides."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from credit_service.db import JSONType, UTCDateTime


class TierRuleSetVersion(SQLModel, table=True):
    """One version of catalogs/tiers.yaml; exactly one is current."""

    __tablename__ = "tier_rule_sets"

    id: int | None = Field(default=None, primary_key=True)
    edition: str = Field(max_length=100)
    content_hash: str = Field(max_length=64, unique=True)
    document: dict[str, Any] = Field(sa_column=Column(JSONType, nullable=False))
    is_current: bool = False
    applied_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    applied_by: str | None = Field(default=None, max_length=100)

    @property
    def label(self) -> str:
        return f"{self.edition}+{self.content_hash[:12]}"


class TierAssignment(SQLModel, table=True):
    """An entity's current tier and the rule that set it."""

    __tablename__ = "tier_assignments"
    __table_args__ = (Index("ix_tier_assignments_tier", "tier"),)

    entity_id: int = Field(foreign_key="entities.id", primary_key=True)
    tier: str = Field(max_length=1)
    rule_id: str = Field(max_length=40)
    rule_set_id: int = Field(foreign_key="tier_rule_sets.id")
    since: date
    computed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class TierChange(SQLModel, table=True):
    """One change of an entity's tier: from, to, why, when, under which rules."""

    __tablename__ = "tier_changes"

    id: int | None = Field(default=None, primary_key=True)
    entity_id: int = Field(foreign_key="entities.id", index=True)
    old_tier: str | None = Field(default=None, max_length=1)
    new_tier: str = Field(max_length=1)
    rule_id: str = Field(max_length=40)
    cause: str = Field(max_length=200)
    rule_set_id: int = Field(foreign_key="tier_rule_sets.id")
    changed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    effective_on: date


class TierOverride(SQLModel, table=True):
    """An administrator's manual tier with a reason; it lapses after ``expires_on``."""

    __tablename__ = "tier_overrides"

    id: int | None = Field(default=None, primary_key=True)
    entity_id: int = Field(foreign_key="entities.id", index=True)
    tier: str = Field(max_length=1)
    reason: str = Field(max_length=500)
    expires_on: date
    created_by: str = Field(max_length=100)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))

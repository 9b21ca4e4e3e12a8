"""Catalog versions and their items as stored: old versions stay readable forever."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from credit_service.db import JSONType, UTCDateTime


class CatalogVersion(SQLModel, table=True):
    """One load of a domain catalog file: its edition label and content hash."""

    __tablename__ = "catalog_versions"
    __table_args__ = (UniqueConstraint("domain", "content_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    domain: str = Field(max_length=40, index=True)
    edition: str = Field(max_length=100)
    content_hash: str = Field(max_length=64)
    source: str = Field(max_length=500)
    loaded_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    is_current: bool = Field(default=False)
    document: dict[str, Any] = Field(sa_column=Column(JSONType, nullable=False))

    @property
    def label(self) -> str:
        """Human-readable version: edition plus the first 12 hex digits of the hash."""
        return f"{self.edition}+{self.content_hash[:12]}"


class CatalogItemRow(SQLModel, table=True):
    """One item of one catalog version; the columns serve set-based SQL (tiers, lists)."""

    __tablename__ = "catalog_items"
    __table_args__ = (UniqueConstraint("version_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="catalog_versions.id", index=True)
    domain: str = Field(max_length=40)
    code: str = Field(max_length=64, index=True)
    name: str = Field(max_length=200)
    category: str = Field(max_length=20)
    severity: str | None = Field(default=None, max_length=20)
    record_type: str = Field(max_length=20)
    disclosure: str = Field(max_length=20)
    repairable: bool
    heavier_penalty: bool
    definition: dict[str, Any] = Field(sa_column=Column(JSONType, nullable=False))

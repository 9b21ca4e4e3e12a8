"""The registry of market entities (市场主体) the service supervises."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from credit_service.db import JSONType, UTCDateTime


class Entity(SQLModel, table=True):
    """A market entity, keyed by its normalised USCC (or resident ID for natural persons)."""

    __tablename__ = "entities"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=30)
    identifier: str = Field(max_length=18, unique=True)
    name: str = Field(max_length=200, index=True)
    former_names: list[str] = Field(
        default_factory=list, sa_column=Column(JSONType, nullable=False)
    )
    region_code: str = Field(max_length=6, index=True)
    industry: str | None = Field(default=None, max_length=1)
    address: str | None = Field(default=None, max_length=300)
    legal_representative: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=30)
    agency_type: str | None = Field(default=None, max_length=20)
    agency_licence_no: str | None = Field(default=None, max_length=64)
    status: str = Field(default="active", max_length=20)
    content_hash: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # indexed: the public list's version reads the newest update (dishonesty.public)
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))

    @property
    def is_natural_person(self) -> bool:
        return self.kind == "natural_person"


class PersonLookupCount(SQLModel, table=True):
    """How many lookups by full resident ID a masking user made on one office day.

    One row per (user, day), raised in the lookup's own transaction: concurrent lookups
    by the same user queue on that row only, and a refused one rolls its count back.
    """

    __tablename__ = "person_lookup_counts"

    actor: str = Field(max_length=100, primary_key=True)
    day: date = Field(primary_key=True)
    used: int = 0

"""Accounts and API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from credit_service.db import JSONType, UTCDateTime


class User(SQLModel, table=True):
    """A person or machine client with one role and, for some roles, a scope."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    display_name: str = Field(max_length=100)
    role: str = Field(max_length=20)
    region_code: str | None = Field(default=None, max_length=6)
    uscc: str | None = Field(default=None, max_length=18, index=True)
    password_hash: str | None = Field(default=None, max_length=255)
    is_active: bool = True
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ApiToken(SQLModel, table=True):
    """A bearer token: only its SHA-256 is stored; the secret is shown once."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    name: str = Field(max_length=100)
    prefix: str = Field(max_length=16, unique=True)
    token_hash: str = Field(max_length=64)
    scopes: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    last_used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))

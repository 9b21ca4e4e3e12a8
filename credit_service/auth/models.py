"""Accounts and API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, UniqueConstraint
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
    password_changed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    is_active: bool = True
    # Enterprise accounts: pending until a regulator approves the binding to the USCC.
    binding_status: str = Field(default="approved", max_length=20)
    contact: str | None = Field(default=None, max_length=200)
    # Where notifications are e-mailed (none: the message centre only; an enterprise
    # whose contact is an e-mail address is written to there).
    email: str | None = Field(default=None, max_length=254)
    # When the latest sign-in lock of this account from some source ends (for admins to
    # see; the locks themselves are per source, in sign_in_throttles).
    locked_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class PasswordHistory(SQLModel, table=True):
    """Earlier password hashes of a user, so that recent ones are not reused."""

    __tablename__ = "password_history"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    password_hash: str = Field(max_length=255)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class SignInThrottle(SQLModel, table=True):
    """Failed sign-ins to one account from one source (an IPv4 address or an IPv6 /64):
    locks that source out of that account only, for longer at each lock."""

    __tablename__ = "sign_in_throttles"
    __table_args__ = (UniqueConstraint("user_id", "source"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id")  # the unique pair's index serves it
    source: str = Field(max_length=64)
    # Times of the recent failures (ISO strings), for a sliding window.
    failure_times: list[str] = Field(
        default_factory=list, sa_column=Column(JSONType, nullable=False)
    )
    locks: int = 0  # locks of this pair so far: the next one lasts twice as long
    locked_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class WebSession(SQLModel, table=True):
    """A server-side sign-in session; the cookie holds a random id, only its hash is kept."""

    __tablename__ = "web_sessions"

    id: int | None = Field(default=None, primary_key=True)
    session_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    last_seen_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    ended_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    source_ip: str | None = Field(default=None, max_length=64)


class ActivationCode(SQLModel, table=True):
    """A one-time code a regulator issues so that an enterprise can activate its account."""

    __tablename__ = "activation_codes"

    id: int | None = Field(default=None, primary_key=True)
    uscc: str = Field(max_length=18, index=True)
    code_hash: str = Field(max_length=64, unique=True)
    issued_by: str = Field(max_length=100)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


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


class ChangeGeneration(SQLModel, table=True):
    """How many times a topic's data has changed, counted by SQLite triggers (migration
    ``b5d7f9a1c3e5``): SQLite's stand-in for PostgreSQL's change notices
    (``credit_service.notices``). A worker keeps the tokens it has checked while the
    count of ``auth`` stands still, and reads this one row instead of the token's.
    Unused on PostgreSQL, whose triggers send notices instead."""

    __tablename__ = "change_generations"

    topic: str = Field(primary_key=True, max_length=20)
    generation: int = 0

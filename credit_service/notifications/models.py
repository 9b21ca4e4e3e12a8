"""The message centre's messages and the e-mail outbox.

Both are written by the notification handler in the transaction of the act they tell of,
so they exist exactly when the act committed. A message's words are rendered in Chinese
when it is made (what the office said then stays what it said); an e-mail waits in the
outbox until the sending job delivers it, retried with backoff, never dropped.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from credit_service.db import UTCDateTime


class Message(SQLModel, table=True):
    """One message to one enterprise account (by user name) in its message centre."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_recipient_read", "recipient", "read_at"),)

    id: int | None = Field(default=None, primary_key=True)
    recipient: str = Field(max_length=64)
    kind: str = Field(max_length=40)
    subject: str = Field(max_length=200)
    body: str = Field(max_length=4000)
    link: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    read_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class OutboundEmail(SQLModel, table=True):
    """An e-mail waiting to be sent, or sent (``sent_at``): ``attempts`` so far, the next
    one not before ``next_attempt_at``, and what the last failure said."""

    __tablename__ = "outbound_emails"
    __table_args__ = (Index("ix_outbound_emails_due", "sent_at", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    to: str = Field(max_length=254)
    subject: str = Field(max_length=200)
    body: str = Field(max_length=8000)
    kind: str = Field(max_length=40)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))

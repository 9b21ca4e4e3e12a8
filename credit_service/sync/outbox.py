"""Writing outbox events: always inside the transaction of the change they describe.

An event is never written for a change that rolled back, and a committed change always
has its event, because both are rows of the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from credit_service.access import Actor
from credit_service.sync.event_ids import new_event_id
from credit_service.sync.models import EVENT_TYPES, OutboxEvent


def leaves_the_city(actor: Actor) -> bool:
    """Whether a change by ``actor`` must be sent out: what a platform sent us is not
    sent back to the platforms."""
    return actor.role != "sync"


def emit(
    session: Session,
    *,
    event_type: str,
    subject: str,
    aggregate_type: str,
    aggregate_id: str | int,
    payload: dict[str, Any],
    now: datetime,
) -> OutboxEvent:
    """Add an event to the caller's transaction."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type}")
    event = OutboxEvent(
        event_id=new_event_id(),
        event_type=event_type,
        subject=subject,
        aggregate_type=aggregate_type,
        aggregate_id=str(aggregate_id),
        payload=payload,
        occurred_at=now,
    )
    session.add(event)
    return event

"""Writing outbox events: always inside the transaction of the change they describe.

An event is never written for a change that rolled back, and a committed change always
has its event, because both are rows of the same transaction. This is the one writer of
the outbox table: the handler table (credit_service/effects.py) calls it with the events
of a transaction's changes, a bulk import's thousands included, in one insert.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from credit_service import request_ids
from credit_service.access import Actor
from credit_service.bulk import bulk_insert
from credit_service.db import json_text
from credit_service.event_ids import new_event_id
from credit_service.sync.models import EVENT_TYPES, OutboxEvent


def leaves_the_city(actor: Actor) -> bool:
    """Whether a change by ``actor`` must be sent out: what a platform sent us is not
    sent back to the platforms."""
    return not actor.from_platform


class Event(NamedTuple):
    """An event to write. ``payload`` is a dict, or its JSON text when made ahead (a bulk
    import's, with the ``event_id`` drawn by its validating worker). Its fields are
    outbox columns, so an event in stored form is its row as it is: a bulk import makes
    one per record, and a named tuple costs less than half a frozen dataclass."""

    event_type: str
    subject: str
    aggregate_type: str
    aggregate_id: str | int
    payload: dict[str, Any] | str
    event_id: str | None = None


def write(session: Session, events: Sequence[Event], *, now: datetime) -> int:
    """Add ``events`` to the caller's transaction, in this order, in one insert; returns
    how many. Each carries the current request id (``request_ids.current``), which stays
    in the city: the envelope a platform receives has the event's own id.

    :raises ValueError: an event type the protocol does not know (nothing is written).
    """
    unknown = sorted({e.event_type for e in events} - set(EVENT_TYPES))
    if unknown:
        raise ValueError(f"unknown event type {', '.join(unknown)}")
    rows = [  # (an event already in stored form, as a bulk import's, is its row as it is)
        e
        if e.event_id and type(e.payload) is str and type(e.aggregate_id) is str
        else _in_stored_form(e)
        for e in events
    ]
    return bulk_insert(
        session,
        OutboxEvent.__table__,
        rows,
        columns=Event._fields,
        preserialized=("payload",),
        constants={"occurred_at": now, "request_id": request_ids.current()},
    )


def _in_stored_form(event: Event) -> Event:
    return event._replace(
        aggregate_id=str(event.aggregate_id),
        payload=event.payload if isinstance(event.payload, str) else json_text(event.payload),
        event_id=event.event_id or new_event_id(),
    )

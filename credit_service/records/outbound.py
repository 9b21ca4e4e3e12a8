"""What the platforms are told of records: the handler that turns record facts into
outbox events (see credit_service/effects.py). Changes pulled from a platform are not
sent back; a repair's own event is the repair's (``repair.granted``), not the record's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from credit_service.changes import RecordCorrected, RecordFiled, RecordStatusChanged
from credit_service.context import Context
from credit_service.entities.models import Entity
from credit_service.records import exchange
from credit_service.records.models import CreditRecord
from credit_service.sync import outbox

STATUS_EVENTS = {"revoked": "record.revoked", "expired": "record.publication_ended"}


def send_record_events(session: Session, ctx: Context, changes: list[Any]) -> None:
    """One event per filed, corrected, revoked or ended record, in the order recorded,
    each with the record as the transaction leaves it."""
    events = [e for change in changes if (e := _event(session, change)) is not None]
    if events:
        outbox.write(session, events, now=ctx.now())


def _event(session: Session, change: Any) -> outbox.Event | None:
    if change.from_platform:
        return None
    if isinstance(change, RecordFiled) and change.exchange is not None:
        event_id, record_key, subject, payload_json = change.exchange
        return outbox.Event("record.filed", subject, "record", record_key, payload_json, event_id)
    if isinstance(change, RecordFiled):
        event_type = "record.filed"
    elif isinstance(change, RecordCorrected):
        event_type = "record.corrected"
    elif isinstance(change, RecordStatusChanged) and change.status in STATUS_EVENTS:
        event_type = STATUS_EVENTS[change.status]
    else:
        return None
    record = session.get(CreditRecord, change.record_id)
    owner = session.get(Entity, change.entity_id)
    payload = exchange.record_payload(exchange.record_values(record), owner)
    return outbox.Event(event_type, owner.identifier, "record", record.id, payload)

"""What the provincial platforms are told: the handlers of the handler table
(credit_service/effects.py) that turn a transaction's facts into outbox events, written
through the one writer (``outbox.write``) before it commits.

Listings and repairs are this city's own decisions: always sent, whoever the actor.
Records pulled from a platform are not sent back; a repair's own event is the repair's
(``repair.granted``), not the record's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from credit_service.changes import (
    ObjectionDecided,
    RecordCorrected,
    RecordFiled,
    RecordPurged,
    RecordStatusChanged,
)
from credit_service.context import Context
from credit_service.dishonesty.models import DishonestyCase
from credit_service.entities.models import Entity
from credit_service.objections.models import Objection
from credit_service.records import services as record_services
from credit_service.records.models import CreditRecord
from credit_service.sync import outbox
from credit_service.sync.incoming import forwarded_by

LISTING_EVENTS = {"added": "listing.published", "removed": "listing.removed"}
STATUS_EVENTS = {"revoked": "record.revoked", "expired": "record.publication_ended"}


def send_record_events(session: Session, ctx: Context, changes: list[Any]) -> None:
    """One event per filed, corrected, revoked, ended or purged record, in the order
    recorded, each with the record as the transaction leaves it (a purged one: its key)."""
    events = [e for change in changes if (e := _record_event(session, change)) is not None]
    if events:
        outbox.write(session, events, now=ctx.now())


def _record_event(session: Session, change: Any) -> outbox.Event | None:
    if change.from_platform:
        return None
    if isinstance(change, RecordPurged):
        return _purged_event(session, change)
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
    payload = record_services.exchange_payload(record, owner)
    return outbox.Event(event_type, owner.identifier, "record", record.id, payload)


def _purged_event(session: Session, change: RecordPurged) -> outbox.Event:
    """The city no longer holds the record (its retention ended, D16): the platforms
    learn its key, never its content again."""
    owner = session.get(Entity, change.entity_id)
    payload = {
        "record_id": change.record_id,
        "record_key": change.record_key,
        "retention_end": change.retention_end,
    }
    return outbox.Event("record.purged", owner.identifier, "record", change.record_id, payload)


def send_listing_events(session: Session, ctx: Context, changes: list[Any]) -> None:
    """A listing.published or listing.removed event per change, with the case as it
    stands. Always sent, whoever the actor: a listing is this city's own decision, even
    when a change pulled from a platform (a revoked penalty, a repair elsewhere) caused it.
    """
    outbox.write(session, [_listing_event(session, c) for c in changes], now=ctx.now())


def _listing_event(session: Session, change: Any) -> outbox.Event:
    case = session.get(DishonestyCase, change.case_id)
    entity = session.get(Entity, change.entity_id)
    return outbox.Event(
        LISTING_EVENTS[change.kind],
        entity.identifier,
        "listing",
        case.id,
        {
            "case_id": case.id,
            "decision_no": case.decision_no,
            "decided_on": case.decided_on,
            "published_on": case.published_on,
            "term_ends_on": case.term_ends_on,
            "removed_on": case.removed_on,
            "removal_reason": change.reason,
            "grounds": case.grounds,
        },
    )


def send_repair_events(session: Session, ctx: Context, changes: list[Any]) -> None:
    """A repair.granted event per grant (a repair is this city's decision: always sent)."""
    events = [
        outbox.Event(
            "repair.granted",
            session.get(Entity, g.entity_id).identifier,
            g.target_type,
            g.target_id,
            {
                "application_id": g.application_id,
                "target_type": g.target_type,
                "target_id": g.target_id,
                "decided_on": g.decided_on,
            },
        )
        for g in changes
    ]
    outbox.write(session, events, now=ctx.now())


def send_objection_events(session: Session, ctx: Context, changes: list[Any]) -> None:
    """The platforms hear of objections (D19, D11): ``objection.marked`` when one is
    accepted (its target now carries 异议处理中), ``objection.cleared`` when it closes,
    ``objection.decided`` with the outcome (a refusal's is ``refused``). Each carries the
    forwarding platform's id and its own reference for one a platform forwarded, so that
    platform can match its objection and check the answer's deadlines. Always sent: the
    decision is this city's."""
    events = [_objection_event(session, c) for c in changes]
    outbox.write(session, events, now=ctx.now())


def _objection_event(session: Session, change: Any) -> outbox.Event:
    entity = session.get(Entity, change.entity_id)
    objection = session.get(Objection, change.objection_id)
    payload: dict[str, Any] = {
        "objection_id": change.objection_id,
        "target_type": change.target_type,
        "target_id": change.target_id,
        "platform": forwarded_by(objection.platform),
        "platform_ref": objection.platform_ref,
        "received_on": objection.received_on,
    }
    if isinstance(change, ObjectionDecided):
        event_type = "objection.decided"
        payload |= {
            "field": change.field or None,
            "outcome": change.outcome,
            "action": change.action,
            "decided_on": change.decided_on,
            "refusal_reason": objection.refusal_reason,
            "accepted_on": objection.accepted_on,
            "extended_on": objection.extended_on,
        }
    else:
        event_type = "objection.marked" if change.marked else "objection.cleared"
        payload["on"] = change.on
    return outbox.Event(event_type, entity.identifier, "objection", change.objection_id, payload)

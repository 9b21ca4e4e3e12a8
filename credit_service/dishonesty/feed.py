"""What a list change becomes besides the case itself: the public change feed row and the
platforms' outbox event. Handlers of the handler table (credit_service/effects.py), run
before the listing's transaction commits, with every list change of it at once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from credit_service.context import Context
from credit_service.dishonesty.models import DishonestyCase, ListChange
from credit_service.entities.models import Entity
from credit_service.sync import outbox

EVENT_TYPES = {"added": "listing.published", "removed": "listing.removed"}


def write_feed(session: Session, ctx: Context, changes: list[Any]) -> None:
    """One feed row per addition or removal, in the order they happened."""
    session.add_all(
        ListChange(
            case_id=c.case_id,
            kind=c.kind,
            reason=c.reason,
            effective_on=c.effective_on,
            at=ctx.now(),
        )
        for c in changes
    )


def send_listing_events(session: Session, ctx: Context, changes: list[Any]) -> None:
    """A listing.published or listing.removed event per change, with the case as it
    stands. Always sent, whoever the actor: a listing is this city's own decision, even
    when a change pulled from a platform (a revoked penalty, a repair elsewhere) caused it.
    """
    outbox.write(session, [_event(session, c) for c in changes], now=ctx.now())


def _event(session: Session, change: Any) -> outbox.Event:
    case = session.get(DishonestyCase, change.case_id)
    entity = session.get(Entity, change.entity_id)
    return outbox.Event(
        EVENT_TYPES[change.kind],
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

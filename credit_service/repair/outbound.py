"""What the platforms are told of a granted repair: the handler that turns it into a
``repair.granted`` outbox event (see credit_service/effects.py). The record or listing it
takes down sends its own facts' events.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from credit_service.context import Context
from credit_service.entities.models import Entity
from credit_service.sync import outbox


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

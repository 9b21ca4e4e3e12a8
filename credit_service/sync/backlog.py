"""What waits to leave the city, per platform: the events it has not confirmed, the oldest
of them, the dead letters and the quarantined rows.

The admins' sync page shows these with the rest of a platform's health
(``services.sync_status``), and monitoring reads them at every scrape, so each is a count
that reads an index: the outbox from the platform's position on (its primary key), the
platform's re-queued, refused and quarantined rows (``platform_id``). None reads the
whole outbox, which a year of imports makes millions of rows long.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from credit_service.context import Context
from credit_service.sync.models import (
    DeadLetter,
    OutboxEvent,
    QuarantinedRow,
    Requeued,
    SyncPosition,
)
from credit_service.sync.platforms import Platform


@dataclass(frozen=True)
class Backlog:
    platform: str
    pending: int  # events not confirmed yet, nor refused for good
    oldest_pending_at: datetime | None
    dead_letters: int  # refused for good, not re-queued yet
    quarantined: int  # pulled rows that could not be filed, not resolved yet


def refused(platform: Platform) -> Any:
    """Events the platform refused that nobody has re-queued yet (dead letters)."""
    return OutboxEvent.id.in_(
        select(DeadLetter.event_id).where(
            DeadLetter.platform_id == platform.id, DeadLetter.requeued_at.is_(None)
        )
    )


def pending(
    session: Session, platform: Platform, last_event_id: int
) -> tuple[datetime | None, int]:
    """The oldest time and the number of the events of the platform's types it has yet to
    confirm, dead letters aside: those beyond its position, and those re-queued after a
    correction. Counted as two parts, each led by an index (an OR of the two reads the
    whole outbox): the outbox's primary key from the position on; the platform's
    re-queued rows, each joined to its event (a re-queued event beyond the position is
    counted in the first part only)."""
    if not platform.pushes:  # a platform that is never pushed to waits for nothing
        return None, 0
    waiting = (OutboxEvent.event_type.in_(platform.event_types), ~refused(platform))
    beyond = select(func.min(OutboxEvent.occurred_at), func.count()).where(
        OutboxEvent.id > last_event_id, *waiting
    )
    requeued = (
        select(func.min(OutboxEvent.occurred_at), func.count(OutboxEvent.id.distinct()))
        .select_from(Requeued)
        .join(OutboxEvent, OutboxEvent.id == Requeued.event_id)
        .where(Requeued.platform_id == platform.id, OutboxEvent.id <= last_event_id, *waiting)
    )
    oldest, count = None, 0
    for query in (beyond, requeued):
        first, number = session.execute(query).one()
        count += number
        if first is not None and (oldest is None or first < oldest):
            oldest = first
    return oldest, count


def dead_letters(session: Session, platform_id: str) -> int:
    return session.execute(
        select(func.count())
        .select_from(DeadLetter)
        .where(DeadLetter.platform_id == platform_id, DeadLetter.requeued_at.is_(None))
    ).scalar_one()


def quarantined(session: Session, platform_id: str) -> int:
    return session.execute(
        select(func.count())
        .select_from(QuarantinedRow)
        .where(QuarantinedRow.platform_id == platform_id, QuarantinedRow.resolved_at.is_(None))
    ).scalar_one()


def backlog(ctx: Context, platforms: dict[str, Platform]) -> list[Backlog]:
    """Per configured platform, what waits (monitoring's gauges)."""
    out = []
    with ctx.read_session_factory() as session:
        for platform in platforms.values():
            position = session.get(SyncPosition, platform.id)
            oldest, count = pending(session, platform, position.last_event_id if position else 0)
            out.append(
                Backlog(
                    platform=platform.id,
                    pending=count,
                    oldest_pending_at=oldest,
                    dead_letters=dead_letters(session, platform.id),
                    quarantined=quarantined(session, platform.id),
                )
            )
    return out

"""The outbox's retention: events every pushing platform has taken, kept
OUTBOX_RETENTION_DAYS after they occurred, then deleted.

The outbox grows by every filed, corrected and purged record, and a record event's
payload names its party (a natural person's name and resident ID): kept for ever, it
would hold personal data past the records' own retention (docs/retention.md) and grow
without end at a province's size (docs/scaling.md). An event is needed while a platform
may still be sent it: beyond any platform's position (every position in the database
counts, whatever the platforms file says today: a file that is missing or without a
platform that was pushed to must not free its events, and one that cannot be read frees
none), in a batch in flight,
re-queued, or a dead letter not yet re-queued. Past all of them it is needed only for the
daily reconciliation of recent days and for tracing, which the retention days cover.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from credit_service.context import Context
from credit_service.errors import CatalogError
from credit_service.sync.models import DeadLetter, OutboxEvent, Requeued, SyncBatch, SyncPosition
from credit_service.sync.platforms import load_platforms

BATCH = 5_000  # events per delete statement


@dataclass(frozen=True)
class OutboxPurgePlan:
    """What an outbox purge at a moment would delete: ``rows`` events, none after
    ``through_id`` (None: nothing)."""

    rows: int
    through_id: int | None
    retention_days: int


def plan_of(session: Session, ctx: Context, now: datetime) -> OutboxPurgePlan:
    """The events older than OUTBOX_RETENTION_DAYS at ``now`` that every platform has
    taken and none may be sent again; deletes nothing. ``through_id`` stops before the
    first event at or after the cutoff (``_first_at_or_after``)."""
    days = ctx.settings.outbox_retention_days
    cutoff = now - timedelta(days=days)
    first_kept = _first_at_or_after(session, cutoff)
    through = taken_through(session, ctx)
    if first_kept is not None:
        through = min(through, first_kept - 1)
    if through <= 0:
        return OutboxPurgePlan(0, None, days)
    rows = session.execute(
        select(func.count()).select_from(OutboxEvent).where(*_purgeable(through, cutoff))
    ).scalar_one()
    return OutboxPurgePlan(rows, through if rows else None, days)


def purge_step(
    session: Session, ctx: Context, through_id: int, now: datetime
) -> tuple[int, dict[str, Any]]:
    """One batch of the events past retention at ``now`` (the purge's day), none after
    ``through_id`` (a retention report's) nor after what every platform has taken: how
    many went, and what its audit row says of them."""
    through = min(through_id, taken_through(session, ctx))
    cutoff = now - timedelta(days=ctx.settings.outbox_retention_days)
    return purge_batch(session, through, cutoff), {"through_id": through}


def purge_batch(session: Session, through_id: int, cutoff: datetime) -> int:
    """Delete up to ``BATCH`` of the events that occurred before ``cutoff``, none after
    ``through_id`` nor any that may be sent again, with the dead letters of theirs that
    were re-queued and delivered since; how many went (0: done). The conditions are read
    again in this statement: an event dead-lettered since stays."""
    ids = list(
        session.execute(
            select(OutboxEvent.id)
            .where(*_purgeable(through_id, cutoff))
            .order_by(OutboxEvent.id)
            .limit(BATCH)
        ).scalars()
    )
    if ids:
        session.execute(delete(DeadLetter).where(DeadLetter.event_id.in_(ids)))
        session.execute(delete(OutboxEvent).where(OutboxEvent.id.in_(ids)))
    return len(ids)


def taken_through(session: Session, ctx: Context) -> int:
    """The newest event no platform may still be sent as new: below every position in
    the database, every batch in flight, and 0 for a pushing platform of the file never
    pushed to. With none of these (nothing ever pushed, and the file names no pushing
    platform) every event; with a file that cannot be read (a platform in it may never
    have been pushed to), none."""
    try:
        platforms = load_platforms(ctx.settings.sync_platforms_file)
    except CatalogError:
        return 0
    positions = dict(
        session.execute(select(SyncPosition.platform_id, SyncPosition.last_event_id)).all()
    )
    bounds = list(positions.values())
    bounds += [first - 1 for first in session.execute(select(SyncBatch.first_event_id)).scalars()]
    bounds += [0 for p in platforms.values() if p.pushes and p.id not in positions]
    if bounds:
        return min(bounds)
    return session.execute(select(func.max(OutboxEvent.id))).scalar() or 0


def _first_at_or_after(session: Session, cutoff: datetime) -> int | None:
    """The id of the first event that occurred at or after ``cutoff`` (None: none did),
    found by halving the primary key's range, a few dozen index probes at any size: a
    scan for it would read every older event, and they pile up while the purge is off.
    Ids follow the time events were written, to within concurrent transactions; an
    event out of that order waits for the events written before it, and none goes early
    (the purge checks each event's own time)."""
    low, high = session.execute(select(func.min(OutboxEvent.id), func.max(OutboxEvent.id))).one()
    if high is None or _first_from(session, high).occurred_at < cutoff:
        return None
    while low < high:
        middle = (low + high) // 2
        if _first_from(session, middle).occurred_at < cutoff:
            low = middle + 1
        else:
            high = middle
    return int(_first_from(session, low).id)


def _first_from(session: Session, event_id: int) -> Any:
    """The first event at or after the id ``event_id`` (its id and time)."""
    return session.execute(
        select(OutboxEvent.id, OutboxEvent.occurred_at)
        .where(OutboxEvent.id >= event_id)
        .order_by(OutboxEvent.id)
        .limit(1)
    ).one()


def _purgeable(through_id: int, cutoff: datetime) -> tuple[Any, ...]:
    waiting_letters = select(DeadLetter.event_id).where(DeadLetter.requeued_at.is_(None))
    return (
        OutboxEvent.id <= through_id,
        OutboxEvent.occurred_at < cutoff,
        OutboxEvent.id.not_in(waiting_letters),
        OutboxEvent.id.not_in(select(Requeued.event_id)),
    )

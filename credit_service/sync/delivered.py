"""The outbox's retention: events every pushing platform has taken, kept
OUTBOX_RETENTION_DAYS after they occurred, then deleted.

The outbox grows by every filed, corrected and purged record, and a record event's
payload names its party (a natural person's name and resident ID): kept for ever, it
would hold personal data past the records' own retention (docs/retention.md) and grow
without end at a province's size (docs/scaling.md). An event is needed while a platform
may still be sent it: beyond a pushing platform's position, re-queued, or a dead letter
an operator may still re-queue. Past every position it is needed only for the daily
reconciliation of recent days and for tracing, which the retention days cover.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from credit_service.context import Context
from credit_service.sync.models import DeadLetter, OutboxEvent, Requeued, SyncPosition
from credit_service.sync.platforms import Platform, load_platforms

BATCH = 5_000  # events per delete statement


@dataclass(frozen=True)
class OutboxPurgePlan:
    """What an outbox purge at a moment would delete: ``rows`` events, none after
    ``through_id`` (None: nothing)."""

    rows: int
    through_id: int | None
    retention_days: int


def plan_of(session: Session, ctx: Context, now: datetime) -> OutboxPurgePlan:
    """``purge_plan`` with the context's platforms and OUTBOX_RETENTION_DAYS."""
    return purge_plan(
        session,
        load_platforms(ctx.settings.sync_platforms_file),
        now=now,
        retention_days=ctx.settings.outbox_retention_days,
    )


def purge_step(session: Session, ctx: Context, through_id: int) -> tuple[int, dict[str, Any]]:
    """One batch of the events past retention, none after ``through_id`` (a retention
    report's) nor after what every pushing platform has taken now: how many went, and
    what its audit row says of them."""
    platforms = load_platforms(ctx.settings.sync_platforms_file)
    through = min(through_id, _taken_through(session, platforms))
    cutoff = ctx.now() - timedelta(days=ctx.settings.outbox_retention_days)
    return purge_batch(session, through, cutoff), {"through_id": through}


def purge_plan(
    session: Session, platforms: dict[str, Platform], *, now: datetime, retention_days: int
) -> OutboxPurgePlan:
    """The events older than ``retention_days`` that every pushing platform has taken
    (its position is past them) and none may be sent again (no dead letter, no re-queue);
    deletes nothing."""
    cutoff = now - timedelta(days=retention_days)
    taken = _taken_through(session, platforms)
    through = session.execute(
        select(func.max(OutboxEvent.id)).where(
            OutboxEvent.id <= taken, OutboxEvent.occurred_at < cutoff
        )
    ).scalar()
    if through is None:
        return OutboxPurgePlan(0, None, retention_days)
    rows = session.execute(
        select(func.count()).select_from(OutboxEvent).where(*_purgeable(through, cutoff))
    ).scalar_one()
    return OutboxPurgePlan(rows, through, retention_days)


def purge_batch(session: Session, through_id: int, cutoff: datetime) -> int:
    """Delete up to ``BATCH`` of the events that occurred before ``cutoff``, none after
    ``through_id`` nor any that may be sent again; how many went (0: done). The
    conditions are read again in this statement: an event dead-lettered since stays."""
    ids = list(
        session.execute(
            select(OutboxEvent.id)
            .where(*_purgeable(through_id, cutoff))
            .order_by(OutboxEvent.id)
            .limit(BATCH)
        ).scalars()
    )
    if ids:
        session.execute(delete(OutboxEvent).where(OutboxEvent.id.in_(ids)))
    return len(ids)


def _taken_through(session: Session, platforms: dict[str, Platform]) -> int:
    """The newest event every pushing platform has taken (a platform never pushed to
    has taken none); with no pushing platform, every event (nothing will send them)."""
    pushing = [platform.id for platform in platforms.values() if platform.pushes]
    if not pushing:
        return session.execute(select(func.max(OutboxEvent.id))).scalar() or 0
    positions = dict(
        session.execute(
            select(SyncPosition.platform_id, SyncPosition.last_event_id).where(
                SyncPosition.platform_id.in_(pushing)
            )
        ).all()
    )
    return min(positions.get(platform_id, 0) for platform_id in pushing)


def _purgeable(through_id: int, cutoff: datetime) -> tuple[Any, ...]:
    return (
        OutboxEvent.id <= through_id,
        OutboxEvent.occurred_at < cutoff,
        OutboxEvent.id.not_in(select(DeadLetter.event_id)),
        OutboxEvent.id.not_in(select(Requeued.event_id)),
    )

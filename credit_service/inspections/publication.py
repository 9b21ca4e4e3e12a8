"""一公开 (D20): when an inspection's result goes public and when it leaves.

A result is recorded on the day its inspection is completed; it must be public within
``PUBLISH_WORKDAYS`` working days of that day (counted from the day after, D15) and stays
public ``PUBLIC_MONTHS`` months from its publication day (visible through the period's
last day, gone the next). The daily job publishes every recorded result not yet public,
so a result goes public the night after it is recorded; one still unpublished after its
due day is overdue, and the console lists it (a stopped scheduler, a failing job).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from credit_service.access import Actor
from credit_service.audit import services as audit
from credit_service.context import Context
from credit_service.entities import services as entity_services
from credit_service.entities.models import Entity
from credit_service.inspections.models import InspectionItem
from credit_service.tiers import services as tier_services
from credit_service.workdays import Deadline, add_months, period_end

PUBLISH_WORKDAYS = 20
PUBLIC_MONTHS = 36


def completed_on(ctx: Context, item: InspectionItem) -> date:
    """The day the inspection was completed: the local day its result was recorded."""
    if item.result_at is None:
        raise ValueError(f"inspection item {item.id} has no result")
    return item.result_at.astimezone(ctx.tz).date()


def due(ctx: Context, item: InspectionItem) -> Deadline:
    """The last day on which the result may go public (the 20th working day after)."""
    return ctx.calendar.add_workdays(completed_on(ctx, item), PUBLISH_WORKDAYS)


def public_until(published_on: date) -> date:
    """The last day a result published on ``published_on`` is shown (3 years, D15)."""
    return period_end(published_on, PUBLIC_MONTHS)


def published_since(today: date) -> date:
    """The earliest publication day still public today: the first day ``p`` with
    ``public_until(p) >= today`` (month ends make a plain subtraction a day off)."""
    day = add_months(today, -PUBLIC_MONTHS) - timedelta(days=2)
    while public_until(day) < today:
        day += timedelta(days=1)
    return day


def publish_due(ctx: Context, actor: Actor) -> int:
    """Publish every recorded result not yet public, dated today; each is audited.
    Returns how many went public (the daily job's summary)."""
    today = ctx.today()
    with ctx.session_factory.begin() as session:
        items = (
            session.execute(
                select(InspectionItem)
                .where(InspectionItem.outcome.is_not(None), InspectionItem.published_on.is_(None))
                .order_by(InspectionItem.id)
                .with_for_update()
            )
            .scalars()
            .all()
        )
        for item in items:
            item.published_on = today
            audit.append(
                session,
                actor=actor,
                action="inspection.publish",
                now=ctx.now(),
                object_type="inspection_item",
                object_id=item.id,
                details={"plan_id": item.plan_id, "due": due(ctx, item).due.isoformat()},
            )
        return len(items)


def overdue(ctx: Context, actor: Actor) -> list[dict[str, Any]]:
    """Recorded results in the caller's region that are still not public after their due
    day, longest overdue first: what the console shows to be published by hand or chased."""
    today = ctx.today()
    regions = entity_services.scope_regions(ctx, actor, None)
    query = (
        select(InspectionItem, Entity)
        .join(Entity, Entity.id == InspectionItem.entity_id)
        .where(InspectionItem.outcome.is_not(None), InspectionItem.published_on.is_(None))
        .order_by(InspectionItem.result_at, InspectionItem.id)
    )
    if regions is not None:
        query = query.where(Entity.region_code.in_(regions))
    with ctx.read_session_factory() as session:
        late = []
        for item, entity in session.execute(query):
            deadline = due(ctx, item)
            if deadline.due < today:
                late.append(
                    {
                        "plan_id": item.plan_id,
                        "item_id": item.id,
                        "entity": tier_services.entity_ref(entity),
                        "completed_on": completed_on(ctx, item),
                        "due": deadline.due,
                        "provisional": deadline.provisional,
                        "days_late": (today - deadline.due).days,
                    }
                )
        return late

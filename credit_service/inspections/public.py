"""一公开 (D20) as the public sees it: inspection plans from the day they are drawn, and
each inspection's result from its publication for 3 years (``publication``).

A plan shows what makes it reproducible (region, period, domain, seed, the population's
size and digest, the sampling ratio per tier: a rule, not anyone's tier) and how many
units it drew, never which units or their tiers (D1). A result shows the unit, the day
it was inspected, the finding and the follow-up, as codes the pages and downloads word;
a natural person by the masked name alone, with no identifier (D12), and never found by
name or ID number (that would confirm who they are).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from credit_service.context import Context
from credit_service.entities import rules as entity_rules
from credit_service.entities.models import Entity
from credit_service.entities.rules import masked_identity
from credit_service.inspections.models import InspectionItem, InspectionPlan
from credit_service.inspections.publication import completed_on, public_until, published_since
from credit_service.pagination import Page, cursor_int, page_by_id

PLAN_COLUMNS = (
    "id",
    "region",
    "period_start",
    "period_end",
    "domain",
    "drawn_on",
    "seed",
    "population",
    "population_digest",
    "sampling_ratios",
    "units",
)
RESULT_COLUMNS = (
    "id",
    "plan_id",
    "name",
    "uscc",
    "region",
    "inspected_on",
    "outcome",
    "follow_up",
    "published_on",
    "public_until",
)


@dataclass(frozen=True)
class ResultFilters:
    entity: str | None = None  # an organisation's name (part) or USCC
    plan: int | None = None
    region: str | None = None


def search_plans(
    ctx: Context, *, region: str | None = None, cursor: str | None = None, limit: int = 20
) -> Page[dict[str, Any]]:
    """Plans, newest first (every plan is public from the moment it is drawn)."""
    units = (
        select(InspectionItem.plan_id, func.count().label("units"))
        .group_by(InspectionItem.plan_id)
        .subquery()
    )
    query = (
        select(InspectionPlan, units.c.units)
        .outerjoin(units, units.c.plan_id == InspectionPlan.id)
        .order_by(InspectionPlan.id.desc())
        .limit(limit + 1)
    )
    if region:
        query = query.where(InspectionPlan.region_code == region)
    after = cursor_int(cursor)
    if after is not None:
        query = query.where(InspectionPlan.id < after)
    with ctx.replica_session_factory() as session:
        rows = [plan_view(ctx, plan, count or 0) for plan, count in session.execute(query)]
    return page_by_id(rows, limit, lambda p: p["id"])


def plan_view(ctx: Context, plan: InspectionPlan, units: int) -> dict[str, Any]:
    measures = plan.parameters.get("measures", {})
    return {
        "id": plan.id,
        "region_code": plan.region_code,
        "region": ctx.catalogs.region_name(plan.region_code),
        "period_start": plan.period_start,
        "period_end": plan.period_end,
        "domain": plan.domain,
        "drawn_on": plan.created_at.astimezone(ctx.tz).date(),
        "seed": plan.seed,
        "population": plan.parameters.get("population", 0),
        "population_digest": plan.population_digest,
        "sampling_ratios": {
            tier: m["sampling_ratio"] if m.get("proactive_inspection") else 0.0
            for tier, m in sorted(measures.items())
        },
        "units": units,
    }


def search_results(
    ctx: Context, filters: ResultFilters, *, cursor: str | None = None, limit: int = 20
) -> Page[dict[str, Any]]:
    """Public results, the latest first."""
    query = _results(ctx, filters).order_by(InspectionItem.id.desc()).limit(limit + 1)
    after = cursor_int(cursor)
    if after is not None:
        query = query.where(InspectionItem.id < after)
    with ctx.replica_session_factory() as session:
        rows = [result_view(ctx, item, entity) for item, entity in session.execute(query)]
    return page_by_id(rows, limit, lambda r: r["id"])


def download_results(
    ctx: Context, filters: ResultFilters, *, batch: int = 1_000
) -> Iterator[dict[str, Any]]:
    """Every public result, in id order, read in batches (streamed downloads)."""
    after = 0
    while True:
        query = _results(ctx, filters).where(InspectionItem.id > after)
        with ctx.replica_session_factory() as session:
            rows = session.execute(query.order_by(InspectionItem.id).limit(batch)).all()
            views = [result_view(ctx, item, entity) for item, entity in rows]
        if not views:
            return
        yield from views
        after = views[-1]["id"]


def download_plans(ctx: Context, *, region: str | None = None) -> Iterator[dict[str, Any]]:
    """Every plan, newest first, a page at a time."""
    cursor: str | None = None
    while True:
        page = search_plans(ctx, region=region, cursor=cursor, limit=500)
        yield from page.items
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def _results(ctx: Context, filters: ResultFilters) -> Any:
    today = ctx.today()
    query = (
        select(InspectionItem, Entity)
        .join(Entity, Entity.id == InspectionItem.entity_id)
        .where(
            InspectionItem.outcome.is_not(None),
            InspectionItem.published_on <= today,
            InspectionItem.published_on >= published_since(today),
        )
    )
    if filters.plan is not None:
        query = query.where(InspectionItem.plan_id == filters.plan)
    if filters.region and filters.region != ctx.catalogs.city.code:
        query = query.where(Entity.region_code == filters.region)
    if filters.entity:
        text = filters.entity.strip()
        # organisations only: a natural person is never found by name or ID number
        query = query.where(
            Entity.kind != "natural_person",
            (Entity.identifier == entity_rules.lookup_key(text))
            | Entity.name.contains(text, autoescape=True),
        )
    return query


def result_view(ctx: Context, item: InspectionItem, entity: Entity) -> dict[str, Any]:
    """A result's public fields: nothing of a natural person but the masked name."""
    if item.published_on is None:  # the queries read published results only
        raise ValueError(f"inspection item {item.id} is not published")
    person = entity.kind == "natural_person"
    return {
        "id": item.id,
        "plan_id": item.plan_id,
        "name": masked_identity(entity)["name"],
        "kind": entity.kind,
        "uscc": None if person else entity.identifier,
        "region_code": entity.region_code,
        "region": ctx.catalogs.region_name(entity.region_code),
        "inspected_on": completed_on(ctx, item),
        "outcome": item.outcome,
        "follow_up": follow_up(item),
        "published_on": item.published_on,
        "public_until": public_until(item.published_on),
    }


def follow_up(item: InspectionItem) -> str:
    """What followed the finding, as a code the pages word."""
    if item.outcome == "problems_found":
        return "record_filed" if item.record_id else "rectification"
    if item.outcome == "not_found_at_address":
        return "address_unreachable"
    return "none"

"""Inspection plans (双随机、一公开): a reproducible draw of entities per tier at the
tier's ratio, two inspectors each, the plans a region may open and their CSV export."""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from credit_service.access import Actor
from credit_service.audit import services as audit
from credit_service.context import Context
from credit_service.entities import rules as entity_rules
from credit_service.entities import services as entity_services
from credit_service.entities.models import Entity
from credit_service.errors import InvalidInput, NotFound
from credit_service.inspections import rules
from credit_service.inspections.models import (
    InspectionItem,
    InspectionPlan,
    Inspector,
    InspectorConflict,
)
from credit_service.records.models import CreditRecord
from credit_service.tiers import services as tier_services
from credit_service.tiers.models import TierAssignment


def create_plan(
    ctx: Context,
    actor: Actor,
    *,
    region: str,
    period_start: date,
    period_end: date,
    seed: str | None = None,
    domain: str | None = None,
    triggered: Sequence[str] = (),
    request_key: str | None = None,
) -> dict[str, Any]:
    """Draw a plan: entities per tier at the tier's ratio, two inspectors each. The same
    ``request_key`` from the same person again returns the plan already drawn.

    :raises InvalidInput: a bad period; :raises Forbidden: a region outside the scope.
    """
    if period_end < period_start:
        raise InvalidInput(
            "period-reversed",
            errors={"period_end": [{"code": "date-before", "day": period_start.isoformat()}]},
        )
    regions = entity_services.scope_regions(ctx, actor, region)
    seed = seed or secrets.token_hex(8)
    with ctx.session_factory.begin() as session:
        drawn = _drawn_for(session, actor, request_key)
        if drawn is not None:
            return _plan_view(session, drawn)
        current = tier_services.current_rule_set(session, ctx)
        if current is None:
            raise NotFound("no-tier-rules")
        candidates = _population(session, regions, domain)
        triggered_ids = _triggered_ids(session, triggered, regions)
        drawn = rules.draw_entities(
            candidates,
            current[1].measures,
            seed=seed,
            fraction=rules.period_fraction(period_start, period_end),
            triggered=triggered_ids,
        )
        plan = InspectionPlan(
            region_code=region,
            period_start=period_start,
            period_end=period_end,
            seed=seed,
            domain=domain,
            rule_set_id=current[0],
            created_by=actor.username,
            created_at=ctx.now(),
            population_digest=rules.population_digest(candidates),
            request_key=request_key,
            parameters={
                "triggered": sorted(triggered_ids),
                "population": len(candidates),
                "population_by_tier": dict(sorted(Counter(c.tier for c in candidates).items())),
                "measures": {t: m.__dict__ for t, m in current[1].measures.items()},
            },
        )
        session.add(plan)
        session.flush()
        _add_items(session, plan, drawn, seed)
        audit.append(
            session,
            actor=actor,
            action="inspection.plan",
            now=ctx.now(),
            object_type="inspection_plan",
            object_id=plan.id,
            details={"items": len(drawn), "seed": seed},
        )
        return _plan_view(session, plan)


def _drawn_for(session: Session, actor: Actor, request_key: str | None) -> InspectionPlan | None:
    if request_key is None:
        return None
    return session.execute(
        select(InspectionPlan).where(
            InspectionPlan.created_by == actor.username,
            InspectionPlan.request_key == request_key,
        )
    ).scalar_one_or_none()


def _population(
    session: Session, regions: list[str] | None, domain: str | None
) -> list[rules.Candidate]:
    query = (
        select(Entity.id, TierAssignment.tier, Entity.region_code)
        .join(TierAssignment, TierAssignment.entity_id == Entity.id)
        .where(Entity.status == "active")
    )
    if regions is not None:
        query = query.where(Entity.region_code.in_(regions))
    if domain:
        query = query.where(
            Entity.id.in_(select(CreditRecord.entity_id).where(CreditRecord.domain == domain))
        )
    return [rules.Candidate(i, t, r) for i, t, r in session.execute(query)]


def _triggered_ids(
    session: Session, triggered: Sequence[str], regions: list[str] | None
) -> frozenset[int]:
    """The triggered entities' ids; one unknown or outside the plan's region is an error,
    never silently dropped (a complaint must not go uninspected unnoticed)."""
    keys = {entity_rules.lookup_key(t): t for t in triggered}
    if not keys:
        return frozenset()
    found = dict(
        session.execute(
            select(Entity.identifier, Entity.id)
            .where(Entity.identifier.in_(list(keys)))
            .where(Entity.region_code.in_(regions) if regions is not None else true())
        ).all()
    )
    missing = [raw for key, raw in keys.items() if key not in found]
    if missing:
        raise InvalidInput(
            "triggered-not-found",
            identifiers=missing,
            errors={
                "triggered": [{"code": "entity-not-in-region", "identifier": i} for i in missing]
            },
        )
    return frozenset(found.values())


def _add_items(
    session: Session, plan: InspectionPlan, drawn: list[tuple[rules.Candidate, bool]], seed: str
) -> None:
    officers = [
        rules.Officer(i.id, i.office_region)
        for i in session.execute(select(Inspector).where(Inspector.active)).scalars()
    ]
    conflicts: dict[int, set[int]] = {}
    for inspector_id, entity_id in session.execute(
        select(InspectorConflict.inspector_id, InspectorConflict.entity_id)
    ):
        conflicts.setdefault(entity_id, set()).add(inspector_id)
    for position, (candidate, was_triggered) in enumerate(drawn, start=1):
        inspectors = rules.draw_inspectors(
            candidate, officers, frozenset(conflicts.get(candidate.entity_id, ())), seed=seed
        )
        session.add(
            InspectionItem(
                plan_id=plan.id,
                position=position,
                entity_id=candidate.entity_id,
                tier=candidate.tier,
                triggered=was_triggered,
                inspector_ids=inspectors,
            )
        )
    session.flush()


def list_plans(ctx: Context, actor: Actor, *, limit: int = 100) -> list[dict[str, Any]]:
    """The plans the caller may open, newest first, each with its progress (items drawn,
    results recorded) counted in the database, so a list of plans loads no items.

    The scope is the one ``get_plan`` enforces: a county account sees its county's plans
    only, not a city-wide plan, which covers other counties' entities too.
    """
    regions = entity_services.scope_regions(ctx, actor, None)
    progress = (
        select(
            InspectionItem.plan_id,
            func.count().label("drawn"),
            func.count(InspectionItem.outcome).label("recorded"),
        )
        .group_by(InspectionItem.plan_id)
        .subquery()
    )
    query = (
        select(InspectionPlan, progress.c.drawn, progress.c.recorded)
        .outerjoin(progress, progress.c.plan_id == InspectionPlan.id)
        .order_by(InspectionPlan.id.desc())
        .limit(limit)
    )
    if regions is not None:
        query = query.where(InspectionPlan.region_code.in_(regions))
    with ctx.read_session_factory() as session:
        return [
            {**_plan_summary(plan), "items": items or 0, "results": results or 0}
            for plan, items, results in session.execute(query)
        ]


def get_plan(ctx: Context, actor: Actor, plan_id: int) -> dict[str, Any]:
    with ctx.read_session_factory() as session:
        plan = plan_in_scope(session, actor, plan_id)
        return _plan_view(session, plan)


def plan_in_scope(session: Session, actor: Actor, plan_id: int) -> InspectionPlan:
    plan = session.get(InspectionPlan, plan_id)
    if plan is None:
        raise NotFound("plan-not-found", plan_id=plan_id)
    actor.ensure_region(plan.region_code)
    return plan


def _plan_summary(plan: InspectionPlan) -> dict[str, Any]:
    """What a plan is, as listed and as shown in full."""
    return {
        "id": plan.id,
        "region_code": plan.region_code,
        "period_start": plan.period_start,
        "period_end": plan.period_end,
        "seed": plan.seed,
        "domain": plan.domain,
        "population": plan.parameters["population"],
        "created_by": plan.created_by,
        "created_at": plan.created_at,
    }


def _plan_view(session: Session, plan: InspectionPlan) -> dict[str, Any]:
    return {
        **_plan_summary(plan),
        "population_by_tier": plan.parameters.get("population_by_tier", {}),
        "population_digest": plan.population_digest,
        "items": list(item_views(session, plan.id)),
    }


def item_views(session: Session, plan_id: int) -> Iterator[dict[str, Any]]:
    names = dict(session.execute(select(Inspector.id, Inspector.name)).all())
    rows = session.execute(
        select(InspectionItem, Entity)
        .join(Entity, Entity.id == InspectionItem.entity_id)
        .where(InspectionItem.plan_id == plan_id)
        .order_by(InspectionItem.position)
    ).all()
    for item, entity in rows:
        ref = tier_services.entity_ref(entity)
        yield {
            "id": item.id,
            "position": item.position,
            "entity": ref,
            "tier": item.tier,
            "triggered": item.triggered,
            "inspectors": [{"id": i, "name": names.get(i)} for i in item.inspector_ids],
            "outcome": item.outcome,
            "note": item.note,
            "result_at": item.result_at,
            "record_id": item.record_id,
            "inspector_shortage": len(item.inspector_ids) < 2,
        }


EXPORT_COLUMNS = (
    "position",
    "identifier",
    "name",
    "region_code",
    "tier",
    "triggered",
    "inspector_1",
    "inspector_2",
    "outcome",
)


def export_rows(ctx: Context, actor: Actor, plan_id: int) -> list[list[Any]]:
    """A plan's items as CSV rows; the export is audited (who, which plan, how many rows).

    :raises NotFound, Forbidden: no such plan, or one outside the caller's region.
    """
    plan = get_plan(ctx, actor, plan_id)
    with ctx.session_factory.begin() as session:
        audit.append(
            session,
            actor=actor,
            action="inspection.export",
            now=ctx.now(),
            object_type="inspection_plan",
            object_id=plan_id,
            details={"region": plan["region_code"], "rows": len(plan["items"])},
        )
    return [
        [
            i["position"],
            i["entity"]["identifier"],
            i["entity"]["name"],
            i["entity"]["region_code"],
            i["tier"],
            "是" if i["triggered"] else "否",
            *[(x["name"] or "") for x in i["inspectors"]][:2],
            *[""] * (2 - len(i["inspectors"][:2])),
            i["outcome"] or "",
        ]
        for i in plan["items"]
    ]

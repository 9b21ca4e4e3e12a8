"""Tiers of an area: the count per tier and the streamed export of every entity's tier."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import func, select

from credit_service.access import Actor
from credit_service.audit import services as audit
from credit_service.context import Context
from credit_service.entities import services as entity_services
from credit_service.entities.models import Entity
from credit_service.tiers import repository
from credit_service.tiers.definitions import TIER_CODES
from credit_service.tiers.models import TierAssignment
from credit_service.tiers.services import entity_ref


def summary(
    ctx: Context, actor: Actor, *, region: str | None = None, industry: str | None = None
) -> dict[str, Any]:
    """Entities per tier in an area (within the caller's scope)."""
    regions = entity_services.scope_regions(ctx, actor, region)
    with ctx.read_session_factory() as session:
        counts = repository.tier_counts(session=session, regions=regions, industry=industry)
    return {
        "region": region or actor.region_code or ctx.catalogs.city.code,
        "industry": industry,
        "counts": {t: counts.get(t, 0) for t in TIER_CODES},
        "total": sum(counts.values()),
    }


EXPORT_COLUMNS = (
    "identifier",
    "name",
    "kind",
    "region_code",
    "industry",
    "tier",
    "since",
    "rule_id",
)


def export_rows(
    ctx: Context,
    actor: Actor,
    *,
    region: str | None = None,
    industry: str | None = None,
    batch: int = 5_000,
) -> Iterator[list[Any]]:
    """Rows of an area's entities with their tiers, streamed in id order.

    The scope is checked and the export audited (who, which area, how many rows) here,
    before the first row is read: a refusal is then a 403, not a download broken midway,
    and an export cut short by the client is recorded all the same.

    :raises Forbidden: a region outside the caller's scope.
    """
    regions = entity_services.scope_regions(ctx, actor, region)
    filters = []
    if regions is not None:
        filters.append(Entity.region_code.in_(regions))
    if industry:
        filters.append(Entity.industry == industry)
    with ctx.session_factory.begin() as session:
        count = session.execute(select(func.count(Entity.id)).where(*filters)).scalar_one()
        audit.append(
            session,
            actor=actor,
            action="tiers.export",
            now=ctx.now(),
            object_type="tiers",
            details={"region": region, "industry": industry, "rows": count},
        )
    return _tier_rows(ctx, filters, batch)


def _tier_rows(ctx: Context, filters: list[Any], batch: int) -> Iterator[list[Any]]:
    """The export's rows, read in batches so a whole city never sits in memory."""
    after = 0
    while True:
        query = (
            select(Entity, TierAssignment)
            .outerjoin(TierAssignment, TierAssignment.entity_id == Entity.id)
            .where(Entity.id > after, *filters)
            .order_by(Entity.id)
            .limit(batch)
        )
        with ctx.read_session_factory() as session:
            rows = session.execute(query).all()
        if not rows:
            return
        for entity, assignment in rows:
            ref = entity_ref(entity)
            yield [
                ref["identifier"],
                ref["name"],
                entity.kind,
                entity.region_code,
                entity.industry or "",
                assignment.tier if assignment else "",
                assignment.since if assignment else "",
                assignment.rule_id if assignment else "",
            ]
        after = rows[-1][0].id

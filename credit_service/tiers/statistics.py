"""Tier statistics for the console: how many entities sit in each tier, by district and by
industry, within the caller's region.

The stored tiers are counted (the same numbers as ``GET /api/v1/tiers/summary``): they
are recomputed with every change and nightly, and counting them is one grouped query
however large the city, where deciding every entity afresh would not be.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select

from credit_service.access import Actor
from credit_service.context import Context
from credit_service.entities import services as entity_services
from credit_service.entities.models import Entity
from credit_service.tiers.definitions import TIER_CODES
from credit_service.tiers.models import TierAssignment


@dataclass(frozen=True)
class TierCounts:
    """Entities per tier for one region or industry (``key`` None: industry not recorded)."""

    key: str | None
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class TierDistribution:
    by_region: tuple[TierCounts, ...]
    by_industry: tuple[TierCounts, ...]
    totals: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.totals.values())


def tier_distribution(ctx: Context, actor: Actor) -> TierDistribution:
    """Entities per tier in the caller's region: by region (every district of the scope,
    empty ones included, so a quiet county shows as zero rather than missing), by
    industry (those present, in catalog order, unrecorded last) and in total."""
    regions = entity_services.scope_regions(ctx, actor, None)
    query = (
        select(Entity.region_code, Entity.industry, TierAssignment.tier, func.count())
        .join(TierAssignment, TierAssignment.entity_id == Entity.id)
        .group_by(Entity.region_code, Entity.industry, TierAssignment.tier)
    )
    if regions is not None:
        query = query.where(Entity.region_code.in_(regions))
    with ctx.read_session_factory() as session:
        rows = session.execute(query).all()
    by_region: dict[str | None, Counter[str]] = {c: Counter() for c in _districts(ctx, regions)}
    by_industry: dict[str | None, Counter[str]] = {}
    totals: Counter[str] = Counter()
    for region, industry, tier, count in rows:
        by_region.setdefault(region, Counter())[tier] += count
        by_industry.setdefault(industry, Counter())[tier] += count
        totals[tier] += count
    region_order = [ctx.catalogs.city.code, *(r.code for r in ctx.catalogs.regions)]
    industry_order = list(ctx.catalogs.industries)
    return TierDistribution(
        by_region=_rows(by_region, region_order),
        by_industry=_rows(by_industry, industry_order),
        totals=_complete(totals),
    )


def _districts(ctx: Context, regions: list[str] | None) -> list[str]:
    """The districts a scope covers: all of them for the city, else the scope's own."""
    return [r.code for r in ctx.catalogs.regions] if regions is None else regions


def _rows(groups: Mapping[str | None, Counter[str]], order: list[str]) -> tuple[TierCounts, ...]:
    """One row per key in catalog order; an unknown or missing code goes last."""

    def position(key: str | None) -> tuple[int, str]:
        return (order.index(key) if key in order else len(order), key or "")

    return tuple(TierCounts(key, _complete(groups[key])) for key in sorted(groups, key=position))


def _complete(counts: Counter[str]) -> dict[str, int]:
    """Every tier, in order, zero when none."""
    return {tier: counts.get(tier, 0) for tier in TIER_CODES}

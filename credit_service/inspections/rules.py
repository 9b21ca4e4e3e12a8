"""The random draws of an inspection plan: entities per tier, then two inspectors each.

Pure and reproducible: every draw uses ``random.Random`` seeded with a string made of the
plan's seed and what is drawn, over populations sorted by id, so anyone with the seed and
the same inputs repeats the plan exactly (the algorithm is documented in docs/tiers.md).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from credit_service.tiers.definitions import TierMeasures


@dataclass(frozen=True)
class Candidate:
    """An entity that may be drawn."""

    entity_id: int
    tier: str
    region_code: str


@dataclass(frozen=True)
class Officer:
    """An inspector who may be drawn."""

    inspector_id: int
    office_region: str


def period_fraction(start: date, end: date) -> float:
    """The share of a year the plan covers (yearly ratios scale with it, capped at 1)."""
    return min(1.0, ((end - start).days + 1) / 365)


def sample_size(population: int, ratio: float, fraction: float) -> int:
    return min(population, round(population * ratio * fraction))


def draw_entities(
    candidates: Sequence[Candidate],
    measures: dict[str, TierMeasures],
    *,
    seed: str,
    fraction: float,
    triggered: frozenset[int] = frozenset(),
) -> list[tuple[Candidate, bool]]:
    """(candidate, triggered?) pairs: per tier a seeded sample at the tier's ratio; tiers
    without proactive inspection contribute only triggered entities, which are always in."""
    drawn: list[tuple[Candidate, bool]] = []
    for tier in sorted(measures):
        pool = sorted((c for c in candidates if c.tier == tier), key=lambda c: c.entity_id)
        rule = measures[tier]
        if rule.proactive_inspection:
            rng = random.Random(f"{seed}:entities:{tier}")  # nosec B311  # replayable from the seed
            chosen = rng.sample(pool, sample_size(len(pool), rule.sampling_ratio, fraction))
        else:
            chosen = []
        chosen_ids = {c.entity_id for c in chosen}
        extra = [c for c in pool if c.entity_id in triggered and c.entity_id not in chosen_ids]
        drawn.extend(
            (c, c.entity_id in triggered) for c in sorted(chosen + extra, key=lambda c: c.entity_id)
        )
    return drawn


def draw_inspectors(
    entity: Candidate,
    officers: Sequence[Officer],
    conflicts: frozenset[int],
    *,
    seed: str,
    per_inspection: int = 2,
) -> list[int]:
    """Inspectors for one entity: never one with a declared conflict, and none from the
    entity's own county office while enough others are available (D3)."""
    rng = random.Random(f"{seed}:inspectors:{entity.entity_id}")  # nosec B311  # replayable draw
    allowed = sorted(
        (o for o in officers if o.inspector_id not in conflicts), key=lambda o: o.inspector_id
    )
    outside = [o for o in allowed if o.office_region != entity.region_code]
    local = [o for o in allowed if o.office_region == entity.region_code]
    first = rng.sample(outside, min(per_inspection, len(outside)))
    rest = rng.sample(local, min(per_inspection - len(first), len(local)))
    return [o.inspector_id for o in first + rest]


def population_digest(candidates: Sequence[Candidate]) -> str:
    """A fingerprint of the population drawn from, so a replay can prove it had the same."""
    text = "\n".join(
        f"{c.entity_id}:{c.tier}:{c.region_code}"
        for c in sorted(candidates, key=lambda c: c.entity_id)
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()

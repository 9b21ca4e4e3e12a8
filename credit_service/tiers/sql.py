"""The tier rules compiled to one SQL query: every entity's tier, set-based.

Each rule condition becomes a boolean over per-entity aggregates of its records, its
listings and its overrides; the rules become one CASE in rule order. ``rules.py``
evaluates the same rules for one entity in Python (with the reasons), and a test checks
both agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, case, exists, func, literal, or_, select, true

from credit_service.dishonesty.models import DishonestyCase
from credit_service.entities.models import Entity
from credit_service.records.models import CreditRecord
from credit_service.tiers.definitions import Condition, RuleSet, Scoring
from credit_service.tiers.models import TierOverride
from credit_service.tiers.rules import OVERRIDE_RULE, UNSCORED_STATUSES, within_cutoff

SCORE = "score"


def computed_tiers(
    rule_set: RuleSet, as_of: date, entity_ids: Sequence[int] | None = None
) -> Select[Any]:
    """SELECT entity_id, tier, rule_id for every entity (or the given ones) on ``as_of``."""
    flags, flag_columns = _record_flags(rule_set, as_of, entity_ids)
    listed = _listed(as_of)
    override = _override_tier(as_of)
    tier_case, rule_case = [], []
    for rule in rule_set.rules:
        condition = _condition(rule.when, flag_columns, listed, as_of)
        tier_case.append((condition, literal(rule.tier)))
        rule_case.append((condition, literal(rule.id)))
    query = (
        select(
            Entity.id.label("entity_id"),
            func.coalesce(override, case(*tier_case)).label("tier"),
            case((override.is_not(None), literal(OVERRIDE_RULE)), *rule_case).label("rule_id"),
        )
        .select_from(Entity)
        .outerjoin(flags, flags.c.entity_id == Entity.id)
    )
    if entity_ids is not None:
        query = query.where(Entity.id.in_(list(entity_ids)))
    return query


def _record_flags(
    rule_set: RuleSet, as_of: date, entity_ids: Sequence[int] | None
) -> tuple[Any, dict[str, Any]]:
    """A per-entity subquery with one 0/1 column per record clause used by the rules."""
    columns, names = [], {}
    for rule in rule_set.rules:
        for key, expression in _record_clauses(rule.when, as_of).items():
            if key not in names:
                names[key] = f"f{len(names)}"
                columns.append(func.max(case((expression, 1), else_=0)).label(names[key]))
    if rule_set.scoring and any(r.when.min_score is not None for r in rule_set.rules):
        names[SCORE] = SCORE
        columns.append(func.sum(_points(rule_set.scoring, as_of)).label(SCORE))
    query = select(CreditRecord.entity_id, *columns).group_by(CreditRecord.entity_id)
    if entity_ids is not None:
        query = query.where(CreditRecord.entity_id.in_(list(entity_ids)))
    subquery = query.subquery("flags")
    return subquery, {key: subquery.c[name] for key, name in names.items()}


def _record_clauses(condition: Condition, as_of: date) -> dict[str, Any]:
    clauses = {}
    if condition.active_record is not None:
        key = "active:" + ",".join(f"{k}={v}" for k, v in sorted(condition.active_record.items()))
        matches = [getattr(CreditRecord, k) == v for k, v in condition.active_record.items()]
        clauses[key] = and_(
            CreditRecord.status == "active", CreditRecord.publicity_end >= as_of, *matches
        )
    if condition.within_category is not None:
        cutoff = within_cutoff(as_of, condition.within_months or 0)
        key = f"within:{condition.within_category}:{condition.within_months}"
        clauses[key] = and_(
            CreditRecord.category == condition.within_category,
            CreditRecord.status != "revoked",
            CreditRecord.decision_date >= cutoff,
        )
    return clauses


def _points(scoring: Scoring, as_of: date) -> Any:
    """A record's points in hundredths (rules.record_points as one CASE): the first decay
    step that holds the record, the most specific weight key."""
    whens = []
    for months, factor in scoring.steps:
        recent = CreditRecord.decision_date >= within_cutoff(as_of, months)
        for category, severity, weight in scoring.weight_keys():
            match = [CreditRecord.category == category]
            if severity is not None:
                match.append(CreditRecord.severity == severity)
            whens.append((and_(recent, *match), weight * factor))
    counted = CreditRecord.status.not_in(UNSCORED_STATUSES)
    return case((~counted, 0), *whens, else_=0)


def _condition(condition: Condition, flags: dict[str, Any], listed: Any, as_of: date) -> Any:
    """All clauses of a rule; a rule without clauses (the default) always holds."""
    parts = [true()]
    if condition.listed is not None:
        parts.append(listed if condition.listed else ~listed)
    for key in _record_clauses(condition, as_of):
        flag = func.coalesce(flags[key], 0)
        parts.append(flag == 1 if key.startswith("active:") else flag == 0)
    if condition.min_score is not None:
        parts.append(func.coalesce(flags[SCORE], 0) >= condition.min_score)
    return and_(*parts)


def _listed(as_of: date) -> Any:
    return exists().where(
        DishonestyCase.entity_id == Entity.id,
        DishonestyCase.published_on.is_not(None),
        DishonestyCase.published_on <= as_of,
        or_(DishonestyCase.term_ends_on.is_(None), DishonestyCase.term_ends_on >= as_of),
        or_(DishonestyCase.removed_on.is_(None), DishonestyCase.removed_on > as_of),
    )


def _override_tier(as_of: date) -> Any:
    return (
        select(TierOverride.tier)
        .where(
            TierOverride.entity_id == Entity.id,
            TierOverride.revoked_at.is_(None),
            TierOverride.expires_on >= as_of,
        )
        .order_by(TierOverride.created_at.desc(), TierOverride.id.desc())
        .limit(1)
        .scalar_subquery()
    )

"""Tier rules: decide an entity's tier from its facts, say why, and say what would change it.

Pure functions: the facts, the rule set and the date are parameters. The same rules are
compiled to SQL in ``sql.py`` for set-based recomputation; a test checks the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from credit_service.tiers.definitions import Condition, Rule, RuleSet, Scoring
from credit_service.workdays import add_months

ONE_DAY = timedelta(days=1)
OVERRIDE_RULE = "override"
UNSCORED_STATUSES = ("revoked", "repaired")


@dataclass(frozen=True)
class RecordFact:
    """What a tier decision needs to know about one credit record."""

    id: int
    category: str
    severity: str | None
    domain: str
    item_code: str
    decision_date: date
    publicity_end: date | None
    status: str
    repair_from: date | None = None
    early_stop_allowed: bool = True
    repairable: bool = True

    def is_active(self, as_of: date) -> bool:
        """In publicity: not expired, repaired or revoked on ``as_of``."""
        return (
            self.status == "active"
            and self.publicity_end is not None
            and self.publicity_end >= as_of
        )


@dataclass(frozen=True)
class ListingFact:
    """One severe-dishonesty listing of the entity."""

    id: int
    published_on: date | None
    ends_on: date | None
    removed_on: date | None = None

    def in_force(self, as_of: date) -> bool:
        return (
            self.published_on is not None
            and self.published_on <= as_of
            and (self.ends_on is None or self.ends_on >= as_of)
            and (self.removed_on is None or self.removed_on > as_of)
        )


@dataclass(frozen=True)
class OverrideFact:
    """An administrator's manual tier, with its reason and expiry."""

    id: int
    tier: str
    reason: str
    expires_on: date
    created_by: str

    def in_force(self, as_of: date) -> bool:
        return as_of <= self.expires_on


@dataclass(frozen=True)
class EntityFacts:
    records: tuple[RecordFact, ...] = ()
    listings: tuple[ListingFact, ...] = ()
    overrides: tuple[OverrideFact, ...] = ()


@dataclass(frozen=True)
class Reason:
    """A rule that fired, and the records or listings behind it."""

    rule_id: str
    description: str
    record_ids: tuple[int, ...] = ()
    listing_ids: tuple[int, ...] = ()
    score: float | None = None


@dataclass(frozen=True)
class Decision:
    tier: str
    rule_id: str
    reasons: tuple[Reason, ...]


def decide(rule_set: RuleSet, facts: EntityFacts, as_of: date) -> Decision:
    """The tier on ``as_of``: an override in force, else the first rule that holds."""
    override = next((o for o in facts.overrides if o.in_force(as_of)), None)
    fired = next(r for r in rule_set.rules if _holds(r.when, rule_set, facts, as_of))
    reason = _reason(fired, rule_set, facts, as_of)
    if override is not None:
        note = Reason(
            OVERRIDE_RULE,
            f"人工调整：{override.reason}（至{override.expires_on}，{override.created_by}）",
        )
        return Decision(override.tier, OVERRIDE_RULE, (note, reason))
    return Decision(fired.tier, fired.id, (reason,))


def _holds(condition: Condition, rule_set: RuleSet, facts: EntityFacts, as_of: date) -> bool:
    if condition.listed is not None and condition.listed != bool(_listings(facts, as_of)):
        return False
    if condition.active_record is not None and not _active_matches(condition, facts, as_of):
        return False
    if condition.within_category is not None and _recent(condition, facts, as_of):
        return False
    if condition.min_score is not None:
        total, _ = score(rule_set.scoring, facts.records, as_of)
        return total >= condition.min_score
    return True


def score(
    scoring: Scoring | None, records: tuple[RecordFact, ...], as_of: date
) -> tuple[int, tuple[int, ...]]:
    """The entity's points on ``as_of`` in hundredths, and the records that contributed.

    Revoked and repaired records count nothing: a repair restores the entity's credit.
    """
    if scoring is None:
        return 0, ()
    total, contributing = 0, []
    for r in records:
        points = 0 if r.status in UNSCORED_STATUSES else record_points(scoring, r, as_of)
        if points:
            total += points
            contributing.append(r.id)
    return total, tuple(contributing)


def record_points(scoring: Scoring, record: RecordFact, as_of: date) -> int:
    """Weight times the factor of the first decay step whose period still holds it."""
    weight = scoring.weight(record.category, record.severity)
    for months, factor in scoring.steps:
        if record.decision_date >= within_cutoff(as_of, months):
            return weight * factor
    return 0


def _listings(facts: EntityFacts, as_of: date) -> list[ListingFact]:
    return [listing for listing in facts.listings if listing.in_force(as_of)]


def _active_matches(condition: Condition, facts: EntityFacts, as_of: date) -> list[RecordFact]:
    wanted = condition.active_record or {}
    return [
        r
        for r in facts.records
        if r.is_active(as_of) and all(getattr(r, key) == value for key, value in wanted.items())
    ]


def within_cutoff(as_of: date, months: int) -> date:
    """Records decided on or after this date are "within the last ``months``" on ``as_of``
    (a record counts through the end day of its period, D15)."""
    cutoff = add_months(as_of, -months)
    if add_months(cutoff, months) < as_of:  # as_of is a day the earlier month lacks (02-29)
        cutoff += ONE_DAY
    return cutoff


def _recent(condition: Condition, facts: EntityFacts, as_of: date) -> list[RecordFact]:
    cutoff = within_cutoff(as_of, condition.within_months or 0)
    return [
        r
        for r in facts.records
        if r.category == condition.within_category
        and r.status != "revoked"
        and r.decision_date >= cutoff
    ]


def _reason(rule: Rule, rule_set: RuleSet, facts: EntityFacts, as_of: date) -> Reason:
    records = (
        [r.id for r in _active_matches(rule.when, facts, as_of)] if rule.when.active_record else []
    )
    listings = _listings(facts, as_of) if rule.when.listed else []
    if rule.when.min_score is None:
        return Reason(rule.id, rule.description, tuple(records), tuple(x.id for x in listings))
    total, scored = score(rule_set.scoring, facts.records, as_of)
    return Reason(
        rule.id,
        f"{rule.description}（分值{total / 100:g}，不低于{rule.when.min_score / 100:g}）",
        tuple(dict.fromkeys([*records, *scored])),
        tuple(x.id for x in listings),
        score=total / 100,
    )


@dataclass(frozen=True)
class Change:
    """Something that would move the entity to another tier."""

    kind: str  # "time" (a date passes) or "repair" (a record is repaired)
    new_tier: str
    on: date | None = None
    record_id: int | None = None
    explanation: str = ""


def what_would_change(
    rule_set: RuleSet, facts: EntityFacts, as_of: date, *, horizon_years: int = 6
) -> list[Change]:
    """The next date on which the tier changes by itself, and repairs that would change it."""
    current = decide(rule_set, facts, as_of).tier
    changes = []
    moment = _next_change(rule_set, facts, as_of, current, horizon_years)
    if moment is not None:
        changes.append(moment)
    changes.extend(_repair_changes(rule_set, facts, as_of, current))
    return changes


def _next_change(
    rule_set: RuleSet, facts: EntityFacts, as_of: date, current: str, horizon_years: int
) -> Change | None:
    limit = add_months(as_of, 12 * horizon_years)
    for day, why in sorted(_turning_points(rule_set, facts, as_of).items()):
        if day > limit:
            break
        tier = decide(rule_set, facts, day).tier
        if tier != current:
            return Change(
                "time", tier, on=day, explanation=f"{day.isoformat()} 起{why}，调整为{tier}类"
            )
    return None


def _turning_points(rule_set: RuleSet, facts: EntityFacts, as_of: date) -> dict[date, str]:
    """Days on which some fact changes state, with what changes."""
    points: dict[date, str] = {}
    for r in facts.records:
        if r.is_active(as_of) and r.publicity_end is not None:
            points.setdefault(r.publicity_end + ONE_DAY, f"记录{r.id}公示期届满")
    for listing in _listings(facts, as_of):
        if listing.ends_on is not None:
            points.setdefault(listing.ends_on + ONE_DAY, f"名单{listing.id}期满移出")
    for o in facts.overrides:
        if o.in_force(as_of):
            points.setdefault(o.expires_on + ONE_DAY, "人工调整到期")
    for r in facts.records:
        for m in rule_set.window_months():
            day = add_months(r.decision_date, m) + ONE_DAY
            if day > as_of:
                points.setdefault(day, f"记录{r.id}已满{_age(m)}")
    return points


def _age(months: int) -> str:
    return f"{months // 12}年" if months % 12 == 0 else f"{months}个月"


def _repair_changes(
    rule_set: RuleSet, facts: EntityFacts, as_of: date, current: str
) -> list[Change]:
    changes = []
    for r in facts.records:
        if not (
            r.is_active(as_of)
            and r.category == "dishonest"
            and r.repair_from
            and r.early_stop_allowed
            and r.repairable
        ):
            continue
        repaired = replace(
            facts,
            records=tuple(
                replace(x, status="repaired") if x.id == r.id else x for x in facts.records
            ),
        )
        tier = decide(rule_set, repaired, as_of).tier
        if tier != current:
            changes.append(
                Change(
                    "repair",
                    tier,
                    on=max(r.repair_from, as_of),
                    record_id=r.id,
                    explanation=f"记录{r.id}经信用修复后调整为{tier}类（{r.repair_from}起可申请）",
                )
            )
    return changes

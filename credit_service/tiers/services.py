"""Tier use cases: apply a rule set, recompute (per write, nightly, in full).

The tiers area's face to the others; its views, lookups, reports and overrides are in
views.py, lookup.py, reports.py and overrides.py, which the web layer calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from credit_service import identifiers, masking
from credit_service.access import Actor
from credit_service.audit import services as audit
from credit_service.context import Context
from credit_service.entities.models import Entity
from credit_service.errors import CatalogError, InvalidInput, NotFound
from credit_service.tiers import repository, rules
from credit_service.tiers.current import current_rule_set
from credit_service.tiers.definitions import RuleSet, load_rule_set
from credit_service.tiers.models import (
    TierAssignment,
    TierChange,
    TierOverride,
    TierRuleSetVersion,
)
from credit_service.tiers.sql import computed_tiers


def file_rule_set(ctx: Context) -> RuleSet:
    """The rule set now in catalogs/tiers.yaml (read afresh: an operator may have edited
    it since start-up); it becomes current only when applied.

    :raises InvalidInput: the file is invalid (the message names the file and key).
    """
    try:
        return load_rule_set(ctx.settings.catalogs_dir / "tiers.yaml")
    except CatalogError as exc:
        raise InvalidInput("tier-rules-invalid", **exc.params) from exc


@dataclass(frozen=True)
class RecomputeResult:
    entities_considered: int | None
    changed: int
    rule_set: str
    as_of: date


def recompute_tiers(
    ctx: Context,
    actor: Actor,
    *,
    as_of: date | None = None,
    since: date | None = None,
    cause: str = "scheduled recompute",
) -> RecomputeResult:
    """Recompute in one set-based pass: every entity, or (``since`` given) only those
    whose time-based inputs changed state after ``since`` (the nightly job)."""
    as_of = as_of or ctx.today()
    with ctx.session_factory.begin() as session:
        current = current_rule_set(session, ctx)
        if current is None:
            raise NotFound("no-tier-rules")
        rule_set_id, rule_set = current
        ids = None if since is None else _time_event_entities(session, rule_set, since, as_of)
        changed = repository.recompute(
            session=session,
            rule_set=rule_set,
            rule_set_id=rule_set_id,
            as_of=as_of,
            now=ctx.now(),
            cause=cause,
            entity_ids=ids,
        )
        audit.append(
            session,
            actor=actor,
            action="tiers.recompute",
            now=ctx.now(),
            object_type="tiers",
            details={
                "as_of": as_of,
                "changed": changed,
                "considered": None if ids is None else len(ids),
            },
        )
        return RecomputeResult(
            None if ids is None else len(ids), changed, str(rule_set.label), as_of
        )


def _time_event_entities(
    session: Session, rule_set: RuleSet, since: date, as_of: date
) -> list[int]:
    ids = set(repository.entities_with_time_events(session=session, since=since, until=as_of))
    for months in rule_set.window_months():
        ids.update(
            repository.entities_with_records_decided_between(
                session=session,
                start=rules.within_cutoff(since, months),
                end=rules.within_cutoff(as_of, months),
            )
        )
    return sorted(ids)


@dataclass(frozen=True)
class Preview:
    rule_set: str
    as_of: date
    moves: list[dict[str, Any]]
    total_moving: int


def preview_rule_set(
    ctx: Context,
    *,
    as_of: date | None = None,
    candidate: RuleSet | None = None,
    by_rule: bool = False,
) -> Preview:
    """How many entities would move from which tier to which, by district and industry,
    under the candidate rules (default: the file) — nothing is written. ``by_rule`` also
    splits the moves by the candidate's rule that would decide the new tier (``rule``:
    why they move)."""
    candidate = candidate or file_rule_set(ctx)
    as_of = as_of or ctx.today()
    computed = computed_tiers(candidate, as_of).subquery("computed")
    old = func.coalesce(TierAssignment.tier, "-")
    keys = [Entity.region_code, Entity.industry, old, computed.c.tier]
    labels = [Entity.region_code, Entity.industry, old.label("old"), computed.c.tier.label("new")]
    if by_rule:
        keys.append(computed.c.rule_id)
        labels.append(computed.c.rule_id.label("rule"))
    query = (
        select(*labels, func.count().label("count"))
        .select_from(computed)
        .join(Entity, Entity.id == computed.c.entity_id)
        .outerjoin(TierAssignment, TierAssignment.entity_id == computed.c.entity_id)
        .where(old != computed.c.tier)
        .group_by(*keys)
        .order_by(*keys)
    )
    with ctx.read_session_factory() as session:
        moves = [dict(row._mapping) for row in session.execute(query)]
    return Preview(candidate.label, as_of, moves, sum(m["count"] for m in moves))


def apply_rule_set(
    ctx: Context,
    actor: Actor,
    *,
    candidate: RuleSet | None = None,
    as_of: date | None = None,
    reason: str | None = None,
) -> RecomputeResult:
    """Make the candidate rules (default: the file) current and recompute every entity;
    ``reason`` (why the rules change) goes into the audit trail."""
    candidate = candidate or file_rule_set(ctx)
    with ctx.session_factory.begin() as session:
        version = repository.find_version_by_hash(
            session=session, content_hash=candidate.content_hash
        )
        if version is None:
            version = TierRuleSetVersion(
                edition=candidate.edition,
                content_hash=candidate.content_hash,
                document=candidate.document,
            )
            session.add(version)
        version.applied_at, version.applied_by = ctx.now(), actor.username
        repository.make_current(session=session, version=version)
        audit.append(
            session,
            actor=actor,
            action="tiers.apply_rules",
            now=ctx.now(),
            object_type="tier_rule_set",
            object_id=version.id,
            details={"label": candidate.label, **({"reason": reason} if reason else {})},
        )
    return recompute_tiers(ctx, actor, as_of=as_of, cause=f"rule set {candidate.label} applied")


def entity_ref(entity: Any) -> dict[str, Any]:
    """An entity (or a row with its columns) as tier views show it; a natural person masked."""
    person = entity.kind == "natural_person"
    return {
        "identifier": identifiers.mask_resident_id(entity.identifier)
        if person
        else entity.identifier,
        "name": masking.mask_person_name(entity.name) if person else entity.name,
        "region_code": entity.region_code,
        "industry": entity.industry,
    }


def forget_entities(session: Session, entity_ids: list[int]) -> None:
    """Delete the tiers, tier history and overrides of entities about to be deleted (a
    natural person past retention, ``credit_service.retention``), inside the caller's
    transaction; the entities' own deletion is audited."""
    for model in (TierChange, TierOverride, TierAssignment):
        session.execute(delete(model).where(model.entity_id.in_(entity_ids)))

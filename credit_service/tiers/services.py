"""Tier use cases: apply a rule set, recompute (per write, nightly, in full), explain, query."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from credit_service import changes, identifiers
from credit_service.access import Actor
from credit_service.audit import services as audit
from credit_service.bulk import keys_in, keys_value
from credit_service.context import Context
from credit_service.db import reading
from credit_service.entities import lookups
from credit_service.entities import rules as entity_rules
from credit_service.entities import services as entity_services
from credit_service.entities.models import Entity
from credit_service.errors import CatalogError, InvalidInput, NotFound
from credit_service.tiers import repository, rules
from credit_service.tiers.current import current_rule_set
from credit_service.tiers.definitions import (
    TIER_CODES,
    RuleSet,
    load_rule_set,
)
from credit_service.tiers.models import TierAssignment, TierOverride, TierRuleSetVersion
from credit_service.tiers.sql import computed_tiers
from credit_service.workdays import add_months

LOOKUP_LIMIT = 1_000


@functools.cache
def lookup_query(dialect: str) -> Select:
    """The lookup's statement, built once per database kind and run at the Core level
    (lookups are the hottest read of the tier API): the identifiers go in one parameter,
    so the statement is the same for one identifier or a thousand."""
    return (
        select(
            Entity.id,
            Entity.identifier,
            Entity.name,
            Entity.kind,
            Entity.region_code,
            Entity.industry,
            TierAssignment.tier,
            TierAssignment.since,
            TierAssignment.rule_id,
        )
        .outerjoin(TierAssignment, TierAssignment.entity_id == Entity.id)
        .where(keys_in(dialect, Entity.identifier))
    )


def file_rule_set(ctx: Context) -> RuleSet:
    """The rule set now in catalogs/tiers.yaml (read afresh: an operator may have edited
    it since start-up); it becomes current only when applied.

    :raises InvalidInput: the file is invalid (the message names the file and key).
    """
    try:
        return load_rule_set(ctx.settings.catalogs_dir / "tiers.yaml")
    except CatalogError as exc:
        raise InvalidInput(exc.detail, code="tier-rules-invalid") from exc


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
            raise NotFound(
                "no tier rule set applied yet; run `flask tiers apply`", code="no-tier-rules"
            )
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
    ctx: Context, *, as_of: date | None = None, candidate: RuleSet | None = None
) -> Preview:
    """How many entities would move from which tier to which, by district and industry,
    under the candidate rules (default: the file) — nothing is written."""
    candidate = candidate or file_rule_set(ctx)
    as_of = as_of or ctx.today()
    computed = computed_tiers(candidate, as_of).subquery("computed")
    old = func.coalesce(TierAssignment.tier, "-")
    query = (
        select(
            Entity.region_code,
            Entity.industry,
            old.label("old"),
            computed.c.tier.label("new"),
            func.count().label("count"),
        )
        .select_from(computed)
        .join(Entity, Entity.id == computed.c.entity_id)
        .outerjoin(TierAssignment, TierAssignment.entity_id == computed.c.entity_id)
        .where(old != computed.c.tier)
        .group_by(Entity.region_code, Entity.industry, old, computed.c.tier)
        .order_by(Entity.region_code, Entity.industry, old, computed.c.tier)
    )
    with ctx.read_session_factory() as session:
        moves = [dict(row._mapping) for row in session.execute(query)]
    return Preview(candidate.label, as_of, moves, sum(m["count"] for m in moves))


def apply_rule_set(
    ctx: Context, actor: Actor, *, candidate: RuleSet | None = None, as_of: date | None = None
) -> RecomputeResult:
    """Make the candidate rules (default: the file) current and recompute every entity."""
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
            details={"label": candidate.label},
        )
    return recompute_tiers(ctx, actor, as_of=as_of, cause=f"rule set {candidate.label} applied")


def tier_view(ctx: Context, actor: Actor, identifier: str) -> dict[str, Any]:
    """The entity's tier, since when, under which rules, why, and what would change it.

    A tier whose inputs changed with time since it was stored (a publicity period ended
    overnight, before the nightly job ran) is refreshed first, so what is shown is always
    what is stored; only then does the read take a write transaction, and settles it
    (``changes.settle``) to show the refreshed tier before it commits.
    """
    today = ctx.today()
    with ctx.read_session_factory() as session:
        view = _tier_view(session, ctx, actor, identifier, today)
    if view is not None:
        return view
    with ctx.session_factory.begin() as session:
        entity = entity_services.entity_in_scope(session, actor, identifier)
        changes.record(session, changes.EntitiesChanged((entity.id,), "time passed"))
        changes.settle(session)
        view = _tier_view(session, ctx, actor, identifier, today)
    if view is None:
        raise NotFound("no tier rule set applied yet", code="no-tier-rules")
    return view


def _tier_view(
    session: Session, ctx: Context, actor: Actor, identifier: str, today: date
) -> dict[str, Any] | None:
    """The view, or None when the stored tier is missing or stale."""
    entity = entity_services.entity_in_scope(session, actor, identifier)
    current = current_rule_set(session, ctx)
    assignment = repository.find_assignment(session=session, entity_id=entity.id)
    if current is None or assignment is None or assignment.rule_set_id != current[0]:
        return None
    facts = repository.entity_facts(session=session, entity_id=entity.id)
    decision = rules.decide(current[1], facts, today)
    if (decision.tier, decision.rule_id) != (assignment.tier, assignment.rule_id):
        return None
    version = session.get(TierRuleSetVersion, assignment.rule_set_id)
    return {
        "entity": entity_ref(entity),
        "tier": assignment.tier,
        "tier_name": current[1].names[assignment.tier],
        "since": assignment.since,
        "rule_id": assignment.rule_id,
        "rule_set": version.label,
        "computed_at": assignment.computed_at,
        "reasons": [r.__dict__ for r in decision.reasons],
        "would_change": [c.__dict__ for c in rules.what_would_change(current[1], facts, today)],
        "measures": current[1].measures[assignment.tier].__dict__,
    }


def tier_history(ctx: Context, actor: Actor, identifier: str) -> list[dict[str, Any]]:
    """Every change of the entity's tier, oldest first."""
    with ctx.read_session_factory() as session:
        entity = entity_services.entity_in_scope(session, actor, identifier)
        labels = {v.id: v.label for v in session.execute(select(TierRuleSetVersion)).scalars()}
        return [
            {
                "old_tier": c.old_tier,
                "new_tier": c.new_tier,
                "rule_id": c.rule_id,
                "cause": c.cause,
                "changed_at": c.changed_at,
                "effective_on": c.effective_on,
                "rule_set": labels.get(c.rule_set_id),
            }
            for c in repository.list_changes(session=session, entity_id=entity.id)
        ]


def lookup(
    ctx: Context, actor: Actor, wanted: Sequence[str], purpose: str | None = None
) -> list[dict[str, Any]]:
    """Tiers of up to 1,000 entities; unknown or out-of-scope ones are reported per item.

    Natural persons are found as ``lookups`` allows (D12): by a role that sees them
    masked, only with a purpose and within its daily limit, each lookup audited; by
    the others, each one found audited.

    :raises InvalidInput: a masking role's resident IDs without a purpose;
    :raises LimitExceeded: beyond its daily lookups.
    """
    if len(wanted) > LOOKUP_LIMIT:
        raise InvalidInput(
            f"at most {LOOKUP_LIMIT} identifiers per call; 单次最多{LOOKUP_LIMIT}个",
            errors={"identifiers": [f"at most {LOOKUP_LIMIT}"]},
        )
    keys = [entity_rules.lookup_key(i) for i in wanted]
    persons = set() if lookups.may_unmask(actor) else {k for k in keys if lookups.is_person_key(k)}
    if persons:
        found = _person_lookups(ctx, actor, keys, persons, purpose)
    else:
        with reading(ctx.read_session_factory) as connection:
            found = _lookup_rows(connection, keys)
        _record_persons_found(ctx, actor, found.values())
    return [_lookup_item(actor, raw, found.get(key)) for raw, key in zip(wanted, keys, strict=True)]


def _lookup_rows(connection: Any, keys: list[str]) -> dict[str, Any]:
    dialect = connection.dialect.name
    rows = connection.execute(lookup_query(dialect), {"keys": keys_value(dialect, set(keys))})
    return {row.identifier: row for row in rows}


def _person_lookups(
    ctx: Context, actor: Actor, keys: list[str], persons: set[str], purpose: str | None
) -> dict[str, Any]:
    """A masking role's lookup naming resident IDs: admitted before the read, each
    resident ID recorded after it, found or not."""
    with ctx.session_factory.begin() as session:
        lookups.admit(session, ctx, actor, persons, purpose)
        found = _lookup_rows(session.connection(), keys)
        for key in sorted(persons):
            person = lookups.visible(actor, found.get(key))
            lookups.record_lookup(
                session, ctx, actor, key, person, purpose=purpose, channel="tiers.lookup"
            )
    return found


def _record_persons_found(ctx: Context, actor: Actor, rows: Any) -> None:
    """Audit the natural persons a lookup by an unmasking role returns."""
    shown = [
        row
        for row in rows
        if row.kind == lookups.NATURAL_PERSON and actor.covers_region(row.region_code)
    ]
    if shown:
        with ctx.session_factory.begin() as session:
            lookups.record_returned(session, ctx, actor, shown, action="tiers.lookup", details={})


def _lookup_item(actor: Actor, raw: str, row: Any) -> dict[str, Any]:
    row = lookups.visible(actor, row)
    if row is None:
        return {"identifier": raw, "found": False, "error": "not found; 未找到该主体"}
    if not actor.covers_region(row.region_code):
        return {"identifier": raw, "found": False, "error": "outside your region; 超出辖区"}
    return {
        "identifier": raw,
        "found": True,
        "entity": entity_ref(row),
        "tier": row.tier,
        "since": row.since,
        "rule_id": row.rule_id,
    }


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


def set_override(
    ctx: Context, actor: Actor, identifier: str, *, tier: str, reason: str, expires_on: date
) -> dict[str, Any]:
    """Set an entity's tier by hand until ``expires_on``; the reason shows in its reasons.

    :raises InvalidInput: an expiry in the past or beyond a year.
    """
    today = ctx.today()
    if not today <= expires_on <= add_months(today, 12):
        raise InvalidInput(
            "an override expires within a year; 人工调整有效期不超过一年",
            errors={"expires_on": ["between today and one year from today"]},
        )
    with ctx.session_factory.begin() as session:
        entity = entity_services.entity_in_scope(session, actor, identifier)
        override = TierOverride(
            entity_id=entity.id,
            tier=tier,
            reason=reason,
            expires_on=expires_on,
            created_by=actor.username,
            created_at=ctx.now(),
        )
        session.add(override)
        session.flush()
        changes.record(session, changes.EntitiesChanged((entity.id,), f"override {override.id}"))
        audit.append(
            session,
            actor=actor,
            action="tiers.override",
            now=ctx.now(),
            object_type="entity",
            object_id=entity.id,
            details={"tier": tier, "expires_on": expires_on, "reason": reason},
        )
        return {
            "id": override.id,
            "tier": tier,
            "reason": reason,
            "expires_on": expires_on,
            "created_by": actor.username,
        }


def revoke_override(ctx: Context, actor: Actor, override_id: int) -> None:
    """End an override now; the rules decide again.

    :raises NotFound:
    """
    with ctx.session_factory.begin() as session:
        override = session.get(TierOverride, override_id)
        if override is None or override.revoked_at is not None:
            raise NotFound(f"no active override {override_id}", code="override-not-found")
        entity = session.get(Entity, override.entity_id)
        actor.ensure_region(entity.region_code)
        override.revoked_at = ctx.now()
        session.flush()
        changes.record(
            session, changes.EntitiesChanged((entity.id,), f"override {override_id} revoked")
        )
        audit.append(
            session,
            actor=actor,
            action="tiers.revoke_override",
            now=ctx.now(),
            object_type="entity",
            object_id=entity.id,
        )


def entity_ref(entity: Any) -> dict[str, Any]:
    """An entity (or a row with its columns) as tier views show it; a natural person masked."""
    person = entity.kind == "natural_person"
    return {
        "identifier": identifiers.mask_resident_id(entity.identifier)
        if person
        else entity.identifier,
        "name": identifiers.mask_person_name(entity.name) if person else entity.name,
        "region_code": entity.region_code,
        "industry": entity.industry,
    }

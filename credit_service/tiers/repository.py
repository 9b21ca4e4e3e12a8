"""Tier queries: rule-set versions, facts of one entity, changed tiers, history."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from credit_service.bulk import bulk_insert
from credit_service.catalogs.models import CatalogItemRow
from credit_service.dishonesty.models import DishonestyCase
from credit_service.entities.models import Entity
from credit_service.records.models import CreditRecord
from credit_service.tiers.definitions import RuleSet
from credit_service.tiers.models import TierAssignment, TierChange, TierOverride, TierRuleSetVersion
from credit_service.tiers.rules import EntityFacts, ListingFact, OverrideFact, RecordFact
from credit_service.tiers.sql import computed_tiers


def find_current_version(*, session: Session) -> TierRuleSetVersion | None:
    return session.execute(
        select(TierRuleSetVersion).where(TierRuleSetVersion.is_current)
    ).scalar_one_or_none()


def find_version_by_hash(*, session: Session, content_hash: str) -> TierRuleSetVersion | None:
    return session.execute(
        select(TierRuleSetVersion).where(TierRuleSetVersion.content_hash == content_hash)
    ).scalar_one_or_none()


def make_current(*, session: Session, version: TierRuleSetVersion) -> None:
    session.execute(update(TierRuleSetVersion).values(is_current=False))
    version.is_current = True
    session.flush()


def entity_facts(*, session: Session, entity_id: int) -> EntityFacts:
    """Everything a tier decision about one entity reads."""
    records = session.execute(
        select(CreditRecord, CatalogItemRow.repairable)
        .join(CatalogItemRow, CatalogItemRow.id == CreditRecord.catalog_item_id)
        .where(CreditRecord.entity_id == entity_id)
    ).all()
    listings = session.execute(
        select(DishonestyCase).where(
            DishonestyCase.entity_id == entity_id, DishonestyCase.published_on.is_not(None)
        )
    ).scalars()
    overrides = session.execute(
        select(TierOverride)
        .where(TierOverride.entity_id == entity_id, TierOverride.revoked_at.is_(None))
        .order_by(TierOverride.created_at.desc(), TierOverride.id.desc())
    ).scalars()
    return EntityFacts(
        records=tuple(
            RecordFact(
                r.id,
                r.category,
                r.severity,
                r.domain,
                r.item_code,
                r.decision_date,
                r.publicity_end,
                r.status,
                r.repair_from,
                r.early_stop_allowed,
                repairable,
            )
            for r, repairable in records
        ),
        listings=tuple(
            ListingFact(c.id, c.published_on, c.term_ends_on, c.removed_on) for c in listings
        ),
        overrides=tuple(
            OverrideFact(o.id, o.tier, o.reason, o.expires_on, o.created_by) for o in overrides
        ),
    )


def changed_tiers(
    *,
    session: Session,
    rule_set: RuleSet,
    rule_set_id: int,
    as_of: date,
    entity_ids: Sequence[int] | None = None,
) -> list[Any]:
    """(entity_id, tier, rule_id, old_tier) where the computed tier or rule differs from
    the stored one, or no tier is stored yet."""
    computed = computed_tiers(rule_set, as_of, entity_ids).subquery("computed")
    stored = TierAssignment.__table__
    query = (
        select(
            computed.c.entity_id,
            computed.c.tier,
            computed.c.rule_id,
            stored.c.tier.label("old_tier"),
        )
        .select_from(computed)
        .outerjoin(stored, stored.c.entity_id == computed.c.entity_id)
        .where(
            or_(
                stored.c.tier.is_(None),
                stored.c.tier != computed.c.tier,
                stored.c.rule_id != computed.c.rule_id,
                stored.c.rule_set_id != rule_set_id,
            )
        )
    )
    return list(session.execute(query).all())


def recompute(
    *,
    session: Session,
    rule_set: RuleSet,
    rule_set_id: int,
    as_of: date,
    now: datetime,
    cause: str | Mapping[int, str],
    entity_ids: Sequence[int] | None,
) -> int:
    """Compute the tiers of ``entity_ids`` (None: every entity) and store those that
    changed (``write_tiers``); returns how many moved."""
    rows = changed_tiers(
        session=session,
        rule_set=rule_set,
        rule_set_id=rule_set_id,
        as_of=as_of,
        entity_ids=entity_ids,
    )
    return write_tiers(
        session=session, rows=rows, rule_set_id=rule_set_id, as_of=as_of, now=now, cause=cause
    )


def write_tiers(
    *,
    session: Session,
    rows: Sequence[Any],
    rule_set_id: int,
    as_of: date,
    now: datetime,
    cause: str | Mapping[int, str],
) -> int:
    """Store computed tiers; a changed tier gets a history row and a new ``since``, with
    its ``cause`` (one for all, or each entity's own)."""
    moved = [r for r in rows if r.old_tier != r.tier]
    new = [r for r in rows if r.old_tier is None]
    kept = [r for r in rows if r.old_tier is not None]
    history = [
        {"entity_id": r.entity_id, "old_tier": r.old_tier, "new_tier": r.tier, "rule_id": r.rule_id}
        for r in moved
    ]
    one_cause = isinstance(cause, str)
    if not one_cause:
        for row in history:
            row["cause"] = cause[row["entity_id"]][:200]
    bulk_insert(
        session,
        TierChange.__table__,
        history,
        constants={
            **({"cause": cause[:200]} if one_cause else {}),
            "rule_set_id": rule_set_id,
            "changed_at": now,
            "effective_on": as_of,
        },
    )
    bulk_insert(
        session,
        TierAssignment.__table__,
        [{"entity_id": r.entity_id, "tier": r.tier, "rule_id": r.rule_id} for r in new],
        constants={"rule_set_id": rule_set_id, "since": as_of, "computed_at": now},
    )
    _update_kept(session, kept, rule_set_id, as_of, now)
    return len(moved)


def _update_kept(
    session: Session, rows: Sequence[Any], rule_set_id: int, as_of: date, now: datetime
) -> None:
    if not rows:
        return
    table = TierAssignment.__table__
    moved = [
        {"eid": r.entity_id, "tier": r.tier, "rule_id": r.rule_id}
        for r in rows
        if r.old_tier != r.tier
    ]
    same = [{"eid": r.entity_id, "rule_id": r.rule_id} for r in rows if r.old_tier == r.tier]
    if moved:
        session.execute(
            table.update()
            .where(table.c.entity_id == bindparam("eid"))
            .values(
                tier=bindparam("tier"),
                rule_id=bindparam("rule_id"),
                rule_set_id=rule_set_id,
                since=as_of,
                computed_at=now,
            ),
            moved,
        )
    if same:
        session.execute(
            table.update()
            .where(table.c.entity_id == bindparam("eid"))
            .values(rule_id=bindparam("rule_id"), rule_set_id=rule_set_id, computed_at=now),
            same,
        )


def find_assignment(*, session: Session, entity_id: int) -> TierAssignment | None:
    return session.get(TierAssignment, entity_id)


def list_changes(*, session: Session, entity_id: int) -> list[TierChange]:
    return list(
        session.execute(
            select(TierChange).where(TierChange.entity_id == entity_id).order_by(TierChange.id)
        ).scalars()
    )


def entities_with_time_events(*, session: Session, since: date, until: date) -> list[int]:
    """Entities some of whose inputs changed state on a day in (since, until]: a record's
    publicity ended, a listing's term ended, an override lapsed, or a record left the
    rules' look-back period. Used by the nightly job.

    A record whose publicity ended counts whether still 'active' or already marked
    'expired' by the publication job (which runs first), so a run it missed is caught.
    """
    ended = select(CreditRecord.entity_id).where(
        CreditRecord.status.in_(("active", "expired")),
        CreditRecord.publicity_end >= since,
        CreditRecord.publicity_end < until,
    )
    listings = select(DishonestyCase.entity_id).where(
        DishonestyCase.term_ends_on >= since, DishonestyCase.term_ends_on < until
    )
    overrides = select(TierOverride.entity_id).where(
        TierOverride.expires_on >= since, TierOverride.expires_on < until
    )
    ids = set()
    for query in (ended, listings, overrides):
        ids.update(session.execute(query).scalars())
    return sorted(ids)


def entities_with_records_decided_between(*, session: Session, start: date, end: date) -> list[int]:
    """Entities with a record decided in [start, end): they may leave a look-back window."""
    return list(
        session.execute(
            select(CreditRecord.entity_id)
            .where(and_(CreditRecord.decision_date >= start, CreditRecord.decision_date < end))
            .distinct()
        ).scalars()
    )


def tier_counts(
    *, session: Session, regions: list[str] | None, industry: str | None
) -> dict[str, int]:
    """Entities per tier; the whole city's from the tier index alone (no join: every
    assignment has its entity), so that monitoring may read it at every scrape."""
    query = select(TierAssignment.tier, func.count()).group_by(TierAssignment.tier)
    if regions is not None or industry:
        query = query.join(Entity, Entity.id == TierAssignment.entity_id)
    if regions is not None:
        query = query.where(Entity.region_code.in_(regions))
    if industry:
        query = query.where(Entity.industry == industry)
    return {tier: count for tier, count in session.execute(query).all()}

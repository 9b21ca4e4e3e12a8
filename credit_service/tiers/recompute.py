"""Tier recomputation inside another area's transaction (records, entities, listings).

Kept apart from ``services.py`` so that the entity and record services can call it
without importing the tier queries that themselves use the entity services.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.orm import Session

from credit_service.context import Context
from credit_service.tiers import repository
from credit_service.tiers.definitions import RuleSet, rule_set_from_document


def current_rule_set(session: Session, ctx: Context) -> tuple[int, RuleSet] | None:
    """The applied rule set (cached by version id: versions never change)."""
    version = repository.find_current_version(session=session)
    if version is None:
        return None
    cache = ctx.extras.setdefault("tier_rule_sets", {})
    if version.id not in cache:
        cache[version.id] = rule_set_from_document(version.document)
    return version.id, cache[version.id]


def recompute_entities(
    session: Session,
    ctx: Context,
    entity_ids: Sequence[int],
    *,
    cause: str,
    as_of: date | None = None,
) -> int:
    """Recompute some entities' tiers inside the caller's transaction (the record or list
    change that caused it commits with it). Returns how many tiers changed."""
    current = current_rule_set(session, ctx)
    if current is None or not entity_ids:
        return 0
    rule_set_id, rule_set = current
    as_of = as_of or ctx.today()
    rows = repository.changed_tiers(
        session=session,
        rule_set=rule_set,
        rule_set_id=rule_set_id,
        as_of=as_of,
        entity_ids=list(entity_ids),
    )
    return repository.write_tiers(
        session=session, rows=rows, rule_set_id=rule_set_id, as_of=as_of, now=ctx.now(), cause=cause
    )

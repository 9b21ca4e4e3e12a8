"""The tier handler: recompute the tiers a transaction's facts touch, in that transaction.

A record filed, corrected or ending, a listing added or removed, an entity registered or
overridden: the handler table (credit_service/effects.py) hands every such fact of a
transaction to ``recompute_changed`` at once, before it commits, so each entity is
recomputed once however many facts concern it (a bulk import's batch is one query).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from credit_service.context import Context
from credit_service.tiers import repository
from credit_service.tiers.current import current_rule_set
from credit_service.tiers.definitions import RuleSet


def recompute_changed(session: Session, ctx: Context, changes: list[Any]) -> None:
    """Recompute the entities the facts name (``entity_ids``); a tier that moves keeps
    what happened as its cause (the facts' ``summary``, each said once). Nothing to do
    before a rule set is applied."""
    current = current_rule_set(session, ctx)
    if current is None:
        return
    causes: dict[int, str] = {}
    for change in changes:
        summary = change.summary
        for entity_id in change.entity_ids:
            said = causes.get(entity_id)
            if said is None:
                causes[entity_id] = summary
            elif said != summary and summary not in said.split("; "):
                causes[entity_id] = f"{said}; {summary}"
    _recompute(session, ctx, current, causes)


def _recompute(
    session: Session, ctx: Context, current: tuple[int, RuleSet], causes: Mapping[int, str]
) -> None:
    """Recompute the entities in ``causes`` (entity id -> cause) as of today, in one query."""
    if not causes:
        return
    rule_set_id, rule_set = current
    as_of = ctx.today()
    rows = repository.changed_tiers(
        session=session,
        rule_set=rule_set,
        rule_set_id=rule_set_id,
        as_of=as_of,
        entity_ids=sorted(causes),
    )
    repository.write_tiers(
        session=session,
        rows=rows,
        rule_set_id=rule_set_id,
        as_of=as_of,
        now=ctx.now(),
        cause=causes,
    )

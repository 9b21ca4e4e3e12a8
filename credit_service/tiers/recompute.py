"""The tier handler: recompute the tiers a transaction's facts touch, in that transaction.

A record filed, corrected or ending, a listing added or removed, an entity registered or
overridden: the handler table (credit_service/effects.py) hands every such fact of a
transaction to ``recompute_changed`` at once, before it commits, so each entity is
recomputed once however many facts concern it (a bulk import's batch is one query).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from credit_service.context import Context
from credit_service.tiers import repository
from credit_service.tiers.current import current_rule_set


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
    if not causes:
        return
    rule_set_id, rule_set = current
    repository.recompute(
        session=session,
        rule_set=rule_set,
        rule_set_id=rule_set_id,
        as_of=ctx.today(),
        now=ctx.now(),
        cause=causes,
        entity_ids=sorted(causes),
    )

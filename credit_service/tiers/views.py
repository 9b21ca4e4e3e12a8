"""An entity's tier as regulators see it: the tier, why, what would change it, its history."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credit_service import changes
from credit_service.access import Actor
from credit_service.context import Context
from credit_service.entities import services as entity_services
from credit_service.errors import NotFound
from credit_service.tiers import repository, rules
from credit_service.tiers.current import current_rule_set
from credit_service.tiers.models import TierRuleSetVersion
from credit_service.tiers.services import entity_ref


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
        raise NotFound("no-tier-rules")
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

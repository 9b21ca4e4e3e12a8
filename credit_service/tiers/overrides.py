"""Tier overrides: a regulator sets an entity's tier by hand for up to a year, or ends it."""

from __future__ import annotations

from datetime import date
from typing import Any

from credit_service import changes
from credit_service.access import Actor
from credit_service.audit import services as audit
from credit_service.context import Context
from credit_service.entities import services as entity_services
from credit_service.entities.models import Entity
from credit_service.errors import InvalidInput, NotFound
from credit_service.tiers.models import TierOverride
from credit_service.workdays import add_months


def set_override(
    ctx: Context, actor: Actor, identifier: str, *, tier: str, reason: str, expires_on: date
) -> dict[str, Any]:
    """Set an entity's tier by hand until ``expires_on``; the reason shows in its reasons.

    :raises InvalidInput: an expiry in the past or beyond a year.
    """
    today = ctx.today()
    if not today <= expires_on <= add_months(today, 12):
        raise InvalidInput(
            "override-expiry-out-of-range", errors={"expires_on": ["override-expiry-out-of-range"]}
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
            raise NotFound("override-not-found", override_id=override_id)
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

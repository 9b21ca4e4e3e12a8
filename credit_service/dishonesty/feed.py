"""A change to the published list: the public change feed's row, the outbox event for the
provincial platforms and the entity's tier, in the transaction of the step that made it."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from credit_service.context import Context
from credit_service.dishonesty.models import DishonestyCase, ListChange
from credit_service.entities.models import Entity
from credit_service.sync import outbox
from credit_service.tiers import recompute as tier_recompute


def listing_changed(
    session: Session,
    ctx: Context,
    case: DishonestyCase,
    kind: str,
    reason: str | None,
    on: date,
) -> None:
    """A list change: the feed row, the outbox event and the tier, all in this transaction."""
    session.add(
        ListChange(case_id=case.id, kind=kind, reason=reason, effective_on=on, at=ctx.now())
    )
    entity = session.get(Entity, case.entity_id)
    session.flush()
    tier_recompute.recompute_entities(
        session, ctx, [case.entity_id], cause=f"listing {case.id} {kind}"
    )
    # Always sent, whoever the actor: a listing is this city's own decision, even when a
    # change pulled from a platform (a revoked penalty, a repair elsewhere) caused it.
    outbox.emit(
        session,
        event_type="listing.published" if kind == "added" else "listing.removed",
        subject=entity.identifier,
        aggregate_type="listing",
        aggregate_id=case.id,
        now=ctx.now(),
        payload={
            "case_id": case.id,
            "decision_no": case.decision_no,
            "decided_on": case.decided_on,
            "published_on": case.published_on,
            "term_ends_on": case.term_ends_on,
            "removed_on": case.removed_on,
            "removal_reason": reason,
            "grounds": case.grounds,
        },
    )

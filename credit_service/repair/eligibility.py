"""Whether a repair of a record or a listing could succeed on a day, condition by
condition: asked by the enterprise before applying, checked again on submission and
once more before a grant (what changed since, a new heavier penalty or a restriction,
must lead to a refusal)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from credit_service.access import Actor
from credit_service.bounds import MAX_ID, id_in_range
from credit_service.catalogs import services as catalog_services
from credit_service.context import Context
from credit_service.dishonesty.models import DishonestyCase
from credit_service.dishonesty.services import in_force
from credit_service.entities import services as entity_services
from credit_service.entities.models import Entity
from credit_service.errors import InvalidInput, NotFound
from credit_service.records.models import CreditRecord
from credit_service.repair import rules
from credit_service.repair.models import RepairApplication
from credit_service.workdays import period_passed_on

TARGET_KINDS = ("record", "listing")
TARGET = "record:<id> | listing:<id>"  # the form of a target


def parse_target(target: str) -> tuple[str, int]:
    """'record:12' or 'listing:3' → (kind, id).

    :raises InvalidInput:
    """
    kind, _, raw_id = (target or "").partition(":")
    if kind not in TARGET_KINDS or not (raw_id.isascii() and raw_id.isdigit()):
        raise InvalidInput(
            "target-invalid", errors={"target": [{"code": "pattern-mismatch", "pattern": TARGET}]}
        )
    if not id_in_range(int(raw_id)):
        raise InvalidInput(
            "target-invalid", errors={"target": [{"code": "above-maximum", "max": MAX_ID}]}
        )
    return kind, int(raw_id)


def check_eligibility(ctx: Context, actor: Actor, target: str) -> dict[str, Any]:
    """Whether a repair of the target could succeed today, condition by condition."""
    kind, target_id = parse_target(target)
    with ctx.read_session_factory() as session:
        _, result = assess(session, ctx, actor, kind, target_id, ctx.today())
    return {
        "target": target,
        "eligible": result.eligible,
        "earliest": result.earliest,
        "conditions": [c.__dict__ for c in result.conditions],
        "materials": list(result.materials),
        "commitment": {
            "version": ctx.repair_rules.commitment_version,
            "text": ctx.repair_rules.commitment_text,
        },
    }


def assess(
    session: Session, ctx: Context, actor: Actor, kind: str, target_id: int, on: date
) -> tuple[Entity, rules.Eligibility]:
    """The target's entity (scope-checked) and whether its repair could succeed ``on``.

    :raises NotFound, Forbidden:
    """
    entity, facts = _target(session, ctx, actor, kind, target_id)
    applicant = _applicant_facts(session, entity.id, target_id if kind == "record" else None)
    return entity, rules.eligibility(facts, applicant, ctx.repair_rules, on)


def _target(
    session: Session, ctx: Context, actor: Actor, kind: str, target_id: int
) -> tuple[Entity, rules.TargetFacts]:
    """The target's entity (scope-checked) and its facts.

    :raises NotFound, Forbidden:
    """
    if kind == "record":
        record = session.get(CreditRecord, target_id)
        if record is None or record.category != "dishonest":
            raise NotFound("target-not-found", target=f"record:{target_id}")
        entity = _entity_for(session, actor, record.entity_id)
        return entity, _record_facts(session, ctx, record)
    case = session.get(DishonestyCase, target_id)
    if case is None or case.published_on is None:
        raise NotFound("target-not-found", target=f"listing:{target_id}")
    entity = _entity_for(session, actor, case.entity_id)
    return entity, _listing_facts(session, ctx, case)


def _entity_for(session: Session, actor: Actor, entity_id: int) -> Entity:
    entity = session.get(Entity, entity_id)
    return entity_services.entity_in_scope(session, actor, entity.identifier)


def _record_facts(session: Session, ctx: Context, record: CreditRecord) -> rules.TargetFacts:
    item = catalog_services.item_definition(session, ctx, record.catalog_item_id)
    today = ctx.today()
    in_publicity = (
        record.status == "active" and bool(record.publicity_end) and record.publicity_end >= today
    )
    restricting = ctx.catalogs.publicity.no_early_stop_penalty_types
    return rules.TargetFacts(
        kind="record",
        in_force=in_publicity,
        repairable=item.repairable and record.early_stop_allowed,
        decided_on=record.decision_date,
        minimum_passes_on=record.repair_from,
        restriction_until=rules.restriction_end([record.fields], restricting),
    )


def _listing_facts(session: Session, ctx: Context, case: DishonestyCase) -> rules.TargetFacts:
    today = ctx.today()
    fields = (
        session.execute(select(CreditRecord.fields).where(CreditRecord.id.in_(case.record_ids)))
        .scalars()
        .all()
    )
    return rules.TargetFacts(
        kind="listing",
        in_force=bool(
            session.execute(
                select(DishonestyCase.id).where(DishonestyCase.id == case.id, in_force(today))
            ).first()
        ),
        repairable=True,
        decided_on=case.decided_on,
        minimum_passes_on=period_passed_on(
            _term_started(session, case), ctx.list_rules.early_removal_months
        ),
        restriction_until=rules.restriction_end(
            list(fields), ctx.catalogs.publicity.no_early_stop_penalty_types
        ),
    )


def _term_started(session: Session, case: DishonestyCase) -> date:
    """The listing decision, or the day a repair obtained with false materials was
    revoked: the term, and with it the year before early removal, restarts then (D7)."""
    restarted = session.execute(
        select(func.max(RepairApplication.revoked_on)).where(
            RepairApplication.target_type == "listing",
            RepairApplication.target_id == case.id,
            RepairApplication.state == "revoked",
        )
    ).scalar_one()
    return max(d for d in (case.decided_on, restarted) if d is not None)


def _applicant_facts(
    session: Session, entity_id: int, exclude_record: int | None
) -> rules.ApplicantFacts:
    penalties = session.execute(
        select(CreditRecord.decision_date).where(
            CreditRecord.entity_id == entity_id,
            CreditRecord.heavier_penalty,
            CreditRecord.status != "revoked",
            CreditRecord.id != (exclude_record or 0),
        )
    ).scalars()
    # a repair later revoked for false materials was completed too: it starts the cooldown
    last = session.execute(
        select(func.max(RepairApplication.decided_on)).where(
            RepairApplication.entity_id == entity_id,
            RepairApplication.state.in_(("granted", "revoked")),
        )
    ).scalar_one()
    return rules.ApplicantFacts(tuple(penalties), last)

"""The repair review (D7, D10, D11) as a definition for the procedure engine.

An application is submitted (its opening step), then accepted or not accepted; the
reviewer may ask for supplementary materials by a day (procedures/supplements.py), which
stops the clock until the applicant reports them supplied; once that day has passed
without them, the reviewer may close the application from the phase it was paused in
(not accepted, or refused); an accepted application is granted or refused, and a grant
obtained with false materials is revoked. A grant takes effect everywhere in the step's
transaction: the record leaves publication (or the listing is removed), the public list
and change feed show it, the tier is recomputed and the outbox event for the provincial
platforms is written; a revocation undoes it.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from credit_service import changes
from credit_service.access import Actor
from credit_service.context import Context
from credit_service.dishonesty import services as dishonesty_services
from credit_service.entities import services as entity_services
from credit_service.entities.models import Entity
from credit_service.errors import Conflict, Forbidden, InvalidInput
from credit_service.procedures import supplements
from credit_service.procedures.definition import OFFICERS, Move, Procedure, Step
from credit_service.records import services as record_services
from credit_service.repair import deadlines
from credit_service.repair.eligibility import assess
from credit_service.repair.models import STATES, RepairApplication

REASON_CHARS = 2  # the fewest characters of the reasons a refusal must give


def in_scope(session: Session, actor: Actor, a: RepairApplication) -> None:
    """The application's entity lies in the actor's region, or is the actor's own.

    :raises NotFound, Forbidden:
    """
    entity = session.get(Entity, a.entity_id)
    entity_services.entity_in_scope(session, actor, entity.identifier)


def ensure_applicant(actor: Actor, a: RepairApplication) -> None:
    if actor.role != "enterprise" or actor.username != a.applicant:
        raise Forbidden("not-applicant")


def _accept(move: Move) -> None:
    move.row.accepted_on = move.on
    deadlines.start_decision(move.ctx, move.row, move.on)
    _tell(move, due_on=move.row.decision_due)


def _not_accept(move: Move) -> None:
    supplements.ensure_closable(move, "acceptance")
    _decide(move, reasons_required=True)
    _tell(move)


def _request_supplement(move: Move) -> None:
    """Ask for materials by a day: the one the reviewer named (``details.due_on``), or the
    rules' working days after the request; the applicant is told what and by when."""
    _require_reason(move.reason)
    due = supplements.ask_for(move, move.ctx.repair_rules.supplement_workdays)
    deadlines.pause(move.ctx, move.row, move.on)
    _tell(move, due_on=due)


def _supplement_received(move: Move) -> None:
    """The applicant says the requested materials are uploaded: the clock runs again."""
    ensure_applicant(move.actor, move.row)
    deadlines.resume(move.ctx, move.row, move.on)


def _grant(move: Move) -> None:
    """Everything a grant changes, in this transaction (D11), once the conditions are
    checked again."""
    _ensure_still_eligible(move)
    _grant_takes_effect(move.session, move.ctx, move.actor, move.row, move.on)
    _decide(move, reasons_required=False)


def _grant_takes_effect(
    session: Session, ctx: Context, actor: Actor, a: RepairApplication, on: date
) -> None:
    """The record leaves publication, or the listing comes down early, through their own
    areas' services; the tier and the platforms follow (the handler table)."""
    if a.target_type == "record":
        record_services.change_repair_status(
            session, ctx, actor, a.target_id, "repaired", f"repair application {a.id}"
        )
    else:
        dishonesty_services.remove_for_repair(
            session, ctx, actor, a.target_id, on, f"信用修复申请{a.id}获准，提前移出"
        )
    changes.record(
        session, changes.RepairGranted(a.id, a.entity_id, a.target_type, a.target_id, on)
    )


def _ensure_still_eligible(move: Move) -> None:
    """What changed since the application (a new heavier penalty, a restriction, the
    publicity ended) is checked again before the grant: such a case must be refused."""
    a = move.row
    _, result = assess(move.session, move.ctx, move.actor, a.target_type, a.target_id, move.on)
    if not result.eligible:
        raise Conflict("no-longer-eligible", unmet=result.refusals)


def _refuse(move: Move) -> None:
    supplements.ensure_closable(move, "decision")
    _decide(move, reasons_required=True)
    _tell(move)


def _tell(move: Move, *, due_on: date | None = None) -> None:
    """The applicant hears of this step (a message and an e-mail: the handler table)."""
    a = move.row
    fact = changes.ReviewStepTaken(
        "repair", a.id, a.entity_id, move.step, move.on, move.reason, due_on
    )
    changes.record(move.session, fact)


def _decide(move: Move, *, reasons_required: bool) -> None:
    if reasons_required:
        _require_reason(move.reason)
    a = move.row
    a.decided_on, a.decision_reasons, a.decided_by = move.on, move.reason, move.actor.username


def _revoke(move: Move) -> None:
    """Repair obtained with false materials: the listing is restored and its term restarts
    (D7); a repaired record is published again."""
    _require_reason(move.reason)
    _revocation_takes_effect(move.session, move.ctx, move.actor, move.row, move.on, move.reason)
    move.row.revoked_on = move.on


def _revocation_takes_effect(
    session: Session, ctx: Context, actor: Actor, a: RepairApplication, on: date, reason: str
) -> None:
    if a.target_type == "record":
        record_services.change_repair_status(
            session, ctx, actor, a.target_id, "active", f"repair {a.id} revoked: {reason}"
        )
    else:
        dishonesty_services.restore_after_revoked_repair(
            session, ctx, actor, a.target_id, on, reason
        )


def _require_reason(reason: str) -> None:
    if len((reason or "").strip()) < REASON_CHARS:
        raise InvalidInput("reason-required", errors={"reason": ["required"]})


def acts(ctx: Context, a: RepairApplication) -> dict[str, date | None]:
    """The application's acts so far by name: a step is dated between the latest and
    today, since deadlines count from it and a mistyped date must not move them."""
    return {
        "submission": a.submitted_on,
        "acceptance": a.accepted_on,
        "resumed review": a.clock_from,
        "decision": a.decided_on,
    }


REPAIR = Procedure(
    name="repair",
    audit_prefix="repair",
    object_type="repair_application",
    model=RepairApplication,
    acts=acts,
    scope=in_scope,
    refresh=deadlines.refresh,
    provisional=deadlines.provisional,
    not_found="application-not-found",
    out_of_order="application-changed",
    states=STATES,
    steps={
        "accept": Step(frozenset({"submitted"}), "accepted", _accept),
        "not_accept": Step(
            frozenset({"submitted", supplements.PAUSED}),
            "not_accepted",
            _not_accept,
            fits=supplements.closes_lapsed("acceptance"),
        ),
        "request_supplement": Step(
            frozenset({"submitted", "accepted"}),
            supplements.PAUSED,
            _request_supplement,
            audited=("supplement_due_on",),
        ),
        "supplement_received": Step(
            frozenset({"supplement_requested"}),
            deadlines.resumed_state,
            _supplement_received,
            roles=frozenset({"enterprise"}),
        ),
        "grant": Step(frozenset({"accepted"}), "granted", _grant),
        "refuse": Step(
            frozenset({"accepted", supplements.PAUSED}),
            "refused",
            _refuse,
            fits=supplements.closes_lapsed("decision"),
        ),
        "revoke": Step(frozenset({"granted"}), "revoked", _revoke),
    },
)
REVIEW_STEPS = tuple(name for name, step in REPAIR.steps.items() if step.roles == OFFICERS)

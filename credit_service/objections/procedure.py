"""The objection procedure (D19, D11) as a definition for the procedure engine.

An objection is received (its opening step), then accepted or refused within 3 working
days, with a notice either way. From acceptance its target carries the mark 异议处理中
on every channel. The officer may ask the party for materials by a day (the clock stops
until they arrive; procedures/supplements.py) — once that day has passed without them,
the officer may refuse the objection (逾期未补正) or, paused after acceptance, decide it
not upheld — and, when another unit must verify, extend the decision once by 7 working
days, telling the party. The decision — upheld, partly upheld, not upheld, with reasons
and a notice naming the review rights — takes effect in its own transaction: the field
is corrected by a new revision, the record revoked or the listing removed through their
own areas' services, the mark goes, and the platforms hear the outcome (the handler
table); the tiers follow the record or listing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from credit_service import changes
from credit_service.access import Actor
from credit_service.dishonesty import services as dishonesty_services
from credit_service.entities import services as entity_services
from credit_service.entities.models import Entity
from credit_service.errors import Conflict, Forbidden, InvalidInput
from credit_service.objections import deadlines, letters
from credit_service.objections.deadlines import CLOCK
from credit_service.objections.definitions import LAPSE
from credit_service.objections.models import STATES, Objection, ObjectionEvidence
from credit_service.procedures import supplements
from credit_service.procedures.definition import OFFICERS, Move, Procedure, Step
from credit_service.records import services as record_services
from credit_service.records.models import CreditRecord

REASON_CHARS = 2  # the fewest characters of the reasons a refusal or decision must give
# What a decision may change, by target: an upheld one must change something.
ACTIONS = {"record": ("correct", "revoke"), "listing": ("remove",)}
NOTE_CHARS = 400  # the record's revision and status reasons hold 500


def in_scope(session: Session, actor: Actor, o: Objection) -> None:
    """The objection's entity lies in the actor's region, or is the actor's own.

    :raises NotFound, Forbidden:
    """
    entity = session.get(Entity, o.entity_id)
    entity_services.entity_in_scope(session, actor, entity.identifier)


def ensure_objector(actor: Actor, o: Objection) -> None:
    """Only the enterprise account that filed it acts for the party."""
    if actor.role != "enterprise" or actor.username != o.filed_by:
        raise Forbidden("not-objector")


def _accept(move: Move) -> None:
    o = move.row
    if o.channel == "office" and not _has_evidence(move.session, o):
        raise InvalidInput("objection-scan-required", errors={"documents": ["scan-required"]})
    o.accepted_on = move.on
    deadlines.start_decision(move.ctx, o, move.on)
    letters.issue_acceptance(move)
    _mark(move, marked=True)


def _refuse(move: Move) -> None:
    """Not accepted, for a reason of the rules; the lapse of the materials (逾期未补正) only
    for an objection still waiting for them after their day."""
    o, why = move.row, move.details.get("refusal_reason")
    supplements.ensure_closable(move, "acceptance")
    reasons = [r for r in move.ctx.objection_rules.refusal_reasons if r != LAPSE or _paused(o)]
    if why not in reasons:
        allowed = ", ".join(reasons)
        raise InvalidInput(
            "refusal-reason-unknown",
            errors={"refusal_reason": [{"code": "not-one-of", "allowed": allowed}]},
        )
    _require_reason(move.reason)
    o.refusal_reason = why
    _decided(move)
    letters.issue_refusal(move)
    _tell_outcome(move, "refused", "none")  # a platform that forwarded it hears the refusal


def _paused(o: Objection) -> bool:
    return o.state == supplements.PAUSED


def _request_supplement(move: Move) -> None:
    """Ask for materials by a day: the one the officer named (``details.due_on``), or the
    rules' working days after the request; the party is told what and by when."""
    _require_reason(move.reason)
    due = supplements.ask_for(move, move.ctx.objection_rules.supplement_workdays)
    CLOCK.pause(move.ctx.calendar, move.row, move.on)
    _tell(move, due)


def _supplement_received(move: Move) -> None:
    """The materials arrived: the party says so online, or an officer records what was
    brought to the office. The clock runs again."""
    if move.actor.role == "enterprise":
        ensure_objector(move.actor, move.row)
    CLOCK.resume(move.ctx.calendar, move.row, move.on)


def _extend(move: Move) -> None:
    """Once, when another unit must verify (D19): the reason is kept and the party told."""
    o = move.row
    if o.extended_on is not None:
        raise Conflict("objection-already-extended", extended_on=o.extended_on)
    _require_reason(move.reason)
    o.extended_on, o.extension_reason = move.on, move.reason
    deadlines.extend(move.ctx, o)
    letters.issue_extension(move)
    _tell(move, o.decision_due)


def _tell(move: Move, due_on: date | None) -> None:
    """The party hears of this step (a message and an e-mail: the handler table)."""
    o = move.row
    fact = changes.ReviewStepTaken(
        "objection", o.id, o.entity_id, move.step, move.on, move.reason, due_on
    )
    changes.record(move.session, fact)


def _uphold(move: Move) -> None:
    _decide(move, "upheld")


def _partly_uphold(move: Move) -> None:
    _decide(move, "partly_upheld")


def _not_uphold(move: Move) -> None:
    supplements.ensure_closable(move, "decision")
    _decide(move, "not_upheld")


def _decide(move: Move, outcome: str) -> None:
    """The decision and everything it changes, in this transaction (D11)."""
    _require_reason(move.reason)
    o = move.row
    action = _action(move, outcome)
    correction = _take_effect(move, action)
    o.correction = correction
    _decided(move)
    letters.issue_result(move, outcome)
    _mark(move, marked=False)
    _tell_outcome(move, outcome, action)


def _tell_outcome(move: Move, outcome: str, action: str) -> None:
    """The fact of the answer (a decision, or a refusal: outcome ``refused``): the
    platforms hear it, the one that forwarded the objection by its own reference."""
    o = move.row
    changes.record(
        move.session,
        changes.ObjectionDecided(
            o.id,
            o.entity_id,
            o.target_type,
            o.target_id,
            o.field,
            outcome,
            action,
            move.on,
            o.platform_ref,
        ),
    )


def _action(move: Move, outcome: str) -> str:
    """What the decision changes: nothing when not upheld; an upheld one must change
    something the target allows (a field objection on a record is corrected by default).

    :raises InvalidInput: an action the target does not allow, or none for an upheld one.
    """
    o = move.row
    allowed = ACTIONS[o.target_type]
    default = "correct" if (o.target_type == "record" and o.field) else allowed[-1]
    action = move.details.get("action") or ("none" if outcome == "not_upheld" else default)
    if outcome == "not_upheld":
        allowed = ("none",)
    elif outcome == "partly_upheld":
        allowed = (*allowed, "none")
    if action not in allowed:
        raise InvalidInput(
            "objection-action-invalid",
            errors={"action": [{"code": "not-one-of", "allowed": ", ".join(allowed)}]},
        )
    move.details["action"] = action
    return action


def _take_effect(move: Move, action: str) -> dict[str, Any]:
    """Correct, revoke or remove through the target's own area, saying why (the feed's
    reason for a removal is ``objection_upheld``); returns what was changed."""
    o = move.row
    note = f"异议{o.id}成立：{move.reason}"[:NOTE_CHARS]
    if action == "correct":
        return _correct(move, note)
    if action == "revoke":
        record = _record(move.session, o)
        owner = move.session.get(Entity, record.entity_id)
        record_services.revoke_in(
            move.session, move.ctx, move.actor, record, owner, reason=note, on=move.on
        )
    elif action == "remove":
        dishonesty_services.remove_for_objection(
            move.session, move.ctx, move.actor, o.target_id, move.on, note
        )
    return {"action": action}


def _correct(move: Move, note: str) -> dict[str, Any]:
    """A new revision of the record with the field as decided (the value claimed unless
    the decision gives another).

    :raises InvalidInput: no field named, or a value the record's item refuses.
    """
    o = move.row
    field = move.details.get("field") or o.field
    if not field:
        raise InvalidInput("objection-field-required", errors={"field": ["required"]})
    value = move.details.get("value", o.value_claimed)
    record = _record(move.session, o)
    before = record.fields.get(field)
    record_services.correct_in(
        move.session,
        move.ctx,
        move.actor,
        record,
        fields={**record.fields, field: value},
        reason=note,
    )
    return {
        "action": "correct",
        "field": field,
        "from": before,
        "to": value,
        "revision": record.revision,
    }


def _record(session: Session, o: Objection) -> CreditRecord:
    record = session.get(CreditRecord, o.target_id, with_for_update=True)
    if record is None or record.status == "revoked":
        raise Conflict("objection-target-changed", target=f"record:{o.target_id}")
    return record


def _decided(move: Move) -> None:
    o = move.row
    o.decided_on, o.decision_reasons, o.decided_by = move.on, move.reason, move.actor.username


def _mark(move: Move, *, marked: bool) -> None:
    o = move.row
    changes.record(
        move.session,
        changes.ObjectionMarked(o.id, o.entity_id, o.target_type, o.target_id, marked, move.on),
    )


def _has_evidence(session: Session, o: Objection) -> bool:
    count = session.execute(
        select(func.count()).where(ObjectionEvidence.objection_id == o.id)
    ).scalar_one()
    return count > 0


def _require_reason(reason: str) -> None:
    if len((reason or "").strip()) < REASON_CHARS:
        raise InvalidInput("reason-required", errors={"reason": ["required"]})


def acts(ctx: Any, o: Objection) -> dict[str, date | None]:
    """The objection's acts so far: a step is dated between the latest and today."""
    return {
        "receipt": o.received_on,
        "acceptance": o.accepted_on,
        "extension": o.extended_on,
        "resumed review": o.clock_from,
        "decision": o.decided_on,
    }


DECIDING = frozenset({"accepted"})
OBJECTION = Procedure(
    name="objection",
    audit_prefix="objection",
    object_type="objection",
    model=Objection,
    acts=acts,
    scope=in_scope,
    refresh=lambda ctx, o: CLOCK.refresh(ctx.calendar, o),
    provisional=CLOCK.provisional,
    not_found="objection-not-found",
    out_of_order="objection-changed",
    states=STATES,
    steps={
        "accept": Step(frozenset({"received"}), "accepted", _accept, issues=("acceptance",)),
        "refuse": Step(
            frozenset({"received", supplements.PAUSED}),
            "refused",
            _refuse,
            issues=("refusal",),
            audited=("refusal_reason",),
            fits=supplements.closes_lapsed("acceptance"),
        ),
        "request_supplement": Step(
            frozenset({"received", "accepted"}),
            supplements.PAUSED,
            _request_supplement,
            audited=("supplement_due_on",),
        ),
        "supplement_received": Step(
            frozenset({"supplement_requested"}),
            CLOCK.resumed_state,
            _supplement_received,
            roles=OFFICERS | {"enterprise"},
        ),
        "extend": Step(DECIDING, "accepted", _extend, issues=("extension",)),
        "uphold": Step(DECIDING, "upheld", _uphold, issues=("result",), audited=("action",)),
        "partly_uphold": Step(
            DECIDING, "partly_upheld", _partly_uphold, issues=("result",), audited=("action",)
        ),
        "not_uphold": Step(
            DECIDING | {supplements.PAUSED},
            "not_upheld",
            _not_uphold,
            issues=("result",),
            fits=supplements.closes_lapsed("decision"),
        ),
    },
)

"""An inspection's result, as a procedure of the drawn item: "drawn" until an officer
records what the inspection found ("inspected"), once. With problems found the result
may file a credit record, in the same transaction: both or neither."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from credit_service.access import Actor
from credit_service.context import Context
from credit_service.entities.models import Entity
from credit_service.errors import InvalidInput, NotFound
from credit_service.inspections.models import OUTCOMES, InspectionItem
from credit_service.inspections.plans import item_views, plan_in_scope
from credit_service.procedures import engine
from credit_service.procedures.definition import Move, Procedure, Step
from credit_service.records import services as record_services


def _record(move: Move) -> None:
    """Keep the result on the item; a record to file comes in the step's details and
    leaves its id there (the history and the audit row name it, not its fields)."""
    item, filing = move.row, move.details.pop("record", None)
    if filing:
        filed, _ = record_services.file_record_for(
            move.session,
            move.ctx,
            move.actor,
            move.session.get(Entity, item.entity_id),
            filing["item_code"],
            filing["fields"],
            reason=f"inspection plan {item.plan_id} item {item.id}",
        )
        item.record_id = filed.id
    move.details["record_id"] = item.record_id
    item.outcome, item.note = move.details["outcome"], move.reason
    item.result_at, item.result_by = move.ctx.now(), move.actor.username


def _region(session: Session, item: InspectionItem) -> str | None:
    return session.get(Entity, item.entity_id).region_code


INSPECTION = Procedure(
    name="inspection",
    audit_prefix="inspection",
    object_type="inspection_item",
    model=InspectionItem,
    acts=lambda ctx, item: {},  # a result is dated the day it is recorded
    region_of=_region,
    not_found="item-not-found",
    out_of_order="result-exists",
    states=("drawn", "inspected"),
    steps={
        "record_result": Step(
            frozenset({"drawn"}), "inspected", _record, audited=("outcome", "record_id")
        ),
    },
)


def record_result(
    ctx: Context,
    actor: Actor,
    plan_id: int,
    item_id: int,
    *,
    outcome: str,
    note: str,
    record: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Record an inspection's result; with problems found it may file a credit record
    (same transaction: both or neither).

    :raises InvalidInput: unknown outcome, or a record without problems found.
    :raises Conflict: the item already has a result (``result-exists``: nothing is
        written, whatever its record; a record filed earlier stays the item's record).
    """
    if outcome not in OUTCOMES:
        raise InvalidInput(
            "outcome-unknown",
            errors={"outcome": [{"code": "not-one-of", "allowed": ", ".join(OUTCOMES)}]},
        )
    if record and outcome != "problems_found":
        raise InvalidInput(
            "record-without-problems", errors={"record": ["record-without-problems"]}
        )
    with ctx.session_factory.begin() as session:
        plan_in_scope(session, actor, plan_id)
        # locked: of two results recorded at once, the second waits and is then refused
        item = engine.locked(session, actor, INSPECTION, item_id)
        if item.plan_id != plan_id:
            raise NotFound(INSPECTION.not_found, id=item_id, plan_id=plan_id)
        details = {"outcome": outcome, "record": record}
        engine.take_step(
            session, ctx, actor, INSPECTION, item, "record_result", reason=note, details=details
        )
        session.flush()
        return next(v for v in item_views(session, plan_id) if v["id"] == item_id)

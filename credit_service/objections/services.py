"""Objection use cases, the area's public API (D19): filing, evidence, the officers'
steps and the party's, the queue and its deadlines, and the mark 异议处理中 that other
areas show on their records, list entries and credit checks.

Every step runs through the procedure engine with the objection definition
(``objections/procedure.py``): one transaction that locks the objection, refuses a step
out of order or on a stale version (``objection-changed``), dates and records it, issues
its notice, and — for a decision — corrects, revokes or removes the target through its
own area, with the platforms' events and the tiers following (the handler table).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from credit_service.access import Actor
from credit_service.context import Context
from credit_service.entities import services as entity_services
from credit_service.errors import NotFound
from credit_service.objections import targets
from credit_service.objections.deadlines import flag_deadlines
from credit_service.objections.evidence import add_evidence, discard_evidence, get_evidence
from credit_service.objections.filing import file_objection
from credit_service.objections.procedure import ACTIONS, OBJECTION
from credit_service.objections.statistics import objection_statistics
from credit_service.objections.views import (
    due_on,
    every_mark,
    get_document,
    get_objection,
    is_marking,
    list_objections,
    marks_of,
    objection_view,
    open_marks,
    supplements_late,
)
from credit_service.procedures import engine, supplements
from credit_service.repair import services as repair_services

# what a step may be given
STEP_DETAILS = ("refusal_reason", "action", "field", "value", "due_on")

__all__ = [
    "add_evidence",
    "discard_evidence",
    "due_on",
    "file_objection",
    "flag_deadlines",
    "get_document",
    "get_evidence",
    "get_objection",
    "is_marking",
    "list_objections",
    "every_mark",
    "marks_of",
    "objection_statistics",
    "open_marks",
    "supplements_late",
]


def take_step(
    ctx: Context,
    actor: Actor,
    objection_id: int,
    step: str,
    *,
    reason: str = "",
    on: date | None = None,
    expected_version: int | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A step by hand: accept, refuse (``details.refusal_reason``), request_supplement
    (``details.due_on``: a working day after today, else the rules' working days),
    supplement_received, extend, uphold / partly_uphold (``details.action``, and for a
    correction ``details.field`` / ``details.value``), not_uphold.

    Two officers deciding at once: the row is locked and its state and version checked,
    so exactly one decision wins and the other gets 409.

    :raises NotFound: not a step taken by hand.
    """
    if step not in OBJECTION.hand_steps():
        raise NotFound("step-not-found", step=step)
    given = {k: v for k, v in (details or {}).items() if k in STEP_DETAILS}
    given |= supplements.requested_day(step, given.pop("due_on", None))
    return engine.advance(
        ctx,
        actor,
        OBJECTION,
        objection_id,
        step,
        objection_view,
        on=on,
        reason=reason,
        expected_version=expected_version,
        details=given,
    )


def describe_target(ctx: Context, actor: Actor, target: str) -> dict[str, Any]:
    """What a filing form shows of a target (``record:12``): its kind and id, its entity,
    the record's catalog item, and each field that may be contested with the value the
    public sees now.

    :raises InvalidInput: a malformed target; :raises NotFound, Forbidden: as filing.
    """
    kind, target_id = repair_services.parse_target(target)
    with ctx.read_session_factory() as session:
        found = targets.load(session, actor, kind, target_id)
        entity = entity_services.entity_summary(found.entity)
    return {
        "target": f"{kind}:{target_id}",
        "kind": kind,
        "id": target_id,
        "entity": entity,
        "item_code": found.item_code,
        "fields": [{"name": name, "value": found.shown(name)} for name in found.values],
    }


def steps_for(view: dict[str, Any], role: str) -> list[str]:
    """The steps ``role`` may take by hand on an objection now (a page's forms): those its
    view offers that the role may take."""
    return [s for s in view["allowed_steps"] if role in OBJECTION.steps[s].roles]


def actions_for(kind: str, step: str) -> list[str]:
    """What a decision step may do to a target of ``kind`` (record | listing): a page's
    choices. Not upheld changes nothing; partly upheld may also change nothing."""
    if step == "not_uphold":
        return ["none"]
    allowed = list(ACTIONS[kind])
    return [*allowed, "none"] if step == "partly_uphold" else allowed


def refresh_provisional_deadlines(ctx: Context) -> int:
    """Recompute the running provisional deadlines once the year's holiday file exists
    (D14); returns how many became final."""
    return engine.refresh_provisional(ctx, OBJECTION)


def open_marks_for(ctx: Context, kind: str, ids: list[int]) -> dict[int, int]:
    """``open_marks`` in a read session of its own."""
    with ctx.read_session_factory() as session:
        return open_marks(session, kind, ids)

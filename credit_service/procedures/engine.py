"""The one engine that takes a step of any procedure.

Taking a step: lock the row, check the step is allowed now (state, expected version,
role), date it (a hand-dated step lies between the latest act and today; a consequence is
dated by its cause but never before the latest act), check its papers, apply its effect,
move the state, bump the version, record the step and its audit row, and refresh the
deadlines. No code outside this module sets a procedure's state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from credit_service.access import Actor
from credit_service.audit import services as audit
from credit_service.context import Context
from credit_service.errors import Conflict, Forbidden, InvalidInput, NotFound
from credit_service.procedures.definition import Move, Procedure, Step
from credit_service.procedures.models import ProcedureStep
from credit_service.procedures.papers import checked_papers
from credit_service.step_dates import ensure_step_date, latest_act

T = TypeVar("T")


def locked(session: Session, actor: Actor, procedure: Procedure, row_id: int) -> Any:
    """The row, locked for this transaction (two officers acting at once: one waits and
    then finds the state it left), after the actor's region check.

    :raises NotFound, Forbidden:
    """
    model = procedure.model
    row = session.execute(
        select(model).where(model.id == row_id).with_for_update()
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(procedure.not_found, id=row_id)
    if procedure.scope is not None:
        procedure.scope(session, actor, row)
    else:
        actor.ensure_region(procedure.region_of(session, row))
    return row


def take_step(
    session: Session,
    ctx: Context,
    actor: Actor,
    procedure: Procedure,
    row: Any,
    step: str,
    *,
    on: date | None = None,
    reason: str = "",
    papers: Sequence[Mapping[str, Any]] = (),
    details: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
    consequence: bool = False,
) -> Any:
    """Take ``step`` on a row already locked (see ``locked``); returns the row.

    ``consequence`` is for a step another act causes (an expiry, a granted repair, a
    revoked penalty): only steps the definition lets follow from another act are taken
    that way, and a step only another act may cause is never taken by hand.

    :raises Conflict: a step unknown or not allowed now, or a stale version (the steps
        allowed now named). :raises Forbidden: a role that may not take it.
    :raises InvalidInput: a date out of place, papers not valid or missing.
    """
    definition = procedure.steps.get(step)
    stale = expected_version is not None and expected_version != row.version
    if definition is None or stale or not _may_take(definition, row.state, consequence):
        raise Conflict(
            procedure.out_of_order,
            step=step,
            state=row.state,
            version=row.version,
            allowed_steps=procedure.allowed_steps(row.state),
        )
    if not consequence and actor.role not in definition.roles:
        raise Forbidden("step-role", step=step)
    on = _dated(ctx, procedure, row, on, consequence)
    kept = dict(details or {})
    received = checked_papers(papers, ctx.today())
    if received:
        kept["documents"] = received
    elif definition.paper_required:
        code = definition.paper_required
        raise InvalidInput(code, errors={"documents": [code]})
    after = definition.state_after(row)  # as the step finds the row (a resumed phase)
    definition.effect(Move(session, ctx, actor, row, step, on, reason, kept, consequence))
    _ensure_issued(procedure, step, definition, kept)
    row.state = after
    row.version, row.updated_at = row.version + 1, ctx.now()
    record(session, ctx, actor, procedure, row, step, reason, on, kept)
    if procedure.refresh:
        procedure.refresh(ctx, row)
    return row


def advance(
    ctx: Context,
    actor: Actor,
    procedure: Procedure,
    row_id: int,
    step: str,
    view: Callable[[Session, Context, Any], T],
    **taking: Any,
) -> T:
    """Take one step in a transaction of its own (lock the row, take the step, see
    ``take_step`` for ``taking``) and return ``view`` of the row as it then stands."""
    with ctx.session_factory.begin() as session:
        row = locked(session, actor, procedure, row_id)
        take_step(session, ctx, actor, procedure, row, step, **taking)
        return view(session, ctx, row)


def _ensure_issued(
    procedure: Procedure, step: str, definition: Step, details: Mapping[str, Any]
) -> None:
    """A step issues exactly the documents its definition names: a definition that says
    "serves the notice" and an effect that forgot to issue it cannot both stand.

    :raises RuntimeError: a programming error, answered 500 and logged (the transaction
        rolls back, so no step without its document is kept).
    """
    issued = tuple(paper["kind"] for paper in details.get("issued", ()))
    if issued != definition.issues:
        raise RuntimeError(
            f"{procedure.name}.{step} issued {issued}; its definition says {definition.issues}"
        )


def _may_take(definition: Step, state: str, consequence: bool) -> bool:
    taken_so = definition.by_consequence if consequence else definition.by_hand
    return taken_so and state in definition.follows


def _dated(
    ctx: Context, procedure: Procedure, row: Any, on: date | None, consequence: bool
) -> date:
    """The step's date: today unless given. A step taken by hand lies between the row's
    latest act and today; a consequence keeps its cause's date but never precedes the
    latest act (a penalty revoked before the city published, heard of afterwards: the
    listing comes down dated no earlier than it went up)."""
    on = on or ctx.today()
    acts = procedure.acts(ctx, row)
    if not consequence:
        ensure_step_date(on, today=ctx.today(), follows=acts)
        return on
    ensure_step_date(on, today=ctx.today(), follows={})
    latest = latest_act(acts)
    return max(on, latest[1]) if latest else on


def record(
    session: Session,
    ctx: Context,
    actor: Actor,
    procedure: Procedure,
    row: Any,
    step: str,
    reason: str,
    on: date,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Keep a step in the history and the audit trail (also the opening step, which
    creates the row rather than moving it). The audit row repeats the details the step
    names in ``Step.audited``."""
    kept = dict(details or {})
    taken = procedure.steps.get(step)
    repeated = {key: kept[key] for key in (taken.audited if taken else ()) if key in kept}
    session.add(
        ProcedureStep(
            procedure=procedure.name,
            subject_id=row.id,
            step=step,
            state_after=row.state,
            actor=actor.username,
            at=ctx.now(),
            effective_on=on,
            reason=reason,
            details=kept,
        )
    )
    audit.append(
        session,
        actor=actor,
        action=f"{procedure.audit_prefix}.{step}",
        now=ctx.now(),
        object_type=procedure.object_type,
        object_id=row.id,
        details={"state": row.state, "on": on, **repeated},
    )


def standing(
    session: Session,
    procedure: Procedure,
    row: Any,
    *,
    with_history: bool = True,
    today: date | None = None,
) -> dict[str, Any]:
    """What every procedure's view shows of its row: the state, the steps that may be
    taken by hand from it (those that fit the row on ``today``, when given), the version
    to send back with the next step, and (with the history) the steps taken."""
    allowed = (
        procedure.allowed_steps(row.state) if today is None else procedure.steps_now(row, today)
    )
    shown: dict[str, Any] = {
        "state": row.state,
        "allowed_steps": allowed,
        "version": row.version,
    }
    if with_history:
        shown["steps"] = history(session, procedure, row.id)
    return shown


def history(session: Session, procedure: Procedure, row_id: int) -> list[dict[str, Any]]:
    """The row's steps, oldest first, as every procedure's history view shows them."""
    steps = session.execute(
        select(ProcedureStep)
        .where(ProcedureStep.procedure == procedure.name, ProcedureStep.subject_id == row_id)
        .order_by(ProcedureStep.id)
    ).scalars()
    return [
        {
            "step": s.step,
            "state_after": s.state_after,
            "actor": s.actor,
            "at": s.at,
            "effective_on": s.effective_on,
            "reason": s.reason,
            "details": s.details,
        }
        for s in steps
    ]


def refresh_provisional(ctx: Context, procedure: Procedure) -> int:
    """Recompute every provisional deadline of the procedure once the year's holiday file
    exists (D14); returns how many became final."""
    if procedure.refresh is None or procedure.provisional is None:
        return 0
    with ctx.session_factory.begin() as session:
        rows = session.execute(select(procedure.model).where(procedure.provisional())).scalars()
        return sum(procedure.refresh(ctx, row) for row in rows.all())

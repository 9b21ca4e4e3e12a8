"""Applying for repair: an enterprise, for its own entity, signs the current credit
commitment and submits an application for an eligible record or listing. An
Idempotency-Key makes a double click apply once; one application per target is open at
a time. Submission is the procedure's opening step and starts the acceptance clock."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from credit_service.access import Actor
from credit_service.context import Context
from credit_service.errors import Conflict, Forbidden, InvalidInput
from credit_service.procedures import engine
from credit_service.repair import deadlines
from credit_service.repair.eligibility import assess, parse_target
from credit_service.repair.models import OPEN_STATES, RepairApplication
from credit_service.repair.procedure import REPAIR
from credit_service.repair.views import application_view


def apply(
    ctx: Context,
    actor: Actor,
    *,
    target: str,
    reason: str,
    measures_taken: str,
    obligations_performed: bool,
    commitment_version: str,
    contact: str,
    idempotency_key: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """Submit an application (an enterprise, for its own entity).

    :returns: (application, created?) — the same Idempotency-Key returns the first one.
    :raises InvalidInput: ineligible (listing unmet conditions and the earliest date), or
        a commitment to another text version.
    :raises Conflict: an open application for the same target exists (named).
    """
    kind, target_id = parse_target(target)
    if idempotency_key:
        existing = _by_key(ctx, actor, idempotency_key)
        if existing is not None:
            return _same_target(existing, f"{kind}:{target_id}"), False
    _check_commitment(ctx, commitment_version, obligations_performed)
    try:
        with ctx.session_factory.begin() as session:
            application = _submit(
                session,
                ctx,
                actor,
                kind,
                target_id,
                reason=reason,
                measures_taken=measures_taken,
                contact=contact,
                idempotency_key=idempotency_key,
            )
            return application_view(session, ctx, application), True
    except IntegrityError:
        # Lost a race: a double click, or another open application for the target.
        existing = _by_key(ctx, actor, idempotency_key) if idempotency_key else None
        if existing is not None:
            return _same_target(existing, f"{kind}:{target_id}"), False
        raise _open_conflict(ctx, kind, target_id) from None


def _same_target(existing: dict[str, Any], target: str) -> dict[str, Any]:
    """A repeated Idempotency-Key must repeat the same application, not start another."""
    if existing["target"] != target:
        raise InvalidInput(
            "idempotency-key-reused",
            application_id=existing["id"],
            target=existing["target"],
            errors={"Idempotency-Key": ["idempotency-key-reused"]},
        )
    return existing


def _check_commitment(ctx: Context, version: str, obligations_performed: bool) -> None:
    current = ctx.repair_rules.commitment_version
    errors: dict[str, list[Any]] = {}
    if version != current:
        errors["commitment_version"] = [{"code": "commitment-not-current", "version": current}]
    if not obligations_performed:
        errors["obligations_performed"] = ["obligations-not-declared"]
    if errors:
        raise InvalidInput("commitment-incomplete", errors=errors)


def _submit(
    session: Session, ctx: Context, actor: Actor, kind: str, target_id: int, **values: Any
) -> RepairApplication:
    today, now = ctx.today(), ctx.now()
    entity, result = assess(session, ctx, actor, kind, target_id, today)
    if actor.role != "enterprise":
        raise Forbidden("not-applicant")
    if not result.eligible:
        raise InvalidInput(
            "not-eligible", errors={"target": result.refusals}, earliest=result.earliest
        )
    if _open_for(session, kind, target_id) is not None:
        raise _open_conflict(ctx, kind, target_id)
    application = RepairApplication(
        target_type=kind,
        target_id=target_id,
        entity_id=entity.id,
        region_code=entity.region_code,
        state="submitted",
        obligations_performed=True,
        commitment_version=ctx.repair_rules.commitment_version,
        commitment_text=ctx.repair_rules.commitment_text,
        committed_at=now,
        applicant=actor.username,
        submitted_on=today,
        created_at=now,
        updated_at=now,
        **values,
    )
    deadlines.start_acceptance(ctx, application, today)
    session.add(application)
    session.flush()
    engine.record(session, ctx, actor, REPAIR, application, "submit", values["reason"], today)
    return application


def _open_for(session: Session, kind: str, target_id: int) -> RepairApplication | None:
    return session.execute(
        select(RepairApplication).where(
            RepairApplication.target_type == kind,
            RepairApplication.target_id == target_id,
            RepairApplication.state.in_(OPEN_STATES),
        )
    ).scalar_one_or_none()


def _open_conflict(ctx: Context, kind: str, target_id: int) -> Conflict:
    with ctx.read_session_factory() as session:
        open_one = _open_for(session, kind, target_id)
    return Conflict("application-open", application_id=open_one.id if open_one else None)


def _by_key(ctx: Context, actor: Actor, key: str) -> dict[str, Any] | None:
    with ctx.read_session_factory() as session:
        found = session.execute(
            select(RepairApplication).where(
                RepairApplication.applicant == actor.username,
                RepairApplication.idempotency_key == key,
            )
        ).scalar_one_or_none()
        return application_view(session, ctx, found) if found else None

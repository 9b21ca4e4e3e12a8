"""Filing an objection (D19): the enterprise account bound to the subject (portal and
API), a regulator entering one brought to the office in person or on paper, or a
provincial platform forwarding one it received (with its own reference). An
Idempotency-Key (or the platform's reference) makes a repeat file once; one objection
per target and field is open at a time. Receipt is the procedure's opening step and
starts the acceptance clock."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from credit_service.access import Actor
from credit_service.context import Context
from credit_service.errors import Conflict, Forbidden, InvalidInput
from credit_service.objections import deadlines, targets
from credit_service.objections.models import OPEN_STATES, Objection
from credit_service.objections.procedure import OBJECTION
from credit_service.objections.views import objection_view
from credit_service.procedures import engine
from credit_service.repair import services as repair_services

CHANNEL_BY_ROLE = {
    "enterprise": "enterprise",
    "regulator": "office",
    "admin": "office",
    "sync": "platform",
}


def file_objection(
    ctx: Context,
    actor: Actor,
    *,
    target: str,
    reasons: str,
    contact: str,
    field: str = "",
    value_claimed: str | None = None,
    applicant_name: str | None = None,
    platform_ref: str | None = None,
    idempotency_key: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """Receive an objection.

    :returns: (objection, created?) — the same Idempotency-Key (or platform reference)
        returns the first one.
    :raises Forbidden: a role that may not file one, or another entity's target.
    :raises InvalidInput: an unknown field, or what the channel requires missing.
    :raises Conflict: an open objection to the same target and field (named).
    """
    channel = CHANNEL_BY_ROLE.get(actor.role)
    if channel is None:
        raise Forbidden("objection-filers-only")
    _check_channel(channel, applicant_name, platform_ref)
    kind, target_id = repair_services.parse_target(target)
    existing = _earlier(ctx, actor, idempotency_key, platform_ref)
    if existing is not None:
        return _same_target(existing, f"{kind}:{target_id}", field), False
    values = {
        "reasons": reasons,
        "contact": contact,
        "field": field or "",
        "value_claimed": value_claimed,
        "applicant_name": applicant_name,
        "platform_ref": platform_ref if channel == "platform" else None,
        "idempotency_key": idempotency_key,
    }
    try:
        with ctx.session_factory.begin() as session:
            objection = _receive(session, ctx, actor, channel, kind, target_id, values)
            return objection_view(session, ctx, objection), True
    except IntegrityError:
        # Lost a race: a double click, a repeated forward, or another open objection.
        existing = _earlier(ctx, actor, idempotency_key, platform_ref)
        if existing is not None:
            return _same_target(existing, f"{kind}:{target_id}", field), False
        raise _open_conflict(ctx, kind, target_id, field or "") from None


def _check_channel(channel: str, applicant_name: str | None, platform_ref: str | None) -> None:
    """A regulator names who brought it; a platform gives its own reference."""
    if channel == "office" and not (applicant_name or "").strip():
        raise InvalidInput("applicant-name-required", errors={"applicant_name": ["required"]})
    if channel == "platform" and not (platform_ref or "").strip():
        raise InvalidInput("platform-ref-required", errors={"platform_ref": ["required"]})


def _receive(
    session: Session,
    ctx: Context,
    actor: Actor,
    channel: str,
    kind: str,
    target_id: int,
    values: dict[str, Any],
) -> Objection:
    today, now = ctx.today(), ctx.now()
    target = targets.load(session, actor, kind, target_id)
    targets.ensure_field(target, values["field"])
    if _open_for(session, kind, target_id, values["field"]) is not None:
        raise _open_conflict(ctx, kind, target_id, values["field"])
    objection = Objection(
        target_type=kind,
        target_id=target_id,
        entity_id=target.entity.id,
        region_code=target.entity.region_code,
        state="received",
        channel=channel,
        filed_by=actor.username,
        platform=actor.username if channel == "platform" else None,
        value_shown=target.shown(values["field"]),
        received_on=today,
        created_at=now,
        updated_at=now,
        **{**values, "applicant_name": values["applicant_name"] or target.entity.name},
    )
    deadlines.start_acceptance(ctx, objection, today)
    session.add(objection)
    session.flush()
    engine.record(
        session,
        ctx,
        actor,
        OBJECTION,
        objection,
        "receive",
        values["reasons"],
        today,
        {"channel": channel, "field": values["field"], "platform_ref": values["platform_ref"]},
    )
    return objection


def _same_target(existing: dict[str, Any], target: str, field: str) -> dict[str, Any]:
    """A repeated key must repeat the same objection, not start another."""
    if (existing["target"], existing["field"] or "") != (target, field or ""):
        raise InvalidInput(
            "idempotency-key-reused",
            objection_id=existing["id"],
            target=existing["target"],
            errors={"Idempotency-Key": ["idempotency-key-reused"]},
        )
    return existing


def _open_for(session: Session, kind: str, target_id: int, field: str) -> Objection | None:
    return session.execute(
        select(Objection).where(
            Objection.target_type == kind,
            Objection.target_id == target_id,
            Objection.field == field,
            Objection.state.in_(OPEN_STATES),
        )
    ).scalar_one_or_none()


def _open_conflict(ctx: Context, kind: str, target_id: int, field: str) -> Conflict:
    with ctx.read_session_factory() as session:
        open_one = _open_for(session, kind, target_id, field)
    return Conflict("objection-open", objection_id=open_one.id if open_one else None)


def _earlier(
    ctx: Context, actor: Actor, key: str | None, platform_ref: str | None
) -> dict[str, Any] | None:
    """The objection this request repeats: by the filer's key, or the platform's ref."""
    if actor.role == "sync" and platform_ref:
        where = (Objection.platform == actor.username) & (Objection.platform_ref == platform_ref)
    elif key:
        where = (Objection.filed_by == actor.username) & (Objection.idempotency_key == key)
    else:
        return None
    with ctx.read_session_factory() as session:
        found = session.execute(select(Objection).where(where)).scalar_one_or_none()
        return objection_view(session, ctx, found) if found else None

"""The inspector roster (双随机: the officers who may be drawn) and declared conflicts of
interest, which keep an inspector from ever being drawn for an entity."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credit_service.access import Actor
from credit_service.audit import services as audit
from credit_service.context import Context
from credit_service.entities import services as entity_services
from credit_service.errors import Conflict, InvalidInput, NotFound
from credit_service.inspections.models import Inspector, InspectorConflict


def add_inspector(
    ctx: Context, actor: Actor, *, badge_no: str, name: str, office_region: str
) -> dict[str, Any]:
    """Add an inspector to the roster.

    :raises InvalidInput: unknown office region; :raises Conflict: badge number taken.
    """
    if office_region not in ctx.catalogs.region_codes:
        allowed = ", ".join(sorted(ctx.catalogs.region_codes))
        raise InvalidInput(
            "office-region-unknown",
            errors={"office_region": [{"code": "not-one-of", "allowed": allowed}]},
        )
    actor.ensure_region(office_region)
    with ctx.session_factory.begin() as session:
        if session.execute(select(Inspector).where(Inspector.badge_no == badge_no)).first():
            raise Conflict("inspector-exists", badge_no=badge_no)
        inspector = Inspector(
            badge_no=badge_no, name=name, office_region=office_region, created_at=ctx.now()
        )
        session.add(inspector)
        session.flush()
        audit.append(
            session,
            actor=actor,
            action="inspector.create",
            now=ctx.now(),
            object_type="inspector",
            object_id=inspector.id,
        )
        return inspector_view(inspector)


def set_inspector_active(
    ctx: Context, actor: Actor, inspector_id: int, *, active: bool
) -> dict[str, Any]:
    with ctx.session_factory.begin() as session:
        inspector = _inspector(session, inspector_id)
        actor.ensure_region(inspector.office_region)
        inspector.active = active
        audit.append(
            session,
            actor=actor,
            action="inspector.update",
            now=ctx.now(),
            object_type="inspector",
            object_id=inspector.id,
            details={"active": active},
        )
        return inspector_view(inspector)


def add_conflict(
    ctx: Context, actor: Actor, inspector_id: int, *, entity: str, reason: str
) -> dict[str, Any]:
    """Declare that an inspector must never be drawn for an entity. Both must lie in the
    caller's region scope: a conflict changes whom the inspector may be drawn for, which is
    a change to the inspector as much as activating them is.

    :raises NotFound, Forbidden: no such inspector or entity, or one outside the scope.
    :raises Conflict: the conflict is already declared.
    """
    with ctx.session_factory.begin() as session:
        actor.ensure_region(_inspector(session, inspector_id).office_region)
        owner = entity_services.entity_in_scope(session, actor, entity)
        declared = select(InspectorConflict.id).where(
            InspectorConflict.inspector_id == inspector_id, InspectorConflict.entity_id == owner.id
        )
        if session.execute(declared).first():
            raise Conflict("conflict-exists", inspector_id=inspector_id)
        conflict = InspectorConflict(
            inspector_id=inspector_id, entity_id=owner.id, reason=reason, created_at=ctx.now()
        )
        session.add(conflict)
        session.flush()
        audit.append(
            session,
            actor=actor,
            action="inspector.conflict",
            now=ctx.now(),
            object_type="inspector",
            object_id=inspector_id,
            details={"entity_id": owner.id},
        )
        return {"inspector_id": inspector_id, "entity": owner.identifier, "reason": reason}


def list_inspectors(ctx: Context, actor: Actor) -> list[dict[str, Any]]:
    with ctx.read_session_factory() as session:
        rows = session.execute(select(Inspector).order_by(Inspector.id)).scalars()
        return [inspector_view(i) for i in rows if actor.covers_region(i.office_region)]


def inspector_view(inspector: Inspector) -> dict[str, Any]:
    return {
        "id": inspector.id,
        "badge_no": inspector.badge_no,
        "name": inspector.name,
        "office_region": inspector.office_region,
        "active": inspector.active,
    }


def _inspector(session: Session, inspector_id: int) -> Inspector:
    inspector = session.get(Inspector, inspector_id)
    if inspector is None:
        raise NotFound("inspector-not-found", inspector_id=inspector_id)
    return inspector

"""The regulator's side of enterprise bindings, for the console: the pending queue with
what each enterprise typed when it registered, refusing a binding with a reason, and the
activation codes still open for an entity (listed, revoked).

Approving a binding and issuing a code are in ``accounts`` (the API uses them too). A
regulator acts only on entities of its region: every act here goes through
``entity_services.entity_in_scope`` as the approval does, and each is audited.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credit_service import changes
from credit_service.access import Actor
from credit_service.audit import services as audit
from credit_service.auth.accounts import get_user
from credit_service.auth.models import ActivationCode, User
from credit_service.context import Context
from credit_service.entities import services as entity_services
from credit_service.errors import Conflict, Forbidden, InvalidInput, NotFound

REASON_MAX = 500


def pending_bindings(ctx: Context, actor: Actor) -> list[dict[str, Any]]:
    """Pending enterprise accounts the actor may decide, oldest first, each with what the
    enterprise entered (name, USCC, contact) beside the register's name of that USCC
    (None when no entity has it: only an administrator sees those, and may only refuse)."""
    with ctx.read_session_factory() as session:
        users = (
            session.execute(
                select(User)
                .where(User.role == "enterprise", User.binding_status == "pending")
                .order_by(User.created_at, User.id)
            )
            .scalars()
            .all()
        )
        queue = []
        for user in users:
            entity = _entity_or_none(session, actor, user.uscc or "")
            if entity is None and actor.role != "admin":
                continue
            queue.append(
                {
                    "username": user.username,
                    "display_name": user.display_name,
                    "uscc": user.uscc,
                    "contact": user.contact,
                    "registered_at": user.created_at,
                    "entity_name": entity.name if entity else None,
                    "region_code": entity.region_code if entity else None,
                }
            )
        return queue


def _entity_or_none(session: Session, actor: Actor, uscc: str) -> Any | None:
    try:
        return entity_services.entity_in_scope(session, actor, uscc)
    except (NotFound, Forbidden):
        return None


def refuse_binding(ctx: Context, actor: Actor, username: str, *, reason: str) -> None:
    """Refuse a pending binding, with the reason (kept in the audit trail); the account
    stays unable to act. An administrator may refuse one whose USCC no entity has.

    :raises InvalidInput: no reason; :raises NotFound, Forbidden, Conflict:
    """
    reason = reason.strip()
    if not reason or len(reason) > REASON_MAX:
        raise InvalidInput("binding-reason", errors={"reason": ["binding-reason"]})
    with ctx.session_factory.begin() as session:
        user = get_user(session, username, for_update=True)
        if user.role != "enterprise" or user.binding_status != "pending":
            raise Conflict("no-pending-binding")
        if actor.role != "admin" or _entity_or_none(session, actor, user.uscc or ""):
            entity_services.entity_in_scope(session, actor, user.uscc or "")
        user.binding_status, user.updated_at = "refused", ctx.now()
        changes.record(
            session, changes.BindingDecided(user.username, False, ctx.today(), reason)
        )  # the enterprise hears why (notifications)
        audit.append(
            session,
            actor=actor,
            action="user.refuse_binding",
            now=ctx.now(),
            object_type="user",
            object_id=user.id,
            details={"uscc": user.uscc, "reason": reason},
        )


def open_codes(ctx: Context, actor: Actor) -> list[dict[str, Any]]:
    """Activation codes neither used nor expired, of entities in the actor's region,
    newest first (never the code itself: only its hash is kept)."""
    now = ctx.now()
    with ctx.read_session_factory() as session:
        codes = (
            session.execute(
                select(ActivationCode)
                .where(ActivationCode.used_at.is_(None), ActivationCode.expires_at > now)
                .order_by(ActivationCode.id.desc())
            )
            .scalars()
            .all()
        )
        shown = []
        for code in codes:
            entity = _entity_or_none(session, actor, code.uscc)
            if entity is not None:
                shown.append(
                    {
                        "id": code.id,
                        "uscc": code.uscc,
                        "entity_name": entity.name,
                        "issued_by": code.issued_by,
                        "created_at": code.created_at,
                        "expires_at": code.expires_at,
                    }
                )
        return shown


def revoke_code(ctx: Context, actor: Actor, code_id: int) -> None:
    """Revoke an open activation code at once: it expires now (it can no longer be
    redeemed; the audit trail says it was revoked, and by whom).

    :raises NotFound, Forbidden, Conflict: unknown, outside the region, used or expired.
    """
    with ctx.session_factory.begin() as session:
        code = session.get(ActivationCode, code_id, with_for_update=True)
        if code is None:
            raise NotFound("activation-code-not-found", code_id=code_id)
        entity = entity_services.entity_in_scope(session, actor, code.uscc)
        now = ctx.now()
        if code.used_at is not None or code.expires_at <= now:
            raise Conflict("activation-code-closed")
        code.expires_at = now
        audit.append(
            session,
            actor=actor,
            action="user.revoke_activation_code",
            now=now,
            object_type="entity",
            object_id=entity.id,
            details={"code_id": code.id},
        )

"""Account life cycle: passwords, disabling, and binding enterprise accounts to their USCC.

An enterprise account acts for one entity only, so it becomes active only when a
regulator of that entity's region approves the binding, or when the enterprise redeems
a one-time activation code that such a regulator issued.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credit_service import changes, identifiers
from credit_service.access import Actor
from credit_service.audit import services as audit
from credit_service.auth import passwords, services, throttle
from credit_service.auth.models import ActivationCode, ApiToken, PasswordHistory, User
from credit_service.auth.sessions import end_user_sessions
from credit_service.context import Context
from credit_service.entities import services as entity_services
from credit_service.errors import Conflict, Forbidden, InvalidInput, NotFound

ACTIVATION_DAYS = 7


def get_user(session: Session, username: str, *, for_update: bool = False) -> User:
    """:raises NotFound:"""
    query = select(User).where(User.username == username)
    if for_update:
        query = query.with_for_update()
    user = session.execute(query).scalar_one_or_none()
    if user is None:
        raise NotFound("user-not-found", username=username)
    return user


def change_password(
    ctx: Context, actor: Actor, *, current_password: str, new_password: str
) -> None:
    """Change the caller's own password; every session of the account ends (sign in again).

    :raises Forbidden: wrong current password; :raises InvalidInput: policy or reuse.
    """
    services.ensure_password_policy(ctx, new_password, username=actor.username)
    with ctx.session_factory.begin() as session:
        user = get_user(session, actor.username, for_update=True)
        if not passwords.verify_password(user.password_hash, current_password):
            raise Forbidden("wrong-password")
        _ensure_not_reused(ctx, session, user, new_password)
        now = ctx.now()
        services.store_password(session, user, new_password, now)
        end_user_sessions(session, user.id, now)
        audit.append(
            session,
            actor=actor,
            action="user.change_password",
            now=now,
            object_type="user",
            object_id=user.id,
        )


def _ensure_not_reused(ctx: Context, session: Session, user: User, password: str) -> None:
    profile = passwords.PROFILES[ctx.settings.password_profile]
    if not profile.history or ctx.settings.password_history <= 0:
        return
    earlier = (
        session.execute(
            select(PasswordHistory.password_hash)
            .where(PasswordHistory.user_id == user.id)
            .order_by(PasswordHistory.id.desc())
            .limit(ctx.settings.password_history - 1)
        )
        .scalars()
        .all()
    )
    if any(passwords.verify_password(h, password) for h in [user.password_hash, *earlier]):
        raise InvalidInput(
            "password-reused",
            errors={"new_password": ["password-recently-used"]},
            count=ctx.settings.password_history,
        )


def set_active(ctx: Context, actor: Actor, username: str, *, active: bool) -> dict[str, Any]:
    """Enable or disable an account; disabling ends its sessions and blocks its tokens.

    :raises NotFound: :raises Conflict: disabling the last active administrator.
    """
    with ctx.session_factory.begin() as session:
        admins = [] if active else _active_admins(session)
        user = get_user(session, username, for_update=True)
        if admins == [user.id]:
            raise Conflict("last-admin")
        user.is_active, user.updated_at = active, ctx.now()
        if not active:
            end_user_sessions(session, user.id, ctx.now())
        audit.append(
            session,
            actor=actor,
            action="user.enable" if active else "user.disable",
            now=ctx.now(),
            object_type="user",
            object_id=user.id,
        )
        return services.user_view(user)


def _active_admins(session: Session) -> list[int]:
    """The ids of the active administrators, their rows locked in id order: two admins
    disabling each other at once then take turns (the second sees the first's change)
    instead of both succeeding, and never deadlock."""
    query = (
        select(User.id)
        .where(User.role == "admin", User.is_active.is_(True))
        .order_by(User.id)
        .with_for_update()
    )
    return list(session.execute(query).scalars())


def unlock(ctx: Context, actor: Actor, username: str) -> dict[str, Any]:
    """Lift the sign-in locks of an account, for every source, before their time.

    :raises NotFound:
    """
    with ctx.session_factory.begin() as session:
        user = get_user(session, username, for_update=True)
        sources = throttle.unlock(session, user)
        user.updated_at = ctx.now()
        audit.append(
            session,
            actor=actor,
            action="user.unlock",
            now=ctx.now(),
            object_type="user",
            object_id=user.id,
            details={"sources": sources},
        )
        return services.user_view(user)


def register_enterprise(
    ctx: Context,
    *,
    username: str,
    password: str,
    uscc: str,
    display_name: str,
    contact: str,
    activation_code: str | None,
    source_ip: str | None,
    email: str | None = None,
) -> dict[str, Any]:
    """Self-registration of an enterprise account: active at once with a valid activation
    code, otherwise pending until a regulator approves the binding. Returns the receipt
    (user name, USCC, binding status).

    Without a code the answer does not tell whether the user name was free (ASVS 5.0
    V6.3.8): a taken name creates nothing, costs the same password hashing, is audited,
    and gets the same receipt as a new pending account. Only a registrant whose code
    shows that it acts for the entity learns that the name is taken, as it must to pick
    another (the code is not used up by that refusal).

    :raises InvalidInput: :raises Conflict: a taken name, with an activation code.
    """
    uscc = identifiers.normalize_uscc(uscc)
    public = Actor(role="public", username=username[:100], source_ip=source_ip, via="anonymous")
    with ctx.session_factory.begin() as session:
        status = "pending"
        if activation_code:
            _redeem(session, ctx, uscc, activation_code)
            status = "approved"
        try:
            services.add_user(
                session,
                ctx,
                public,
                username=username,
                display_name=display_name,
                role="enterprise",
                region_code=None,
                uscc=uscc,
                password=password,
                binding_status=status,
                contact=contact,
                email=email,
            )
        except Conflict as exc:
            if activation_code or exc.code != "user-exists":
                raise
            _refuse_taken_name(ctx, session, public, uscc, password)
        return {"username": username, "uscc": uscc, "binding_status": status}


def _refuse_taken_name(
    ctx: Context, session: Session, public: Actor, uscc: str, password: str
) -> None:
    """A pending registration under a taken name: nothing is created, but the password
    is hashed as a new account's would be (the answer takes as long) and the attempt is
    audited (a run of them is someone probing for user names)."""
    passwords.hash_password(password)
    audit.append(
        session,
        actor=public,
        action="user.register",
        now=ctx.now(),
        object_type="user",
        outcome="name-taken",
        details={"uscc": uscc},
    )


def _redeem(session: Session, ctx: Context, uscc: str, code: str) -> None:
    """Use up an activation code for ``uscc`` (in the caller's transaction).

    :raises InvalidInput: unknown, used, expired, or for another USCC.
    """
    found = session.execute(
        select(ActivationCode)
        .where(ActivationCode.code_hash == _digest(code.strip()))
        .with_for_update()
    ).scalar_one_or_none()
    now = ctx.now()
    if found is None or found.uscc != uscc or found.used_at or found.expires_at <= now:
        raise InvalidInput(
            "bad-activation-code", errors={"activation_code": ["bad-activation-code"]}
        )
    found.used_at = now


@dataclass(frozen=True)
class IssuedCode:
    code: str
    uscc: str
    expires_at: datetime


def issue_activation_code(ctx: Context, actor: Actor, uscc: str) -> IssuedCode:
    """A one-time code for the entity's enterprise account (shown once, stored hashed).

    :raises NotFound: no such entity; :raises Forbidden: outside the regulator's region.
    """
    with ctx.session_factory.begin() as session:
        entity = entity_services.entity_in_scope(session, actor, uscc)
        code = "-".join(secrets.token_hex(2).upper() for _ in range(4))
        now = ctx.now()
        record = ActivationCode(
            uscc=entity.identifier,
            code_hash=_digest(code),
            issued_by=actor.username,
            created_at=now,
            expires_at=now + timedelta(days=ACTIVATION_DAYS),
        )
        session.add(record)
        audit.append(
            session,
            actor=actor,
            action="user.issue_activation_code",
            now=now,
            object_type="entity",
            object_id=entity.id,
        )
        return IssuedCode(code, entity.identifier, record.expires_at)


def approve_binding(ctx: Context, actor: Actor, username: str) -> dict[str, Any]:
    """Approve a pending enterprise account's binding to its USCC.

    :raises NotFound, Forbidden, Conflict:
    """
    with ctx.session_factory.begin() as session:
        user = get_user(session, username, for_update=True)
        if user.role != "enterprise" or user.binding_status != "pending":
            raise Conflict("no-pending-binding")
        entity_services.entity_in_scope(session, actor, user.uscc or "")
        user.binding_status, user.updated_at = "approved", ctx.now()
        changes.record(session, changes.BindingDecided(user.username, True, ctx.today()))
        audit.append(
            session,
            actor=actor,
            action="user.approve_binding",
            now=ctx.now(),
            object_type="user",
            object_id=user.id,
            details={"uscc": user.uscc},
        )
        return services.user_view(user)


def list_users(ctx: Context, actor: Actor, *, pending_only: bool = False) -> list[dict[str, Any]]:
    """Accounts (admins), or the pending enterprise bindings a regulator may approve."""
    with ctx.read_session_factory() as session:
        query = select(User).order_by(User.id)
        if pending_only or actor.role != "admin":
            query = query.where(User.role == "enterprise", User.binding_status == "pending")
        users = session.execute(query).scalars().all()
        if actor.role != "admin":
            users = [u for u in users if _binding_in_scope(session, actor, u)]
        return [services.user_view(u) for u in users]


def _binding_in_scope(session: Session, actor: Actor, user: User) -> bool:
    try:
        entity_services.entity_in_scope(session, actor, user.uscc or "")
    except (NotFound, Forbidden):
        return False
    return True


def list_tokens(ctx: Context) -> list[dict[str, Any]]:
    """Every API token's metadata (never its secret)."""
    with ctx.read_session_factory() as session:
        rows = session.execute(
            select(ApiToken, User.username)
            .join(User, User.id == ApiToken.user_id)
            .order_by(ApiToken.id)
        ).all()
        return [
            {
                "id": t.id,
                "username": name,
                "name": t.name,
                "prefix": t.prefix,
                "scopes": t.scopes,
                "created_at": t.created_at,
                "expires_at": t.expires_at,
                "revoked_at": t.revoked_at,
                "last_used_at": t.last_used_at,
            }
            for t, name in rows
        ]


def _digest(code: str) -> str:
    return hashlib.sha256(code.upper().encode("utf-8")).hexdigest()

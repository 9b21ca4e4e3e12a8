"""Passwords an administrator hands over: a new account's first password and a reset
one. Each is random (``passwords.temporary_password``), returned once to be shown once,
and must be changed at the account's first sign-in with it: the stored change time is
left empty, which ``sessions`` reads as "chosen by someone else, change it first".
"""

from __future__ import annotations

from typing import Any

from credit_service.access import Actor
from credit_service.audit import services as audit
from credit_service.auth import passwords, services
from credit_service.auth.accounts import get_user
from credit_service.auth.sessions import end_user_sessions
from credit_service.context import Context

# Machine clients sign in with tokens only: their accounts get no password.
TOKEN_ONLY_ROLES = frozenset({"sync"})


def create_account(
    ctx: Context,
    actor: Actor,
    *,
    username: str,
    display_name: str,
    role: str,
    region_code: str | None,
    uscc: str | None,
) -> tuple[dict[str, Any], str | None]:
    """Create an account with a first password to hand over (None for a machine client).

    :raises InvalidInput, Conflict:
    """
    password = None if role in TOKEN_ONLY_ROLES else passwords.temporary_password()
    with ctx.session_factory.begin() as session:
        user = services.add_user(
            session,
            ctx,
            actor,
            username=username,
            display_name=display_name,
            role=role,
            region_code=region_code,
            uscc=uscc,
            password=password,
            binding_status="approved",
            contact=None,
        )
        user.password_changed_at = None
        return services.user_view(user), password


def reset_password(ctx: Context, actor: Actor, username: str) -> str:
    """Give an account a new password, for someone who forgot theirs; every session of
    the account ends. Returns the password (shown once).

    :raises NotFound:
    """
    password = passwords.temporary_password()
    with ctx.session_factory.begin() as session:
        user = get_user(session, username, for_update=True)
        now = ctx.now()
        services.store_password(session, user, password, now)
        user.password_changed_at = None
        end_user_sessions(session, user.id, now)
        audit.append(
            session,
            actor=actor,
            action="user.reset_password",
            now=now,
            object_type="user",
            object_id=user.id,
        )
    return password

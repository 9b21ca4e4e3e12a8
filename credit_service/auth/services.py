"""Accounts: create, validate, the checks every way of acting shares (API tokens are in
``tokens.py``)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credit_service import identifiers
from credit_service.access import ROLES, Actor
from credit_service.audit import services as audit
from credit_service.auth import passwords
from credit_service.auth.models import PasswordHistory, User
from credit_service.context import Context
from credit_service.errors import Conflict, InvalidInput

DEFAULT_SCOPES = {
    "admin": ("read", "write", "admin", "metrics"),  # metrics: /metrics alone (Prometheus)
    "regulator": ("read", "write"),
    "viewer": ("read",),
    "checker": ("credit-check",),
    "enterprise": ("read", "write"),
    "sync": ("sync",),
    "auditor": ("read", "audit"),
}
ALL_SCOPES = frozenset(s for scopes in DEFAULT_SCOPES.values() for s in scopes)

EMAIL_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EMAIL_CHARS = 254  # users.email


def account_refusal(account: Any) -> str | None:
    """Why the account may not act now (``account-disabled`` or ``binding-pending``, the
    error code and the audit outcome of a refused sign-in), or None when it may.

    The one account check of every way in — sign-in, each request of a session, each
    call with a token, and issuing a token — so that none can skip one (ASVS 5.0
    V6.1.3): a disabled account, or an enterprise account whose binding to its USCC no
    regulator has approved (it would act for an entity nobody vouched for). ``account``
    is a User or the token query's row. Two sign-in rules are not here, on purpose: the
    back-off after wrong passwords (``throttle``) locks one source out of the password,
    and stopping the account's tokens for it would let anyone who types wrong passwords
    stop its machine clients; an expired password (MLPS) must be changed at the next
    sign-in, but a token is a credential of its own, with its own expiry, and is not
    turned off because the password is old.
    """
    if not account.is_active:
        return "account-disabled"
    if account.binding_status != "approved":
        return "binding-pending"
    return None


def actor_for(
    ctx: Context, user: User, *, scopes: frozenset[str], via: str, source_ip: str | None
) -> Actor:
    """The Actor a user acts as: role, region scope, own USCC, token scopes."""
    return Actor(
        role=user.role,
        username=user.username,
        user_id=user.id,
        region_code=user.region_code,
        city_code=ctx.catalogs.city.code,
        uscc=user.uscc,
        scopes=scopes,
        source_ip=source_ip,
        via=via,
    )


def validate_account(
    ctx: Context, *, role: str, region_code: str | None, uscc: str | None
) -> tuple[str | None, str | None]:
    """Check the role's scope fields; returns (region_code, normalised uscc).

    :raises InvalidInput:
    """
    errors: dict[str, list[Any]] = {}
    if role not in ROLES:
        errors["role"] = [{"code": "not-one-of", "allowed": ", ".join(ROLES)}]
    if role in ("regulator", "viewer") and region_code not in ctx.catalogs.region_codes:
        errors["region_code"] = ["region-required-for-role"]
    if role == "enterprise":
        try:
            uscc = identifiers.normalize_uscc(uscc or "")
        except identifiers.InvalidIdentifier as exc:
            errors["uscc"] = [exc.field_error]
    elif uscc:
        errors["uscc"] = ["uscc-only-for-enterprise"]
    if errors:
        raise InvalidInput("account-invalid", errors=errors)
    return (region_code if role in ("regulator", "viewer") else None), uscc


def create_user(
    ctx: Context,
    actor: Actor,
    *,
    username: str,
    display_name: str,
    role: str,
    region_code: str | None = None,
    uscc: str | None = None,
    password: str | None = None,
    binding_status: str = "approved",
    contact: str | None = None,
    email: str | None = None,
) -> User:
    """Create an account; a password must pass the configured policy.

    :raises InvalidInput, Conflict:
    """
    with ctx.session_factory.begin() as session:
        return add_user(
            session,
            ctx,
            actor,
            username=username,
            display_name=display_name,
            role=role,
            region_code=region_code,
            uscc=uscc,
            password=password,
            binding_status=binding_status,
            contact=contact,
            email=email,
        )


def add_user(
    session: Session,
    ctx: Context,
    actor: Actor,
    *,
    username: str,
    display_name: str,
    role: str,
    region_code: str | None,
    uscc: str | None,
    password: str | None,
    binding_status: str,
    contact: str | None,
    email: str | None = None,
) -> User:
    """Insert an account inside the caller's transaction (see create_user)."""
    region_code, uscc = validate_account(ctx, role=role, region_code=region_code, uscc=uscc)
    email = valid_email(email)
    if password is not None:
        ensure_password_policy(ctx, password, username=username)
    if session.execute(select(User).where(User.username == username)).first():
        raise Conflict("user-exists", username=username)
    now = ctx.now()
    user = User(
        username=username,
        display_name=display_name,
        role=role,
        region_code=region_code,
        uscc=uscc,
        binding_status=binding_status,
        contact=contact,
        email=email,
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    session.flush()
    if password is not None:
        store_password(session, user, password, now)
    audit.append(
        session,
        actor=actor,
        action="user.create",
        now=now,
        object_type="user",
        object_id=user.id,
        details={"role": role, "region_code": region_code, "binding_status": binding_status},
    )
    return user


def email_address(text: str | None) -> str | None:
    """``text`` as an e-mail address (trimmed), or None when it is not one as a whole."""
    text = (text or "").strip()
    return text if EMAIL_ADDRESS.match(text) and len(text) <= EMAIL_CHARS else None


def valid_email(text: str | None) -> str | None:
    """An account's optional e-mail address (where its notifications go).

    :raises InvalidInput: given, but not an address."""
    if not (text or "").strip():
        return None
    address = email_address(text)
    if address is None:
        raise InvalidInput("invalid-email", errors={"email": ["invalid-email"]})
    return address


def ensure_password_policy(ctx: Context, password: str, *, username: str) -> None:
    """:raises InvalidInput: naming every rule the password breaks."""
    profile = passwords.PROFILES[ctx.settings.password_profile]
    problems = passwords.policy_problems(password, profile, username=username)
    if problems:
        raise InvalidInput("weak-password", errors={"password": problems}, policy=profile.name)


def store_password(session: Session, user: User, password: str, now: datetime) -> None:
    """Set a new password, keeping the old hash in the history (for the reuse rule)."""
    if user.password_hash:
        session.add(
            PasswordHistory(user_id=user.id, password_hash=user.password_hash, created_at=now)
        )
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = now
    user.updated_at = now


def user_view(user: User) -> dict[str, Any]:
    """An account as admins see it (never its password hash)."""
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "region_code": user.region_code,
        "uscc": user.uscc,
        "is_active": user.is_active,
        "binding_status": user.binding_status,
        "locked_until": user.locked_until,
        "password_changed_at": user.password_changed_at,
    }

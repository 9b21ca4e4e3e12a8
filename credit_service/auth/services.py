"""Accounts and API tokens: create, authenticate, revoke."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from credit_service import identifiers
from credit_service.access import ROLES, Actor
from credit_service.audit import services as audit
from credit_service.auth import passwords
from credit_service.auth.models import ApiToken, PasswordHistory, User
from credit_service.context import Context
from credit_service.db import reading
from credit_service.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from credit_service.notices import change_notices

# The public prefix of token strings, not a secret.
TOKEN_PREFIX = "cst"  # nosec B105  # a public marker in every token string, not a secret
DEFAULT_SCOPES = {
    "admin": ("read", "write", "admin"),
    "regulator": ("read", "write"),
    "viewer": ("read",),
    "checker": ("credit-check",),
    "enterprise": ("read", "write"),
    "sync": ("sync",),
    "auditor": ("read", "audit"),
}
ALL_SCOPES = frozenset(s for scopes in DEFAULT_SCOPES.values() for s in scopes)
LAST_USED_RESOLUTION = timedelta(minutes=1)
KEPT_TOKENS_MAX = 10_000  # tokens a worker keeps (all dropped at once when full)
# Built once and run at the Core level: it runs on every API call.
TOKEN_QUERY = (
    select(
        ApiToken.id,
        ApiToken.token_hash,
        ApiToken.scopes,
        ApiToken.expires_at,
        ApiToken.revoked_at,
        ApiToken.last_used_at,
        User.id.label("user_id"),
        User.username,
        User.role,
        User.region_code,
        User.uscc,
        User.is_active,
        User.binding_status,
    )
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.prefix == bindparam("prefix"))
)


# Why an account may not act (problem codes, and audit outcomes of sign-in attempts).
ACCOUNT_REFUSALS = {
    "account-disabled": "the account is disabled; 账号已停用",
    "binding-pending": (
        "the account's binding to its USCC awaits a regulator's approval; 账号绑定待监管部门审核"
    ),
}


def account_refusal(account: Any) -> str | None:
    """Why the account may not act now (a key of ACCOUNT_REFUSALS), or None when it may.

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
    errors: dict[str, list[str]] = {}
    if role not in ROLES:
        errors["role"] = [f"must be one of {', '.join(ROLES)}"]
    if role in ("regulator", "viewer") and region_code not in ctx.catalogs.region_codes:
        errors["region_code"] = ["regulators and viewers need the city or a district code"]
    if role == "enterprise":
        try:
            uscc = identifiers.normalize_uscc(uscc or "")
        except identifiers.InvalidIdentifier as exc:
            errors["uscc"] = [exc.detail]
    elif uscc:
        errors["uscc"] = ["only enterprise accounts are bound to a USCC"]
    if errors:
        raise InvalidInput("account data is invalid; 账号信息有误", errors=errors)
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
) -> User:
    """Insert an account inside the caller's transaction (see create_user)."""
    region_code, uscc = validate_account(ctx, role=role, region_code=region_code, uscc=uscc)
    if password is not None:
        ensure_password_policy(ctx, password, username=username)
    if session.execute(select(User).where(User.username == username)).first():
        raise Conflict(f"user '{username}' exists; 用户名已存在", code="user-exists")
    now = ctx.now()
    user = User(
        username=username,
        display_name=display_name,
        role=role,
        region_code=region_code,
        uscc=uscc,
        binding_status=binding_status,
        contact=contact,
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


def ensure_password_policy(ctx: Context, password: str, *, username: str) -> None:
    """:raises InvalidInput: naming every rule the password breaks."""
    profile = passwords.PROFILES[ctx.settings.password_profile]
    problems = passwords.policy_problems(password, profile, username=username)
    if problems:
        raise InvalidInput(
            f"the password does not meet the {profile.name} policy; 密码不符合要求",
            code="weak-password",
            errors={"password": problems},
        )


def store_password(session: Session, user: User, password: str, now: datetime) -> None:
    """Set a new password, keeping the old hash in the history (for the reuse rule)."""
    if user.password_hash:
        session.add(
            PasswordHistory(user_id=user.id, password_hash=user.password_hash, created_at=now)
        )
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = now
    user.updated_at = now


@dataclass(frozen=True)
class IssuedToken:
    """A new token: ``secret`` is shown once and never stored."""

    secret: str
    token_id: int
    prefix: str
    expires_at: datetime
    scopes: tuple[str, ...]


def create_token(
    ctx: Context,
    actor: Actor,
    *,
    username: str,
    name: str,
    scopes: list[str] | None = None,
    days: int | None = None,
) -> IssuedToken:
    """Issue a bearer token for a user; only its SHA-256 is kept. Not for an account
    that may not act (a token would not work, and would start working unnoticed the day
    the account is enabled or bound).

    :raises NotFound, Conflict, InvalidInput:
    """
    with ctx.session_factory.begin() as session:
        user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is None:
            raise NotFound(f"no user '{username}'; 用户不存在", code="user-not-found")
        refusal = account_refusal(user)
        if refusal:
            raise Conflict(ACCOUNT_REFUSALS[refusal], code=refusal)
        chosen = tuple(scopes or DEFAULT_SCOPES[user.role])
        allowed = set(DEFAULT_SCOPES[user.role])
        if not set(chosen) <= allowed:
            raise InvalidInput(
                "scopes beyond the user's role; 权限范围超出角色",
                errors={"scopes": [f"allowed: {', '.join(sorted(allowed))}"]},
            )
        prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        now = ctx.now()
        token = ApiToken(
            user_id=user.id,
            name=name,
            prefix=prefix,
            token_hash=_digest(secret),
            scopes=list(chosen),
            created_at=now,
            expires_at=now + timedelta(days=days or ctx.settings.token_default_days),
        )
        session.add(token)
        session.flush()
        audit.append(
            session,
            actor=actor,
            action="token.create",
            now=now,
            object_type="token",
            object_id=token.id,
            details={"user": username, "scopes": list(chosen)},
        )
        return IssuedToken(
            f"{TOKEN_PREFIX}_{prefix}_{secret}", token.id, prefix, token.expires_at, chosen
        )


def authenticate_token(ctx: Context, raw: str, *, source_ip: str | None) -> Actor:
    """The Actor behind a bearer token (one indexed query: this runs on every API call).

    :raises Unauthenticated: for a malformed, unknown, expired or revoked token, or an
        account that may not act (``account_refusal``; one message for all: no oracle
        for token guessing).
    """
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        raise _bad_token()
    _, prefix, secret = parts
    now = ctx.now()
    kept = _token_row(ctx, prefix)
    found = kept.row if kept else None
    if found is None or not _usable(found, secret, now):
        raise _bad_token()
    _touch(ctx, kept, now)
    return Actor(
        role=found.role,
        username=found.username,
        user_id=found.user_id,
        region_code=found.region_code,
        city_code=ctx.catalogs.city.code,
        uscc=found.uscc,
        scopes=frozenset(found.scopes),
        source_ip=source_ip,
        via="token",
    )


@dataclass
class KeptToken:
    """A token's row (with its user's) as a worker read it, the change-notice generation
    it was read under (None: not kept), and when this worker last noted its use."""

    row: Any
    generation: int | None
    noted_at: datetime | None


def _token_row(ctx: Context, prefix: str) -> KeptToken | None:
    """The token's row: kept by the worker while PostgreSQL announces no change of tokens
    or users (``notices``: revoking a token, or disabling or binding its user, is seen at
    once), else one indexed read. Unknown prefixes are never kept (guessing cannot fill
    memory)."""
    notices = change_notices(ctx)
    generation = notices.generation("auth") if notices else None
    tokens: dict[str, KeptToken] = ctx.extras.setdefault("kept_tokens", {})
    kept = tokens.get(prefix)
    if generation is not None and kept is not None and kept.generation == generation:
        return kept
    with reading(ctx.read_session_factory) as connection:
        row = connection.execute(TOKEN_QUERY, {"prefix": prefix}).first()
    if row is None:
        return None
    kept = KeptToken(row, generation, kept.noted_at if kept else None)
    if generation is not None:
        if len(tokens) >= KEPT_TOKENS_MAX:
            tokens.clear()
        tokens[prefix] = kept
    return kept


def _usable(token: Any, secret: str, now: datetime) -> bool:
    return (
        hmac.compare_digest(token.token_hash, _digest(secret))
        and token.revoked_at is None
        and token.expires_at > now
        and account_refusal(token) is None
    )


def _touch(ctx: Context, kept: KeptToken, now: datetime) -> None:
    """Note the last use, at most once a minute, so reads do not become writes."""
    last_used_at = kept.noted_at or kept.row.last_used_at
    if last_used_at and now - last_used_at < LAST_USED_RESOLUTION:
        return
    with ctx.session_factory.begin() as session:
        session.execute(update(ApiToken).where(ApiToken.id == kept.row.id).values(last_used_at=now))
    kept.noted_at = now


def revoke_token(ctx: Context, actor: Actor, token_id: int) -> None:
    """Revoke a token at once.

    :raises NotFound:
    """
    with ctx.session_factory.begin() as session:
        token = session.get(ApiToken, token_id)
        if token is None:
            raise NotFound(f"no token {token_id}; 令牌不存在", code="token-not-found")
        if token.revoked_at is None:
            token.revoked_at = ctx.now()
            audit.append(
                session,
                actor=actor,
                action="token.revoke",
                now=ctx.now(),
                object_type="token",
                object_id=token_id,
            )


def _digest(secret: str) -> str:
    # Tokens carry 256 bits of randomness, so a fast hash is as safe as a slow one here.
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _bad_token() -> Unauthenticated:
    return Unauthenticated(
        "the token is invalid, expired or revoked; 令牌无效、已过期或已撤销", code="invalid-token"
    )


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

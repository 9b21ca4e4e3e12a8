"""API tokens (machine clients and scripts): issue, authenticate on every call, revoke.

Only a token's SHA-256 is stored; the secret is shown once. Authentication runs on every
API call, so its query is built once and its row is kept per worker while PostgreSQL
announces no change (``credit_service/notices.py``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update

from credit_service.access import Actor
from credit_service.audit import services as audit
from credit_service.auth.models import ApiToken, User
from credit_service.auth.services import DEFAULT_SCOPES, account_refusal
from credit_service.context import Context
from credit_service.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from credit_service.held_connections import reading
from credit_service.notices import change_notices

# The public prefix of token strings, not a secret.
TOKEN_PREFIX = "cst"  # nosec B105  # a public marker in every token string, not a secret

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
            raise NotFound("user-not-found", username=username)
        refusal = account_refusal(user)
        if refusal:
            raise Conflict(refusal)
        chosen = tuple(scopes or DEFAULT_SCOPES[user.role])
        allowed = set(DEFAULT_SCOPES[user.role])
        if not set(chosen) <= allowed:
            raise InvalidInput(
                "scopes-beyond-role",
                errors={"scopes": [{"code": "not-one-of", "allowed": ", ".join(sorted(allowed))}]},
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
            raise NotFound("token-not-found", token_id=token_id)
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
    return Unauthenticated("invalid-token")

"""Web sign-in: server-side sessions, back-off per account and source after repeated failures
(``throttle``), every attempt audited.

The cookie carries a random session id; the database keeps only its SHA-256, the CSRF
token, and the times that decide the idle and absolute timeouts.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from credit_service.access import Actor
from credit_service.audit import services as audit
from credit_service.auth import passwords, throttle
from credit_service.auth.models import User, WebSession
from credit_service.auth.services import DEFAULT_SCOPES, account_refusal, actor_for
from credit_service.context import Context
from credit_service.errors import Unauthenticated

TOUCH_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class SignedIn:
    """A new session: the cookie value (shown once) and its CSRF token."""

    session_id: str
    csrf_token: str
    actor: Actor
    password_expired: bool


def sign_in(
    ctx: Context,
    username: str,
    password: str,
    *,
    source_ip: str | None,
    previous_session: str | None = None,
) -> SignedIn:
    """Check the password and open a new session (a new id: no session fixation).

    :raises Unauthenticated: one code (``sign-in-failed``) for an unknown user, a wrong
        password, a locked or disabled account; ``binding-pending`` for the right
        password of an enterprise account whose binding awaits approval
        (``binding-refused`` when it was refused).
    """
    now = ctx.now()
    attempt = Actor(role="public", username=username[:100], source_ip=source_ip, via="session")
    with ctx.session_factory.begin() as session:
        user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        outcome = _check(ctx, session, user, password, now, throttle.source_key(source_ip))
        audit.append(
            session,
            actor=attempt,
            action="auth.sign_in",
            now=now,
            object_type="user",
            object_id=user.id if user else None,
            outcome=outcome,
        )
        if outcome != "success":
            signed_in = None
        else:
            if previous_session:
                _end(session, previous_session, now)
            signed_in = _open_session(ctx, session, user, now, source_ip)
    if signed_in is None:
        raise Unauthenticated(_refusal_shown(user, outcome))
    return signed_in


def _refusal_shown(user: User | None, outcome: str) -> str:
    """What a refused sign-in is told: that the binding awaits approval or was refused,
    to the right password of such an account only (the account checks come after the
    password: this tells a guesser nothing); ``sign-in-failed`` to everything else."""
    if user is not None and outcome == "binding-pending":
        return "binding-refused" if user.binding_status == "refused" else "binding-pending"
    return "sign-in-failed"


def record_refused_sign_in(
    ctx: Context, username: str, *, source_ip: str | None, outcome: str
) -> None:
    """Audit a sign-in refused before its password was checked (a failed CSRF check, a
    rate limit): the trail holds every attempt, not only those that reached the check."""
    attempt = Actor(
        role="public", username=username[:100] or "anonymous", source_ip=source_ip, via="session"
    )
    audit.append_alone(
        ctx.session_factory,
        actor=attempt,
        action="auth.sign_in",
        now=ctx.now(),
        object_type="user",
        outcome=outcome,
    )


def _check(
    ctx: Context, session: Session, user: User | None, password: str, now: datetime, source: str
) -> str:
    """'success', or why not (kept in the audit trail only, never shown). A locked
    source is refused before its password is looked at; the account checks (the same
    ``account_refusal`` every session request and token call makes) come after a right
    password only, so that they tell a guesser nothing."""
    if user is None:
        passwords.verify_password(None, password)
        return "unknown-user"
    if throttle.is_locked(session, user.id, source, now):
        passwords.verify_password(None, password)
        return "locked"
    if not passwords.verify_password(user.password_hash, password):
        throttle.record_failure(ctx.settings, session, user, source, now)
        return "wrong-password"
    refusal = account_refusal(user)
    if refusal:
        return refusal
    throttle.forget(session, user.id, source)
    return "success"


def _open_session(
    ctx: Context, session: Session, user: User, now: datetime, source_ip: str | None
) -> SignedIn:
    raw = secrets.token_urlsafe(32)
    web_session = WebSession(
        session_hash=_digest(raw),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        source_ip=source_ip,
    )
    session.add(web_session)
    session.flush()
    return SignedIn(
        raw, web_session.csrf_token, _actor(ctx, user, source_ip), _password_expired(ctx, user, now)
    )


def _password_expired(ctx: Context, user: User, now: datetime) -> bool:
    if user.password_hash and user.password_changed_at is None:
        return True  # set by an administrator (accounts.reset_password): change it first
    profile = passwords.PROFILES[ctx.settings.password_profile]
    days = ctx.settings.password_expiry_days
    if not profile.expires or days <= 0 or user.password_changed_at is None:
        return False
    return now - user.password_changed_at > timedelta(days=days)


@dataclass(frozen=True)
class ActiveSession:
    """The caller behind a session cookie, the CSRF token forms must carry, and whether
    the password has expired (then only the password page may be used)."""

    actor: Actor
    csrf_token: str
    password_expired: bool = False


def resolve_session(ctx: Context, raw: str, *, source_ip: str | None) -> ActiveSession | None:
    """The session's actor, or None when it ended, timed out, or its account was disabled."""
    now = ctx.now()
    with ctx.read_session_factory() as session:
        found = session.execute(
            select(WebSession, User)
            .join(User, User.id == WebSession.user_id)
            .where(WebSession.session_hash == _digest(raw))
        ).first()
    if found is None or found[0].ended_at is not None:
        return None
    web_session, user = found
    if _expired(ctx, web_session, user, now):
        with ctx.session_factory.begin() as session:
            _end(session, raw, now)
        return None
    if now - web_session.last_seen_at >= TOUCH_RESOLUTION:
        with ctx.session_factory.begin() as session:
            session.execute(
                update(WebSession).where(WebSession.id == web_session.id).values(last_seen_at=now)
            )
    return ActiveSession(
        _actor(ctx, user, source_ip), web_session.csrf_token, _password_expired(ctx, user, now)
    )


def _expired(ctx: Context, web_session: WebSession, user: User, now: datetime) -> bool:
    idle = timedelta(minutes=ctx.settings.session_idle_minutes)
    lifetime = timedelta(hours=ctx.settings.session_max_hours)
    return (
        now - web_session.last_seen_at > idle
        or now - web_session.created_at > lifetime
        or account_refusal(user) is not None
    )


def sign_out(ctx: Context, raw: str, actor: Actor) -> None:
    """End the session at once."""
    now = ctx.now()
    with ctx.session_factory.begin() as session:
        if _end(session, raw, now):
            audit.append(
                session,
                actor=actor,
                action="auth.sign_out",
                now=now,
                object_type="user",
                object_id=actor.user_id,
            )


def _end(session: Session, raw: str, now: datetime) -> bool:
    result = session.execute(
        update(WebSession)
        .where(WebSession.session_hash == _digest(raw), WebSession.ended_at.is_(None))
        .values(ended_at=now)
    )
    return bool(result.rowcount)


def end_user_sessions(session: Session, user_id: int, now: datetime) -> None:
    """End every open session of a user (disabling, password change)."""
    session.execute(
        update(WebSession)
        .where(WebSession.user_id == user_id, WebSession.ended_at.is_(None))
        .values(ended_at=now)
    )


def _actor(ctx: Context, user: User, source_ip: str | None) -> Actor:
    return actor_for(
        ctx, user, scopes=frozenset(DEFAULT_SCOPES[user.role]), via="session", source_ip=source_ip
    )


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()

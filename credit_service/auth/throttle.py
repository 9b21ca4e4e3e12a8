"""Sign-in back-off per account and source, so that a lockout is not a free denial of
service (OWASP ASVS 5.0 V6.1.1, V6.3.1).

A lock of the whole account after a few wrong passwords lets anyone who knows a user
name keep its owner out. Here failures are counted per pair (account, source):
``LOGIN_MAX_FAILURES`` within ``LOGIN_FAILURE_WINDOW_MINUTES`` lock that source out of
that account for ``LOGIN_LOCK_MINUTES``, each further lock of the pair twice as long, up
to ``LOGIN_LOCK_MAX_MINUTES``. Other sources still sign in. The doubling starts over
after a success from the source, an administrator's unlock, or a quiet period of
``LOGIN_LOCK_MAX_MINUTES`` without failures. An IPv6 source counts as its /64: one host
commonly holds a whole /64 and could otherwise take a new address for each guess.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from credit_service.auth.models import SignInThrottle, User
from credit_service.config import Settings

UNKNOWN_SOURCE = "unknown"
MAX_DOUBLINGS = 20  # 2**20 times the first lock is beyond any sensible maximum


def source_key(source_ip: str | None) -> str:
    """The address failures are counted under: an IPv4 address, an IPv6 /64 network."""
    try:
        address = ipaddress.ip_address(source_ip or "")
    except ValueError:
        return UNKNOWN_SOURCE if not source_ip else source_ip[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def is_locked(session: Session, user_id: int, source: str, now: datetime) -> bool:
    """Whether ``source`` is locked out of the account now."""
    locked_until = session.execute(
        select(SignInThrottle.locked_until).where(
            SignInThrottle.user_id == user_id, SignInThrottle.source == source
        )
    ).scalar_one_or_none()
    return locked_until is not None and locked_until > now


def record_failure(
    settings: Settings, session: Session, user: User, source: str, now: datetime
) -> None:
    """Count a wrong password from ``source``; lock the pair once there are enough.

    The account's row is locked first so that concurrent failures of one pair count
    one after the other (and the pair's row is inserted once).
    """
    session.execute(select(User.id).where(User.id == user.id).with_for_update())
    quiet_since = now - timedelta(minutes=settings.login_lock_max_minutes)
    session.execute(  # pairs quiet that long start over (and the table stays small)
        delete(SignInThrottle).where(
            SignInThrottle.user_id == user.id, SignInThrottle.updated_at < quiet_since
        )
    )
    pair = session.execute(
        select(SignInThrottle).where(
            SignInThrottle.user_id == user.id, SignInThrottle.source == source
        )
    ).scalar_one_or_none()
    if pair is None:
        pair = SignInThrottle(user_id=user.id, source=source, failure_times=[], locks=0)
        session.add(pair)
    window = timedelta(minutes=settings.login_failure_window_minutes)
    recent = [t for t in pair.failure_times if now - datetime.fromisoformat(t) < window]
    recent.append(now.isoformat())
    if len(recent) >= settings.login_max_failures:
        pair.locked_until = now + lock_duration(settings, pair.locks)
        pair.locks += 1
        user.locked_until = max(pair.locked_until, user.locked_until or pair.locked_until)
        recent = []
    pair.failure_times, pair.updated_at = recent, now


def lock_duration(settings: Settings, earlier_locks: int) -> timedelta:
    """The first lock lasts LOGIN_LOCK_MINUTES, each further one twice as long, at most
    LOGIN_LOCK_MAX_MINUTES."""
    minutes = settings.login_lock_minutes * 2 ** min(earlier_locks, MAX_DOUBLINGS)
    return timedelta(minutes=min(minutes, settings.login_lock_max_minutes))


def forget(session: Session, user_id: int, source: str) -> None:
    """A success from ``source``: its failures and back-off start over."""
    session.execute(
        delete(SignInThrottle).where(
            SignInThrottle.user_id == user_id, SignInThrottle.source == source
        )
    )


def unlock(session: Session, user: User) -> int:
    """Lift every source's lock of the account (an administrator's act); returns how
    many sources had failures or locks on record."""
    result = session.execute(delete(SignInThrottle).where(SignInThrottle.user_id == user.id))
    user.locked_until = None
    return result.rowcount or 0

"""The e-mail outbox's sending (the ``notifications.send_emails`` job, every minute).

An e-mail is queued in the transaction of the act it tells of and sent here, later, so
a mail server that is slow or down never blocks or rolls back that act. Each run takes
the unsent e-mails that are due, oldest first, over one connection; each sent one is
marked in its own transaction right after the server took it. A failure is an attempt:
it is counted, its error kept, and the e-mail waits longer each time (``BACKOFF``, then
every six hours) — never dropped. A server that cannot be reached fails the run's due
e-mails at once (one attempt each) rather than one timeout after another.

Delivery is at least once: an e-mail the server took whose marking then failed is sent
again by a later run, with the same Message-ID.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update

from credit_service.context import Context
from credit_service.notifications import mailer
from credit_service.notifications.models import OutboundEmail

logger = logging.getLogger(__name__)
BACKOFF = tuple(timedelta(minutes=m) for m in (1, 5, 15, 60, 180, 360))
BATCH = 100  # e-mails one run sends at most; the rest wait for the next minute
ERROR_CHARS = 500


@dataclass
class Sent:
    """What one run did; ``tried`` the ids it attempted, whatever came of it."""

    sent: int = 0
    failed: int = 0
    tried: set[int] = field(default_factory=set)

    def summary(self) -> dict[str, int]:
        return {"sent": self.sent, "failed": self.failed}


def backoff(attempts: int) -> timedelta:
    """How long an e-mail waits after its ``attempts``-th failed attempt."""
    return BACKOFF[min(attempts, len(BACKOFF)) - 1]


def send_due(ctx: Context, *, limit: int = BATCH) -> Sent:
    """Send the unsent e-mails that are due (``ctx.now()``), oldest first."""
    now, result = ctx.now(), Sent()
    with ctx.session_factory() as session:
        due = (
            session.execute(
                select(OutboundEmail)
                .where(OutboundEmail.sent_at.is_(None), OutboundEmail.next_attempt_at <= now)
                .order_by(OutboundEmail.next_attempt_at, OutboundEmail.id)
                .limit(limit)
            )
            .scalars()
            .all()
        )
        session.expunge_all()
    if not due:
        return result
    try:
        with mailer.connect(ctx.settings) as connection:
            for email in due:
                _send_one(ctx, connection, email, result)
    except mailer.MAIL_ERRORS as exc:  # the server could not be reached or refused us
        unsent = [e.id for e in due if e.id not in result.tried]
        _failed(ctx, unsent, exc)
        result.failed += len(unsent)
    return result


def _send_one(
    ctx: Context, connection: mailer.Connection, email: OutboundEmail, result: Sent
) -> None:
    message = mailer.build(
        email.id or 0, ctx.settings.smtp_sender, email.to, email.subject, email.body
    )
    try:
        connection.send(message)
    except mailer.MAIL_ERRORS as exc:
        if _connection_lost(exc):
            raise
        result.tried.add(email.id or 0)
        _failed(ctx, [email.id], exc)
        result.failed += 1
        return
    result.tried.add(email.id or 0)
    with ctx.session_factory.begin() as session:
        session.execute(
            update(OutboundEmail)
            .where(OutboundEmail.id == email.id)
            .values(sent_at=ctx.now(), attempts=OutboundEmail.attempts + 1, last_error=None)
        )
    result.sent += 1


def _connection_lost(exc: Exception) -> bool:
    """A failure of the connection, not of this one message: the rest fail with it."""
    return isinstance(exc, OSError | mailer.smtplib.SMTPServerDisconnected)


def _failed(ctx: Context, ids: list[int | None], exc: Exception) -> None:
    """Count a failed attempt of each e-mail in ``ids``, keep the error, and wait."""
    if not ids:
        return
    error = f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]
    now: datetime = ctx.now()
    logger.warning("e-mail not sent (%d will be retried): %s", len(ids), error)
    with ctx.session_factory.begin() as session:
        for row in session.execute(
            select(OutboundEmail).where(OutboundEmail.id.in_(ids))
        ).scalars():
            row.attempts += 1
            row.last_error = error
            row.next_attempt_at = now + backoff(row.attempts)

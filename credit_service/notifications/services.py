"""Notification use cases, the area's public API: an enterprise account's message centre
(its messages, the unread count, marking read), the e-mail outbox's sending job, and the
regulators' daily digest of what falls due.

Messages and e-mails are made by the handler table (``handlers.notify``) from the facts
the other areas record; nothing here is called by them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select, update

from credit_service.access import Actor
from credit_service.audit import services as audit
from credit_service.auth import services as auth_services
from credit_service.auth.models import User
from credit_service.context import Context
from credit_service.errors import Forbidden, NotFound
from credit_service.notifications import outbox, texts
from credit_service.notifications.handlers import address_of, queue_email
from credit_service.notifications.models import Message
from credit_service.objections import services as objection_services
from credit_service.procedures.documents import chinese_date
from credit_service.repair import services as repair_services

PAGE_SIZE = 100  # the newest messages a page shows
DIGEST_ROLES = ("regulator",)


def _own(actor: Actor) -> str:
    """Only an enterprise account has a message centre, and reads only its own.

    :raises Forbidden:"""
    if actor.role != "enterprise":
        raise Forbidden("messages-enterprise-only")
    return actor.username


def list_messages(ctx: Context, actor: Actor, *, limit: int = PAGE_SIZE) -> list[dict[str, Any]]:
    """The actor's newest messages, newest first."""
    with ctx.read_session_factory() as session:
        rows = session.execute(
            select(Message)
            .where(Message.recipient == _own(actor))
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(limit)
        ).scalars()
        return [_view(m) for m in rows]


def unread_count(ctx: Context, actor: Actor) -> int:
    """How many of the actor's messages are unread (the header shows it)."""
    with ctx.read_session_factory() as session:
        query = select(func.count()).where(
            Message.recipient == _own(actor), Message.read_at.is_(None)
        )
        return int(session.execute(query).scalar_one())


def mark_read(ctx: Context, actor: Actor, message_id: int | None = None) -> int:
    """Mark one of the actor's messages read (all unread ones without ``message_id``);
    returns how many changed. Another account's message is not found.

    :raises NotFound, Forbidden:
    """
    username = _own(actor)
    with ctx.session_factory.begin() as session:
        query = update(Message).where(Message.recipient == username, Message.read_at.is_(None))
        if message_id is not None:
            owned = session.execute(
                select(Message.id).where(Message.id == message_id, Message.recipient == username)
            ).scalar()
            if owned is None:
                raise NotFound("message-not-found", id=message_id)
            query = query.where(Message.id == message_id)
        changed = session.execute(query.values(read_at=ctx.now())).rowcount
        audit.append(
            session,
            actor=actor,
            action="message.read",
            now=ctx.now(),
            object_type="message",
            object_id=message_id,
            details={"marked": changed, "all": message_id is None},
        )
        return int(changed)


def send_emails(ctx: Context) -> dict[str, int]:
    """Send the outbox's due e-mails (the job ``notifications.send_emails``)."""
    return outbox.send_due(ctx).summary()


def queue_digests(ctx: Context, today: date | None = None) -> int:
    """Queue each regulator with an e-mail address a digest of the repair applications
    and objections in its scope overdue or due soon, and of those whose asked-for
    materials are late (the daily job); returns how many. A regulator with nothing due
    gets none."""
    today = today or ctx.today()
    with ctx.read_session_factory() as session:
        users = (
            session.execute(
                select(User)
                .where(User.role.in_(DIGEST_ROLES), User.is_active.is_(True))
                .order_by(User.id)
            )
            .scalars()
            .all()
        )
    queued = 0
    for user in users:
        address = address_of(user)
        if not address:
            continue
        actor = auth_services.actor_for(ctx, user, scopes=frozenset(), via="system", source_ip=None)
        lines = _digest_lines(ctx, actor, today)
        if not lines:
            continue
        subject, body = texts.render("digest", on=chinese_date(today), lines="\n".join(lines))
        with ctx.session_factory.begin() as session:
            queue_email(session, ctx, address, "digest", subject, body)
        queued += 1
    return queued


def _digest_lines(ctx: Context, actor: Actor, today: date) -> list[str]:
    lines = []
    for procedure, services in (("repair", repair_services), ("objection", objection_services)):
        overdue, soon = services.due_on(ctx, actor, today)
        late = services.supplements_late(ctx, actor, today)
        for flag, items, day in (
            ("overdue", overdue, "current_due"),
            ("soon", soon, "current_due"),
            ("supplement_late", late, "supplement_due_on"),
        ):
            for item in items:
                due = item.get(day)
                when = chinese_date(due) if due else "—"
                lines.append(texts.digest_line(procedure, item, flag, when))
    return lines


def _view(m: Message) -> dict[str, Any]:
    return {
        "id": m.id,
        "kind": m.kind,
        "subject": m.subject,
        "body": m.body,
        "link": m.link,
        "created_at": m.created_at,
        "read_at": m.read_at,
        "unread": m.read_at is None,
    }

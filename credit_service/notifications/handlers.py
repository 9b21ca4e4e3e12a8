"""The notification handler of the handler table (credit_service/effects.py): facts the
parties must hear of become messages in their message centre and e-mails in the outbox,
in the transaction of the act, so they exist exactly when the act committed. Sending is
the outbox job's (``outbox.send_due``): a mail server that is down never blocks or rolls
back the act.

Who hears: an account's binding decision goes to that account; everything about an
entity goes to the enterprise accounts bound to it (approved and enabled), whoever filed
the application or objection (an objection brought to the office has no account of its
own).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credit_service.auth.models import User
from credit_service.auth.services import email_address
from credit_service.changes import (
    BindingDecided,
    ListingChanged,
    ObjectionDecided,
    ObjectionMarked,
    RepairGranted,
    ReviewStepTaken,
)
from credit_service.context import Context
from credit_service.entities.models import Entity
from credit_service.notifications import texts
from credit_service.notifications.models import Message, OutboundEmail
from credit_service.procedures.documents import chinese_date

LINKS = {"repair": "/enterprise/repair/{}", "objection": "/enterprise/objections/{}"}
PORTAL = "/enterprise"


def notify(session: Session, ctx: Context, facts: list[Any]) -> None:
    """Turn each fact into its message and e-mail for each of its recipients (the
    accounts of all the facts' entities read at once)."""
    told = [(fact, words) for fact in facts if (words := _told(fact)) is not None]
    entity_ids = {f.entity_id for f, _ in told if not isinstance(f, BindingDecided)}
    accounts = _accounts_of(session, entity_ids) if entity_ids else {}
    for fact, (kind, fields, link) in told:
        subject, body = texts.render(kind, **fields)
        if isinstance(fact, BindingDecided):
            recipients = _account(session, fact.username)
        else:
            recipients = accounts.get(fact.entity_id, [])
        for user in recipients:
            tell(session, ctx, user, kind, subject, body, link)


def tell(
    session: Session,
    ctx: Context,
    user: User,
    kind: str,
    subject: str,
    body: str,
    link: str | None,
) -> None:
    """One message to ``user``'s message centre and, if it has an address, one e-mail."""
    now = ctx.now()
    session.add(
        Message(
            recipient=user.username,
            kind=kind,
            subject=subject,
            body=body,
            link=link,
            created_at=now,
        )
    )
    address = address_of(user)
    if address:
        queue_email(session, ctx, address, kind, subject, texts.email_body(body))


def queue_email(
    session: Session, ctx: Context, to: str, kind: str, subject: str, body: str
) -> None:
    """An e-mail into the outbox, due at once."""
    now = ctx.now()
    session.add(
        OutboundEmail(
            to=to, subject=subject, body=body, kind=kind, next_attempt_at=now, created_at=now
        )
    )


def address_of(user: User) -> str | None:
    """Where ``user`` is e-mailed: its e-mail, or its contact when that is an address."""
    return email_address(user.email) or email_address(user.contact)


def _told(fact: Any) -> tuple[str, dict[str, Any], str | None] | None:
    """(kind, the words' fields, link) of what ``fact`` tells its party, or None."""
    match fact:
        case BindingDecided():
            kind = "binding.approved" if fact.approved else "binding.refused"
            fields = {"username": fact.username, "on": _day(fact.on), "reason": fact.reason or ""}
            return kind, fields, PORTAL
        case ReviewStepTaken():
            fields = {
                "object_id": fact.object_id,
                "on": _day(fact.on),
                "what": fact.what,
                "due_on": _day(fact.due_on),
            }
            return f"{fact.procedure}.{fact.step}", fields, _link(fact.procedure, fact.object_id)
        case RepairGranted():
            fields = {
                "object_id": fact.application_id,
                "on": _day(fact.decided_on),
                "target": texts.TARGETS[fact.target_type],
            }
            return "repair.granted", fields, _link("repair", fact.application_id)
        case ObjectionMarked() if fact.marked:
            fields = {"object_id": fact.objection_id, "on": _day(fact.on)}
            return "objection.accepted", fields, _link("objection", fact.objection_id)
        case ObjectionDecided():
            kind = "objection.refused" if fact.outcome == "refused" else "objection.decided"
            fields = {
                "object_id": fact.objection_id,
                "on": _day(fact.decided_on),
                "outcome": texts.OUTCOMES.get(fact.outcome, ""),
            }
            return kind, fields, _link("objection", fact.objection_id)
        case ListingChanged():
            reason = f"原因：{fact.reason}" if fact.reason else ""
            return f"listing.{fact.kind}", {"on": _day(fact.effective_on), "reason": reason}, PORTAL
    return None


def _account(session: Session, username: str) -> list[User]:
    user = session.execute(select(User).where(User.username == username)).scalar()
    return [user] if user is not None else []


def _accounts_of(session: Session, entity_ids: set[int]) -> dict[int, list[User]]:
    """The enterprise accounts bound to each entity (approved and enabled)."""
    rows = session.execute(
        select(Entity.id, User)
        .join(User, User.uscc == Entity.identifier)
        .where(
            Entity.id.in_(entity_ids),
            User.role == "enterprise",
            User.binding_status == "approved",
            User.is_active.is_(True),
        )
        .order_by(User.id)
    ).all()
    accounts: dict[int, list[User]] = {}
    for entity_id, user in rows:
        accounts.setdefault(entity_id, []).append(user)
    return accounts


def _link(procedure: str, object_id: int) -> str:
    return LINKS[procedure].format(object_id)


def _day(day: date | None) -> str:
    return chinese_date(day) if day else ""

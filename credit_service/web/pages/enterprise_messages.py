"""The enterprise portal's message centre: what the office told this account (binding,
repair applications, objections, the list), newest first, unread ones marked, each
markable as read; and the unread count the header shows a signed-in enterprise.

Views on the enterprise blueprint (``enterprise.bp``); the app imports this module before
registering it. Messages are made by the notification handler, never here.
"""

from __future__ import annotations

from typing import Any

from flask import Response, g, redirect, request, url_for

from credit_service.notifications import services as notifications
from credit_service.web.access import allow
from credit_service.web.api.common import accepts
from credit_service.web.pages.common import ctx, page
from credit_service.web.pages.enterprise import FORM_TYPES, bp
from credit_service.web.pages.navigation import caller

NOTICES = frozenset({"marked"})


@bp.app_context_processor
def _header_helpers() -> dict[str, Any]:
    return {"unread_messages": unread_messages}


def unread_messages() -> int | None:
    """The caller's unread messages for the header; None for anyone but an enterprise."""
    actor = caller()
    if actor.role != "enterprise":
        return None
    return notifications.unread_count(ctx(), actor)


@bp.get("/messages")
@allow("enterprise")
def messages() -> Response:
    """The account's newest messages, unread ones first marked as such."""
    notice = request.args.get("notice")
    return page(
        "enterprise/messages.html",
        messages=notifications.list_messages(ctx(), g.actor),
        notice=f"messages.{notice}" if notice in NOTICES else None,
    )


@bp.post("/messages/<int:message_id>/read")
@allow("enterprise")
@accepts(*FORM_TYPES)
def mark_read(message_id: int) -> Response:
    """One of the account's own messages read (another's is not found: 404)."""
    notifications.mark_read(ctx(), g.actor, message_id)
    return redirect(url_for(".messages", notice="marked"), code=303)


@bp.post("/messages/read")
@allow("enterprise")
@accepts(*FORM_TYPES)
def mark_all_read() -> Response:
    """Every unread message of the account read."""
    notifications.mark_read(ctx(), g.actor)
    return redirect(url_for(".messages", notice="marked"), code=303)

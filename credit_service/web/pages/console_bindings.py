"""The console's enterprise account bindings: the queue of pending accounts with what
each enterprise typed when it registered beside the register's name of its USCC, approve
or refuse with a reason, and the activation codes (issue one, shown once; revoke).

Views on the console blueprint (``console.bp``); the app imports this module before it
registers the blueprint. Regulators act on entities of their region (the services check
it: another region's account or code is a 403 page), administrators on all; the API's
endpoints for the same acts declare the same two roles. Every act is audited by its
service.
"""

from __future__ import annotations

from typing import Any

from flask import Response, g, redirect, request, url_for

from credit_service.auth import accounts, bindings
from credit_service.errors import Conflict, InvalidInput, NotFound
from credit_service.web.access import allow
from credit_service.web.api.common import accepts
from credit_service.web.pages.auth import FORM_TYPES
from credit_service.web.pages.common import ctx, form_values, message, messages_of, page
from credit_service.web.pages.console import bp

DECIDERS = ("admin", "regulator")
NOTICES = frozenset({"bindings.approved", "bindings.refused", "bindings.codes.revoked"})


@bp.get("/bindings")
@allow(*DECIDERS)
def bindings_queue() -> Response:
    notice = request.args.get("notice")
    return _bindings_page(notice=notice if notice in NOTICES else None)


@bp.post("/bindings/<string:username>/approve")
@allow(*DECIDERS)
@accepts(*FORM_TYPES)
def approve_binding(username: str) -> Response:
    """Approve: the enterprise may sign in at once."""
    try:
        accounts.approve_binding(ctx(), g.actor, username)
    except Conflict as exc:
        return _bindings_page(409, alert=message(exc))
    return _to_bindings("bindings.approved")


@bp.post("/bindings/<string:username>/refuse")
@allow(*DECIDERS)
@accepts(*FORM_TYPES)
def refuse_binding(username: str) -> Response:
    """Refuse, with the reason (required)."""
    reason = form_values(("reason",))["reason"]
    try:
        bindings.refuse_binding(ctx(), g.actor, username, reason=reason)
    except InvalidInput as exc:
        failed = {"username": username, "reason": reason, "errors": _field_errors(exc)}
        return _bindings_page(422, failed=failed)
    except Conflict as exc:
        return _bindings_page(409, alert=message(exc))
    return _to_bindings("bindings.refused")


@bp.post("/activation-codes")
@allow(*DECIDERS)
@accepts(*FORM_TYPES)
def issue_activation_code() -> Response:
    """Issue a code for an entity of the region: the page shows it this once."""
    uscc = form_values(("uscc",))["uscc"]
    try:
        issued = accounts.issue_activation_code(ctx(), g.actor, uscc)
    except NotFound as exc:  # none registered under it (another region's: a 403 page)
        return _bindings_page(422, code_form={"uscc": uscc, "errors": {"uscc": [message(exc)]}})
    return _bindings_page(201, issued=issued, issued_name=_entity_name(issued.uscc))


@bp.post("/activation-codes/<int:code_id>/revoke")
@allow(*DECIDERS)
@accepts(*FORM_TYPES)
def revoke_activation_code(code_id: int) -> Response:
    try:
        bindings.revoke_code(ctx(), g.actor, code_id)
    except Conflict as exc:
        return _bindings_page(409, alert=message(exc))
    return _to_bindings("bindings.codes.revoked")


def _field_errors(exc: InvalidInput) -> dict[str, list[str]]:
    return {name: messages_of(entries) for name, entries in (exc.errors or {}).items()}


def _entity_name(uscc: str) -> str:
    codes = bindings.open_codes(ctx(), g.actor)
    return next((c["entity_name"] for c in codes if c["uscc"] == uscc), uscc)


def _bindings_page(status: int = 200, **values: Any) -> Response:
    return page(
        "console/bindings.html",
        status,
        queue=bindings.pending_bindings(ctx(), g.actor),
        codes=bindings.open_codes(ctx(), g.actor),
        days=accounts.ACTIVATION_DAYS,
        **{"failed": None, "code_form": None, "issued": None, "alert": None, **values},
    )


def _to_bindings(notice: str) -> Response:
    return redirect(url_for(".bindings_queue", notice=notice), code=303)

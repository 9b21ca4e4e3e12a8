"""The console's users and API tokens (administrators only): every account with its
state, a new account with its role and region scope, disable and enable, unlock, reset
the password; every token with its expiry and last use, a new token, revoke.

Views on the console blueprint (``console.bp``); the app imports this module before it
registers the blueprint. A form is checked with the API's own schema (a page accepts
what the API accepts) and its acts call the same services, each of which audits. What
must be handed over — a first or reset password, a token's secret — is shown on the page
that answers the form, this once, and is never stored (the pages are not cached).
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, g, redirect, request, url_for

from credit_service.access import ROLES
from credit_service.auth import accounts, handover, tokens
from credit_service.auth.services import ALL_SCOPES
from credit_service.errors import Conflict, InvalidInput, NotFound
from credit_service.web.access import allow
from credit_service.web.api.admin import TokenCreateSchema, UserCreateSchema
from credit_service.web.api.common import accepts
from credit_service.web.pages.auth import FORM_TYPES
from credit_service.web.pages.common import (
    ctx,
    form_values,
    message,
    messages_of,
    page,
    schema_errors,
)
from credit_service.web.pages.console import bp

ADMINS = ("admin",)
USER_FIELDS = ("username", "display_name", "role", "region_code", "uscc")
TOKEN_FIELDS = ("username", "name", "days")
WORDS = "admin_accounts"  # the key area of the form's field messages
USER_NOTICES = frozenset({"users.disabled", "users.enabled", "users.unlocked"})


# --- users ------------------------------------------------------------------------------------


@bp.get("/users")
@allow(*ADMINS)
def users() -> Response:
    notice, name = request.args.get("notice"), request.args.get("username", "")
    shown = {"key": notice, "username": name} if notice in USER_NOTICES else None
    return _users_page(notice=shown)


@bp.post("/users")
@allow(*ADMINS)
@accepts(*FORM_TYPES)
def create_user() -> Response:
    """A new account; its first password (none for a machine client) is shown once."""
    values = form_values(USER_FIELDS)
    try:
        data = UserCreateSchema().load({k: v for k, v in values.items() if v})
    except ma.ValidationError as exc:
        return _users_page(422, values=values, errors=schema_errors(WORDS, exc.messages))
    try:
        view, password = handover.create_account(
            ctx(),
            g.actor,
            username=data["username"],
            display_name=data["display_name"],
            role=data["role"],
            region_code=data.get("region_code"),
            uscc=data.get("uscc"),
        )
    except InvalidInput as exc:
        return _users_page(422, values=values, errors=_service_errors(exc))
    except Conflict as exc:
        return _users_page(409, values=values, errors={"username": message(exc)})
    return _users_page(201, created=view, password=password)


@bp.post("/users/<string:username>/disable")
@allow(*ADMINS)
@accepts(*FORM_TYPES)
def disable_user(username: str) -> Response:
    """Disable: its sessions end, its tokens stop (never the last active administrator)."""
    return _user_act(username, "users.disabled", accounts.set_active, active=False)


@bp.post("/users/<string:username>/enable")
@allow(*ADMINS)
@accepts(*FORM_TYPES)
def enable_user(username: str) -> Response:
    return _user_act(username, "users.enabled", accounts.set_active, active=True)


@bp.post("/users/<string:username>/unlock")
@allow(*ADMINS)
@accepts(*FORM_TYPES)
def unlock_user(username: str) -> Response:
    """Lift its sign-in locks, for every source."""
    return _user_act(username, "users.unlocked", accounts.unlock)


def _user_act(username: str, notice: str, act: Any, **options: Any) -> Response:
    try:
        act(ctx(), g.actor, username, **options)
    except Conflict as exc:
        return _users_page(409, alert=message(exc))
    return redirect(url_for(".users", notice=notice, username=username), code=303)


@bp.post("/users/<string:username>/reset-password")
@allow(*ADMINS)
@accepts(*FORM_TYPES)
def reset_password(username: str) -> Response:
    """A new password, shown once; it must be changed at the next sign-in."""
    password = handover.reset_password(ctx(), g.actor, username)
    return _users_page(200, reset={"username": username, "password": password})


def _service_errors(exc: InvalidInput) -> dict[str, str]:
    """The service's field errors in words, or its refusal under the user name."""
    if not exc.errors:
        return {"username": message(exc)}
    return {name: "；".join(messages_of(entries)) for name, entries in exc.errors.items()}


def _users_page(status: int = 200, **values: Any) -> Response:
    return page(
        "console/users.html",
        status,
        users=accounts.list_users(ctx(), g.actor),
        now=ctx().now(),
        roles=ROLES,
        regions=(ctx().catalogs.city, *ctx().catalogs.regions),
        **{"values": {}, "errors": {}, "alert": None, "notice": None, **values},
    )


# --- API tokens -------------------------------------------------------------------------------


@bp.get("/tokens")
@allow(*ADMINS)
def tokens_page() -> Response:
    """Every token; after a revocation, which one (if it is revoked indeed)."""
    prefix = request.args.get("revoked", "")
    listed = accounts.list_tokens(ctx())
    revoked = next((t["prefix"] for t in listed if t["prefix"] == prefix and t["revoked_at"]), None)
    return _tokens_page(revoked=revoked)


@bp.post("/tokens")
@allow(*ADMINS)
@accepts(*FORM_TYPES)
def create_token() -> Response:
    """A token for an account; its secret is shown once (only its hash is kept)."""
    values = form_values(TOKEN_FIELDS)
    scopes = [s for s in request.form.getlist("scopes") if s]
    try:
        data = TokenCreateSchema().load(
            {**{k: v for k, v in values.items() if v}, **({"scopes": scopes} if scopes else {})}
        )
    except ma.ValidationError as exc:
        errors = schema_errors(WORDS, exc.messages)
        return _tokens_page(422, values=values, scopes=scopes, errors=errors)
    try:
        issued = tokens.create_token(ctx(), g.actor, **data)
    except InvalidInput as exc:
        return _tokens_page(422, values=values, scopes=scopes, errors=_service_errors(exc))
    except (NotFound, Conflict) as exc:
        errors = {"username": message(exc)}
        return _tokens_page(422, values=values, scopes=scopes, errors=errors)
    return _tokens_page(201, issued=issued, issued_for=data["username"])


@bp.post("/tokens/<int:token_id>/revoke")
@allow(*ADMINS)
@accepts(*FORM_TYPES)
def revoke_token(token_id: int) -> Response:
    tokens.revoke_token(ctx(), g.actor, token_id)
    shown = next(t for t in accounts.list_tokens(ctx()) if t["id"] == token_id)
    return redirect(url_for(".tokens_page", revoked=shown["prefix"]), code=303)


def _tokens_page(status: int = 200, **values: Any) -> Response:
    return page(
        "console/tokens.html",
        status,
        tokens=accounts.list_tokens(ctx()),
        now=ctx().now(),
        all_scopes=sorted(ALL_SCOPES),
        **{"values": {}, "scopes": [], "errors": {}, "issued": None, "revoked": None, **values},
    )

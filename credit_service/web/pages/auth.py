"""Sign-in, sign-out, password change and enterprise self-registration pages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, g, redirect, render_template, request, url_for

from credit_service.auth import accounts, sessions
from credit_service.errors import CreditServiceError, Unauthenticated
from credit_service.web.access import ANY_SCOPE, SESSION_COOKIE, allow, current_actor, public
from credit_service.web.api.common import accepts
from credit_service.web.pages import forms, navigation
from credit_service.web.pages.common import ctx, message, messages_of, page

bp = Blueprint("auth_pages", __name__)
SIGNED_IN_ROLES = ("admin", "regulator", "viewer", "checker", "enterprise", "sync", "auditor")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# The field a refusal without field errors belongs to, by its code.
REGISTER_FIELDS = {
    "invalid-identifier": "uscc",
    "user-exists": "username",
    "bad-activation-code": "activation_code",
}
# What a refused sign-in says, by the service's code (any other: the one generic message).
SIGN_IN_REFUSALS = {
    "binding-pending": "sign_in.binding_pending",
    "binding-refused": "sign_in.binding_refused",
}
PASSWORD_FIELDS = {"wrong-password": "current_password"}
# The service's field "password" is the form's new password (a field name, not a secret).
NEW_PASSWORD_FIELD = {"password": "new_password"}  # nosec B105


@bp.route("/sign-in", methods=["GET", "POST"])
@public("anyone may sign in")
@accepts(*FORM_TYPES)
def sign_in() -> Response:
    """Show the sign-in form; on post, check the password and open a session."""
    if request.method == "GET":
        return page(
            "auth/sign_in.html",
            next=request.args.get("next", ""),
            notice=request.args.get("notice"),
        )
    username = request.form.get("username", "").strip()
    # where to go once signed in, settled before anything is written: a redirect that
    # failed after the session and its audit row were committed would leave them behind
    destination = forms.safe_next(request.form.get("next"), url_for("auth_pages.start"))
    if not forms.anonymous_csrf_ok():
        sessions.record_refused_sign_in(
            ctx(), username, source_ip=request.remote_addr, outcome="csrf"
        )
        return page("auth/sign_in.html", 400, error="form.csrf", next="")
    try:
        signed_in = sessions.sign_in(
            ctx(),
            username,
            request.form.get("password", ""),
            source_ip=request.remote_addr,
            previous_session=request.cookies.get(SESSION_COOKIE),
        )
    except Unauthenticated as exc:
        return page(
            "auth/sign_in.html",
            401,
            error=SIGN_IN_REFUSALS.get(exc.code, "sign_in.failed"),
            username=username,
            next=request.form.get("next", ""),
        )
    if signed_in.password_expired:
        destination = url_for("auth_pages.change_password", notice="sign_in.expired")
    response = redirect(destination, code=303)
    _set_session_cookie(response, signed_in.session_id)
    return response


def _forget_session_cookie(response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=ctx().settings.session_cookie_secure,
    )


def _set_session_cookie(response: Response, session_id: str) -> None:
    settings = ctx().settings
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        httponly=True,
        secure=settings.session_cookie_secure,
        samesite="Lax",
        path="/",
        max_age=settings.session_max_hours * 3600,
    )


@bp.post("/sign-out")
@allow(*SIGNED_IN_ROLES, scopes=ANY_SCOPE)
@accepts(*FORM_TYPES)
def sign_out() -> Response:
    """End the session and forget the cookie."""
    sessions.sign_out(ctx(), request.cookies.get(SESSION_COOKIE, ""), current_actor())
    response = redirect(url_for("auth_pages.sign_in", notice="sign_in.signed_out"), code=303)
    _forget_session_cookie(response)
    return response


@bp.route("/account/password", methods=["GET", "POST"])
@allow(*SIGNED_IN_ROLES, scopes=ANY_SCOPE)
@accepts(*FORM_TYPES)
def change_password() -> Response:
    """Change one's own password (required when it has expired)."""
    rules = f"password.rules.{ctx().settings.password_profile}"
    if request.method == "GET":
        return page("auth/password.html", rules=rules, notice=request.args.get("notice"))
    new, repeat = request.form.get("new_password", ""), request.form.get("repeat_password", "")
    if new != repeat:
        return page("auth/password.html", 422, rules=rules, error="password.mismatch")
    try:
        accounts.change_password(
            ctx(),
            current_actor(),
            current_password=request.form.get("current_password", ""),
            new_password=new,
        )
    except CreditServiceError as exc:
        return page(
            "auth/password.html",
            422,
            rules=rules,
            **_refused(exc, PASSWORD_FIELDS, renamed=NEW_PASSWORD_FIELD),
        )
    response = redirect(url_for("auth_pages.sign_in", notice="password.changed"), code=303)
    _forget_session_cookie(response)
    return response


@bp.route("/enterprise/register", methods=["GET", "POST"])
@public("enterprises register their own accounts; binding needs a regulator or a code")
@accepts(*FORM_TYPES)
def register_enterprise() -> Response:
    """Self-registration of an enterprise account."""
    rules = f"password.rules.{ctx().settings.password_profile}"
    if request.method == "GET":
        return page("auth/register.html", rules=rules, values={})
    values = {
        k: request.form.get(k, "").strip()
        for k in ("username", "display_name", "uscc", "contact", "email", "activation_code")
    }
    if not forms.anonymous_csrf_ok():
        return page("auth/register.html", 400, rules=rules, values=values, error="form.csrf")
    try:
        receipt = accounts.register_enterprise(
            ctx(),
            password=request.form.get("password", ""),
            source_ip=request.remote_addr,
            **{
                **values,
                "activation_code": values["activation_code"] or None,
                "email": values["email"] or None,
            },
        )
    except CreditServiceError as exc:
        return page(
            "auth/register.html", 422, rules=rules, values=values, **_refused(exc, REGISTER_FIELDS)
        )
    approved = receipt["binding_status"] == "approved"
    notice = "register.done_active" if approved else "register.done_pending"
    return redirect(url_for("auth_pages.sign_in", notice=notice), code=303)


def _refused(
    exc: CreditServiceError, fields: Mapping[str, str], renamed: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """A refused form's messages where they belong: each field error under its field (the
    service's name for it ``renamed`` to the form's), a refusal of one field by its code
    (``fields``) under that field, any other refusal at the top of the form."""
    if exc.errors:
        placed = {(renamed or {}).get(k, k): messages_of(v) for k, v in exc.errors.items()}
    elif exc.code in fields:
        placed = {fields[exc.code]: [message(exc)]}
    else:
        return {"refusal": message(exc), "field_errors": {}}
    return {"error": "form.error", "field_errors": placed}


@bp.get("/start")
@allow(*SIGNED_IN_ROLES, scopes=ANY_SCOPE)
def start() -> Response:
    """After sign-in: the first page of the caller's portal or console."""
    return redirect(navigation.landing_url(), code=303)


@bp.get("/account")
@allow(*SIGNED_IN_ROLES, scopes=ANY_SCOPE)
def account() -> str:
    """One's own account: name, role, region."""
    return render_template("auth/account.html", actor=g.actor)

"""Who may call each endpoint: one declaration per view, enforced before every request.

An endpoint without a declaration is refused (default deny), and the route × role test
walks the URL map so that a new endpoint without one fails the build.
"""

from __future__ import annotations

import dataclasses
import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, redirect, request, url_for

from credit_service.access import PUBLIC, ROLES, Actor
from credit_service.audit import services as audit
from credit_service.auth import services as auth_services
from credit_service.auth import sessions, tokens
from credit_service.errors import Forbidden, Unauthenticated

logger = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
ACCESS_ATTR = "_access_rule"
BODY_LIMIT_ATTR = "_body_limit"
AUDITED_ATTR = "_denial_audited"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_COOKIE = "cs_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
ANY_SCOPE = tuple(sorted(auth_services.ALL_SCOPES))  # one's own account: any token of it
PASSWORD_PAGES = frozenset(
    {"auth_pages.change_password", "auth_pages.sign_out", "accounts.MyPassword", "static"}
)


@dataclass(frozen=True)
class AccessRule:
    """The roles that may call a view; public views say why they are public."""

    roles: frozenset[str]
    public_reason: str | None = None
    scopes: tuple[str, ...] = ()

    @property
    def is_public(self) -> bool:
        return self.public_reason is not None

    def token_scopes(self, method: str) -> tuple[str, ...]:
        """The scopes of which a token needs one for ``method``: the endpoint's own, else
        'read' for safe methods and 'write' for the others."""
        return self.scopes or (("read",) if method in SAFE_METHODS else ("write",))


def allow(*roles: str, scopes: tuple[str, ...] = ()) -> Callable[[F], F]:
    """Declare the roles that may call the decorated view, and the token scopes it needs
    when they are not simply 'read' (safe methods) or 'write' (the others)."""
    unknown = set(roles) - set(ROLES)
    if unknown or not roles:
        raise ValueError(f"unknown or no roles: {sorted(unknown)}")

    def decorate(view: F) -> F:
        setattr(view, ACCESS_ATTR, AccessRule(frozenset(roles), scopes=scopes))
        return view

    return decorate


def public(reason: str) -> Callable[[F], F]:
    """Declare a view open to anyone, with the reason it is open on purpose."""

    def decorate(view: F) -> F:
        setattr(view, ACCESS_ATTR, AccessRule(frozenset(), public_reason=reason))
        return view

    return decorate


# Framework endpoints have no view function of ours to decorate.
FRAMEWORK_PUBLIC = {
    "static": "static assets of the public pages",
    "api-docs.openapi_json": "the API description is public documentation",
}


def body_limit(limit: Callable[[Any], int]) -> Callable[[F], F]:
    """Declare a larger request body than MAX_CONTENT_LENGTH for an upload view; the
    limit (a function of the service context) applies before anything reads the body,
    the CSRF check of a form included."""

    def decorate(view: F) -> F:
        setattr(view, BODY_LIMIT_ATTR, limit)
        return view

    return decorate


def _view(app: Flask, endpoint: str | None, method: str) -> Callable[..., Any] | None:
    """The function that serves ``method`` on ``endpoint`` (a method of a MethodView)."""
    view = app.view_functions.get(endpoint or "")
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        name = "get" if method == "HEAD" else method.lower()
        view = getattr(view_class, name, None)
    return view


def rule_for(app: Flask, endpoint: str | None, method: str) -> AccessRule | None:
    """The declaration that governs ``method`` on ``endpoint``, or None if there is none."""
    if endpoint in FRAMEWORK_PUBLIC:
        return AccessRule(frozenset(), public_reason=FRAMEWORK_PUBLIC[endpoint])
    return getattr(_view(app, endpoint, method), ACCESS_ATTR, None)


def _apply_body_limit() -> None:
    limit = getattr(_view(current_app, request.endpoint, request.method), BODY_LIMIT_ATTR, None)
    if limit is not None:
        request.max_content_length = limit(current_app.extensions["credit_service"])


def enforce_access() -> Response | None:
    """Before every request: resolve the caller and check the endpoint's declaration."""
    g.actor, g.csrf_token, g.password_expired = PUBLIC, None, False
    if request.routing_exception is not None or request.method == "OPTIONS":
        return None
    rule = rule_for(current_app, request.endpoint, request.method)
    try:
        _authenticate()
    except Unauthenticated as exc:
        _deny(exc)
    if rule is None:
        logger.error("endpoint %s has no access declaration: refused", request.endpoint)
        _deny(Forbidden("undeclared-endpoint"))
    if rule.is_public:
        return None
    if g.actor.is_anonymous:
        _deny(Unauthenticated())
    if g.actor.role not in rule.roles:
        _deny(Forbidden("role-forbidden", role=g.actor.role))
    _check_scope(rule)
    _apply_body_limit()
    _check_csrf()
    return _expired_password_gate()


def _expired_password_gate() -> Response | None:
    """With an expired password a session may only change it or sign out (MLPS)."""
    if not g.get("password_expired") or request.endpoint in PASSWORD_PAGES:
        return None
    if request.method == "GET" and not request.path.startswith("/api/"):
        return redirect(url_for("auth_pages.change_password", notice="sign_in.expired"))
    raise Forbidden("password-expired")


def _check_scope(rule: AccessRule) -> None:
    """A token acts only within its scopes: reads need 'read', writes 'write', unless the
    endpoint names its own scopes (credit checks, sync, audit, administration)."""
    if g.actor.via != "token":
        return
    wanted = rule.token_scopes(request.method)
    if not set(wanted) & g.actor.scopes:
        _deny(Forbidden("scope-forbidden", scopes=list(wanted)))


def _check_csrf() -> None:
    """Unsafe requests made with a session cookie must echo the session's CSRF token."""
    if g.actor.via != "session" or request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD, "")
    if not sent or not hmac.compare_digest(sent, g.csrf_token or ""):
        _deny(Forbidden("csrf"))


def _deny(exc: Unauthenticated | Forbidden) -> None:
    """Audit the refusal (in its own transaction), then raise it."""
    record_denial(exc)
    raise exc


def record_denial(exc: Unauthenticated | Forbidden) -> None:
    """Audit a refused request as access.denied, once per refusal: here before the view
    runs, or by the error handler for the object-level refusals of the core.

    The row is written in a transaction of its own (the request's work, if any, rolled
    back with the exception). A failure to write it is logged, never answered with a
    500 instead of the refusal: the caller is refused either way.
    """
    if getattr(exc, AUDITED_ATTR, False):
        return
    setattr(exc, AUDITED_ATTR, True)
    ctx = current_app.extensions["credit_service"]
    actor = g.get("actor") or PUBLIC
    if actor.source_ip is None:  # the anonymous caller: still say where it came from
        actor = dataclasses.replace(actor, source_ip=request.remote_addr)
    try:
        audit.append_alone(
            ctx.session_factory,
            actor=actor,
            action="access.denied",
            now=ctx.now(),
            object_type="endpoint",
            object_id=f"{request.method} {request.path}"[:100],
            outcome="denied",
            details={"reason": exc.code},
        )
    except Exception:  # the refusal must still be answered
        logger.exception("could not audit the refusal of %s %s", request.method, request.path)


def _authenticate() -> None:
    """Set the caller from a bearer token, else from the session cookie, else the public.

    :raises Unauthenticated: for a malformed or invalid token.
    """
    ctx = current_app.extensions["credit_service"]
    environ = request.environ  # read directly: most public requests send neither field
    header = environ.get("HTTP_AUTHORIZATION", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("bad-authorization")
        g.actor = tokens.authenticate_token(ctx, token.strip(), source_ip=request.remote_addr)
        return
    cookie = request.cookies.get(SESSION_COOKIE) if environ.get("HTTP_COOKIE") else None
    active = (
        sessions.resolve_session(ctx, cookie, source_ip=request.remote_addr) if cookie else None
    )
    if active is not None:
        g.actor, g.csrf_token = active.actor, active.csrf_token
        g.password_expired = active.password_expired


def current_actor() -> Actor:
    """The caller of the current request (set before the view runs)."""
    return g.actor

"""Form helpers for pages: CSRF for anonymous forms, safe redirects, the page context."""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from flask import Response, g, request

from credit_service.web.access import CSRF_FIELD

ANON_CSRF_COOKIE = "cs_csrf"


def anonymous_csrf_token() -> str:
    """The double-submit token for a form shown before sign-in (cookie and hidden field)."""
    token = request.cookies.get(ANON_CSRF_COOKIE) or getattr(g, "new_anon_csrf", None)
    if not token:
        token = g.new_anon_csrf = secrets.token_urlsafe(32)
    return token


def set_anonymous_csrf_cookie(response: Response, *, secure: bool) -> Response:
    token = getattr(g, "new_anon_csrf", None)
    if token:
        response.set_cookie(
            ANON_CSRF_COOKIE, token, httponly=True, secure=secure, samesite="Strict", path="/"
        )
    return response


def anonymous_csrf_ok() -> bool:
    """Whether an anonymous form post echoes its cookie's token."""
    cookie = request.cookies.get(ANON_CSRF_COOKIE, "")
    sent = request.form.get(CSRF_FIELD, "")
    return bool(cookie) and hmac.compare_digest(cookie, sent)


def csrf_token() -> str:
    """The token to put in a form: the session's, or the anonymous double-submit one."""
    return g.csrf_token or anonymous_csrf_token()


def safe_next(target: str | None, default: str) -> str:
    """Redirect only to a path on this site (no open redirect)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target

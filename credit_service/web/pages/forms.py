"""Form helpers for pages: CSRF for anonymous forms, safe redirects, the page context."""

from __future__ import annotations

import hmac
import re
import secrets
from urllib.parse import urlsplit

from flask import Response, g, request

from credit_service.web.access import CSRF_FIELD

ANON_CSRF_COOKIE = "cs_csrf"
UNSAFE_IN_PATH = re.compile(r"[\x00-\x1f\x7f\\]")


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
    """Whether a post of a public form echoes its token: the anonymous cookie's, or the
    session's when the caller is signed in (csrf_token() puts that one in the form)."""
    sent = request.form.get(CSRF_FIELD, "")
    expected = [t for t in (request.cookies.get(ANON_CSRF_COOKIE), g.get("csrf_token")) if t]
    return bool(sent) and any(hmac.compare_digest(t, sent) for t in expected)


def csrf_token() -> str:
    """The token to put in a form: the session's, or the anonymous double-submit one."""
    return g.csrf_token or anonymous_csrf_token()


def safe_next(target: str | None, default: str) -> str:
    """Redirect only to a path on this site (no open redirect). A control character or a
    backslash sends to ``default`` too: CR and LF cannot go into a Location header, and
    browsers drop tabs and read a backslash as a slash (``/\\evil.example`` is ``//…``)."""
    if not target or UNSAFE_IN_PATH.search(target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target

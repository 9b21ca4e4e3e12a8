"""Request and response hardening: body media types, security headers."""

from __future__ import annotations

from flask import Response, current_app, request

from credit_service.web.api.common import ACCEPTS_ATTR
from credit_service.web.errors import problem

JSON = frozenset({"application/json"})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def check_content_type() -> Response | None:
    """Answer 415 when a body comes in a media type the endpoint does not take."""
    if request.method not in BODY_METHODS or request.routing_exception is not None:
        return None
    has_body = bool(request.content_length) or bool(request.headers.get("Transfer-Encoding"))
    if not has_body and not request.mimetype:
        return None
    accepted = _accepted(request.endpoint, request.method)
    if request.mimetype not in accepted:
        return problem(
            415,
            detail=f"send the body as {' or '.join(sorted(accepted))}; 请求体格式不受支持",
            code="unsupported-media-type",
        )
    return None


def _accepted(endpoint: str | None, method: str) -> frozenset[str]:
    view = current_app.view_functions.get(endpoint or "")
    view_class = getattr(view, "view_class", None)
    handler = getattr(view_class, method.lower(), None) if view_class else view
    return getattr(handler, ACCEPTS_ATTR, JSON)


def security_headers(response: Response) -> Response:
    """Headers on every response; nothing names the server or framework version."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    headers["X-Frame-Options"] = "DENY"
    headers.setdefault("Cache-Control", "no-store")
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if request.is_secure:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return response

"""Every error as RFC 9457 problem+json, mapped in one table; no traceback leaves.

Browsers asking for a page get the same problem as an HTML page."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any

import marshmallow as ma
from flask import Flask, Response, json, redirect, render_template, request, url_for
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from credit_service import errors
from credit_service.web import access
from credit_service.web.error_text import (
    error_text,
    field_errors,
    request_language,
    status_text,
    words,
)
from credit_service.web.i18n import DEFAULT_LANGUAGE, TAGS, text_of, translate

logger = logging.getLogger(__name__)

PROBLEM_TYPE_BASE = "https://credit-service.example/problems/"
PROBLEM_JSON = "application/problem+json"
STATUS_FOR: dict[type[errors.CreditServiceError], int] = {
    errors.NotFound: 404,
    errors.Gone: 410,
    errors.Conflict: 409,
    errors.InvalidInput: 422,
    errors.Unauthenticated: 401,
    errors.Forbidden: 403,
    errors.LimitExceeded: 429,
    errors.CatalogError: 500,
    errors.UpstreamError: 502,
}
# The statuses a problem may have; their titles and general messages are in
# locales/<language>/problems.yaml (``problem.title.<status>``, ``problem.detail.<status>``).
STATUSES = (400, 401, 403, 404, 405, 409, 410, 413, 414, 415, 422, 429, 431, 500, 502, 503)
SLUGS = {  # the code of a problem that has no code of its own, by its status
    400: "bad-request",
    401: "authentication-required",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    410: "gone",
    413: "request-body-too-large",
    414: "uri-too-long",
    415: "unsupported-media-type",
    422: "invalid-input",
    429: "too-many-requests",
    431: "request-header-fields-too-large",
    500: "internal-server-error",
    502: "upstream-error",
    503: "service-unavailable",
}


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details (documentation of every error response)."""

    class Meta:
        unknown = ma.INCLUDE  # extension members (RFC 9457 §3.2), e.g. a conflict's record_id

    type = ma.fields.String(metadata={"description": "URI identifying the problem type"})
    title = ma.fields.String()
    status = ma.fields.Integer()
    detail = ma.fields.String(
        metadata={"description": "In Chinese, or in English when Accept-Language prefers it"}
    )
    instance = ma.fields.String()
    code = ma.fields.String(metadata={"description": "Stable machine-readable slug"})
    errors = ma.fields.Dict(metadata={"description": "Field-level errors, in words"})


def problem(
    status: int,
    *,
    code: str | None = None,
    detail: str | None = None,
    errors: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> Response:
    """A problem+json response in the language of the request (Content-Language says
    which). ``code`` becomes the type URI's last segment; the detail is ``detail`` when
    given (a domain error's words), else the code's words filled with ``extensions``,
    else the status's general message. The extensions are members of the body too."""
    language = response_language()
    extra = {k: v for k, v in extensions.items() if v is not None}
    detail = detail or (words(code, extra, language) if code else None)
    body = problem_document(status, detail=detail, code=code, language=language)
    body["instance"] = request.path if request else None
    if errors:
        body["errors"] = field_errors(errors, language)
    # dates in ISO 8601 like every other body (Flask's default would write an HTTP date)
    body.update({k: v.isoformat() if isinstance(v, date) else v for k, v in extra.items()})
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    response.headers["Content-Language"] = TAGS[language]
    return response


def problem_document(
    status: int,
    *,
    detail: str | None = None,
    code: str | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> dict[str, Any]:
    """The members every problem has (also written by gunicorn, outside any request)."""
    code = code or SLUGS.get(status, "error")
    return {
        "type": PROBLEM_TYPE_BASE + code,
        "title": text_of(f"problem.title.{status}", language)
        or translate("problem.title.generic", language),
        "status": status,
        "detail": detail or status_text(status, language),
        "code": code,
    }


def response_language() -> str:
    """Chinese for a page; for the API, the language the client prefers."""
    return request_language(page=wants_page())


def handle_domain_error(exc: errors.CreditServiceError) -> Response:
    """Map a domain error to its status; a refusal (401/403) raised anywhere, the core's
    object-level checks included, is audited as access.denied first."""
    if isinstance(exc, errors.Forbidden | errors.Unauthenticated):
        access.record_denial(exc)
    status = status_of(exc)
    if status == 500:  # a fault of the service's own files: logged, never told
        logger.error("domain error mapped to 500: %s %s", exc.code, exc.params)
        return problem(500, code=exc.code, detail=status_text(500, response_language()))
    detail = error_text(exc, response_language(), status)
    return problem(status, detail=detail, code=exc.code, errors=exc.errors, **exc.extensions)


def status_of(exc: errors.CreditServiceError) -> int:
    """The HTTP status of a domain error (500 for a class the table does not name)."""
    return next((code for cls, code in STATUS_FOR.items() if isinstance(exc, cls)), 500)


def handle_http_exception(exc: HTTPException) -> Response | HTTPException:
    """Werkzeug and webargs errors; codes outside 400–599 (redirects) pass through. The
    detail is the status's general message; webargs's field errors are said in words."""
    if exc.code is None or not 400 <= exc.code < 600:
        return exc
    data = getattr(exc, "data", None) or {}
    fields = data.get("errors") or _flatten_locations(data.get("messages"))
    headers = dict(data.get("headers") or {})
    if exc.code == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(exc.valid_methods)
    return problem(exc.code, errors=fields, headers=headers)


def _flatten_locations(messages: dict[str, Any] | None) -> dict[str, Any] | None:
    """webargs nests errors by location ({"json": {...}}); callers want the fields."""
    if not messages:
        return None
    merged: dict[str, Any] = {}
    for location, fields in messages.items():
        if isinstance(fields, dict):
            prefix = "" if location in ("json", "form", "files") else f"{location}."
            merged.update({f"{prefix}{name}": value for name, value in fields.items()})
        else:
            merged[location] = fields
    return merged


def handle_unexpected(exc: Exception) -> Response:
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        # The database dropped the connection (a restart, a failover): the pool has
        # replaced it, so asking again will do; nothing was written.
        logger.warning("database connection lost on %s %s: %s", request.method, request.path, exc)
        return problem(503, code="database-reconnecting", headers={"Retry-After": "1"})
    logger.exception("unhandled error on %s %s", request.method, request.path)
    return problem(500)


def for_browsers(handler: Callable[[Any], Response]) -> Callable[[Any], Response]:
    """A browser asking for a page gets an HTML page instead of problem+json, and one that
    must sign in is sent to the sign-in page (which brings it back afterwards)."""

    @wraps(handler)
    def negotiate(exc: Any) -> Response:
        response = handler(exc)
        if not isinstance(response, Response) or not wants_page():
            return response
        if response.status_code == 401 and request.method == "GET":
            return redirect(url_for("auth_pages.sign_in", next=request.full_path.rstrip("?")))
        body = json.loads(response.get_data())
        details = [m for m in dict.fromkeys(_messages(body.get("errors"))) if m != body["detail"]]
        page = render_template(
            "error.html", problem=body, status=response.status_code, details=details
        )
        headers = {"Content-Language": response.headers["Content-Language"]}
        return Response(page, status=response.status_code, mimetype="text/html", headers=headers)

    return negotiate


def _messages(errors: Any) -> list[str]:
    """The words of field errors, nested or not, for a page (the fields' names are the
    API's, not the reader's)."""
    if isinstance(errors, dict):
        return [m for value in errors.values() for m in _messages(value)]
    if isinstance(errors, list):
        return [m for value in errors for m in _messages(value)]
    return [str(errors)] if errors else []


def wants_page() -> bool:
    """A page request (not /api/) from a client that names HTML in its Accept header."""
    return not request.path.startswith("/api/") and "text/html" in request.headers.get("Accept", "")


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(errors.CreditServiceError, for_browsers(handle_domain_error))
    app.register_error_handler(HTTPException, for_browsers(handle_http_exception))
    app.register_error_handler(Exception, for_browsers(handle_unexpected))

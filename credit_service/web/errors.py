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

logger = logging.getLogger(__name__)

PROBLEM_TYPE_BASE = "https://credit-service.example/problems/"
PROBLEM_JSON = "application/problem+json"
STATUS_FOR: dict[type[errors.CreditServiceError], int] = {
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.InvalidInput: 422,
    errors.Unauthenticated: 401,
    errors.Forbidden: 403,
    errors.LimitExceeded: 429,
    errors.CatalogError: 500,
    errors.UpstreamError: 502,
}
TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request body too large",
    414: "URI too long",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    431: "Request header fields too large",
    500: "Internal server error",
    502: "Upstream error",
    503: "Service unavailable",
}
DETAILS = {
    400: "the request could not be understood; 请求格式有误",
    401: "sign in or send a valid bearer token; 请先登录或提供有效令牌",
    404: "no such resource; 未找到资源",
    405: "this method is not allowed here; 不支持该请求方法",
    413: "the request body exceeds the size limit; 请求体超过大小限制",
    414: "the URL is too long; 请求地址过长",
    415: "send the body as application/json; 请以 application/json 提交",
    429: "too many requests, retry later; 请求过于频繁，请稍后重试",
    431: "the request headers are too many or too large; 请求头过多或过大",
    500: "an internal error occurred; it has been logged; 服务器内部错误，已记录",
}


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details (documentation of every error response)."""

    class Meta:
        unknown = ma.INCLUDE  # extension members (RFC 9457 §3.2), e.g. a conflict's record_id

    type = ma.fields.String(metadata={"description": "URI identifying the problem type"})
    title = ma.fields.String()
    status = ma.fields.Integer()
    detail = ma.fields.String()
    instance = ma.fields.String()
    code = ma.fields.String(metadata={"description": "Stable machine-readable slug"})
    errors = ma.fields.Dict(metadata={"description": "Field-level errors"})


def problem(
    status: int,
    *,
    detail: str | None = None,
    code: str | None = None,
    errors: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> Response:
    """A problem+json response; ``code`` becomes the type URI's last segment."""
    body = problem_document(status, detail=detail, code=code)
    body["instance"] = request.path if request else None
    if errors:
        body["errors"] = errors
    extra = {k: v for k, v in extensions.items() if v is not None}
    # dates in ISO 8601 like every other body (Flask's default would write an HTTP date)
    body.update({k: v.isoformat() if isinstance(v, date) else v for k, v in extra.items()})
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def problem_document(
    status: int, *, detail: str | None = None, code: str | None = None
) -> dict[str, Any]:
    """The members every problem has (also written by gunicorn, outside any request)."""
    code = code or _slug(status)
    return {
        "type": PROBLEM_TYPE_BASE + code,
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail or DETAILS.get(status, TITLES.get(status, "Error")),
        "code": code,
    }


def _slug(status: int) -> str:
    return TITLES.get(status, "error").lower().replace(" ", "-")


def handle_domain_error(exc: errors.CreditServiceError) -> Response:
    """Map a domain error to its status; a refusal (401/403) raised anywhere, the core's
    object-level checks included, is audited as access.denied first."""
    if isinstance(exc, errors.Forbidden | errors.Unauthenticated):
        access.record_denial(exc)
    status = next((code for cls, code in STATUS_FOR.items() if isinstance(exc, cls)), 500)
    if status == 500:
        logger.error("domain error mapped to 500: %s", exc.detail)
        return problem(500, code=exc.code)
    return problem(status, detail=exc.detail, code=exc.code, errors=exc.errors, **exc.extensions)


def handle_http_exception(exc: HTTPException) -> Response | HTTPException:
    """Werkzeug and webargs errors; codes outside 400–599 (redirects) pass through."""
    if exc.code is None or not 400 <= exc.code < 600:
        return exc
    data = getattr(exc, "data", None) or {}
    field_errors = data.get("errors") or _flatten_locations(data.get("messages"))
    headers = dict(data.get("headers") or {})
    if exc.code == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(exc.valid_methods)
    detail = data.get("message")
    if exc.code == 422 and not detail:
        detail = "the request has invalid fields; 请求字段有误"
    return problem(exc.code, detail=detail, errors=field_errors, headers=headers)


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
        return problem(
            503,
            detail="the database connection was lost; try again; 数据库连接中断，请重试",
            code="database-reconnecting",
            headers={"Retry-After": "1"},
        )
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
        page = render_template("error.html", problem=body, status=response.status_code)
        return Response(page, status=response.status_code, mimetype="text/html")

    return negotiate


def wants_page() -> bool:
    """A page request (not /api/) from a client that names HTML in its Accept header."""
    return not request.path.startswith("/api/") and "text/html" in request.headers.get("Accept", "")


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(errors.CreditServiceError, for_browsers(handle_domain_error))
    app.register_error_handler(HTTPException, for_browsers(handle_http_exception))
    app.register_error_handler(Exception, for_browsers(handle_unexpected))

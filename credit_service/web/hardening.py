"""Request and response hardening: request sizes, body media types, security headers."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request

from credit_service.errors import InvalidInput
from credit_service.web.api.common import ACCEPTS_ATTR
from credit_service.web.errors import problem

# The service's own request limits, below gunicorn's (credit_service/web/gunicorn_conf.py)
# so that the app answers them as problem+json.
MAX_URL_BYTES = 4096  # path and query string as sent (percent-encoded)
MAX_HEADER_FIELD_BYTES = 8190  # one header line, name and value
MAX_HEADER_FIELDS = 100
JSON = frozenset({"application/json"})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# Where werkzeug's request.headers finds Content-Type and Content-Length in the environ,
# and the HTTP_ keys it ignores for them.
CONTENT_KEYS = ("CONTENT_TYPE", "CONTENT_LENGTH")
IGNORED_KEYS = frozenset({"HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"})
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# (lower-case name, name, value); a view may set its own policy and caching, not the rest.
SECURITY_HEADERS = tuple(
    (name.lower(), name, value)
    for name, value in (
        ("Content-Security-Policy", CSP),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Frame-Options", "DENY"),
        ("Cache-Control", "no-store"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    )
)
VIEW_MAY_SET = frozenset({"content-security-policy", "cache-control"})


def check_request_size() -> Response | None:
    """Answer 414 for a URL, 431 for headers beyond the service's limits (before anything
    else reads them)."""
    environ = request.environ
    raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI") or request.full_path
    # A WSGI string holds one character per byte as sent (latin-1): its length is the size.
    if len(raw_uri) > MAX_URL_BYTES:
        return problem(414)
    fields = _field_sizes(environ)
    if len(fields) > MAX_HEADER_FIELDS or max(fields, default=0) > MAX_HEADER_FIELD_BYTES:
        return problem(431)
    return None


def _field_sizes(environ: dict[str, Any]) -> list[int]:
    """The size of each header line ("Name: value") of the fields werkzeug's
    request.headers would list, read from the environ without building them (``HTTP_X``
    has the length of ``X``)."""
    sizes = [
        len(key) - 3 + len(value)
        for key, value in environ.items()
        if key.startswith("HTTP_") and key not in IGNORED_KEYS
    ]
    sizes.extend(len(key) + 2 + len(environ[key]) for key in CONTENT_KEYS if environ.get(key))
    return sizes


def check_content_type() -> Response | None:
    """Answer 415 when a body comes in a media type the endpoint does not take."""
    if request.method not in BODY_METHODS or request.routing_exception is not None:
        return None
    has_body = bool(request.content_length) or bool(request.headers.get("Transfer-Encoding"))
    if not has_body and not request.mimetype:
        return None
    accepted = _accepted(request.endpoint, request.method)
    if request.mimetype not in accepted:
        return problem(415, code="unsupported-media-type", accepted=sorted(accepted))
    return None


def check_input_text() -> Response | None:
    """Answer 422 when the path, query, a form field or a JSON body carries a NUL
    character (PostgreSQL cannot store one in text, and no field of ours holds one), and
    400 for a JSON body nested too deep to parse. CSV uploads are checked as they are read.
    """
    if request.routing_exception is not None or not _may_hold_nul(request.environ):
        return None
    texts: list[tuple[str, object]] = [
        ("path", request.path),
        ("authorization", request.headers.get("Authorization", "")),
        *((f"query.{k}", k + v) for k, v in request.args.items(multi=True)),
    ]
    if request.mimetype == "application/x-www-form-urlencoded":
        texts.extend((k, k + v) for k, v in request.form.items(multi=True))
    elif request.is_json and request.method in BODY_METHODS:
        try:
            texts.append(("body", request.get_json(silent=True)))
        except RecursionError:
            return problem(400, code="json-too-deep")
    _refuse_nul(texts)
    return None


def _may_hold_nul(environ: dict[str, Any]) -> bool:
    """Whether the request can carry a NUL where ``check_input_text`` looks: it has a body,
    or its path, query string (``%00``) or credentials hold one. Most GETs have none of
    these, and are let through without parsing their query and headers (15 µs)."""
    query = environ.get("QUERY_STRING", "")
    return (
        _has_body(environ)
        or "\x00" in environ.get("PATH_INFO", "")
        or "%00" in query
        or "\x00" in query
        or "\x00" in environ.get("HTTP_AUTHORIZATION", "")
    )


def _has_body(environ: dict[str, Any]) -> bool:
    return environ.get("CONTENT_LENGTH", "") not in ("", "0") or bool(
        environ.get("HTTP_TRANSFER_ENCODING")
    )


def check_upload_text() -> None:
    """The same for the text fields of a multipart form (an upload with its form). Runs
    after access control, which sets an upload view's size limit before the body is read,
    so an anonymous caller never makes the service parse a large upload."""
    if (
        request.routing_exception is not None
        or not _has_body(request.environ)
        or request.mimetype != "multipart/form-data"
    ):
        return None
    # a part whose name werkzeug cannot read (a CR in it) comes with the name None
    _refuse_nul([(k or "", (k or "") + v) for k, v in request.form.items(multi=True)])


def _refuse_nul(texts: list[tuple[str, object]]) -> None:
    """:raises InvalidInput: naming every place with a NUL (a page for a browser)."""
    bad = sorted({where for where, value in texts if _has_nul(value)})
    if bad:
        raise InvalidInput("nul-character", errors={where: ["nul-character"] for where in bad})


def _has_nul(value: object) -> bool:
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def _accepted(endpoint: str | None, method: str) -> frozenset[str]:
    view = current_app.view_functions.get(endpoint or "")
    view_class = getattr(view, "view_class", None)
    handler = getattr(view_class, method.lower(), None) if view_class else view
    return getattr(handler, ACCEPTS_ATTR, JSON)


def security_headers(response: Response) -> Response:
    """Headers on every response; nothing names the server or framework version.

    One pass over the response's few fields, adding ours (setting each one by name would
    look through them once per header: 15 µs instead of 6)."""
    headers = response.headers
    present = {name.lower() for name in headers.keys()}
    for lowered, name, value in SECURITY_HEADERS:
        if lowered not in present:
            headers.add(name, value)
        elif lowered not in VIEW_MAY_SET:
            headers[name] = value
    if request.is_secure:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return response

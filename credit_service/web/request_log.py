"""Each web request's id, in its answer's ``X-Request-ID``, and its access line.

``RequestLog`` wraps the whole WSGI app (outside ProxyFix, the rate limits and Flask's
error handling), so every answer the app gives carries the header: a page, a
problem+json error, a 500, a refusal before any view ran. The id is the client's
``X-Request-ID`` when well-formed, else a fresh one (``credit_service.request_ids``);
it is current while the app works, so the log lines, audit rows and outbox events of
the request carry it. What gunicorn answers itself never reaches the app: it gets an id
in ``gunicorn_conf.write_problem``.

The access line (logger ``credit_service.access``, INFO) is written when the app has
answered: method, path, query, the Flask endpoint that answered (null for no route),
status and ``duration_ms``, the time until the answer's head (the body of a streamed
download is not counted). gunicorn's own access log, where one is configured, names the
same request id and endpoint (``gunicorn_logger``). The liveness probe gets neither
(``probes``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import request
from werkzeug.wsgi import get_path_info

from credit_service import json_logs, request_ids
from credit_service.web.probes import LIVENESS_PATH

ENDPOINT = "credit_service.endpoint"  # WSGI environ key: the endpoint that answered
access_log = logging.getLogger("credit_service.access")


class RequestLog:
    """WSGI middleware: the request id around the app, the header, the access line."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("PATH_INFO") == LIVENESS_PATH:
            return self.app(environ, start_response)
        request_id = request_ids.accepted(environ.get("HTTP_X_REQUEST_ID"))
        status = "500"  # what the server answers if the app raises

        def start(status_line: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            nonlocal status
            status = status_line
            headers.append((request_ids.HEADER, request_id))
            return start_response(status_line, headers, *exc_info)

        started = time.perf_counter()
        with request_ids.bound(request_id):
            try:
                return self.app(environ, start)
            finally:
                _access_line(environ, status, time.perf_counter() - started)


def _access_line(environ: dict[str, Any], status: str, seconds: float) -> None:
    if not access_log.isEnabledFor(logging.INFO):
        return
    method, path, code = environ.get("REQUEST_METHOD", ""), get_path_info(environ), status[:3]
    access_log.info(
        "%s %s %s %.1f ms",
        method,
        path,
        code,
        seconds * 1000,
        extra={
            json_logs.ACCESS: {
                "method": method,
                "path": path,
                "query": environ.get("QUERY_STRING", ""),
                "endpoint": environ.get(ENDPOINT),
                "status": int(code),
                "duration_ms": round(seconds * 1000, 1),
            }
        },
    )


def note_endpoint() -> None:
    """Before every request (first): keep the endpoint for the access line."""
    request.environ[ENDPOINT] = request.endpoint

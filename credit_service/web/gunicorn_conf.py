"""gunicorn's settings for the service: ``gunicorn -c python:credit_service.web.gunicorn_conf
wsgi:app`` (as ``make run`` starts it; a production start passes it too).

- Logs go through the service's logger class (``gunicorn_logger``): no resident ID number
  in a log line, and JSON lines with the request id under ``LOG_FORMAT=json``.
- gunicorn's request limits lie above the service's own (``hardening.MAX_URL_BYTES`` …),
  so a request the service refuses for its size reaches the app, which answers 414 or 431
  as problem+json like every other error.
- What gunicorn must still answer itself (a request line beyond its ceiling of 8190 bytes,
  headers beyond its limits, a request it cannot parse) is problem+json too: each worker
  replaces gunicorn's HTML error page with a problem document, with a fresh
  ``X-Request-ID`` that its log line names.
"""

from __future__ import annotations

import json
import logging
import socket
from typing import Any

from gunicorn import util

from credit_service import request_ids
from credit_service.web import errors, hardening

logger_class = "credit_service.web.gunicorn_logger.GunicornLogger"
limit_request_line = 8190  # gunicorn's ceiling; 0 would lift it, with no bound on memory
limit_request_fields = 2 * hardening.MAX_HEADER_FIELDS
limit_request_field_size = 2 * hardening.MAX_HEADER_FIELD_BYTES
logger = logging.getLogger(__name__)


def post_worker_init(worker: Any) -> None:
    """gunicorn hook, in each worker: its own error answers become problem+json."""
    util.write_error = write_problem


def write_problem(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's ``util.write_error`` as problem+json: the status and reason it chose,
    our title and detail for the status (its message may quote the request: not echoed),
    and a request id of its own (the request's header is not read: it may be what failed)."""
    body = json.dumps(errors.problem_document(status_int), ensure_ascii=False).encode()
    with request_ids.bound(request_ids.new_request_id()) as request_id:
        logger.warning("gunicorn refused a request: %s %s", status_int, reason)
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        f"Content-Type: {errors.PROBLEM_JSON}\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"{request_ids.HEADER}: {request_id}\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "Cache-Control: no-store\r\n"
        "\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)

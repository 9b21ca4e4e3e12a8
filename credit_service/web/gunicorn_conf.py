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
- ``/metrics`` adds up the numbers of every worker (prometheus-client's multiprocess
  mode): each worker writes its own to files in ``PROMETHEUS_MULTIPROC_DIR``. Set it to
  an empty folder of the service's own, or leave it unset and a private temporary folder
  is made (and removed at exit). The folder's files are removed when gunicorn starts (a
  former run's counts would add to this one's), and a dead worker's gauges when it dies.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import tempfile
from pathlib import Path
from typing import Any

# Before anything imports prometheus_client (credit_service.web does): it chooses where
# its values live, in memory or in the folder, when it is imported.
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
OWN_DIR = not os.environ.get(MULTIPROCESS_DIR)
if OWN_DIR:
    os.environ[MULTIPROCESS_DIR] = tempfile.mkdtemp(prefix="credit-service-metrics-")

from gunicorn import util  # noqa: E402
from prometheus_client import multiprocess  # noqa: E402

from credit_service import request_ids  # noqa: E402
from credit_service.web import errors, hardening  # noqa: E402

logger_class = "credit_service.web.gunicorn_logger.GunicornLogger"
# A sync worker that answers one request for longer than this is killed mid-answer: the
# whole public list streamed as CSV takes about 28 s at 200,000 entries on 2 cores
# (docs/performance.md, "Province scale"). gunicorn's default is 30 s.
timeout = 120
limit_request_line = 8190  # gunicorn's ceiling; 0 would lift it, with no bound on memory
limit_request_fields = 2 * hardening.MAX_HEADER_FIELDS
limit_request_field_size = 2 * hardening.MAX_HEADER_FIELD_BYTES
logger = logging.getLogger(__name__)


def on_starting(server: Any) -> None:
    """gunicorn hook, in the master before any worker starts: no former run's values."""
    folder = Path(os.environ[MULTIPROCESS_DIR])
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for path in folder.glob("*.db"):
        path.unlink()


def child_exit(server: Any, worker: Any) -> None:
    """gunicorn hook, in the master: a dead worker's gauges (its pool) go with it; its
    request counts stay in the sums, as counters must."""
    multiprocess.mark_process_dead(worker.pid)


def on_exit(server: Any) -> None:
    """gunicorn hook, in the master at shutdown: remove the folder made at start."""
    if OWN_DIR:
        shutil.rmtree(os.environ[MULTIPROCESS_DIR], ignore_errors=True)


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

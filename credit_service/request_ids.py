"""The request id: one per web request, command and job run, in every log line it causes,
in the audit rows and outbox events it writes, and (for a web request) in the answer's
``X-Request-ID``.

It lives in a context variable, so the audit trail and the outbox read it where they
write, without a parameter through every service and without importing Flask: the web
layer binds it per request (``web.request_context``), the console per command
(``web.cli_common``), the scheduler per job run (``jobs.services.run_recorded``).

A client (or a proxy in front) may send its own ``X-Request-ID`` to follow a request
through its own logs too; it is kept only when it is 8 to 64 characters of
``[A-Za-z0-9._-]`` and holds no resident ID number, so that what a client sends can never
put arbitrary text, or a person's number, into a log line or an audit row. Anything else
is replaced by a fresh id. A kept id correlates, it does not authenticate: two requests
may carry the same one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

from credit_service.event_ids import new_event_id
from credit_service.logmask import mask_resident_ids

HEADER = "X-Request-ID"
MAX_LENGTH = 64  # the request_id columns' width
WELL_FORMED = re.compile(r"[A-Za-z0-9._-]{8,64}")

_current: ContextVar[str | None] = ContextVar("request_id", default=None)


def new_request_id(prefix: str | None = None) -> str:
    """A fresh id: a UUIDv7 (time-ordered, like the outbox's event ids), after
    ``prefix-`` when given (``cli``)."""
    fresh = new_event_id()
    return f"{prefix}-{fresh}" if prefix else fresh


def job_request_id(job_id: str, run_id: int) -> str:
    """A job run's id, ``job-<job>-<run>``: the run's row in ``job_runs`` (its id) names
    it; a job name too long for the column is cut, never the run."""
    suffix = f"-{run_id}"
    return f"job-{job_id[: MAX_LENGTH - len(suffix) - 4]}{suffix}"


def accepted(sent: str | None) -> str:
    """The id of a request that sent ``sent`` as its ``X-Request-ID`` (or nothing)."""
    if sent and WELL_FORMED.fullmatch(sent) and mask_resident_ids(sent) == sent:
        return sent
    return new_request_id()


def current() -> str | None:
    """The id of the request, command or job run in progress; None outside any."""
    return _current.get()


def bind(request_id: str) -> Token[str | None]:
    """Make ``request_id`` current until ``release`` of the token returned."""
    return _current.set(request_id)


def release(token: Token[str | None]) -> None:
    _current.reset(token)


@contextmanager
def bound(request_id: str) -> Iterator[str]:
    """Make ``request_id`` current for the block (and whatever it calls)."""
    token = bind(request_id)
    try:
        yield request_id
    finally:
        release(token)

"""Log lines as JSON objects, one a line (``LOG_FORMAT=json``, the default), or as text for
a terminal (``LOG_FORMAT=text``); and the set-up every process (web, scheduler, console)
runs once.

A JSON line holds ``time`` (UTC, ISO 8601 to the millisecond: log collectors and the
audit trail both count in UTC; pages show Beijing time), ``level``, ``logger``,
``message``, ``request_id`` (null outside a request, command or job run), an access
line's fields (``method``, ``path``, ``query``, ``endpoint``, ``status``,
``duration_ms``, …, given as ``extra={"access": {...}}``) and ``exception``: a traceback
as one string, so a multi-line error is still one line. A text line is the same without
the field names. docs/logging.md shows both.

Every text of a line is masked with ``logmask`` before it is written: the message and
traceback (also by the handler's ``MaskingFilter``) and each field of an access line. It
is masked before it is serialized, not after: in JSON a newline before a number becomes
``\\n``, and the ``n`` would hide the number from the mask.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from credit_service import logmask, request_ids
from credit_service.config import Settings

ACCESS = "access"  # the attribute of a record (``extra``) that holds an access line's fields


def line_fields(record: logging.LogRecord, formatter: logging.Formatter) -> dict[str, Any]:
    """The fields of ``record``'s line, every text masked."""
    fields: dict[str, Any] = {
        "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
        "level": record.levelname,
        "logger": record.name,
        "message": record.getMessage(),
        "request_id": request_ids.current(),
    }
    fields.update(getattr(record, ACCESS, None) or {})
    if record.exc_info and not record.exc_text:
        record.exc_text = formatter.formatException(record.exc_info)
    if record.exc_text:
        fields["exception"] = record.exc_text
    if record.stack_info:
        fields["stack"] = formatter.formatStack(record.stack_info)
    return {k: logmask.mask_resident_ids(v) if isinstance(v, str) else v for k, v in fields.items()}


class JsonFormatter(logging.Formatter):
    """One JSON object a line (see the module's doc)."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(line_fields(record, self), ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``time level logger [request id] message``, the traceback on the lines after it."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        record.request_id = request_ids.current() or "-"
        return logmask.mask_resident_ids(super().format(record))


def formatter(settings: Settings) -> logging.Formatter:
    """The formatter ``LOG_FORMAT`` names."""
    return JsonFormatter() if settings.log_format == "json" else TextFormatter()


def configure(settings: Settings) -> None:
    """Give the root logger a handler writing lines in ``LOG_FORMAT`` to standard error, at
    ``LOG_LEVEL``, unless the process configured its logging already (a host that embeds
    the app, or pytest, whose captured lines stay as it formats them); either way every
    handler of the root logger masks resident ID numbers."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(formatter(settings))
        root.addHandler(handler)
        root.setLevel(settings.log_level)
    logmask.install()

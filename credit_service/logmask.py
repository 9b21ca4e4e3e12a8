"""No resident ID number in any log line: the service's, the scheduler's, gunicorn's
(whose logger class, ``web.gunicorn_logger``, masks its access lines with this module).

A natural person's entity is addressed by the ID number (``/api/v1/entities/{identifier}``,
the console's entity pages), so request lines, error messages and tracebacks could carry
it into log files kept far longer, and read by more people, than the register. Every
18-character run that is a valid resident ID (check character, birth date, province) is
cut to its first six characters (the region of issue) and twelve ``*``; other 18-character
identifiers (USCCs) are left as they are.
"""

from __future__ import annotations

import logging
import re

from credit_service.identifiers import is_valid_resident_id

CANDIDATE = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")


def mask_resident_ids(text: str) -> str:
    return CANDIDATE.sub(_mask, text) if text else text


def _mask(match: re.Match[str]) -> str:
    number = match.group()
    return number[:6] + "*" * 12 if is_valid_resident_id(number.upper()) else number


class MaskingFilter(logging.Filter):
    """Masks the formatted message and any traceback of a record (on a handler: a
    logger's filters do not see records propagated from its children)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_resident_ids(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_resident_ids(record.exc_text)
        return True


def install(logger: logging.Logger | None = None) -> None:
    """Put the filter on every handler of ``logger`` (the root logger by default)."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(MaskingFilter())

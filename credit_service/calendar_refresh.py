"""The holiday folder a running service watches: where the State Council's notices are
transcribed, and reading it again when a year is added, without a restart."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from credit_service.config import Settings
from credit_service.context import Context
from credit_service.errors import CatalogError
from credit_service.holidays import holiday_files
from credit_service.workdays import WorkdayCalendar

logger = logging.getLogger(__name__)

CALENDAR_CHECK_S = 60.0


def holidays_dir(settings: Settings) -> Path:
    """Where the State Council holiday notices are transcribed, one YYYY.yaml a year."""
    return settings.catalogs_dir / "holidays"


def reload_calendar(ctx: Context) -> bool:
    """Read the holiday folder again if its files changed since ``ctx.calendar`` was
    built (a year added after the process started); True when the calendar was replaced.

    :raises CatalogError: a new or changed file is invalid (the old calendar stays).
    """
    directory = holidays_dir(ctx.settings)
    if ctx.calendar.source is not None and ctx.calendar.source == holiday_files(directory):
        return False
    ctx.calendar = WorkdayCalendar(directory)
    return True


def refresh_calendar(ctx: Context) -> None:
    """For long-running web workers: look at the holiday folder at most every
    ``CALENDAR_CHECK_S`` and read it again when a year file was added or changed, so that
    the State Council's notice for a new year reaches the deadlines they compute within a
    minute of its file being added, without a restart. An invalid file is logged once (per
    state of the folder) and the calendar read before stays."""
    now = time.monotonic()
    if now - ctx.extras.get("calendar_checked_at", -CALENDAR_CHECK_S) < CALENDAR_CHECK_S:
        return
    ctx.extras["calendar_checked_at"] = now
    try:
        reload_calendar(ctx)
    except CatalogError as exc:
        folder = holiday_files(holidays_dir(ctx.settings))
        if ctx.extras.get("calendar_refused") != folder:
            ctx.extras["calendar_refused"] = folder
            logger.error("holiday calendar not reloaded, the one read before stays: %s", exc)

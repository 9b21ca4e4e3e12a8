"""The materials a reviewer asks the party for (补正), and by when.

A repair application (D10) and an objection (D19) pause their clock while the party
supplies materials. The party is told what is asked and by which day: a number of
working days after the request (the rules file's ``supplement_workdays``), or a day the
reviewer names, which must be a working day after today. The day is kept in
``supplement_due_on``; ``supplement_workdays`` keeps the count it came from (None for a
day the reviewer named), so that a day counted into a year without a holiday file is
marked provisional (``due_provisional``: while paused, the pause's deadline is the
party's) and recomputed once the file arrives, as ``PhaseClock`` does for its phases.
When the materials arrive the day is cleared. When it has passed without them the row is
flagged for the reviewer, who may then close it (not accepted, refused, not upheld) with
the lapse as the reason; nothing closes it by itself.

The rules take the calendar, the days and the dates as parameters; ``ask_for`` and
``ensure_closable`` read them from the step being taken, for both procedures' effects.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from credit_service.errors import Conflict, InvalidInput
from credit_service.procedures.definition import Move
from credit_service.workdays import WorkdayCalendar

PAUSED = "supplement_requested"  # the state in which the party's day runs
STEP = "request_supplement"  # the step that sets it (and the only one given a day)


def requested_day(step: str, due_on: date | None) -> dict[str, Any]:
    """The step's details for a day the reviewer named (``due_on``): only a request for
    materials takes one.

    :raises InvalidInput: a day given to another step (422 on ``due_on``).
    """
    if due_on is None:
        return {}
    if step != STEP:
        raise InvalidInput(
            "supplement-day-not-for-step", step=step, errors={"due_on": ["not-for-step"]}
        )
    return {"due_on": due_on}


def ask(
    calendar: WorkdayCalendar,
    row: Any,
    on: date,
    today: date,
    workdays: int,
    named: date | None,
) -> date:
    """Set the day the materials asked for on ``on`` are due: ``named`` if the reviewer
    gave one, else ``workdays`` working days after ``on``; returns it.

    :raises InvalidInput: a named day that is not a working day after today (422 on
        ``due_on``, with the day and today).
    """
    if named is not None:
        _ensure_workday_after(calendar, named, today)
        row.supplement_due_on, row.supplement_workdays = named, None
        row.due_provisional = False  # the reviewer's own day: nothing to recompute
        return named
    due = calendar.add_workdays(on, workdays)
    row.supplement_due_on, row.supplement_workdays = due.due, workdays
    row.due_provisional = due.provisional
    return due.due


def ask_for(move: Move, workdays: int) -> date:
    """The request step's day (``ask``): the one the reviewer named in its details
    (``due_on``, replaced there by the day set, as ISO text), else ``workdays``."""
    named = move.details.pop("due_on", None)
    due = ask(move.ctx.calendar, move.row, move.on, move.ctx.today(), workdays, named)
    move.details["supplement_due_on"] = due.isoformat()
    return due


def _ensure_workday_after(calendar: WorkdayCalendar, day: date, today: date) -> None:
    if day <= today:
        code = "supplement-day-not-after-today"
    elif not calendar.is_workday(day):
        code = "supplement-day-not-workday"
    else:
        return
    params = {"day": day.isoformat(), "today": today.isoformat()}
    raise InvalidInput(code, errors={"due_on": [{"code": code, **params}]}, **params)


def clear(row: Any) -> None:
    """The materials arrived: no day runs any more."""
    row.supplement_due_on = row.supplement_workdays = None


def refresh(calendar: WorkdayCalendar, row: Any) -> int:
    """Recompute a provisional day once its year's holiday file exists (D14); 1 when it
    became final."""
    if not row.due_provisional or row.state != PAUSED or row.supplement_workdays is None:
        return 0
    due = calendar.add_workdays(row.paused_on, row.supplement_workdays)
    row.supplement_due_on, row.due_provisional = due.due, due.provisional
    return int(not due.provisional)


def waiting(row: Any) -> date | None:
    """The day the materials are due, while the row waits for them (None otherwise)."""
    return row.supplement_due_on if row.state == PAUSED else None


def late(due: date | None, today: date) -> bool:
    """Whether materials due on ``due`` are late on ``today``: the due day itself is still
    in time."""
    return due is not None and due < today


def overdue(row: Any, today: date) -> bool:
    """Whether the row waits for materials that are late on ``today``: the reviewer's
    flag (see ``ensure_lapsed`` for closing a row whose day is provisional)."""
    return late(waiting(row), today)


def closes_lapsed(phase: str) -> Callable[[Any, date], bool]:
    """Whether a closing step fits a row now: any row it follows, except a paused one,
    which it fits only when paused in ``phase`` (acceptance or decision) and late."""

    def fits(row: Any, today: date) -> bool:
        return row.state != PAUSED or (row.paused_phase == phase and overdue(row, today))

    return fits


def ensure_closable(move: Move, phase: str) -> None:
    """``ensure_lapsed`` for the closing step being taken."""
    margin = move.ctx.calendar_rules.provisional_margin_workdays
    ensure_lapsed(move.ctx.calendar, margin, move.row, move.on, phase, move.step)


def ensure_lapsed(
    calendar: WorkdayCalendar, margin: int, row: Any, on: date, phase: str, step: str
) -> None:
    """A paused row is closed for want of materials only from the phase it was paused
    in, and only after their day: a provisional day once the latest day it can turn out
    to be has passed (``margin`` more working days where the count is provisional, D14).

    :raises Conflict: another phase's closing step; no day set (a request made before
        days were set); the day not passed (with the day and the first day the row may
        be closed).
    """
    if row.state != PAUSED:
        return
    if row.paused_phase != phase:
        raise Conflict("supplement-other-phase", step=step, phase=row.paused_phase)
    due = row.supplement_due_on
    if due is None:  # asked before days were set: the party was never told one
        raise Conflict("supplement-no-day", step=step)
    if row.due_provisional and row.supplement_workdays is not None:
        due = calendar.latest_due(row.paused_on, row.supplement_workdays, margin)
    if on <= due:
        raise Conflict(
            "supplement-not-lapsed",
            due_on=row.supplement_due_on.isoformat(),
            closable_from=(due + timedelta(days=1)).isoformat(),
        )

"""The statement and defence window of a listing case and its provisional deadlines (D5,
D14): when a decision may be recorded, and recomputing deadlines once a year's holiday
file is added."""

from __future__ import annotations

from datetime import date, timedelta

from credit_service.context import Context
from credit_service.dishonesty import rules
from credit_service.dishonesty.models import DishonestyCase
from credit_service.errors import Conflict, InvalidInput


def ensure_window_closed(ctx: Context, case: DishonestyCase, on: date) -> None:
    """A decision is recorded only once the party waived in writing or the window's last
    day has passed.

    :raises InvalidInput: inside the window. :raises Conflict: a provisional window that
        may still be running.
    """
    if case.statement_deadline_provisional and not case.statement_waived:
        # The year's calendar may have been loaded since the notice was served (D14).
        refresh_deadlines(ctx, case)
    if case.statement_deadline_provisional and not case.statement_waived:
        _ensure_provisional_window_passed(ctx, case, on)
        return
    if not rules.window_closed(
        waived=case.statement_waived, deadline=case.statement_deadline, on=on
    ):
        raise InvalidInput(
            "statement-window-open",
            deadline=case.statement_deadline,
            errors={"on": ["inside-statement-window"]},
        )


def _ensure_provisional_window_passed(ctx: Context, case: DishonestyCase, on: date) -> None:
    """A window whose end is provisional (a year it reaches has no holiday file) has passed
    once the latest day it can end on has: the year's notice cannot move it further (D14).
    Before that, the decision waits for that day or for the year's file."""
    latest = statement_latest(ctx, case)
    if on > latest:
        return
    served = case.notice_served_on.year
    year = next(y for y in range(served, latest.year + 1) if not ctx.calendar.is_known_year(y))
    raise Conflict(
        "provisional-deadline",
        deadline=case.statement_deadline,
        year=year,
        latest_deadline=latest.isoformat(),
        decidable_from=(latest + timedelta(days=1)).isoformat(),
    )


def statement_latest(ctx: Context, case: DishonestyCase) -> date:
    """The latest day a provisional statement window can end on."""
    return rules.statement_latest(
        ctx.list_rules,
        ctx.calendar,
        case.notice_served_on,
        ctx.calendar_rules.provisional_margin_workdays,
    )


def refresh_deadlines(ctx: Context, case: DishonestyCase) -> int:
    """Recompute the case's provisional deadlines (D14); how many became final."""
    final = 0
    if case.statement_deadline_provisional and case.notice_served_on:
        due = rules.statement_deadline(ctx.list_rules, ctx.calendar, case.notice_served_on)
        case.statement_deadline, case.statement_deadline_provisional = due.due, due.provisional
        final += not due.provisional
    if case.publication_deadline_provisional and case.decided_on:
        due = rules.publication_deadline(ctx.list_rules, ctx.calendar, case.decided_on)
        case.publication_deadline, case.publication_deadline_provisional = (
            due.due,
            due.provisional,
        )
        final += not due.provisional
    return final

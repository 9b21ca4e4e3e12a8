"""The objection's clock (D19, D14): acceptance within 3 working days of receipt, the
decision within 7 of acceptance, extended once by 7 when another unit must verify,
stopped while the party supplies materials, recomputed once a provisional year's
holiday file exists (the procedures' ``PhaseClock``)."""

from __future__ import annotations

from datetime import date

from credit_service.context import Context
from credit_service.objections.models import Objection
from credit_service.procedures.deadlines import PhaseClock

CLOCK = PhaseClock(Objection, accepting="received", deciding="accepted")


def start_acceptance(ctx: Context, o: Objection, received: date) -> None:
    rules = ctx.objection_rules
    CLOCK.start(ctx.calendar, o, "acceptance", received, rules.acceptance_workdays)


def start_decision(ctx: Context, o: Objection, accepted: date) -> None:
    CLOCK.start(ctx.calendar, o, "decision", accepted, ctx.objection_rules.decision_workdays)


def extend(ctx: Context, o: Objection) -> None:
    CLOCK.extend(ctx.calendar, o, ctx.objection_rules.extension_workdays)


def flag_deadlines(ctx: Context) -> dict[str, int]:
    """Mark open objections overdue or due soon (the hourly job)."""
    with ctx.session_factory.begin() as session:
        rules = ctx.objection_rules
        return CLOCK.flag(session, ctx.calendar, ctx.today(), rules.due_soon_workdays)

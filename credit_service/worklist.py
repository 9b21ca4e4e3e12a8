"""The console's work list across the procedures, as of a day (a parameter, default
today) and within the caller's region: the listing cases by state and those past a
deadline, the repair applications (the way off the list) and the objections overdue or
due soon.

It sits above the areas (like the handler table): it reads both procedures through their
services and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from credit_service.access import Actor
from credit_service.context import Context
from credit_service.dishonesty.pipeline import IN_PROCEDURE, CaseDue, listing_work
from credit_service.objections import services as objection_services
from credit_service.repair import services as repair_services

OBJECTION_READERS = ("admin", "regulator")  # a viewer reads no objections (the party's data)


@dataclass(frozen=True)
class Pipeline:
    as_of: date
    by_state: dict[str, int]  # every listing state, in procedure order
    statement_passed: tuple[CaseDue, ...]  # window over, the case still waits in it
    publication_overdue: tuple[CaseDue, ...]  # decided, not published in time
    repairs_overdue: tuple[dict[str, Any], ...]  # application views
    repairs_due_soon: tuple[dict[str, Any], ...]
    objections_overdue: tuple[dict[str, Any], ...] = ()  # objection views
    objections_due_soon: tuple[dict[str, Any], ...] = ()
    listings_due_today: tuple[CaseDue, ...] = ()

    @property
    def in_procedure(self) -> int:
        return sum(self.by_state[s] for s in IN_PROCEDURE)

    @property
    def overdue(self) -> int:
        """Items past a deadline (those merely due soon are not counted)."""
        return (
            len(self.statement_passed)
            + len(self.publication_overdue)
            + len(self.repairs_overdue)
            + len(self.objections_overdue)
        )

    def deadlines(self) -> dict[str, tuple[int, int]]:
        """Per procedure (listing, repair, objection): the items due on the day and those
        past their deadline (monitoring's gauges)."""

        def on_the_day(items: tuple[dict[str, Any], ...]) -> int:
            return sum(1 for item in items if item["current_due"] == self.as_of)

        return {
            "listing": (
                len(self.listings_due_today),
                len(self.statement_passed) + len(self.publication_overdue),
            ),
            "repair": (on_the_day(self.repairs_due_soon), len(self.repairs_overdue)),
            "objection": (on_the_day(self.objections_due_soon), len(self.objections_overdue)),
        }


def pipeline(ctx: Context, actor: Actor, *, today: date | None = None) -> Pipeline:
    today = today or ctx.today()
    listings = listing_work(ctx, actor, today)
    overdue, soon = repair_services.due_on(ctx, actor, today)
    late, near = (
        objection_services.due_on(ctx, actor, today)
        if actor.role in OBJECTION_READERS
        else ((), ())
    )
    return Pipeline(
        as_of=today,
        by_state=listings.by_state,
        statement_passed=listings.statement_passed,
        publication_overdue=listings.publication_overdue,
        repairs_overdue=overdue,
        repairs_due_soon=soon,
        objections_overdue=late,
        objections_due_soon=near,
        listings_due_today=listings.due_today,
    )

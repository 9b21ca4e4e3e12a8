"""Listing rules: the case state machine, the listing grounds, deadlines and terms. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from credit_service.dishonesty.definitions import ListRules
from credit_service.workdays import Deadline, WorkdayCalendar, period_end

STATES = (
    "proposed",
    "notice_served",
    "statement_received",
    "window_closed",
    "decided_list",
    "decided_not_list",
    "published",
    "removed",
    "withdrawn",
)
CLOSED_STATES = ("decided_not_list", "removed", "withdrawn")

# The removal reason an officer may give by hand with the ``remove`` step: correcting a
# listing obtained wrongly. Every other reason belongs to a path that does more than the
# step would (lifts the measures on the right day, keeps the repair or the revoked penalty
# in the same transaction), so the manual step's refusal names that path instead.
MANUAL_REMOVAL_REASONS = ("corrected",)
REMOVAL_PATHS = ("expired", "repaired", "revoked", "objection_upheld")


def manual_removal_refusal(removal_reason: str | None) -> dict[str, str] | None:
    """Why the manual ``remove`` step may not use this reason, as an error code and its
    params (the path that removes a listing for it), or None when it may."""
    if removal_reason in MANUAL_REMOVAL_REASONS:
        return None
    if removal_reason in REMOVAL_PATHS:
        return {"code": f"removal-path-{removal_reason}", "removal_reason": removal_reason}
    return {"code": "removal-reason-manual", "allowed": ", ".join(MANUAL_REMOVAL_REASONS)}


@dataclass(frozen=True)
class GroundRecord:
    """What the grounds test needs to know about a record a proposal rests on."""

    id: int
    heavier_penalty: bool
    listing_grounds: tuple[str, ...]
    status: str
    entity_id: int


def missing_conditions(records: Sequence[GroundRecord], entity_id: int) -> list[str]:
    """Why the records cannot ground a listing (D4), as codes; empty when they can.

    A listing needs a heavier administrative penalty for one of the IP grounds (the same
    decision); a revoked record grounds nothing, and every record must be about the
    proposed entity.
    """
    problems = []
    usable = [r for r in records if r.status != "revoked"]
    if any(r.entity_id != entity_id for r in records):
        problems.append("record-of-another-entity")
    if not any(r.heavier_penalty for r in usable):
        problems.append("no-heavier-penalty")
    if not any(r.listing_grounds for r in usable):
        problems.append("no-listing-ground")
    if not problems and not any(r.heavier_penalty and r.listing_grounds for r in usable):
        # Order 44 lists a party whose IP violation drew the heavier penalty: both
        # conditions must be met by the same decision, not by two unrelated ones.
        problems.append("no-penalty-for-the-ground")
    return problems


def grounds_of(records: Sequence[GroundRecord]) -> list[str]:
    return sorted({g for r in records if r.status != "revoked" for g in r.listing_grounds})


def statement_deadline(rules: ListRules, calendar: WorkdayCalendar, served_on: date) -> Deadline:
    """The last day of the statement and defence window (counting from the day after)."""
    return calendar.add_workdays(served_on, rules.statement_window_workdays)


def statement_latest(
    rules: ListRules, calendar: WorkdayCalendar, served_on: date, margin: int
) -> date:
    """The latest day the statement window can end on once the notices of the years it
    reaches are out (its own end day when those years are known, D14)."""
    return calendar.latest_due(served_on, rules.statement_window_workdays, margin)


def publication_deadline(rules: ListRules, calendar: WorkdayCalendar, decided_on: date) -> Deadline:
    return calendar.add_workdays(decided_on, rules.publication_deadline_workdays)


def term_end(rules: ListRules, decided_on: date) -> date:
    """The last day of publication: the term counts from the decision date (D6, D15)."""
    return period_end(decided_on, rules.term_months)


def window_closed(*, waived: bool, deadline: date | None, on: date) -> bool:
    """Whether a decision may be recorded on ``on``: the party waived in writing, or the
    window's last day has passed (the deadline day itself is still in time)."""
    return waived or (deadline is not None and on > deadline)

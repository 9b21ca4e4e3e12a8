"""Credit-repair use cases, the area's public API: eligibility, applications, evidence,
the review and its deadlines.

Every review step runs through the procedure engine with the repair definition
(``repair/procedure.py``): one transaction that locks the application, refuses a step
out of order or on a stale version (``application-changed``, with the state and
version), dates and records the step, and — for a grant or a revocation — changes the
record or the listing, the tier and the outbox. The other areas and the web layer
import this module only.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from credit_service.access import Actor
from credit_service.context import Context
from credit_service.errors import NotFound
from credit_service.procedures import engine, supplements
from credit_service.repair.applications import apply
from credit_service.repair.deadlines import flag_deadlines
from credit_service.repair.eligibility import check_eligibility, parse_target
from credit_service.repair.evidence import (
    add_evidence,
    discard_evidence,
    get_evidence,
    judge_file,
)
from credit_service.repair.procedure import REPAIR, REVIEW_STEPS
from credit_service.repair.views import (
    application_view,
    due_on,
    get_application,
    list_applications,
    supplements_late,
)

__all__ = [
    "REVIEW_STEPS",
    "add_evidence",
    "discard_evidence",
    "due_on",
    "apply",
    "check_eligibility",
    "flag_deadlines",
    "get_application",
    "get_evidence",
    "judge_file",
    "list_applications",
    "parse_target",
    "supplements_late",
]


def review(
    ctx: Context,
    actor: Actor,
    application_id: int,
    step: str,
    *,
    reason: str = "",
    on: date | None = None,
    expected_version: int | None = None,
    due_on: date | None = None,
) -> dict[str, Any]:
    """A reviewer's step: accept, not_accept, request_supplement (by ``due_on``, a working
    day after today, else the rules' working days), grant, refuse, revoke.

    Two reviewers deciding at once: the application row is locked and its state and
    version checked, so exactly one decision wins and the other gets 409.

    :raises NotFound: not a review step (the applicant's own step included).
    """
    if step not in REVIEW_STEPS:
        raise NotFound("step-not-found", step=step)
    details = supplements.requested_day(step, due_on)
    return engine.advance(
        ctx,
        actor,
        REPAIR,
        application_id,
        step,
        application_view,
        on=on,
        reason=reason,
        expected_version=expected_version,
        details=details,
    )


def supplement_received(ctx: Context, actor: Actor, application_id: int) -> dict[str, Any]:
    """The applicant says the requested materials are uploaded: the clock runs again."""
    return engine.advance(
        ctx, actor, REPAIR, application_id, "supplement_received", application_view
    )


def steps_for(view: dict[str, Any], role: str) -> list[str]:
    """The steps ``role`` may take by hand on an application now (a page's forms): those
    its view offers that the role may take."""
    return [s for s in view["allowed_steps"] if role in REPAIR.steps[s].roles]


def refresh_provisional_deadlines(ctx: Context) -> int:
    """Recompute the running provisional deadlines once the year's holiday file exists
    (D14); returns how many became final."""
    return engine.refresh_provisional(ctx, REPAIR)

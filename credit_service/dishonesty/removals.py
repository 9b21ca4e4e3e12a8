"""What the public learns of a listing after its removal (D22).

For the period the rules file sets (``procedure.removed_answer``, one year) the entry's
public address and the name and USCC searches answer that the entity was removed from
the list: when, why (the removal reason in words) and by whom (the office), and none of
the listing's facts (no grounds, measures, penalties). After that period the address is
gone (410), which a caller can tell from an id that never was an entry (404).

A listing whose term has ended is removed from the day after its last day, whether or
not the expiry job has run yet (the list stops showing it that morning, ``public``).
"""

from __future__ import annotations

import functools
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, or_

from credit_service.context import Context
from credit_service.dishonesty.models import DishonestyCase
from credit_service.entities.models import Entity
from credit_service.entities.rules import masked_identity
from credit_service.errors import Gone
from credit_service.workdays import add_months, period_end

EXPIRED = "expired"
DAY = timedelta(days=1)


def removal_of(case: DishonestyCase, as_of: date) -> tuple[date, str] | None:
    """The day and reason code of the case's removal as of ``as_of``: recorded, or the
    day after a term that has ended without the expiry job; None for a case that was
    never on the list or is on it still."""
    if case.state == "removed" and case.removed_on is not None:
        return case.removed_on, case.removal_reason or EXPIRED
    if case.state == "published" and case.term_ends_on is not None and case.term_ends_on < as_of:
        return case.term_ends_on + DAY, EXPIRED
    return None


def answered_until(ctx: Context, removed_on: date) -> date:
    """The last day the address of an entry removed on ``removed_on`` says so: the
    period counts from the day after the removal (D15)."""
    return period_end(removed_on, ctx.list_rules.removed_answer_months)


def first_removal_answered(ctx: Context, as_of: date) -> date:
    """The earliest removal day still answered on ``as_of`` (``answered_until`` is
    monotone in the removal day; month ends make it flat, so step to its first day)."""
    return _first_answered(as_of, ctx.list_rules.removed_answer_months)


@functools.lru_cache(maxsize=64)
def _first_answered(as_of: date, months: int) -> date:
    """``first_removal_answered``, worked out once a day (every name search asks)."""
    day = add_months(as_of, -months)
    while period_end(day, months) < as_of:
        day += DAY
    while period_end(day - DAY, months) >= as_of:
        day -= DAY
    return day


def answered_bounds(ctx: Context, as_of: date) -> dict[str, date]:
    """The values of ``answered``'s ``removed_from`` and ``ended_from`` on ``as_of``."""
    first = first_removal_answered(ctx, as_of)
    return {"removed_from": first, "ended_from": first - DAY}


def answered(as_of: Any, removed_from: Any, ended_from: Any) -> Any:
    """SQL condition: the case's address answers "removed" on ``as_of`` (``removal_of``
    within ``answered_until``): removed on or after ``removed_from``, or its term ended
    on or after ``ended_from`` (``answered_bounds``). Values, or the bind parameters of a
    statement built once (``public_search``)."""
    return or_(
        and_(
            DishonestyCase.state == "removed",
            DishonestyCase.removed_on <= as_of,
            DishonestyCase.removed_on >= removed_from,
        ),
        and_(
            DishonestyCase.state == "published",
            DishonestyCase.removed_on.is_(None),
            DishonestyCase.term_ends_on < as_of,
            DishonestyCase.term_ends_on >= ended_from,
        ),
    )


def removed_view(ctx: Context, case: DishonestyCase, entity: Entity) -> dict[str, Any]:
    """What the address of a removed entry says while it answers: who was removed (a
    natural person's masked name only, D12), the listing decision's number it answers
    for, when, why and by whom; never the listing's facts.

    :raises Gone: past ``answered_until`` (or for a case never removed: a caller's slip).
    """
    today = ctx.today()
    removal = removal_of(case, today)
    if removal is None or answered_until(ctx, removal[0]) < today:
        raise Gone("entry-gone", id=case.id)
    removed_on, reason = removal
    person = entity.kind == "natural_person"
    return {
        "id": case.id,
        "status": "removed",
        "name": masked_identity(entity)["name"],
        "kind": entity.kind,
        "uscc": None if person else entity.identifier,
        "decision_no": case.decision_no,
        "removed_on": removed_on,
        "removal_reason": reason,
        "removal_reason_text": ctx.list_rules.removal_reasons.get(reason, reason),
        "authority": ctx.list_rules.office_name,
        "answered_until": answered_until(ctx, removed_on),
    }

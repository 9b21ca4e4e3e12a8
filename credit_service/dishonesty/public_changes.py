"""The public change feed of the list: additions and removals after a cursor or from a
date, each removal with its reason, and the marks 异议处理中 put on and taken off."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from credit_service.bounds import date_error
from credit_service.context import Context
from credit_service.dishonesty import list_notices
from credit_service.dishonesty.models import DishonestyCase, ListChange
from credit_service.entities.models import Entity
from credit_service.errors import InvalidInput
from credit_service.pagination import decode_cursor, encode_cursor, position_id


def changes(ctx: Context, *, since: str | None = None, limit: int = 500) -> dict[str, Any]:
    """Additions and removals after a cursor (or from a date), with each removal's reason,
    and the entries marked 异议处理中 and unmarked again (``list_notices.MARK_TEXTS``)."""
    after_id, from_day = _since(since, ctx.today())
    with ctx.replica_session_factory() as session:
        query = (
            select(ListChange, DishonestyCase, Entity)
            .join(DishonestyCase, DishonestyCase.id == ListChange.case_id)
            .join(Entity, Entity.id == DishonestyCase.entity_id)
            .where(ListChange.id > after_id)
            .order_by(ListChange.id)
            .limit(limit + 1)
        )
        if from_day is not None:
            # nothing from that day yet: the next page starts after what exists now
            after_id = session.execute(select(func.max(ListChange.id))).scalar() or 0
            query = query.where(ListChange.effective_on >= from_day)
        rows = session.execute(query).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = [list_notices.change_view(ctx, *row) for row in rows]
    last_id = rows[-1][0].id if rows else after_id
    return {"items": items, "next": encode_cursor({"after": last_id}), "more": more}


def _since(since: str | None, today: date) -> tuple[int, date | None]:
    """The change id after which, or the day from which, the feed starts."""
    if not since:
        return 0, None
    try:
        day = date.fromisoformat(since[:10])
    except ValueError:
        position = decode_cursor(since, field="since") or {}
        return position_id(position, "after", field="since"), None
    problem = date_error(day, today)
    if problem:
        raise InvalidInput(errors={"since": [problem]})
    return 0, day

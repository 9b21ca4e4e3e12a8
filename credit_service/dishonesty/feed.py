"""The public change feed: a row per addition to or removal from the list. A handler of
the handler table (credit_service/effects.py), run before the listing's transaction
commits, with every list change of it at once (the platforms' event is sync's).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from credit_service.context import Context
from credit_service.dishonesty.models import ListChange


def write_feed(session: Session, ctx: Context, changes: list[Any]) -> None:
    """One feed row per addition or removal, in the order they happened."""
    session.add_all(
        ListChange(
            case_id=c.case_id,
            kind=c.kind,
            reason=c.reason,
            effective_on=c.effective_on,
            at=ctx.now(),
        )
        for c in changes
    )


def write_mark_feed(session: Session, ctx: Context, changes: list[Any]) -> None:
    """A feed row when an objection to a list entry is accepted (``marked``: the entry
    shows 异议处理中) and when it closes (``unmarked``); objections to records have no
    place in the list's feed."""
    session.add_all(
        ListChange(
            case_id=c.target_id,
            kind="marked" if c.marked else "unmarked",
            reason="objection",
            effective_on=c.on,
            at=ctx.now(),
        )
        for c in changes
        if c.target_type == "listing"
    )

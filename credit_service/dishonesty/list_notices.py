"""The list's notices (公告): one stream of additions to and removals from the list,
newest first, each with what its notice text is made of; and the change feed's rows.

The stream reads the change feed (``ListChange``) without its mark rows (an objection
accepted and closed, kind marked / unmarked: those are not notices). A removal notice
stays in the stream as long as the addition notice it answers (D22): neither leaves.
The notice's wording is the web layer's (locale words); this gives the facts it is
filled from: the subject (a natural person's masked name only, D12), the grounds and
basis of an addition, the reason of a removal, the decision number and the office.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from credit_service.catalogs.definitions import citations
from credit_service.context import Context
from credit_service.dishonesty.models import DishonestyCase, ListChange
from credit_service.entities.models import Entity
from credit_service.entities.rules import masked_identity
from credit_service.pagination import NewestFirst, Page

REASON_TEXTS = {"repair_revoked": "信用修复决定被撤销，恢复公示，公示期重新计算"}
# The feed's rows for the mark 异议处理中 (kind marked / unmarked, reason "objection"): an
# objection to the entry accepted, and its handling ended (the entry itself stays or goes
# by its own row: an upheld objection removes it with the reason objection_upheld).
MARK_TEXTS = {"marked": "异议已受理，异议处理中", "unmarked": "异议处理完毕"}
MARK_KINDS = tuple(MARK_TEXTS)
NOTICE_KINDS = ("added", "removed")

NEWEST = NewestFirst(ListChange.effective_on, ListChange.id)  # the newest notice first


def change_view(
    ctx: Context, change: ListChange, case: DishonestyCase, entity: Entity
) -> dict[str, Any]:
    """A row of the change feed (``public_changes.changes``)."""
    person = entity.kind == "natural_person"
    return {
        "entry_id": case.id,
        "kind": change.kind,
        "effective_on": change.effective_on,
        "at": change.at,
        "reason": change.reason,
        "reason_text": reason_text(ctx, change),
        "name": masked_identity(entity)["name"],
        "uscc": None if person else entity.identifier,
        "decision_no": case.decision_no,
    }


def reason_text(ctx: Context, change: ListChange) -> str | None:
    """Why: a removal's reason from the rules file, a restoration's or a mark's words."""
    if change.kind in MARK_TEXTS:
        return MARK_TEXTS[change.kind]
    reason = change.reason or ""
    return REASON_TEXTS.get(reason) or ctx.list_rules.removal_reasons.get(reason)


def notices(ctx: Context, *, cursor: str | None = None, limit: int = 20) -> Page[dict[str, Any]]:
    """Addition and removal notices, newest first (effective date, then id; keyset pages)."""
    with ctx.replica_session_factory() as session:
        query = (
            select(ListChange, DishonestyCase, Entity)
            .join(DishonestyCase, DishonestyCase.id == ListChange.case_id)
            .join(Entity, Entity.id == DishonestyCase.entity_id)
            .where(ListChange.kind.in_(NOTICE_KINDS))
        )
        rows = session.execute(NEWEST.select(query, cursor, limit)).all()
    rows, next_cursor = NEWEST.cut(rows, limit, lambda row: (row[0].effective_on, row[0].id))
    return Page([notice_view(ctx, *row) for row in rows], next_cursor)


def notice_view(
    ctx: Context, change: ListChange, case: DishonestyCase, entity: Entity
) -> dict[str, Any]:
    """One notice: what its text is filled from, its date and office, and its entry."""
    rules = ctx.list_rules
    addition = change.kind == "added"
    return {
        **change_view(ctx, change, case, entity),
        "id": change.id,
        "subject_kind": entity.kind,
        "restored": addition and change.reason in REASON_TEXTS,
        "grounds": [rules.grounds.get(g, g) for g in case.grounds] if addition else [],
        "basis": citations(rules.basis) if addition else "",
        "authority": rules.office_name,
    }

"""The listing procedure (D5, D6, D11) as a definition for the procedure engine.

From proposal to removal: the notice (告知书) opens the statement and defence window,
the decision (决定书) can be recorded only once it is closed, publication puts the
entity on the public list and removal takes it off, by a numbered 移出决定书. Expiry, a
granted repair and a revoked penalty remove or withdraw a case as consequences of those
acts; a removal obtained with false repair materials is undone by ``restore``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from credit_service import changes
from credit_service.catalogs import services as catalog_services
from credit_service.context import Context
from credit_service.dishonesty import letters, rules
from credit_service.dishonesty.models import DishonestyCase
from credit_service.dishonesty.window import ensure_window_closed, refresh_deadlines
from credit_service.errors import Conflict, InvalidInput
from credit_service.procedures import documents
from credit_service.procedures.definition import Move, Procedure, Step
from credit_service.records.models import CreditRecord

RESTORED = "repair_revoked"  # the feed's reason when a revoked repair restores a listing
OPEN = frozenset({"proposed", "notice_served", "statement_received", "window_closed"})


def _serve_notice(move: Move) -> None:
    case, ctx, on = move.row, move.ctx, move.on
    list_rules = ctx.list_rules
    deadline = rules.statement_deadline(list_rules, ctx.calendar, on)
    case.notice_no = documents.next_number(move.session, list_rules.notice_prefix, on.year)
    case.notice_served_on, case.statement_deadline = on, deadline.due
    case.statement_deadline_provisional = deadline.provisional
    content = letters.notice(move.session, ctx, case, on)
    documents.issue(move, LISTING.name, "notice", case.notice_no, content)


def _receive_statement(move: Move) -> None:
    move.row.statement_received_on = move.on


def _waive(move: Move) -> None:
    move.row.statement_waived = True


def _close_window(move: Move) -> None:
    ensure_window_closed(move.ctx, move.row, move.on)


def _decide_list(move: Move) -> None:
    case, ctx, on = move.row, move.ctx, move.on
    ensure_window_closed(ctx, case, on)
    missing = rules.missing_conditions(
        ground_records(move.session, ctx, case.record_ids), case.entity_id
    )
    if missing:
        raise InvalidInput("listing-grounds-lost", errors={"record_ids": missing})
    list_rules = ctx.list_rules
    deadline = rules.publication_deadline(list_rules, ctx.calendar, on)
    case.decision_no = documents.next_number(move.session, list_rules.decision_prefix, on.year)
    case.decided_on, case.publication_deadline = on, deadline.due
    case.publication_deadline_provisional = deadline.provisional
    case.term_ends_on = rules.term_end(list_rules, on)
    case.measures = list(list_rules.measures)
    content = letters.decision(move.session, ctx, case, on, move.reason)
    documents.issue(move, LISTING.name, "decision", case.decision_no, content)


def _decide_not_list(move: Move) -> None:
    if not move.reason:
        raise InvalidInput("reason-required", errors={"reason": ["required"]})
    move.row.decided_on = move.on


def _publish(move: Move) -> None:
    case = move.row
    move.details["late"] = bool(case.publication_deadline and move.on > case.publication_deadline)
    case.published_on = move.on
    _list_changed(move, "added", None)


def _remove(move: Move) -> None:
    """Take the listing down. By hand only to correct a listing obtained wrongly, saying
    why: expiry, repair and revocation have their own paths, which keep their own records
    in the same transaction, and the refusal names the path to use."""
    case, why = move.row, move.details.get("removal_reason")
    if not move.consequence:
        refusal = rules.manual_removal_refusal(why)
        if refusal:
            raise InvalidInput(
                "removal-reason-not-allowed",
                removal_reason=why,
                errors={"removal_reason": [refusal]},
            )
        if not move.reason.strip():
            raise InvalidInput("removal-reason-required", errors={"reason": ["required"]})
    if why not in move.ctx.list_rules.removal_reasons:
        raise InvalidInput("removal-reason-unknown", errors={"removal_reason": ["one-of"]})
    case.removed_on, case.removal_reason = move.on, why
    case.removal_note = move.reason or move.ctx.list_rules.removal_reasons[why]
    _issue_removal(move)
    _list_changed(move, "removed", why)


def _issue_removal(move: Move) -> None:
    """Every removal, whichever path takes it, is decided by a numbered 移出决定书."""
    number = documents.next_number(move.session, move.ctx.list_rules.removal_prefix, move.on.year)
    content = letters.removal(move.session, move.ctx, move.row, move.on, number, move.reason)
    documents.issue(move, LISTING.name, "removal", number, content)


def _withdraw(move: Move) -> None:
    move.row.removal_note = move.reason


def _restore(move: Move) -> None:
    """A removal obtained with false repair materials is undone: the listing is published
    again and its term restarts from the restoration date (D7); the feed says why."""
    case = move.row
    if case.removal_reason != "repaired":
        raise Conflict("listing-not-removed-by-repair", state=case.state)
    case.removed_on, case.removal_reason = None, None
    case.published_on, case.term_ends_on = move.on, rules.term_end(move.ctx.list_rules, move.on)
    case.removal_note = f"信用修复决定被撤销：{move.reason}"
    _list_changed(move, "added", RESTORED)


def _list_changed(move: Move, kind: str, reason: str | None) -> None:
    """An addition to or removal from the public list, recorded: the feed row, the
    platforms' event and the tier follow in this transaction (credit_service/effects.py)."""
    case = move.row
    changes.record(
        move.session, changes.ListingChanged(case.entity_id, case.id, kind, reason, move.on)
    )


def acts(ctx: Context, case: DishonestyCase) -> dict[str, date | None]:
    """The case's acts so far by name (None for those not taken)."""
    return {
        "proposal": case.created_at.astimezone(ctx.tz).date(),
        "notice": case.notice_served_on,
        "statement": case.statement_received_on,
        "decision": case.decided_on,
        "publication": case.published_on,
        "removal": case.removed_on,
    }


def ground_records(session: Any, ctx: Context, record_ids: list[int]) -> list[rules.GroundRecord]:
    """What the grounds test needs of each record a proposal rests on."""
    records = session.execute(select(CreditRecord).where(CreditRecord.id.in_(record_ids)))
    return [
        rules.GroundRecord(
            r.id,
            r.heavier_penalty,
            catalog_services.item_definition(session, ctx, r.catalog_item_id).listing_grounds,
            r.status,
            r.entity_id,
        )
        for r in records.scalars()
    ]


LISTING = Procedure(
    name="listing",
    audit_prefix="dishonesty",
    object_type="dishonesty_case",
    model=DishonestyCase,
    acts=acts,
    refresh=refresh_deadlines,
    provisional=lambda: (
        DishonestyCase.statement_deadline_provisional
        | DishonestyCase.publication_deadline_provisional
    ),
    not_found="case-not-found",
    states=rules.STATES,
    steps={
        "serve_notice": Step(
            frozenset({"proposed"}), "notice_served", _serve_notice, issues=("notice",)
        ),
        "receive_statement": Step(
            frozenset({"notice_served"}), "statement_received", _receive_statement
        ),
        "waive": Step(
            frozenset({"notice_served", "statement_received"}),
            "window_closed",
            _waive,
            paper_required="written-waiver-missing",
        ),
        "close_window": Step(
            frozenset({"notice_served", "statement_received"}), "window_closed", _close_window
        ),
        "decide_list": Step(
            frozenset({"notice_served", "statement_received", "window_closed"}),
            "decided_list",
            _decide_list,
            issues=("decision",),
        ),
        "decide_not_list": Step(OPEN, "decided_not_list", _decide_not_list),
        "publish": Step(frozenset({"decided_list"}), "published", _publish),
        "remove": Step(
            frozenset({"published"}), "removed", _remove, by_consequence=True, issues=("removal",)
        ),
        "withdraw": Step(OPEN | {"decided_list"}, "withdrawn", _withdraw, by_consequence=True),
        "restore": Step(
            frozenset({"removed"}), "published", _restore, by_hand=False, by_consequence=True
        ),
    },
)


def open_cases_on(session: Any, entity_id: int) -> list[DishonestyCase]:
    """The entity's cases still open or published, locked (a consequence may end them)."""
    return list(
        session.execute(
            select(DishonestyCase)
            .where(
                DishonestyCase.entity_id == entity_id,
                DishonestyCase.state.not_in(rules.CLOSED_STATES),
            )
            .with_for_update()
        ).scalars()
    )

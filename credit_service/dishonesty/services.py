"""Listing-case use cases: propose, take a step, and the steps other acts cause (expiry,
a revoked penalty, a granted or revoked repair).

Every step runs through the procedure engine with the listing definition
(``dishonesty/procedure.py``): one transaction that records who did what and when,
refuses a step out of order (naming the steps allowed), and — for publication and
removal — writes the public change feed, the outbox event and the recomputed tier.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credit_service.access import Actor
from credit_service.context import Context
from credit_service.dishonesty import rules
from credit_service.dishonesty.checks import assessment  # a check's reading, for reports
from credit_service.dishonesty.models import DishonestyCase
from credit_service.dishonesty.procedure import LISTING, ground_records, open_cases_on
from credit_service.dishonesty.public import in_force, is_in_force
from credit_service.dishonesty.search_names import search_name
from credit_service.dishonesty.views import (  # the area's public reads, with its writes
    case_view,
    get_case,
    get_document,
    list_cases,
)
from credit_service.entities import services as entity_services
from credit_service.errors import Conflict, InvalidInput
from credit_service.procedures import engine
from credit_service.records.models import CreditRecord

REVOKED_NOTE = "所依据的行政处罚决定被撤销"
__all__ = ["assessment", "get_case", "get_document", "in_force", "is_in_force", "list_cases"]


def propose(
    ctx: Context, actor: Actor, *, entity: str, record_ids: list[int], reason: str
) -> dict[str, Any]:
    """Open a case; the records must meet the listing grounds (D4).

    :raises InvalidInput: naming each missing condition.
    """
    with ctx.session_factory.begin() as session:
        owner = entity_services.entity_in_scope(session, actor, entity)
        # its name, as committed, held until the case is: a rename waits for the case
        # and then renames it too (search_names.follow_renames)
        session.refresh(owner, with_for_update=True)
        records = ground_records(session, ctx, record_ids)
        missing = rules.missing_conditions(records, owner.id)
        if len(records) != len(set(record_ids)):
            missing.insert(0, "record-not-found")
        _ensure_no_other_case(session, owner.id, record_ids)
        if missing:
            raise InvalidInput("listing-grounds-missing", errors={"record_ids": missing})
        now = ctx.now()
        case = DishonestyCase(
            entity_id=owner.id,
            region_code=owner.region_code,
            search_name=search_name(owner.kind, owner.name),
            state="proposed",
            grounds=rules.grounds_of(records),
            record_ids=sorted(set(record_ids)),
            proposal_reason=reason,
            domain=_domain(session, record_ids),
            created_at=now,
            updated_at=now,
        )
        session.add(case)
        session.flush()
        engine.record(session, ctx, actor, LISTING, case, "propose", reason, ctx.today())
        return case_view(session, ctx, case)


def _ensure_no_other_case(session: Session, entity_id: int, record_ids: list[int]) -> None:
    """One penalty grounds one listing: refuse while another case on it is open or
    published (naming it)."""
    for case in session.execute(
        select(DishonestyCase).where(
            DishonestyCase.entity_id == entity_id,
            DishonestyCase.state.not_in(rules.CLOSED_STATES),
        )
    ).scalars():
        shared = sorted(set(case.record_ids) & set(record_ids))
        if shared:
            raise Conflict("case-exists", case_id=case.id, state=case.state, record_ids=shared)


def _domain(session: Session, record_ids: list[int]) -> str | None:
    domains = set(
        session.execute(
            select(CreditRecord.domain).where(CreditRecord.id.in_(record_ids))
        ).scalars()
    )
    return domains.pop() if len(domains) == 1 else None


def advance(
    ctx: Context,
    actor: Actor,
    case_id: int,
    step: str,
    *,
    on: date | None = None,
    reason: str = "",
    documents: Sequence[Mapping[str, Any]] = (),
    **details: Any,
) -> dict[str, Any]:
    """Take one procedural step by hand.

    ``documents`` are the papers received on it (the party's statement and defence, a
    written waiver: title, reference, received_on); the step keeps them in its details,
    with the documents it issued, so its history shows what each step rests on.

    :raises Conflict: a step out of order (with the allowed next steps named).
    :raises InvalidInput: a date in the future or before the case's latest step, a
        decision inside the statement window, a paper not valid, a waiver without the
        party's written waiver.
    """
    return engine.advance(
        ctx,
        actor,
        LISTING,
        case_id,
        step,
        case_view,
        on=on,
        reason=reason,
        papers=documents,
        details=details,
    )


def expire_listings(ctx: Context, actor: Actor, *, as_of: date | None = None) -> int:
    """Remove every listing whose term ended before ``as_of`` (the daily job, D6), dated
    the day after its term's last day."""
    as_of = as_of or ctx.today()
    with ctx.session_factory.begin() as session:
        due = (
            session.execute(
                select(DishonestyCase)
                .where(DishonestyCase.state == "published", DishonestyCase.term_ends_on < as_of)
                .with_for_update()
            )
            .scalars()
            .all()
        )
        for case in due:
            on = case.term_ends_on + timedelta(days=1)
            why = ctx.list_rules.removal_reasons["expired"]
            _consequence(session, ctx, actor, case, "remove", on, why, removal_reason="expired")
        return len(due)


def end_listings_on_revoked(session: Session, ctx: Context, changes: list[Any]) -> None:
    """A revoked penalty takes down every listing that rests on it (D11), before the
    revocation's transaction commits (a handler of credit_service/effects.py); cases not
    yet published are withdrawn. Each step is dated the revocation's date, or the case's
    latest act if that came later (the revocation's own date is kept in its details)."""
    for change in changes:
        if change.status == "revoked":
            _end_listings_on(
                session, ctx, change.by, change.entity_id, change.record_id, change.revoked_on
            )


def _end_listings_on(
    session: Session, ctx: Context, actor: Actor, entity_id: int, record_id: int, on: date
) -> None:
    for case in open_cases_on(session, entity_id):
        if record_id not in case.record_ids:
            continue
        step = "remove" if case.state == "published" else "withdraw"
        _consequence(
            session,
            ctx,
            actor,
            case,
            step,
            on,
            REVOKED_NOTE,
            removal_reason="revoked",
            revoked_on=on.isoformat(),
            record_id=record_id,
        )


def remove_for_repair(
    session: Session, ctx: Context, actor: Actor, case_id: int, on: date, note: str
) -> None:
    """Early removal after a granted repair, inside the repair's transaction (D7, D11),
    dated ``on`` or, for a repair decided on a platform before the city published, the
    publication.

    :raises Conflict: the listing is no longer published; :raises InvalidInput: ``on``
        after today.
    """
    case = engine.locked(session, actor, LISTING, case_id)
    _consequence(session, ctx, actor, case, "remove", on, note, removal_reason="repaired")


def remove_for_objection(
    session: Session, ctx: Context, actor: Actor, case_id: int, on: date, note: str
) -> None:
    """Removal because an objection to the listing was upheld, inside the objection's
    decision (D19): the feed's reason is ``objection_upheld``.

    :raises Conflict: the listing is no longer published.
    """
    case = engine.locked(session, actor, LISTING, case_id)
    _consequence(session, ctx, actor, case, "remove", on, note, removal_reason="objection_upheld")


def restore_after_revoked_repair(
    session: Session, ctx: Context, actor: Actor, case_id: int, on: date, reason: str
) -> None:
    """A removal obtained with false materials is undone (D7): see ``procedure._restore``."""
    case = engine.locked(session, actor, LISTING, case_id)
    _consequence(session, ctx, actor, case, "restore", on, reason)


def _consequence(
    session: Session,
    ctx: Context,
    actor: Actor,
    case: DishonestyCase,
    step: str,
    on: date,
    reason: str,
    **details: Any,
) -> None:
    """A step another act causes (an expiry, a revoked penalty, a granted or revoked
    repair), taken in that act's name and transaction."""
    engine.take_step(
        session,
        ctx,
        actor,
        LISTING,
        case,
        step,
        on=on,
        reason=reason,
        details=details,
        consequence=True,
    )


def refresh_provisional_deadlines(ctx: Context) -> int:
    """Recompute provisional statement and publication deadlines once the year's holiday
    file exists (D14); returns how many became final."""
    return engine.refresh_provisional(ctx, LISTING)

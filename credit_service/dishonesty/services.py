"""Listing-case use cases: propose, notice, statement, decision, publication, removal.

Every step is one transaction that records who did what and when, refuses a step out of
order (naming the steps allowed), and — for publication and removal — writes the public
change feed, the outbox event and the recomputed tier in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credit_service import changes
from credit_service.access import Actor
from credit_service.audit import services as audit
from credit_service.catalogs import services as catalog_services
from credit_service.catalogs.definitions import citations
from credit_service.context import Context
from credit_service.dishonesty import documents, rules
from credit_service.dishonesty.models import CaseDocument, CaseStep, DishonestyCase
from credit_service.entities import services as entity_services
from credit_service.entities.models import Entity
from credit_service.entities.rules import masked_identity
from credit_service.errors import Conflict, Forbidden, InvalidInput, NotFound
from credit_service.files import write_private
from credit_service.records.models import CreditRecord
from credit_service.step_dates import ensure_step_date, latest_act

RESTORED = "repair_revoked"  # the feed's reason when a revoked repair restores a listing


def propose(
    ctx: Context, actor: Actor, *, entity: str, record_ids: list[int], reason: str
) -> dict[str, Any]:
    """Open a case; the records must meet the listing grounds (D4).

    :raises InvalidInput: naming each missing condition.
    """
    with ctx.session_factory.begin() as session:
        owner = entity_services.entity_in_scope(session, actor, entity)
        records = _ground_records(session, ctx, record_ids)
        missing = rules.missing_conditions(records, owner.id)
        if len(records) != len(set(record_ids)):
            missing.insert(0, "unknown record ids; 记录不存在")
        _ensure_no_other_case(session, owner.id, record_ids)
        if missing:
            raise InvalidInput(
                "the records do not meet the listing grounds; 不符合列入条件",
                code="listing-grounds-missing",
                errors={"record_ids": missing},
            )
        now = ctx.now()
        case = DishonestyCase(
            entity_id=owner.id,
            region_code=owner.region_code,
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
        _log(session, ctx, actor, case, "propose", reason, ctx.today())
        return case_view(session, ctx, case)


def _ensure_no_other_case(session: Session, entity_id: int, record_ids: list[int]) -> None:
    """One penalty grounds one listing: refuse while another case on it is open or
    published (naming it)."""
    closed = ("decided_not_list", "removed", "withdrawn")
    for case in session.execute(
        select(DishonestyCase).where(
            DishonestyCase.entity_id == entity_id, DishonestyCase.state.not_in(closed)
        )
    ).scalars():
        shared = sorted(set(case.record_ids) & set(record_ids))
        if shared:
            raise Conflict(
                f"case {case.id} ({case.state}) already rests on records {shared}; "
                f"该处罚已有进行中或已公示的列入案件",
                code="case-exists",
                case_id=case.id,
            )


def _ground_records(
    session: Session, ctx: Context, record_ids: list[int]
) -> list[rules.GroundRecord]:
    rows = session.execute(select(CreditRecord).where(CreditRecord.id.in_(record_ids))).scalars()
    out = []
    for record in rows:
        item = catalog_services.item_definition(session, ctx, record.catalog_item_id)
        out.append(
            rules.GroundRecord(
                record.id,
                record.heavier_penalty,
                item.listing_grounds,
                record.status,
                record.entity_id,
            )
        )
    return out


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
    """Take one procedural step.

    ``documents`` are the papers received on it (the party's statement and defence, a
    written waiver: title, reference, received_on); the step keeps them in its details,
    with the documents it issued, so its history shows what each step rests on.

    :raises Conflict: a step out of order (with the allowed next steps named).
    :raises InvalidInput: a date in the future or before the case's latest step, a
        decision inside the statement window, a paper not valid, a waiver without the
        party's written waiver.
    """
    on = on or ctx.today()
    papers = _papers(ctx, documents)
    if papers:
        details["documents"] = papers
    with ctx.session_factory.begin() as session:
        case = _case_for_update(session, actor, case_id)
        after = rules.next_state(case.state, step) if step in rules.STEPS else None
        if after is None:
            raise Conflict(
                f"step '{step}' is not allowed in state '{case.state}'; 当前环节不允许此操作",
                code="step-out-of-order",
                state=case.state,
                allowed_steps=rules.allowed_steps(case.state),
            )
        _ensure_step_date(ctx, case, on)
        _ensure_papers(step, papers)
        STEP_HANDLERS[step](session, ctx, actor, case, on, reason, details)
        case.state, case.version, case.updated_at = after, case.version + 1, ctx.now()
        _log(session, ctx, actor, case, step, reason, on, details)
        return case_view(session, ctx, case)


def _papers(ctx: Context, documents: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The papers received on a step, checked, as the step's JSON details keep them
    (dates as ISO text, like the other details).

    :raises InvalidInput: too many papers, or one not valid (errors by position, as the
        API's schema reports a list).
    """
    if len(documents) > rules.PAPERS_PER_STEP:
        raise InvalidInput(
            f"at most {rules.PAPERS_PER_STEP} papers on one step; 每个环节最多登记"
            f"{rules.PAPERS_PER_STEP}份材料",
            errors={"documents": [f"at most {rules.PAPERS_PER_STEP}"]},
        )
    papers = [
        rules.Paper(
            title=(d.get("title") or "").strip(),
            reference=(d.get("reference") or "").strip() or None,
            received_on=d.get("received_on"),
        )
        for d in documents
    ]
    wrong = rules.paper_errors(papers, ctx.today())
    if wrong:
        raise InvalidInput(
            "a paper recorded on the step is not valid; 登记的材料信息有误",
            errors={"documents": wrong},
        )
    return [
        {
            "title": p.title,
            "reference": p.reference,
            "received_on": p.received_on.isoformat() if p.received_on else None,
        }
        for p in papers
    ]


def _ensure_papers(step: str, papers: Sequence[Mapping[str, Any]]) -> None:
    """A step that rests on a paper from the party (a waiver: its written waiver) is
    refused without one, so no decision inside the window rests on a word alone."""
    needed = rules.PAPERS_REQUIRED.get(step)
    if needed and not papers:
        raise InvalidInput(needed, code="written-waiver-missing", errors={"documents": [needed]})


def _serve_notice(
    session: Session,
    ctx: Context,
    actor: Actor,
    case: DishonestyCase,
    on: date,
    reason: str,
    details: dict[str, Any],
) -> None:
    list_rules = ctx.list_rules
    deadline = rules.statement_deadline(list_rules, ctx.calendar, on)
    case.notice_no = documents.next_number(session, list_rules.notice_prefix, on.year)
    case.notice_served_on, case.statement_deadline = on, deadline.due
    case.statement_deadline_provisional = deadline.provisional
    content = _notice(session, ctx, case, on)
    _store_document(session, ctx, case, "notice", case.notice_no, content, details)


def _receive_statement(
    session: Session,
    ctx: Context,
    actor: Actor,
    case: DishonestyCase,
    on: date,
    reason: str,
    details: dict[str, Any],
) -> None:
    case.statement_received_on = on


def _waive(
    session: Session,
    ctx: Context,
    actor: Actor,
    case: DishonestyCase,
    on: date,
    reason: str,
    details: dict[str, Any],
) -> None:
    case.statement_waived = True


def _close_window(
    session: Session,
    ctx: Context,
    actor: Actor,
    case: DishonestyCase,
    on: date,
    reason: str,
    details: dict[str, Any],
) -> None:
    _ensure_window_closed(ctx, case, on)


def _ensure_step_date(ctx: Context, case: DishonestyCase, on: date) -> None:
    """A step taken by hand is dated between the case's latest act and today: a removal
    never precedes the publication it ends, and the change feed never carries a date the
    procedure could not have.

    :raises InvalidInput: naming ``on``.
    """
    ensure_step_date(on, today=ctx.today(), follows=_acts(ctx, case))


def _date_of_consequence(ctx: Context, case: DishonestyCase, on: date) -> date:
    """The date of a step another act causes (a penalty revoked, a repair granted, here or
    on a provincial platform): that act's date, but never before the case's latest act. A
    penalty may have been revoked before the city published the listing and be heard of
    only afterwards: the listing then comes down, dated no earlier than it went up.

    :raises InvalidInput: ``on`` after today.
    """
    ensure_step_date(on, today=ctx.today(), follows={})
    latest = latest_act(_acts(ctx, case))
    return max(on, latest[1]) if latest else on


def _acts(ctx: Context, case: DishonestyCase) -> dict[str, date | None]:
    """The case's acts so far by name (None for those not taken)."""
    return {
        "proposal": case.created_at.astimezone(ctx.tz).date(),
        "notice": case.notice_served_on,
        "statement": case.statement_received_on,
        "decision": case.decided_on,
        "publication": case.published_on,
        "removal": case.removed_on,
    }


def _ensure_window_closed(ctx: Context, case: DishonestyCase, on: date) -> None:
    if case.statement_deadline_provisional and not case.statement_waived:
        # The year's calendar may have been loaded since the notice was served (D14).
        deadline = rules.statement_deadline(ctx.list_rules, ctx.calendar, case.notice_served_on)
        case.statement_deadline = deadline.due
        case.statement_deadline_provisional = deadline.provisional
    if case.statement_deadline_provisional and not case.statement_waived:
        _ensure_provisional_window_passed(ctx, case, on)
        return
    if not rules.window_closed(
        waived=case.statement_waived, deadline=case.statement_deadline, on=on
    ):
        raise InvalidInput(
            f"the statement window runs until {case.statement_deadline}; a decision may be "
            f"recorded from the day after, unless the party waived in writing; 陈述申辩期未满",
            code="statement-window-open",
            errors={"on": ["inside the statement window"]},
        )


def _ensure_provisional_window_passed(ctx: Context, case: DishonestyCase, on: date) -> None:
    """A window whose end is provisional (a year it reaches has no holiday file) has passed
    once the latest day it can end on has: the year's notice cannot move it further (D14).
    Before that, the decision waits for that day or for the year's file."""
    latest = _statement_latest(ctx, case)
    if on > latest:
        return
    served = case.notice_served_on.year
    year = next(y for y in range(served, latest.year + 1) if not ctx.calendar.is_known_year(y))
    decidable = latest + timedelta(days=1)
    raise Conflict(
        f"the statement deadline {case.statement_deadline} is provisional until the holiday "
        f"calendar of {year} is loaded, and it can fall as late as {latest}: a decision may be "
        f"recorded from {decidable}, or once catalogs/holidays/{year}.yaml is added; "
        f"陈述申辩期限尚为暂定（{year}年节假日安排尚未添加），最迟至{latest}届满，"
        f"自{decidable}起可以作出决定",
        code="provisional-deadline",
        latest_deadline=latest.isoformat(),
        decidable_from=decidable.isoformat(),
    )


def _statement_latest(ctx: Context, case: DishonestyCase) -> date:
    return rules.statement_latest(
        ctx.list_rules,
        ctx.calendar,
        case.notice_served_on,
        ctx.calendar_rules.provisional_margin_workdays,
    )


def _decide_list(
    session: Session,
    ctx: Context,
    actor: Actor,
    case: DishonestyCase,
    on: date,
    reason: str,
    details: dict[str, Any],
) -> None:
    _ensure_window_closed(ctx, case, on)
    missing = rules.missing_conditions(
        _ground_records(session, ctx, case.record_ids), case.entity_id
    )
    if missing:
        raise InvalidInput(
            "the records no longer meet the listing grounds; 已不符合列入条件",
            code="listing-grounds-missing",
            errors={"record_ids": missing},
        )
    list_rules = ctx.list_rules
    deadline = rules.publication_deadline(list_rules, ctx.calendar, on)
    case.decision_no = documents.next_number(session, list_rules.decision_prefix, on.year)
    case.decided_on, case.publication_deadline = on, deadline.due
    case.publication_deadline_provisional = deadline.provisional
    case.term_ends_on = rules.term_end(list_rules, on)
    case.measures = list(list_rules.measures)
    content = _decision(session, ctx, case, on, reason)
    _store_document(session, ctx, case, "decision", case.decision_no, content, details)


def _decide_not_list(
    session: Session,
    ctx: Context,
    actor: Actor,
    case: DishonestyCase,
    on: date,
    reason: str,
    details: dict[str, Any],
) -> None:
    if not reason:
        raise InvalidInput(
            "say why the entity is not listed; 请说明不予列入的理由",
            errors={"reason": ["required"]},
        )
    case.decided_on = on


def _publish(
    session: Session,
    ctx: Context,
    actor: Actor,
    case: DishonestyCase,
    on: date,
    reason: str,
    details: dict[str, Any],
) -> None:
    details["late"] = bool(case.publication_deadline and on > case.publication_deadline)
    case.published_on = on
    _changed(session, ctx, case, "added", None, on)


def _remove(
    session: Session,
    ctx: Context,
    actor: Actor,
    case: DishonestyCase,
    on: date,
    reason: str,
    details: dict[str, Any],
) -> None:
    why = details.get("removal_reason")
    if why not in ctx.list_rules.removal_reasons:
        raise InvalidInput(
            "unknown removal reason; 移出原因有误",
            errors={"removal_reason": [f"one of {', '.join(ctx.list_rules.removal_reasons)}"]},
        )
    case.removed_on, case.removal_reason = on, why
    case.removal_note = reason or ctx.list_rules.removal_reasons[why]
    _changed(session, ctx, case, "removed", why, on)


def _remove_by_hand(
    session: Session,
    ctx: Context,
    actor: Actor,
    case: DishonestyCase,
    on: date,
    reason: str,
    details: dict[str, Any],
) -> None:
    """The ``remove`` step an officer takes: only to correct a listing obtained wrongly,
    and saying why. Expiry, repair and revocation have their own paths, which keep their
    own records in the same transaction; the refusal names the path to use."""
    refusal = rules.manual_removal_refusal(details.get("removal_reason"))
    if refusal:
        raise InvalidInput(
            refusal,
            code="removal-reason-not-allowed",
            errors={"removal_reason": [refusal]},
        )
    if not reason.strip():
        raise InvalidInput(
            "say what was wrong with the listing; 请说明列入错误的情况",
            errors={"reason": ["required"]},
        )
    _remove(session, ctx, actor, case, on, reason, details)


def _withdraw(
    session: Session,
    ctx: Context,
    actor: Actor,
    case: DishonestyCase,
    on: date,
    reason: str,
    details: dict[str, Any],
) -> None:
    case.removal_note = reason


STEP_HANDLERS = {
    "serve_notice": _serve_notice,
    "receive_statement": _receive_statement,
    "waive": _waive,
    "close_window": _close_window,
    "decide_list": _decide_list,
    "decide_not_list": _decide_not_list,
    "publish": _publish,
    "remove": _remove_by_hand,
    "withdraw": _withdraw,
}


def _changed(
    session: Session,
    ctx: Context,
    case: DishonestyCase,
    kind: str,
    reason: str | None,
    on: date,
) -> None:
    """A list change, recorded: the feed row, the outbox event and the tier follow in this
    transaction (the handler table; dishonesty/feed.py)."""
    changes.record(session, changes.ListingChanged(case.entity_id, case.id, kind, reason, on))


def expire_listings(ctx: Context, actor: Actor, *, as_of: date | None = None) -> int:
    """Remove every listing whose term ended before ``as_of`` (the daily job, D6)."""
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
            _remove(session, ctx, actor, case, on, "", {"removal_reason": "expired"})
            case.state, case.version, case.updated_at = "removed", case.version + 1, ctx.now()
            _log(
                session,
                ctx,
                actor,
                case,
                "remove",
                "公示期届满，自动移出",
                on,
                {"removal_reason": "expired"},
            )
        return len(due)


def on_record_revoked(
    session: Session, ctx: Context, actor: Actor, record: CreditRecord, on: date
) -> list[int]:
    """A revoked penalty takes down every listing that rests on it (D11), in the same
    transaction as the revocation; cases not yet published are withdrawn. Each step is
    dated ``on``, or the case's latest act if that came later (the revocation's own date
    is kept in the step's details).

    :raises InvalidInput: ``on`` after today.
    """
    cases = (
        session.execute(
            select(DishonestyCase)
            .where(DishonestyCase.entity_id == record.entity_id)
            .with_for_update()
        )
        .scalars()
        .all()
    )
    touched = []
    for case in cases:
        if record.id not in case.record_ids:
            continue
        if case.state != "published" and not rules.next_state(case.state, "withdraw"):
            continue
        effective = _date_of_consequence(ctx, case, on)
        if case.state == "published":
            _remove(
                session,
                ctx,
                actor,
                case,
                effective,
                "所依据的行政处罚决定被撤销",
                {"removal_reason": "revoked"},
            )
            step, case.state = "remove", "removed"
        else:
            step, case.state = "withdraw", "withdrawn"
            case.removal_note = "所依据的行政处罚决定被撤销"
        case.version, case.updated_at = case.version + 1, ctx.now()
        _log(
            session,
            ctx,
            actor,
            case,
            step,
            f"record {record.id} revoked",
            effective,
            {"removal_reason": "revoked", "revoked_on": on},
        )
        touched.append(case.id)
    return touched


def _case_for_update(session: Session, actor: Actor, case_id: int) -> DishonestyCase:
    case = session.execute(
        select(DishonestyCase).where(DishonestyCase.id == case_id).with_for_update()
    ).scalar_one_or_none()
    if case is None:
        raise NotFound(f"no listing case {case_id}; 未找到该案件", code="case-not-found")
    actor.ensure_region(case.region_code)
    return case


def _log(
    session: Session,
    ctx: Context,
    actor: Actor,
    case: DishonestyCase,
    step: str,
    reason: str,
    on: date,
    details: dict[str, Any] | None = None,
) -> None:
    session.add(
        CaseStep(
            case_id=case.id,
            step=step,
            state_after=case.state,
            actor=actor.username,
            at=ctx.now(),
            effective_on=on,
            reason=reason,
            details=dict(details or {}),  # JSON: dates as ISO text, flags as booleans
        )
    )
    audit.append(
        session,
        actor=actor,
        action=f"dishonesty.{step}",
        now=ctx.now(),
        object_type="dishonesty_case",
        object_id=case.id,
        details={"state": case.state, "on": on},
    )


def _store_document(
    session: Session,
    ctx: Context,
    case: DishonestyCase,
    kind: str,
    number: str,
    content: documents.DocumentContent,
    details: dict[str, Any],
) -> None:
    """Render and keep a document, and name it in the issuing step's ``details.issued``
    (flushed for its id), so the step's history links the very document it produced."""
    html = documents.render_html(content)
    pdf = documents.render_pdf(content, font_path=ctx.settings.pdf_font_path)
    pdf_hash = documents.sha256(pdf)
    path = ctx.settings.data_dir / "documents" / f"{pdf_hash}.pdf"
    write_private(path, pdf)
    document = CaseDocument(
        case_id=case.id,
        kind=kind,
        number=number,
        html=html,
        sha256=documents.sha256(html),
        pdf_path=str(path),
        pdf_sha256=pdf_hash,
        created_at=ctx.now(),
    )
    session.add(document)
    session.flush()
    issued = {"kind": kind, "number": number, "document_id": document.id}
    details["issued"] = [*details.get("issued", []), issued]


def _party(session: Session, case: DishonestyCase) -> Entity:
    return session.get(Entity, case.entity_id)


def _facts(session: Session, case: DishonestyCase) -> str:
    refs = session.execute(
        select(CreditRecord.source_ref, CreditRecord.source_authority).where(
            CreditRecord.id.in_(case.record_ids)
        )
    ).all()
    return "、".join(f"{authority}《{ref}》" for ref, authority in refs)


def _notice(
    session: Session, ctx: Context, case: DishonestyCase, on: date
) -> documents.DocumentContent:
    list_rules = ctx.list_rules
    grounds = "；".join(list_rules.grounds[g] for g in case.grounds)
    basis = citations(list_rules.basis)
    return documents.DocumentContent(
        kind="notice",
        title="列入严重失信主体名单告知书",
        number=case.notice_no or "",
        addressee=_party(session, case).name,
        paragraphs=(
            f"经查，你（单位）因{_facts(session, case)}所认定的违法行为，属于{grounds}的情形。",
            f"依据{basis}，本机关拟将你（单位）列入严重失信主体名单，公示期为自列入决定之日起"
            f"{list_rules.term_months // 12}年，公示期间将依法采取相应管理措施。",
            f"你（单位）有权进行陈述和申辩。请于{case.statement_deadline}前（自本告知书送达之日起"
            f"{list_rules.statement_window_workdays}个工作日内）向本机关提出书面陈述、申辩意见；"
            f"逾期未提出的，视为放弃陈述、申辩的权利。你（单位）如能证明不存在主观故意，"
            f"本机关将依法不予列入。",
        ),
        authority=list_rules.office_name,
        issued_on=on,
    )


def _decision(
    session: Session, ctx: Context, case: DishonestyCase, on: date, reason: str
) -> documents.DocumentContent:
    list_rules = ctx.list_rules
    grounds = "；".join(list_rules.grounds[g] for g in case.grounds)
    measures = "、".join(ctx.catalogs.measures[m].name for m in case.measures)
    return documents.DocumentContent(
        kind="decision",
        title="列入严重失信主体名单决定书",
        number=case.decision_no or "",
        addressee=_party(session, case).name,
        paragraphs=(
            f"本机关于{case.notice_served_on}向你（单位）送达了《列入严重失信主体名单告知书》"
            f"（{case.notice_no}）。{reason or '经审查，你（单位）的陈述、申辩理由不成立。'}",
            f"你（单位）因{_facts(session, case)}所认定的违法行为，属于{grounds}的情形，"
            f"本机关决定将你（单位）列入严重失信主体名单。",
            f"公示期自{on}起至{case.term_ends_on}止。公示期间，对你（单位）采取以下管理措施：{measures}。",
            f"列入满{list_rules.early_removal_months // 12}年且已履行行政处罚决定规定的义务、"
            f"主动消除危害后果和不良影响、未再受到较重行政处罚的，可以申请提前移出。",
            "如不服本决定，可以依法申请行政复议或者提起行政诉讼。",
        ),
        authority=list_rules.office_name,
        issued_on=on,
    )


def get_case(ctx: Context, actor: Actor, case_id: int) -> dict[str, Any]:
    with ctx.read_session_factory() as session:
        case = session.get(DishonestyCase, case_id)
        if case is None:
            raise NotFound(f"no listing case {case_id}; 未找到该案件", code="case-not-found")
        actor.ensure_region(case.region_code)
        return case_view(session, ctx, case)


def list_cases(
    ctx: Context,
    actor: Actor,
    *,
    state: str | None = None,
    entity: str | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Cases in the caller's region (or of one entity in it), newest first.

    :raises NotFound, Forbidden: an entity unknown or outside the caller's region.
    """
    regions = entity_services.scope_regions(ctx, actor, None)
    with ctx.read_session_factory() as session:
        query = select(DishonestyCase).order_by(DishonestyCase.id.desc()).limit(limit)
        if regions is not None:
            query = query.where(DishonestyCase.region_code.in_(regions))
        if entity is not None:
            owner = entity_services.entity_in_scope(session, actor, entity)
            query = query.where(DishonestyCase.entity_id == owner.id)
        if state:
            query = query.where(DishonestyCase.state == state)
        return [
            case_view(session, ctx, c, with_history=False) for c in session.execute(query).scalars()
        ]


def case_view(
    session: Session, ctx: Context, case: DishonestyCase, *, with_history: bool = True
) -> dict[str, Any]:
    entity = session.get(Entity, case.entity_id)
    view = {
        "id": case.id,
        "state": case.state,
        "allowed_steps": rules.allowed_steps(case.state),
        "entity": {**masked_identity(entity), "region_code": entity.region_code},
        "grounds": case.grounds,
        "record_ids": case.record_ids,
        "domain": case.domain,
        "proposal_reason": case.proposal_reason,
        "notice_no": case.notice_no,
        "notice_served_on": case.notice_served_on,
        "statement_deadline": case.statement_deadline,
        "statement_deadline_provisional": case.statement_deadline_provisional,
        "statement_deadline_latest": _statement_latest(ctx, case)
        if case.statement_deadline_provisional and case.notice_served_on
        else None,
        "statement_waived": case.statement_waived,
        "statement_received_on": case.statement_received_on,
        "decision_no": case.decision_no,
        "decided_on": case.decided_on,
        "publication_deadline": case.publication_deadline,
        "publication_deadline_provisional": case.publication_deadline_provisional,
        "published_on": case.published_on,
        "term_ends_on": case.term_ends_on,
        "removed_on": case.removed_on,
        "removal_reason": case.removal_reason,
        "removal_note": case.removal_note,
        "measures": case.measures,
        "version": case.version,
    }
    if with_history:
        view["steps"] = [
            {
                "step": s.step,
                "state_after": s.state_after,
                "actor": s.actor,
                "at": s.at,
                "effective_on": s.effective_on,
                "reason": s.reason,
                "details": s.details,
            }
            for s in session.execute(
                select(CaseStep).where(CaseStep.case_id == case.id).order_by(CaseStep.id)
            ).scalars()
        ]
        view["documents"] = [
            {
                "id": d.id,
                "kind": d.kind,
                "number": d.number,
                "sha256": d.sha256,
                "pdf_sha256": d.pdf_sha256,
                "created_at": d.created_at,
            }
            for d in session.execute(
                select(CaseDocument)
                .where(CaseDocument.case_id == case.id)
                .order_by(CaseDocument.id)
            ).scalars()
        ]
    return view


def get_document(ctx: Context, actor: Actor, document_id: int) -> CaseDocument:
    """A generated document (readers of the case's region). A notice or decision to a
    natural person names them in full: only roles that may see unmasked personal data
    read it, and each such read is audited (D12).

    :raises NotFound, Forbidden:
    """
    with ctx.session_factory.begin() as session:
        document = session.get(CaseDocument, document_id)
        if document is None:
            raise NotFound(f"no document {document_id}", code="document-not-found")
        case = session.get(DishonestyCase, document.case_id)
        actor.ensure_region(case.region_code)
        party = _party(session, case)
        if party.is_natural_person:
            if actor.role not in entity_services.UNMASK_ROLES:
                raise Forbidden(
                    "this document names a natural person in full; your role may not see "
                    "unmasked personal data; 该文书含自然人完整个人信息，无权查看",
                    code="unmask-forbidden",
                )
            audit.append(
                session,
                actor=actor,
                action="entity.read_personal_data",
                now=ctx.now(),
                object_type="dishonesty_document",
                object_id=document.id,
                details={"entity_id": party.id, "kind": document.kind},
            )
        return document


def remove_for_repair(
    session: Session, ctx: Context, actor: Actor, case_id: int, on: date, note: str
) -> None:
    """Early removal after a granted repair, inside the repair's transaction (D7, D11),
    dated ``on`` or, for a repair decided on a platform before the city published, the
    publication (see _date_of_consequence).

    :raises Conflict: the listing is no longer published; :raises InvalidInput: ``on``
        after today.
    """
    case = _case_for_update(session, actor, case_id)
    if case.state != "published":
        raise Conflict(
            "the listing is no longer published; 该主体已不在名单中",
            code="step-out-of-order",
            state=case.state,
            allowed_steps=rules.allowed_steps(case.state),
        )
    on = _date_of_consequence(ctx, case, on)
    _remove(session, ctx, actor, case, on, note, {"removal_reason": "repaired"})
    case.state, case.version, case.updated_at = "removed", case.version + 1, ctx.now()
    _log(session, ctx, actor, case, "remove", note, on, {"removal_reason": "repaired"})


def restore_after_revoked_repair(
    session: Session, ctx: Context, actor: Actor, case_id: int, on: date, reason: str
) -> None:
    """A removal obtained with false materials is undone: the listing is published again
    and its term restarts from the restoration date (D7); the feed says why."""
    case = _case_for_update(session, actor, case_id)
    if case.state != "removed" or case.removal_reason != "repaired":
        raise Conflict(
            "the listing was not removed by repair; 该名单非经修复移出",
            code="step-out-of-order",
            state=case.state,
        )
    case.state, case.removed_on, case.removal_reason = "published", None, None
    case.published_on, case.term_ends_on = on, rules.term_end(ctx.list_rules, on)
    case.removal_note = f"信用修复决定被撤销：{reason}"
    case.version, case.updated_at = case.version + 1, ctx.now()
    _changed(session, ctx, case, "added", RESTORED, on)
    _log(session, ctx, actor, case, "restore", reason, on)


def refresh_provisional_deadlines(ctx: Context) -> int:
    """Recompute provisional statement and publication deadlines once the year's holiday
    file exists (D14); returns how many became final."""
    final = 0
    with ctx.session_factory.begin() as session:
        cases = (
            session.execute(
                select(DishonestyCase).where(
                    (DishonestyCase.statement_deadline_provisional)
                    | (DishonestyCase.publication_deadline_provisional)
                )
            )
            .scalars()
            .all()
        )
        for case in cases:
            if case.statement_deadline_provisional and case.notice_served_on:
                due = rules.statement_deadline(ctx.list_rules, ctx.calendar, case.notice_served_on)
                case.statement_deadline, case.statement_deadline_provisional = (
                    due.due,
                    due.provisional,
                )
                final += not due.provisional
            if case.publication_deadline_provisional and case.decided_on:
                due = rules.publication_deadline(ctx.list_rules, ctx.calendar, case.decided_on)
                case.publication_deadline, case.publication_deadline_provisional = (
                    due.due,
                    due.provisional,
                )
                final += not due.provisional
    return final

"""What the listing notice (告知书), the listing decision (决定书) and the removal
decision (移出决定书) say, from the case's facts and the office's (procedures/office.py):
dates as documents write them (2026年12月11日), the way and the deadline to file a
defence, the review rights with their bodies and time limits, and the office's contact."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from credit_service.catalogs.definitions import citations
from credit_service.context import Context
from credit_service.dishonesty.models import DishonestyCase
from credit_service.entities.models import Entity
from credit_service.procedures.documents import DocumentContent, chinese_date
from credit_service.procedures.office import (
    contact_sentence,
    defence_method,
    review_rights_sentence,
)
from credit_service.records.models import CreditRecord


def _facts(session: Session, case: DishonestyCase) -> str:
    refs = session.execute(
        select(CreditRecord.source_ref, CreditRecord.source_authority).where(
            CreditRecord.id.in_(case.record_ids)
        )
    ).all()
    return "、".join(f"{authority}《{ref}》" for ref, authority in refs)


def notice(session: Session, ctx: Context, case: DishonestyCase, on: date) -> DocumentContent:
    list_rules = ctx.list_rules
    grounds = "；".join(list_rules.grounds[g] for g in case.grounds)
    basis = citations(list_rules.basis)
    deadline = chinese_date(case.statement_deadline)
    return DocumentContent(
        kind="notice",
        title="列入严重失信主体名单告知书",
        number=case.notice_no or "",
        addressee=session.get(Entity, case.entity_id).name,
        paragraphs=(
            f"经查，你（单位）因{_facts(session, case)}所认定的违法行为，属于{grounds}的情形。",
            f"依据{basis}，本机关拟将你（单位）列入严重失信主体名单，公示期为自列入决定之日起"
            f"{list_rules.term_months // 12}年，公示期间将依法采取相应管理措施。",
            f"你（单位）有权进行陈述和申辩。陈述、申辩期限为自本告知书送达之次日起"
            f"{list_rules.statement_window_workdays}个工作日；"
            f"逾期未提出的，视为放弃陈述、申辩的权利。你（单位）如能证明不存在主观故意，"
            f"本机关将依法不予列入。",
            defence_method(list_rules.office, deadline),
            contact_sentence(list_rules.office),
        ),
        authority=list_rules.office_name,
        issued_on=on,
    )


def decision(
    session: Session, ctx: Context, case: DishonestyCase, on: date, reason: str
) -> DocumentContent:
    list_rules = ctx.list_rules
    grounds = "；".join(list_rules.grounds[g] for g in case.grounds)
    measures = "、".join(ctx.catalogs.measures[m].name for m in case.measures)
    return DocumentContent(
        kind="decision",
        title="列入严重失信主体名单决定书",
        number=case.decision_no or "",
        addressee=session.get(Entity, case.entity_id).name,
        paragraphs=(
            f"本机关于{chinese_date(case.notice_served_on)}向你（单位）送达了《列入严重失信主体名单告知书》"
            f"（{case.notice_no}）。{reason or '经审查，你（单位）的陈述、申辩理由不成立。'}",
            f"你（单位）因{_facts(session, case)}所认定的违法行为，属于{grounds}的情形，"
            f"本机关决定将你（单位）列入严重失信主体名单。",
            f"公示期自{chinese_date(on)}起至{chinese_date(case.term_ends_on)}止。"
            f"公示期间，对你（单位）采取以下管理措施：{measures}。",
            f"列入满{list_rules.early_removal_months // 12}年且已履行行政处罚决定规定的义务、"
            f"主动消除危害后果和不良影响、未再受到较重行政处罚的，可以申请提前移出。",
            review_rights_sentence(list_rules.office),
            contact_sentence(list_rules.office),
        ),
        authority=list_rules.office_name,
        issued_on=on,
    )


# Why a listing comes down, as the removal decision states the fact (the reason's code
# from the removal step). A correction by hand adds the officer's reason; the other paths'
# notes name internal ids (an application's, an objection's) and stay in the history.
REMOVAL_FACTS = {
    "expired": "你（单位）的公示期已于{term_end}届满",
    "repaired": "你（单位）申请信用修复，经审核符合提前移出严重失信主体名单的条件",
    "revoked": "列入所依据的行政处罚决定已被依法撤销",
    "corrected": "经复查，本机关作出的列入决定有误，应予更正",
    "objection_upheld": "你（单位）对列入信息提出的异议，经核查成立",
}


def removal(
    session: Session, ctx: Context, case: DishonestyCase, on: date, number: str, note: str
) -> DocumentContent:
    """The 移出决定书: which listing, why it comes down, from when, and the review rights."""
    list_rules = ctx.list_rules
    why = case.removal_reason or "expired"
    fact = REMOVAL_FACTS[why].format(term_end=chinese_date(case.term_ends_on or on))
    detail = note.strip().rstrip("。．.;；,，") if why == "corrected" else ""
    published = f"，自{chinese_date(case.published_on)}起公示" if case.published_on else ""
    return DocumentContent(
        kind="removal",
        title="移出严重失信主体名单决定书",
        number=number,
        addressee=session.get(Entity, case.entity_id).name,
        paragraphs=(
            f"本机关于{chinese_date(case.decided_on or on)}作出《列入严重失信主体名单决定书》"
            f"（{case.decision_no}），将你（单位）列入严重失信主体名单{published}。",
            f"{fact}{f'（{detail}）' if detail else ''}。",
            f"依据{citations(list_rules.basis)}，本机关决定自{chinese_date(on)}起将你（单位）"
            f"移出严重失信主体名单，停止公示，并解除相应管理措施。",
            review_rights_sentence(list_rules.office),
            contact_sentence(list_rules.office),
        ),
        authority=list_rules.office_name,
        issued_on=on,
    )

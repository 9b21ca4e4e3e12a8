"""What the listing notice (告知书) and decision (决定书) say, from the case's facts."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from credit_service.catalogs.definitions import citations
from credit_service.context import Context
from credit_service.dishonesty.models import DishonestyCase
from credit_service.entities.models import Entity
from credit_service.procedures.documents import DocumentContent
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
    return DocumentContent(
        kind="notice",
        title="列入严重失信主体名单告知书",
        number=case.notice_no or "",
        addressee=session.get(Entity, case.entity_id).name,
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

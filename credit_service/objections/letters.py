"""What the objection notices say (D19): 异议受理通知书, 不予受理通知书, 延期处理通知书
and 异议处理结果告知书, from the objection's facts, the rules file (numbering) and the
office's facts (its contact, the review rights with their bodies and time limits)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from credit_service.catalogs import services as catalog_services
from credit_service.catalogs.definitions import citations
from credit_service.context import Context
from credit_service.dishonesty.models import DishonestyCase
from credit_service.objections.models import Objection
from credit_service.procedures import documents
from credit_service.procedures.definition import Move
from credit_service.procedures.documents import DocumentContent, chinese_date
from credit_service.procedures.office import contact_sentence, review_rights_sentence
from credit_service.records.models import CreditRecord

PROCEDURE = "objection"
OUTCOME_WORDS = {
    "upheld": "经核查，你（单位）提出的异议成立",
    "partly_upheld": "经核查，你（单位）提出的异议部分成立",
    "not_upheld": "经核查，你（单位）提出的异议不成立",
}
ACTION_WORDS = {
    "correct": "本机关已更正相关信息",
    "revoke": "本机关已撤销该信用记录，停止公示",
    "remove": "本机关已将你（单位）移出严重失信主体名单，停止公示",
    "none": "相关信息维持不变",
}


# A list entry's fields as a notice names them (the pages' words are in the locales; a
# notice is a document of the office, written here like the listing letters).
LISTING_FIELD_NAMES = {
    "grounds": "列入事由",
    "measures": "惩戒措施",
    "decided_on": "列入决定日期",
    "published_on": "公示日期",
    "term_ends_on": "公示截止日期",
}


def target_words(session: Session, ctx: Context, o: Objection) -> str:
    """The target as a notice names it: the record's decision or the list entry, and the
    field objected to by its name (a record's from its catalog item)."""
    if o.target_type == "record":
        record = session.get(CreditRecord, o.target_id)
        what = f"{record.source_authority}《{record.source_ref}》所载信用信息"
        item = catalog_services.item_definition(session, ctx, record.catalog_item_id)
        names = {spec.name: spec.label for spec in item.fields}
    else:
        case = session.get(DishonestyCase, o.target_id)
        what = f"列入严重失信主体名单信息（{case.decision_no or case.id}）"
        names = LISTING_FIELD_NAMES
    return f"{what}中“{names.get(o.field, o.field)}”一项" if o.field else what


def sentence(text: str) -> str:
    """Reasons as typed, ending in one full stop whatever the officer typed."""
    return text.strip().rstrip("。．.;；,，") + "。"


def _received(o: Objection) -> str:
    return f"本机关于{chinese_date(o.received_on)}收到你（单位）对{{target}}提出的异议申请。"


def _contact(move: Move) -> str:
    return f"如有疑问，请与本机关联系。{contact_sentence(move.ctx.list_rules.office)}"


def _issue(move: Move, kind: str, title: str, prefix: str, paragraphs: tuple[str, ...]) -> None:
    o = move.row
    number = documents.next_number(move.session, prefix, move.on.year)
    target = target_words(move.session, move.ctx, o)
    content = DocumentContent(
        kind=kind,
        title=title,
        number=number,
        addressee=o.applicant_name,
        paragraphs=tuple(p.replace("{target}", target) for p in paragraphs),
        authority=move.ctx.list_rules.office_name,
        issued_on=move.on,
    )
    documents.issue(move, PROCEDURE, kind, number, content)


def issue_acceptance(move: Move) -> None:
    o, rules = move.row, move.ctx.objection_rules
    _issue(
        move,
        "acceptance",
        "异议受理通知书",
        rules.acceptance_prefix,
        (
            _received(o),
            f"经审查，本机关决定予以受理，将于{chinese_date(o.decision_due)}前（自受理之日起"
            f"{rules.decision_workdays}个工作日内）作出处理决定并告知你（单位）。"
            f"处理期间，相关信息标注“异议处理中”，公示不因此中止。",
            _contact(move),
        ),
    )


def issue_refusal(move: Move) -> None:
    o, rules = move.row, move.ctx.objection_rules
    _issue(
        move,
        "refusal",
        "异议不予受理通知书",
        rules.acceptance_prefix,
        (
            _received(o),
            f"经审查，{rules.refusal_reasons[o.refusal_reason]}。{sentence(move.reason)}",
            f"依据{citations(rules.basis)}，本机关决定不予受理。{_review_rights(move)}",
            _contact(move),
        ),
    )


def issue_extension(move: Move) -> None:
    o, rules = move.row, move.ctx.objection_rules
    _issue(
        move,
        "extension",
        "异议延期处理通知书",
        rules.extension_prefix,
        (
            f"本机关于{chinese_date(o.accepted_on)}受理你（单位）对{{target}}提出的异议。",
            f"因{o.extension_reason.strip().rstrip('。.')}，需有关单位核实，本机关决定将处理期限延长"
            f"{rules.extension_workdays}个工作日，至{chinese_date(o.decision_due)}前作出处理决定。",
            _contact(move),
        ),
    )


def issue_result(move: Move, outcome: str) -> None:
    o, rules = move.row, move.ctx.objection_rules
    action = move.details["action"]
    _issue(
        move,
        "result",
        "异议处理结果告知书",
        rules.decision_prefix,
        (
            f"本机关于{chinese_date(o.accepted_on)}受理你（单位）对{{target}}提出的异议。",
            f"{OUTCOME_WORDS[outcome]}，理由如下：{sentence(move.reason)}{ACTION_WORDS[action]}。",
            _review_rights(move),
            _contact(move),
        ),
    )


def _review_rights(move: Move) -> str:
    return review_rights_sentence(move.ctx.list_rules.office)

"""Demo objections (D19): one in every state, played through the objection services on
working days only (the calendar picks them), so the queue, the notices, the mark
异议处理中 and the statistics all have something to show.

- upheld: a wrong penalty amount, corrected by a new revision of the record;
- not upheld: after the decision was extended once for the authority to verify;
- refused: out of scope;
- partly upheld: brought to the office in person, with the scanned application;
- waiting for materials, and received (not yet accepted);
- accepted: the demo enterprise's own, on one field of its listing's record, with a
  file — the record carries the mark 异议处理中 while it is open.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from sqlalchemy import select

from credit_service.access import Actor
from credit_service.auth import services as auth_services
from credit_service.context import Context
from credit_service.demo.days import on as _on
from credit_service.demo.days import working_days
from credit_service.demo.penalties import file_penalty
from credit_service.dishonesty.models import DishonestyCase
from credit_service.entities.models import Entity
from credit_service.objections import services as objections
from credit_service.procedures.documents import DocumentContent, render_pdf

PARTIES = 6  # organisations off the list that object to a penalty of their own
HISTORY = 45  # working days looked back: the oldest act is this many working days ago
WRONG, RIGHT = "罚款人民币五万元", "罚款人民币三万元"
REASONS = "处罚决定书载明罚款人民币三万元，公示的处罚内容与决定书不一致，请予更正"


def seed_objections(ctx: Context, regulator: Actor, demo_uscc: str, demo_clerk: Actor) -> None:
    """Play the objections (the caller plays the stories once only)."""
    days = working_days(ctx, ctx.today(), HISTORY)
    parties = [
        (_enterprise(ctx, regulator, identifier, n), _penalty(ctx, regulator, identifier, days, n))
        for n, identifier in enumerate(_unlisted(ctx))
    ]
    (upheld, extended, refused, in_person, paused, waiting) = parties
    _play(ctx, regulator, upheld, days[-20], (days[-19], "accept", {}), (days[-15], "uphold", {}))
    _play(
        ctx,
        regulator,
        extended,
        days[-18],
        (days[-17], "accept", {}),
        (days[-15], "extend", {"reason": "需原处罚机关调取案卷核实"}),
        (days[-8], "not_uphold", {"reason": "经原处罚机关核实，公示内容与处罚决定书一致"}),
    )
    _play(
        ctx,
        regulator,
        refused,
        days[-12],
        (
            days[-11],
            "refuse",
            {"reason": "异议事项为处罚决定本身是否合法", "refusal_reason": "out_of_scope"},
        ),
    )
    _in_person(ctx, regulator, in_person, days)
    _play(
        ctx,
        regulator,
        paused,
        days[-6],
        (days[-5], "accept", {}),
        (days[-4], "request_supplement", {"reason": "请补充提交处罚决定书原件扫描件"}),
    )
    _play(ctx, regulator, waiting, days[-1])
    _demo_enterprise(ctx, regulator, demo_uscc, demo_clerk, days)


def _unlisted(ctx: Context) -> list[str]:
    """Organisations never proposed for the list: their objections change no listing."""
    with ctx.read_session_factory() as session:
        listed = select(DishonestyCase.entity_id)
        return list(
            session.execute(
                select(Entity.identifier)
                .where(Entity.kind == "organisation", Entity.id.not_in(listed))
                .order_by(Entity.id.desc())
                .limit(PARTIES)
            ).scalars()
        )


def _enterprise(ctx: Context, regulator: Actor, identifier: str, n: int) -> Actor:
    """The party's enterprise account (no password: nobody signs in with it)."""
    username = f"demo-enterprise-objection-{n}"
    auth_services.create_user(
        ctx, regulator, username=username, display_name=username, role="enterprise", uscc=identifier
    )
    return Actor(
        role="enterprise", username=username, uscc=identifier, city_code=regulator.city_code
    )


def _penalty(ctx: Context, regulator: Actor, identifier: str, days: list[date], n: int) -> int:
    """A general penalty filed a while ago, its amount shown wrong (the objected field)."""
    return file_penalty(
        ctx,
        regulator,
        identifier,
        days[0],
        filed=days[5],
        # the district office's own numbering: never one of the seeded city records'
        CF_WSH=f"宣区市监罚〔{days[0].year}〕{101 + n}号",
        CF_SY="在产品说明书上标注他人专利号",
        CF_CFLB=["罚款"],
        CF_NR=WRONG,
        CF_NR_FK="5",
        CF_CFJG="宣城市宣州区市场监督管理局",
    )


def _file(ctx: Context, actor: Actor, record_id: int, **extra: Any) -> int:
    view, _ = objections.file_objection(
        ctx,
        actor,
        target=extra.pop("target", f"record:{record_id}"),
        field=extra.pop("field", "CF_NR"),
        value_claimed=extra.pop("value_claimed", RIGHT),
        reasons=extra.pop("reasons", REASONS),
        contact="经办人 0563-0000000",
        **extra,
    )
    return int(view["id"])


def _play(
    ctx: Context,
    regulator: Actor,
    party: tuple[Actor, int],
    received: date,
    *steps: tuple[date, str, dict[str, Any]],
) -> int:
    """File the party's objection on ``received``, then take ``steps`` each on its day."""
    clerk, record_id = party
    objection_id = _file(_on(ctx, received), clerk, record_id)
    _steps(ctx, regulator, objection_id, steps)
    return objection_id


def _steps(
    ctx: Context,
    regulator: Actor,
    objection_id: int,
    steps: tuple[tuple[date, str, dict[str, Any]], ...],
) -> None:
    for day, step, details in steps:
        details = dict(details)
        reason = details.pop("reason", "经核查，异议人所述属实")
        objections.take_step(
            _on(ctx, day),
            regulator,
            objection_id,
            step,
            reason=reason,
            details=details,
        )


def _in_person(ctx: Context, regulator: Actor, party: tuple[Actor, int], days: list[date]) -> None:
    """Brought to the office on paper: the officer enters it and attaches the scan."""
    clerk, record_id = party
    received = days[-10]
    name = _name(ctx, clerk.uscc or "")
    objection_id = _file(_on(ctx, received), regulator, record_id, applicant_name=name)
    objections.add_evidence(
        _on(ctx, received),
        regulator,
        objection_id,
        filename="异议申请书扫描件.pdf",
        stream=io.BytesIO(
            _paper(
                "信用信息异议申请书",
                name,
                received,
                f"申请人：{name}",
                f"异议事项：本单位行政处罚信息中的处罚内容。{REASONS}。",
                "附件：行政处罚决定书复印件一份。",
            )
        ),
    )
    _steps(
        ctx,
        regulator,
        objection_id,
        (
            (days[-9], "accept", {}),
            (
                days[-5],
                "partly_uphold",
                {
                    "reason": "处罚事由表述不够准确，已提请原处罚机关补正；罚款数额与决定书一致",
                    "action": "none",
                },
            ),
        ),
    )


def _name(ctx: Context, uscc: str) -> str:
    with ctx.read_session_factory() as session:
        return str(
            session.execute(select(Entity.name).where(Entity.identifier == uscc)).scalar_one()
        )


def _paper(title: str, author: str, day: date, *paragraphs: str) -> bytes:
    """A paper the party handed in, as a scanner would have kept it (a PDF)."""
    return render_pdf(
        DocumentContent(
            kind="application",
            title=title,
            number="",
            addressee="宣城市市场监督管理局",
            paragraphs=paragraphs,
            authority=author,
            issued_on=day,
        )
    )


def _demo_enterprise(
    ctx: Context, regulator: Actor, uscc: str, clerk: Actor, days: list[date]
) -> None:
    """The demo enterprise objects to its listing, with a file; accepted, so the public
    entry shows 异议处理中 until a regulator decides. (Its record stays free of marks: a
    new user trying the service objects to one of its fields and sees the mark come and
    go.)"""
    with ctx.read_session_factory() as session:
        case_id, record_ids = session.execute(
            select(DishonestyCase.id, DishonestyCase.record_ids)
            .join(Entity, Entity.id == DishonestyCase.entity_id)
            .where(Entity.identifier == uscc)
        ).one()
    received = days[-3]
    objection_id = _file(
        _on(ctx, received),
        clerk,
        int(record_ids[0]),
        target=f"listing:{case_id}",
        field="",
        value_claimed=None,
        reasons="所标注的专利号为本企业已失效的专利，并非他人专利号，不属于故意侵权，列入依据不足",
    )
    objections.add_evidence(
        _on(ctx, received),
        clerk,
        objection_id,
        filename="专利登记簿副本.pdf",
        stream=io.BytesIO(
            _paper(
                "关于专利号标注情况的说明",
                _name(ctx, uscc),
                received,
                "我单位产品包装上标注的专利号为本单位所有的专利，该专利已于申请日起届满失效，"
                "并非他人专利号。附专利登记簿副本一份。",
            )
        ),
    )
    _steps(ctx, regulator, objection_id, ((days[-2], "accept", {}),))

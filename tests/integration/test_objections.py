"""Objections (D19) end to end on the service layer: filing, each step and its notice,
the mark 异议处理中, the decisions' effects on records and listings, the platforms'
events, the deadlines across holidays and year ends, and who may act."""

from __future__ import annotations

import io
from datetime import date

import pypdf
import pytest
from sqlalchemy import select

from credit_service.access import SYSTEM, Actor
from credit_service.errors import Conflict, Forbidden, InvalidInput, NotFound
from credit_service.holidays import load_holiday_file
from credit_service.objections import services
from credit_service.objections.models import Objection
from credit_service.procedures.models import ProcedureDocument
from credit_service.records import services as record_services
from credit_service.workdays import WorkdayCalendar
from tests.factories import CITY, create_entity, file_penalty
from tests.integration.test_repair import (
    CITY_REGULATOR,
    FIXTURE_2027,
    LANGXI_REGULATOR,
    PDF,
    count,
    enterprise_of,
    feed_for,
    listed,
    on,
    outbox_events,
)

D = date.fromisoformat
VIEWER = Actor(role="viewer", username="v-city", region_code=CITY, city_code=CITY)


def file(ctx, actor, target: str, **extra) -> dict:
    values = {
        "target": target,
        "reasons": "该处罚决定书文号登记有误，与原决定书不一致",
        "contact": "王五 13900000001",
        **extra,
    }
    view, _ = services.file_objection(ctx, actor, **values)
    return view


def step(ctx, objection_id: int, name: str, actor: Actor = CITY_REGULATOR, **kwargs) -> dict:
    kwargs.setdefault("reason", "经核查")
    return services.take_step(ctx, actor, objection_id, name, **kwargs)


def a_record(ctx, decided: str = "2025-12-15"):
    owner = create_entity(ctx)
    record = file_penalty(ctx, owner["identifier"], CF_JDRQ=decided)
    return owner, record


def test_a_field_objection_upheld_corrects_the_record_and_reaches_the_platforms(ctx, clock):
    on(clock, D("2026-11-25"))
    owner, record = a_record(ctx)
    enterprise = enterprise_of(ctx, owner)
    objection = file(
        ctx, enterprise, f"record:{record['id']}", field="CF_NR", value_claimed="罚款人民币三万元"
    )
    assert objection["state"] == "received" and objection["value_shown"] == "罚款人民币五万元"
    assert objection["acceptance_due"] == D("2026-11-30") and objection["marked"] is False

    accepted = step(ctx, objection["id"], "accept")
    assert accepted["marked"] is True and accepted["decision_due"] == D("2026-12-04")
    assert services.open_marks_for(ctx, "record", [record["id"]]) == {record["id"]: objection["id"]}
    assert len(outbox_events(ctx, "objection.marked", owner["identifier"])) == 1

    extended = step(ctx, objection["id"], "extend", reason="需原处罚机关核实")
    assert extended["decision_due"] == D("2026-12-15") and extended["extended_on"] == D(
        "2026-11-25"
    )
    with pytest.raises(Conflict):
        step(ctx, objection["id"], "extend", reason="再次延期")

    upheld = step(ctx, objection["id"], "uphold", reason="原决定书载明罚款三万元")
    assert upheld["state"] == "upheld" and upheld["marked"] is False
    assert upheld["correction"]["to"] == "罚款人民币三万元"
    now = record_services.read_record(ctx, SYSTEM, record["id"])
    assert now["fields"]["CF_NR"] == "罚款人民币三万元" and now["revision"] == 2
    assert services.open_marks_for(ctx, "record", [record["id"]]) == {}
    decided = outbox_events(ctx, "objection.decided", owner["identifier"])
    assert [e.payload["outcome"] for e in decided] == ["upheld"]
    assert len(outbox_events(ctx, "record.corrected", owner["identifier"])) == 1
    kinds = [d["kind"] for d in upheld["documents"]]
    assert kinds == ["acceptance", "extension", "result"]
    with ctx.session_factory() as session:
        result = (
            session.execute(select(ProcedureDocument).where(ProcedureDocument.kind == "result"))
            .scalars()
            .all()[-1]
        )
        assert (
            "行政复议" in result.html and "宣城市人民政府" in result.html and "6个月" in result.html
        )


def test_a_listing_objection_upheld_removes_it_with_the_feed_reason(ctx, clock):
    owner, record, case = listed(ctx)
    enterprise = enterprise_of(ctx, owner)
    objection = file(ctx, enterprise, f"listing:{case['id']}")
    step(ctx, objection["id"], "accept")
    assert feed_for(ctx, case["id"])[-1] == ("marked", "objection")
    step(ctx, objection["id"], "uphold", reason="列入所依据的事实认定错误")
    assert feed_for(ctx, case["id"])[-2:] == [
        ("removed", "objection_upheld"),
        ("unmarked", "objection"),
    ]


def test_refusal_needs_a_known_reason_and_issues_the_notice(ctx, clock):
    owner, record = a_record(ctx)
    objection = file(ctx, enterprise_of(ctx, owner), f"record:{record['id']}")
    with pytest.raises(InvalidInput):
        step(ctx, objection["id"], "refuse", details={"refusal_reason": "bored"})
    refused = step(
        ctx, objection["id"], "refuse", reason="重复提出", details={"refusal_reason": "repeat"}
    )
    assert refused["state"] == "refused" and refused["refusal_reason"] == "repeat"
    assert [d["kind"] for d in refused["documents"]] == ["refusal"]


def test_one_open_objection_per_target_and_field(ctx, clock):
    owner, record = a_record(ctx)
    enterprise = enterprise_of(ctx, owner)
    file(ctx, enterprise, f"record:{record['id']}")
    with pytest.raises(Conflict):
        file(ctx, enterprise, f"record:{record['id']}")


def test_who_may_file_and_act(ctx, clock):
    owner, record = a_record(ctx)
    other = enterprise_of(ctx, create_entity(ctx), name="other")
    with pytest.raises(Forbidden):
        file(ctx, other, f"record:{record['id']}")
    with pytest.raises(Forbidden):
        file(ctx, VIEWER, f"record:{record['id']}")
    objection = file(ctx, enterprise_of(ctx, owner), f"record:{record['id']}")
    with pytest.raises(Forbidden):
        step(ctx, objection["id"], "accept", actor=LANGXI_REGULATOR)
    with pytest.raises(NotFound):
        step(ctx, objection["id"], "receive")


# --- deadlines: holidays, make-up days, year ends, pauses ---------------------------------------


def test_acceptance_across_national_day_counts_the_make_up_saturday(ctx, clock):
    on(clock, D("2026-09-30"))  # Wednesday; 10-01..10-07 off, Saturday 10-10 a working day
    owner, record = a_record(ctx)
    objection = file(ctx, enterprise_of(ctx, owner), f"record:{record['id']}")
    assert (objection["acceptance_due"], objection["due_provisional"]) == (D("2026-10-10"), False)
    on(clock, D("2026-10-10"))
    assert services.get_objection(ctx, CITY_REGULATOR, objection["id"])["due_today"] is True
    on(clock, D("2026-10-12"))
    late = services.get_objection(ctx, CITY_REGULATOR, objection["id"])
    assert late["overdue"] is True
    assert [o["id"] for o in services.due_on(ctx, CITY_REGULATOR, D("2026-10-12"))[0]] == [
        objection["id"]
    ]


def test_decision_across_spring_festival_and_its_extension(ctx, clock):
    on(clock, D("2026-02-12"))  # Thursday; 02-15..02-23 off, 02-14 and 02-28 working days
    owner, record = a_record(ctx)
    objection = file(ctx, enterprise_of(ctx, owner), f"record:{record['id']}", field="CF_NR")
    assert objection["acceptance_due"] == D("2026-02-24")
    on(clock, D("2026-02-13"))
    accepted = step(ctx, objection["id"], "accept")
    assert accepted["decision_due"] == D("2026-03-02")
    extended = step(ctx, objection["id"], "extend", reason="需国家知识产权局核实")
    assert extended["decision_due"] == D("2026-03-11")


def test_a_deadline_into_an_unpublished_year_is_provisional_until_its_calendar_arrives(ctx, clock):
    on(clock, D("2026-12-28"))
    owner, record = a_record(ctx)
    objection = file(ctx, enterprise_of(ctx, owner), f"record:{record['id']}")
    accepted = step(ctx, objection["id"], "accept")
    assert (accepted["decision_due"], accepted["due_provisional"]) == (D("2027-01-07"), True)
    assert services.refresh_provisional_deadlines(ctx) == 0  # no 2027 file yet
    ctx.calendar = WorkdayCalendar.from_years([load_holiday_file(FIXTURE_2027)])
    assert services.refresh_provisional_deadlines(ctx) == 1
    now = services.get_objection(ctx, CITY_REGULATOR, objection["id"])
    assert (now["decision_due"], now["due_provisional"]) == (D("2027-01-07"), False)
    extended = step(ctx, objection["id"], "extend", reason="需原处罚机关核实")
    assert (extended["decision_due"], extended["due_provisional"]) == (D("2027-01-18"), False)


def test_the_clock_stops_while_the_party_supplies_materials(ctx, clock):
    on(clock, D("2026-11-23"))  # Monday
    owner, record = a_record(ctx)
    enterprise = enterprise_of(ctx, owner)
    objection = file(ctx, enterprise, f"record:{record['id']}")
    accepted = step(ctx, objection["id"], "accept")
    assert accepted["decision_due"] == D("2026-12-02")
    on(clock, D("2026-11-25"))  # two working days used, five left after the pause day
    paused = step(ctx, objection["id"], "request_supplement", reason="请补充原处罚决定书")
    assert paused["state"] == "supplement_requested" and paused["paused_remaining"] == 5
    assert paused["marked"] is True  # still under review: the mark stays
    with pytest.raises(Forbidden):
        services.take_step(
            ctx, enterprise_of(ctx, create_entity(ctx), "x"), objection["id"], "supplement_received"
        )
    on(clock, D("2026-12-03"))  # Thursday: five working days from here
    resumed = services.take_step(ctx, enterprise, objection["id"], "supplement_received")
    assert resumed["state"] == "accepted" and resumed["decision_due"] == D("2026-12-10")


# --- outcomes -----------------------------------------------------------------------------------


def test_partly_upheld_with_another_value_and_not_upheld(ctx, clock):
    on(clock, D("2026-11-25"))
    owner, record = a_record(ctx)
    enterprise = enterprise_of(ctx, owner)
    first = file(
        ctx, enterprise, f"record:{record['id']}", field="CF_NR", value_claimed="罚款人民币一万元"
    )
    step(ctx, first["id"], "accept")
    partly = step(
        ctx,
        first["id"],
        "partly_uphold",
        reason="罚款数额登记有误，但非一万元",
        details={"action": "correct", "value": "罚款人民币四万元"},
    )
    assert partly["state"] == "partly_upheld" and partly["correction"]["to"] == "罚款人民币四万元"
    second = file(ctx, enterprise, f"record:{record['id']}", field="CF_WFXW")
    step(ctx, second["id"], "accept")
    with pytest.raises(InvalidInput):  # a not-upheld objection changes nothing
        step(ctx, second["id"], "not_uphold", reason="x理由", details={"action": "revoke"})
    kept = step(ctx, second["id"], "not_uphold", reason="违法行为认定无误")
    assert kept["state"] == "not_upheld" and kept["correction"] == {"action": "none"}
    assert record_services.read_record(ctx, SYSTEM, record["id"])["revision"] == 2


def test_an_upheld_objection_to_a_whole_record_revokes_it_and_the_tier_follows(ctx, clock):
    on(clock, D("2026-11-25"))
    owner, record = a_record(ctx)
    objection = file(ctx, enterprise_of(ctx, owner), f"record:{record['id']}")
    step(ctx, objection["id"], "accept")
    upheld = step(ctx, objection["id"], "uphold", reason="该处罚决定已被复议撤销")
    assert upheld["correction"] == {"action": "revoke"}
    assert record_services.read_record(ctx, SYSTEM, record["id"])["status"] == "revoked"
    assert len(outbox_events(ctx, "record.revoked", owner["identifier"])) == 1


# --- channels -----------------------------------------------------------------------------------


def test_an_objection_brought_to_the_office_needs_its_scanned_application(ctx, clock):
    owner, record = a_record(ctx)
    with pytest.raises(InvalidInput):  # who brought it must be named
        file(ctx, CITY_REGULATOR, f"record:{record['id']}")
    objection = file(
        ctx, CITY_REGULATOR, f"record:{record['id']}", applicant_name="张三（法定代表人）"
    )
    assert objection["channel"] == "office" and objection["applicant_name"] == "张三（法定代表人）"
    with pytest.raises(InvalidInput):
        step(ctx, objection["id"], "accept")
    services.add_evidence(
        ctx, CITY_REGULATOR, objection["id"], filename="申请书.pdf", stream=io.BytesIO(PDF)
    )
    assert step(ctx, objection["id"], "accept")["state"] == "accepted"


def test_a_forwarded_objection_is_filed_once_and_answered_with_its_reference(ctx, clock):
    owner, record = a_record(ctx)
    platform = Actor(role="sync", username="anhui", city_code=CITY)
    first = file(ctx, platform, f"record:{record['id']}", platform_ref="AH-YY-2026-0001")
    again = file(ctx, platform, f"record:{record['id']}", platform_ref="AH-YY-2026-0001")
    assert again["id"] == first["id"] and first["channel"] == "platform"
    with pytest.raises(InvalidInput):
        file(ctx, platform, f"record:{record['id']}", field="CF_NR")  # no reference
    step(ctx, first["id"], "accept")
    step(ctx, first["id"], "not_uphold", reason="信息与原决定一致")
    (decided,) = outbox_events(ctx, "objection.decided", owner["identifier"])
    assert decided.payload["platform_ref"] == "AH-YY-2026-0001"


def test_a_repeat_after_a_decision_may_be_filed_and_is_refused_as_a_repeat(ctx, clock):
    owner, record = a_record(ctx)
    enterprise = enterprise_of(ctx, owner)
    first = file(ctx, enterprise, f"record:{record['id']}")
    step(ctx, first["id"], "accept")
    step(ctx, first["id"], "not_uphold", reason="信息无误")
    repeat = file(ctx, enterprise, f"record:{record['id']}")
    assert [e["id"] for e in repeat["earlier"]] == [first["id"]]
    refused = step(
        ctx, repeat["id"], "refuse", reason="无新的事实和理由", details={"refusal_reason": "repeat"}
    )
    assert refused["state"] == "refused" and refused["marked"] is False
    assert outbox_events(ctx, "objection.cleared", owner["identifier"]) != []


# --- bad input: a clear error and nothing written ----------------------------------------------


def test_bad_input_writes_nothing(ctx, clock):
    owner, record = a_record(ctx)
    enterprise = enterprise_of(ctx, owner)
    before = count(ctx, Objection)
    for target, extra in (
        ("record:x", {}),
        (f"record:{record['id']}", {"field": "NO_SUCH_FIELD"}),
        ("record:999999", {}),
    ):
        with pytest.raises((InvalidInput, NotFound)):
            file(ctx, enterprise, target, **extra)
    assert count(ctx, Objection) == before
    objection = file(ctx, enterprise, f"record:{record['id']}")
    with pytest.raises(InvalidInput):
        step(ctx, objection["id"], "accept", reason="x", on=D("2030-01-01"))
    with pytest.raises(Conflict):
        step(ctx, objection["id"], "uphold", reason="尚未受理")
    with pytest.raises(Conflict):
        step(ctx, objection["id"], "accept", expected_version=99)
    assert services.get_objection(ctx, CITY_REGULATOR, objection["id"])["state"] == "received"
    assert count(ctx, ProcedureDocument) == 0


def test_a_result_notice_prints_in_chinese_as_pdf(ctx, clock):
    owner, record = a_record(ctx)
    objection = file(
        ctx,
        enterprise_of(ctx, owner),
        f"record:{record['id']}",
        field="CF_NR",
        value_claimed="罚款人民币三万元",
    )
    step(ctx, objection["id"], "accept")
    step(ctx, objection["id"], "uphold", reason="原决定书载明罚款三万元")
    with ctx.session_factory() as session:
        result = session.execute(
            select(ProcedureDocument).where(ProcedureDocument.kind == "result")
        ).scalar_one()
    text = "".join(page.extract_text() for page in pypdf.PdfReader(result.pdf_path).pages)
    assert "异议处理结果告知书" in text and "行政诉讼" in text
    flat = text.replace("\n", "")
    assert "“处罚内容”一项" in flat and "CF_NR" not in flat  # the field by its name
    assert "三万元。本机关已更正相关信息" in flat  # one full stop after the reasons


def test_who_may_read(ctx, clock):
    owner, record = a_record(ctx)
    objection = file(ctx, enterprise_of(ctx, owner), f"record:{record['id']}")
    other = enterprise_of(ctx, create_entity(ctx), name="other")
    for actor in (VIEWER, LANGXI_REGULATOR, other):
        with pytest.raises((Forbidden, NotFound)):
            services.get_objection(ctx, actor, objection["id"])
    with pytest.raises(Forbidden):
        services.list_objections(ctx, VIEWER)
    assert services.list_objections(ctx, other) == []
    assert [o["id"] for o in services.list_objections(ctx, CITY_REGULATOR)] == [objection["id"]]
    assert services.list_objections(ctx, LANGXI_REGULATOR) == []

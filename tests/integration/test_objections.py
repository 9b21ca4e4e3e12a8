"""Objections (D19) end to end on the service layer: filing, each step and its notice,
the mark 异议处理中, the decisions' effects on records and listings, the platforms'
events, the deadlines across holidays and year ends, and who may act."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from credit_service.access import SYSTEM, Actor
from credit_service.errors import Conflict, Forbidden, InvalidInput, NotFound
from credit_service.objections import services
from credit_service.procedures.models import ProcedureDocument
from credit_service.records import services as record_services
from tests.factories import CITY, create_entity, file_penalty
from tests.integration.test_repair import (
    CITY_REGULATOR,
    LANGXI_REGULATOR,
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


def a_record(ctx):
    owner = create_entity(ctx)
    record = file_penalty(ctx, owner["identifier"], CF_JDRQ="2026-03-15")
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

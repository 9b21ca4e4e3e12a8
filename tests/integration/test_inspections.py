"""Inspection services against a real database (SQLite and PostgreSQL): the roster and
conflicts of interest, seeded reproducible plans at the tiers' ratios (D3), inspectors
from outside the entity's county, and results that may file a credit record."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, insert, select

from credit_service.access import SYSTEM, Actor
from credit_service.audit.models import AuditEvent
from credit_service.clock import local_noon
from credit_service.entities.models import Entity
from credit_service.errors import Conflict, Forbidden, InvalidInput, NotFound
from credit_service.inspections import rules as inspection_rules
from credit_service.inspections import services as inspections
from credit_service.inspections.models import InspectionItem, InspectionPlan, Inspector
from credit_service.procedures.models import ProcedureStep
from credit_service.records import services as record_services
from credit_service.records.models import CreditRecord, CreditRecordRevision
from credit_service.sync.models import OutboxEvent
from credit_service.tiers import overrides as tier_overrides
from credit_service.tiers import services as tier_services
from credit_service.tiers import views as tier_views
from credit_service.tiers.models import TierAssignment, TierChange
from tests.factories import (
    CITY,
    LANGXI,
    PENALTY_ITEM,
    XUANZHOU,
    create_entity,
    penalty_fields,
    unique_uscc,
)

JINGXIAN = "341823"
JIXI = "341824"
JINGDE = "341825"
TODAY = date(2026, 11, 25)
YEAR = (date(2027, 1, 1), date(2027, 12, 31))
HALF_YEAR = (date(2027, 1, 1), date(2027, 6, 30))
LANGXI_REGULATOR = Actor(role="regulator", username="r-langxi", region_code=LANGXI, city_code=CITY)
CITY_REGULATOR = Actor(role="regulator", username="r-city", region_code=CITY, city_code=CITY)
SEVERE = ["责令停产停业"]


@pytest.fixture
def rule_set_id(ctx) -> int:
    tier_services.apply_rule_set(ctx, SYSTEM)
    with ctx.session_factory() as session:
        return tier_services.current_rule_set(session, ctx)[0]


# --- helpers ----------------------------------------------------------------------------------

_badges = iter(range(1, 10**6))


def add_inspectors(ctx, *offices: str, actor: Actor = SYSTEM) -> list[int]:
    ids = []
    for office in offices:
        n = next(_badges)
        made = inspections.add_inspector(
            ctx, actor, badge_no=f"皖执{n:06d}", name=f"执法员{n}", office_region=office
        )
        ids.append(made["id"])
    return ids


def office_of(ctx) -> dict[int, str]:
    with ctx.session_factory() as session:
        return dict(session.execute(select(Inspector.id, Inspector.office_region)).all())


def tiered_population(ctx, rule_set_id: int, region: str, tiers: dict[str, int]) -> list[int]:
    """Entities with stored tiers, written directly (fast): {tier: how many}."""
    now = ctx.now()
    rows = []
    for tier, n in tiers.items():
        rows += [
            {
                "kind": "organisation",
                "identifier": unique_uscc(region),
                "name": f"抽查测试{tier}",
                "former_names": [],
                "region_code": region,
                "industry": "C",
                "status": "active",
                "content_hash": "x" * 64,
                "created_at": now,
                "updated_at": now,
            }
            for _ in range(n)
        ]
    with ctx.session_factory.begin() as session:
        session.execute(insert(Entity), rows)
        found = session.execute(
            select(Entity.id, Entity.name)
            .where(Entity.identifier.in_([r["identifier"] for r in rows]))
            .order_by(Entity.id)
        ).all()
        session.execute(
            insert(TierAssignment),
            [
                {
                    "entity_id": eid,
                    "tier": name[-1],
                    "rule_id": "default",
                    "rule_set_id": rule_set_id,
                    "since": TODAY,
                    "computed_at": now,
                }
                for eid, name in found
            ],
        )
    return [eid for eid, _ in found]


def plan(ctx, region: str, period=YEAR, actor: Actor = SYSTEM, **kwargs) -> dict:  # type: ignore[no-untyped-def]
    return inspections.create_plan(
        ctx, actor, region=region, period_start=period[0], period_end=period[1], **kwargs
    )


def drawn(view: dict) -> list[tuple]:
    return [
        (
            i["entity"]["identifier"],
            i["tier"],
            i["triggered"],
            tuple(x["id"] for x in i["inspectors"]),
        )
        for i in view["items"]
    ]


def tier_counts(view: dict) -> dict[str, int]:
    counts = dict.fromkeys("ABCD", 0)
    for item in view["items"]:
        counts[item["tier"]] += 1
    return counts


def identifier_of(ctx, eid: int) -> str:
    with ctx.session_factory() as session:
        return session.get(Entity, eid).identifier


# --- roster and conflicts -------------------------------------------------------------------


def test_the_roster_adds_lists_and_deactivates_inspectors(ctx):
    made = inspections.add_inspector(
        ctx, SYSTEM, badge_no="皖执-李四", name="李四", office_region=LANGXI
    )
    assert made == {
        "id": made["id"],
        "badge_no": "皖执-李四",
        "name": "李四",
        "office_region": LANGXI,
        "active": True,
    }
    (other,) = add_inspectors(ctx, XUANZHOU)

    assert [i["id"] for i in inspections.list_inspectors(ctx, LANGXI_REGULATOR)] == [made["id"]]
    assert {i["id"] for i in inspections.list_inspectors(ctx, CITY_REGULATOR)} == {
        made["id"],
        other,
    }

    off = inspections.set_inspector_active(ctx, LANGXI_REGULATOR, made["id"], active=False)
    assert off["active"] is False
    with pytest.raises(Forbidden):
        inspections.set_inspector_active(ctx, LANGXI_REGULATOR, other, active=False)
    with pytest.raises(NotFound):
        inspections.set_inspector_active(ctx, SYSTEM, 10**9, active=False)


def test_a_badge_number_is_unique(ctx):
    inspections.add_inspector(ctx, SYSTEM, badge_no="皖执-王五", name="王五", office_region=LANGXI)
    with pytest.raises(Conflict):
        inspections.add_inspector(
            ctx, SYSTEM, badge_no="皖执-王五", name="赵六", office_region=XUANZHOU
        )
    with ctx.session_factory() as session:
        assert session.execute(select(func.count()).select_from(Inspector)).scalar_one() == 1


def test_an_inspector_needs_a_known_office_in_the_callers_scope(ctx):
    with pytest.raises(InvalidInput):
        add_inspectors(ctx, "110101")
    with pytest.raises(Forbidden):
        add_inspectors(ctx, XUANZHOU, actor=LANGXI_REGULATOR)


def test_a_conflict_is_declared_for_an_inspector_and_an_entity_in_scope(ctx):
    inspector, other_county = add_inspectors(ctx, LANGXI, XUANZHOU)
    entity = create_entity(ctx, region_code=LANGXI)
    theirs = create_entity(ctx, region_code=XUANZHOU)

    made = inspections.add_conflict(
        ctx, LANGXI_REGULATOR, inspector, entity=entity["identifier"], reason="近亲属任职"
    )

    assert made == {
        "inspector_id": inspector,
        "entity": entity["identifier"],
        "reason": "近亲属任职",
    }
    with pytest.raises(Forbidden):
        inspections.add_conflict(
            ctx, LANGXI_REGULATOR, inspector, entity=theirs["identifier"], reason="越权"
        )
    with pytest.raises(Forbidden):  # another county's inspector, as PATCH refuses it
        inspections.add_conflict(
            ctx, LANGXI_REGULATOR, other_county, entity=entity["identifier"], reason="越权"
        )
    assert (
        inspections.add_conflict(  # the city covers both counties
            ctx, CITY_REGULATOR, other_county, entity=entity["identifier"], reason="近亲属任职"
        )["inspector_id"]
        == other_county
    )
    with pytest.raises(NotFound):
        inspections.add_conflict(ctx, SYSTEM, 10**9, entity=entity["identifier"], reason="无此人")


def test_declaring_the_same_conflict_twice_is_a_conflict_not_a_crash(ctx):
    (inspector,) = add_inspectors(ctx, XUANZHOU)
    entity = create_entity(ctx, region_code=LANGXI)["identifier"]
    inspections.add_conflict(ctx, SYSTEM, inspector, entity=entity, reason="近亲属任职")

    with pytest.raises(Conflict):
        inspections.add_conflict(ctx, SYSTEM, inspector, entity=entity, reason="再次申报")


# --- inspectors: two each, from outside the county, never conflicted --------------------------


def test_inspectors_come_from_outside_the_entitys_county_when_others_are_available(
    ctx, rule_set_id
):
    entities = tiered_population(ctx, rule_set_id, LANGXI, {"D": 12})
    local = add_inspectors(ctx, LANGXI, LANGXI, LANGXI)
    outside = add_inspectors(ctx, XUANZHOU, JINGXIAN, CITY)
    offices = office_of(ctx)

    view = plan(ctx, LANGXI, seed="outside")

    assert len(view["items"]) == len(entities)  # D: every entity
    for item in view["items"]:
        chosen = [x["id"] for x in item["inspectors"]]
        assert len(chosen) == 2 and len(set(chosen)) == 2
        assert all(offices[i] != LANGXI for i in chosen), item
        assert all(x["name"] for x in item["inspectors"])
    used = {x["id"] for item in view["items"] for x in item["inspectors"]}
    assert used <= set(outside) and not used & set(local)

    # only one outsider left: one from outside, then one from the entity's own county
    for inspector in outside[1:]:
        inspections.set_inspector_active(ctx, SYSTEM, inspector, active=False)
    for item in plan(ctx, LANGXI, seed="one-outside")["items"]:
        chosen = [x["id"] for x in item["inspectors"]]
        assert chosen[0] == outside[0] and chosen[1] in local

    # only the county's own office has inspectors: they are drawn
    inspections.set_inspector_active(ctx, SYSTEM, outside[0], active=False)
    for item in plan(ctx, LANGXI, seed="only-local")["items"]:
        chosen = [x["id"] for x in item["inspectors"]]
        assert len(chosen) == 2 and set(chosen) <= set(local)


def test_an_inspector_with_a_declared_conflict_is_never_drawn_for_that_entity(ctx, rule_set_id):
    (target, *others) = tiered_population(ctx, rule_set_id, LANGXI, {"D": 6})
    conflicted, *fellows = add_inspectors(ctx, XUANZHOU, XUANZHOU, JINGXIAN)
    inspections.add_conflict(
        ctx, SYSTEM, conflicted, entity=identifier_of(ctx, target), reason="曾为该企业提供咨询"
    )
    target_identifier = identifier_of(ctx, target)

    seen_elsewhere = False
    for n in range(8):
        view = plan(ctx, LANGXI, seed=f"conflict-{n}")
        for item in view["items"]:
            chosen = [x["id"] for x in item["inspectors"]]
            if item["entity"]["identifier"] == target_identifier:
                assert conflicted not in chosen and sorted(chosen) == sorted(fellows)
            elif conflicted in chosen:
                seen_elsewhere = True
    assert seen_elsewhere  # the conflict is about one entity, not the inspector in general


def test_a_deactivated_inspector_is_not_drawn(ctx, rule_set_id):
    tiered_population(ctx, rule_set_id, LANGXI, {"D": 5})
    gone, *kept = add_inspectors(ctx, XUANZHOU, XUANZHOU, JINGXIAN)
    inspections.set_inspector_active(ctx, SYSTEM, gone, active=False)

    for item in plan(ctx, LANGXI, seed="inactive")["items"]:
        assert sorted(x["id"] for x in item["inspectors"]) == sorted(kept)


# --- reproducibility ----------------------------------------------------------------------------


def test_the_same_seed_and_inputs_give_the_same_plan(ctx, rule_set_id):
    ids = tiered_population(ctx, rule_set_id, JINGDE, {"A": 10, "B": 40, "C": 20, "D": 5})
    add_inspectors(ctx, XUANZHOU, LANGXI, JINGXIAN, JINGDE, CITY)

    first = plan(ctx, JINGDE, seed="2027-JD")
    second = plan(ctx, JINGDE, seed="2027-JD")
    other = plan(ctx, JINGDE, seed="2027-JD-b")

    assert first["id"] != second["id"]
    assert drawn(first) == drawn(second)
    assert [i["position"] for i in first["items"]] == list(range(1, len(first["items"]) + 1))
    assert drawn(first) != drawn(other)
    assert tier_counts(first) == tier_counts(other) == {"A": 0, "B": 6, "C": 8, "D": 5}
    # the plan keeps its seed and a digest of the population it drew from
    assert (first["seed"], other["seed"]) == ("2027-JD", "2027-JD-b")
    with ctx.session_factory() as session:
        stored = session.get(InspectionPlan, first["id"])
        tiers = dict(
            session.execute(
                select(TierAssignment.entity_id, TierAssignment.tier).where(
                    TierAssignment.entity_id.in_(ids)
                )
            ).all()
        )
    candidates = [inspection_rules.Candidate(i, tiers[i], JINGDE) for i in ids]
    assert stored.seed == "2027-JD" and stored.rule_set_id == rule_set_id
    assert first["population"] == len(ids) == stored.parameters["population"]
    assert first["population_digest"] == inspection_rules.population_digest(candidates)
    assert first["population_digest"] == second["population_digest"] == other["population_digest"]


def test_a_repeated_request_key_returns_the_plan_already_drawn(ctx, rule_set_id):
    tiered_population(ctx, rule_set_id, JINGDE, {"A": 3, "B": 10, "D": 2})
    first = plan(ctx, JINGDE, request_key="form-1")
    again = plan(ctx, JINGDE, request_key="form-1")
    someone_else = plan(ctx, JINGDE, actor=CITY_REGULATOR, request_key="form-1")

    assert again == first and someone_else["id"] != first["id"]
    assert first["population_by_tier"] == {"A": 3, "B": 10, "D": 2}
    with ctx.session_factory() as session:
        assert session.execute(select(func.count()).select_from(InspectionPlan)).scalar_one() == 2


def test_a_plan_without_a_seed_gets_one_and_a_changed_population_a_new_digest(ctx, rule_set_id):
    tiered_population(ctx, rule_set_id, JINGDE, {"B": 10, "D": 2})
    first = plan(ctx, JINGDE)
    assert first["seed"] and len(first["seed"]) >= 8

    tiered_population(ctx, rule_set_id, JINGDE, {"D": 1})
    again = plan(ctx, JINGDE, seed=first["seed"])

    assert again["population"] == first["population"] + 1
    assert again["population_digest"] != first["population_digest"]


# --- ratios (D3) ------------------------------------------------------------------------------

POPULATION = {"A": 200, "B": 1000, "C": 500, "D": 300}
RATIOS = {"A": 0.05, "B": 0.15, "C": 0.40, "D": 1.00}


def test_plans_draw_each_tier_at_its_yearly_ratio(ctx, rule_set_id):
    ids = tiered_population(ctx, rule_set_id, JIXI, POPULATION)
    triggered_a = [identifier_of(ctx, ids[0]), identifier_of(ctx, ids[1])]
    add_inspectors(ctx, XUANZHOU, LANGXI)

    year = plan(ctx, JIXI, seed="ratio")

    expected = {t: round(n * RATIOS[t]) for t, n in POPULATION.items()}
    assert expected == {"A": 10, "B": 150, "C": 200, "D": 300}
    assert tier_counts(year) == {**expected, "A": 0}  # A is not drawn proactively
    assert year["population"] == sum(POPULATION.values())
    assert len({i["entity"]["identifier"] for i in year["items"]}) == len(year["items"])
    assert not any(i["triggered"] for i in year["items"])

    days = (HALF_YEAR[1] - HALF_YEAR[0]).days + 1
    half = plan(ctx, JIXI, period=HALF_YEAR, seed="ratio")
    half_counts = tier_counts(half)
    for tier in "BCD":
        assert half_counts[tier] == round(POPULATION[tier] * RATIOS[tier] * days / 365)
        assert abs(half_counts[tier] - expected[tier] / 2) <= 2

    with_triggers = plan(ctx, JIXI, seed="ratio", triggered=triggered_a)
    counts = tier_counts(with_triggers)
    assert counts == {**expected, "A": 2}
    flagged = [i for i in with_triggers["items"] if i["triggered"]]
    assert sorted(i["entity"]["identifier"] for i in flagged) == sorted(triggered_a)
    assert all(i["tier"] == "A" for i in flagged)
    # the rest of the draw is the seed's, untouched by the triggered entities
    assert [d for d in drawn(with_triggers) if not d[2]] == drawn(year)


def test_a_triggered_entity_already_drawn_is_marked_and_not_repeated(ctx, rule_set_id):
    ids = tiered_population(ctx, rule_set_id, JIXI, {"D": 4})
    flagged = identifier_of(ctx, ids[2])

    view = plan(ctx, JIXI, seed="dup", triggered=[flagged.lower()])

    assert len(view["items"]) == 4
    assert [i["entity"]["identifier"] for i in view["items"] if i["triggered"]] == [flagged]


def test_an_unknown_triggered_entity_is_an_error_not_silently_dropped(ctx, rule_set_id):
    ids = tiered_population(ctx, rule_set_id, JIXI, {"D": 2})
    flagged = identifier_of(ctx, ids[0])

    with pytest.raises(InvalidInput) as raised:
        plan(ctx, JIXI, seed="dup", triggered=[flagged, "no-such-entity"])

    assert raised.value.code == "triggered-not-found"
    assert raised.value.extensions == {"identifiers": ["no-such-entity"]}
    assert raised.value.errors == {
        "triggered": [{"code": "entity-not-in-region", "identifier": "no-such-entity"}]
    }


def test_a_domain_filter_limits_the_population_to_entities_with_records_there(ctx, rule_set_id):
    patent = create_entity(ctx, region_code=JINGXIAN)["identifier"]
    trademark = create_entity(ctx, region_code=JINGXIAN)["identifier"]
    none = create_entity(ctx, region_code=JINGXIAN)["identifier"]
    record_services.file_record(
        ctx, SYSTEM, entity=patent, item_code=PENALTY_ITEM, fields=penalty_fields()
    )
    record_services.file_record(
        ctx,
        SYSTEM,
        entity=trademark,
        item_code="TM-DIS-BAD-FAITH-APPLICATION",
        fields={
            "document_no": "商标监字〔2026〕7号",
            "decision_date": "2026-05-10",
            "authority_code": "国家知识产权局",
            "conduct_facts": "大量囤积商标",
            "basis_text": "《商标法》第四条",
            "trademark_numbers": ["12345678"],
        },
    )
    for identifier in (patent, trademark, none):  # D: every entity is drawn
        tier_overrides.set_override(
            ctx, SYSTEM, identifier, tier="D", reason="专项检查", expires_on=date(2027, 1, 31)
        )

    def names(view):  # type: ignore[no-untyped-def]
        return sorted(i["entity"]["identifier"] for i in view["items"])

    assert names(plan(ctx, JINGXIAN, seed="d")) == sorted([patent, trademark, none])
    assert names(plan(ctx, JINGXIAN, seed="d", domain="patent")) == [patent]
    only_trademark = plan(ctx, JINGXIAN, seed="d", domain="trademark")
    assert names(only_trademark) == [trademark] and only_trademark["domain"] == "trademark"
    assert plan(ctx, JINGXIAN, seed="d", domain="geographical_indication")["items"] == []


def test_a_plan_stays_within_the_region_and_the_callers_scope(ctx, rule_set_id):
    tiered_population(ctx, rule_set_id, LANGXI, {"D": 3})
    tiered_population(ctx, rule_set_id, XUANZHOU, {"D": 2})

    county = plan(ctx, LANGXI, actor=LANGXI_REGULATOR, seed="scope")
    assert len(county["items"]) == 3
    assert {i["entity"]["region_code"] for i in county["items"]} == {LANGXI}
    assert county["created_by"] == LANGXI_REGULATOR.username
    with pytest.raises(Forbidden):
        plan(ctx, XUANZHOU, actor=LANGXI_REGULATOR)
    whole_city = plan(ctx, CITY, actor=CITY_REGULATOR, seed="scope")
    assert len(whole_city["items"]) == 5
    with pytest.raises(Forbidden):
        inspections.get_plan(ctx, LANGXI_REGULATOR, whole_city["id"])
    assert inspections.get_plan(ctx, LANGXI_REGULATOR, county["id"]) == county


def test_plans_are_listed_newest_first_within_the_callers_scope_with_their_progress(
    ctx, rule_set_id
):
    tiered_population(ctx, rule_set_id, LANGXI, {"D": 3})
    tiered_population(ctx, rule_set_id, XUANZHOU, {"D": 2})
    county = plan(ctx, LANGXI, actor=LANGXI_REGULATOR, seed="list")
    whole_city = plan(ctx, CITY, actor=CITY_REGULATOR, seed="list")
    empty = plan(ctx, JINGXIAN, actor=CITY_REGULATOR, seed="list")
    first = county["items"][0]["id"]
    inspections.record_result(ctx, LANGXI_REGULATOR, county["id"], first, outcome="passed", note="")

    listed = inspections.list_plans(ctx, CITY_REGULATOR)

    assert [p["id"] for p in listed] == [empty["id"], whole_city["id"], county["id"]]
    assert [(p["items"], p["results"], p["population"]) for p in listed] == [
        (0, 0, 0),
        (5, 0, 5),
        (3, 1, 3),
    ]
    assert listed[2] | {"created_at": None} == {
        "id": county["id"],
        "region_code": LANGXI,
        "period_start": YEAR[0],
        "period_end": YEAR[1],
        "seed": "list",
        "domain": None,
        "population": 3,
        "items": 3,
        "results": 1,
        "created_by": LANGXI_REGULATOR.username,
        "created_at": None,
    }
    # a county sees its own plans, not the city-wide one (get_plan refuses it too)
    assert [p["id"] for p in inspections.list_plans(ctx, LANGXI_REGULATOR)] == [county["id"]]
    assert [p["id"] for p in inspections.list_plans(ctx, CITY_REGULATOR, limit=1)] == [empty["id"]]


def test_a_plan_needs_a_period_and_an_applied_rule_set(ctx):
    with pytest.raises(NotFound):
        plan(ctx, LANGXI)
    with pytest.raises(InvalidInput):
        plan(ctx, LANGXI, period=(date(2027, 6, 30), date(2027, 1, 1)))


def test_a_deregistered_entity_is_not_drawn(ctx, rule_set_id):
    ids = tiered_population(ctx, rule_set_id, LANGXI, {"D": 3})
    with ctx.session_factory.begin() as session:
        session.get(Entity, ids[0]).status = "deregistered"

    view = plan(ctx, LANGXI, seed="gone")

    assert len(view["items"]) == 2 and view["population"] == 2


def test_export_rows_list_the_plan(ctx, rule_set_id):
    tiered_population(ctx, rule_set_id, LANGXI, {"D": 2})
    add_inspectors(ctx, XUANZHOU, JINGXIAN)
    view = plan(ctx, LANGXI, seed="export")

    rows = inspections.export_rows(ctx, LANGXI_REGULATOR, view["id"])

    assert [r[0] for r in rows] == [1, 2]
    for row, item in zip(rows, view["items"], strict=True):
        names = [x["name"] for x in item["inspectors"]]
        assert row[1:6] == [
            item["entity"]["identifier"],
            item["entity"]["name"],
            LANGXI,
            "D",
            "否",
        ]
        assert row[6:8] == names and row[8] == ""


def test_an_export_is_audited_with_its_plan_and_row_count(ctx, rule_set_id):
    tiered_population(ctx, rule_set_id, LANGXI, {"D": 2})
    add_inspectors(ctx, XUANZHOU, JINGXIAN)
    view = plan(ctx, LANGXI, seed="export-audit")

    inspections.export_rows(ctx, LANGXI_REGULATOR, view["id"])

    with ctx.session_factory() as session:
        [event] = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "inspection.export")
        ).all()
    assert (event.actor, event.object_type, event.object_id) == (
        "r-langxi",
        "inspection_plan",
        str(view["id"]),
    )
    assert event.details == {"region": LANGXI, "rows": 2}


def test_an_export_of_another_countys_plan_is_refused_and_not_recorded_as_one(ctx, rule_set_id):
    tiered_population(ctx, rule_set_id, LANGXI, {"D": 1})
    add_inspectors(ctx, XUANZHOU, JINGXIAN)
    view = plan(ctx, LANGXI, seed="export-refused")
    outsider = Actor(role="regulator", username="r-xuanzhou", region_code=XUANZHOU, city_code=CITY)

    with pytest.raises(Forbidden):
        inspections.export_rows(ctx, outsider, view["id"])

    with ctx.session_factory() as session:
        exports = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "inspection.export")
        ).all()
    assert exports == []


# --- results ----------------------------------------------------------------------------------


@pytest.fixture
def one_item(ctx, rule_set_id):  # type: ignore[no-untyped-def]
    """A plan with one triggered B entity (registered, so tiered by the rules)."""
    identifier = create_entity(ctx, region_code=LANGXI)["identifier"]
    add_inspectors(ctx, XUANZHOU, JINGXIAN)
    view = plan(ctx, LANGXI, actor=LANGXI_REGULATOR, seed="result", triggered=[identifier])
    (item,) = view["items"]
    assert (item["tier"], item["triggered"]) == ("B", True)
    return view["id"], item["id"], identifier


def item_row(ctx, item_id: int) -> InspectionItem:
    with ctx.session_factory() as session:
        return session.get(InspectionItem, item_id)


def records_of(ctx, identifier: str) -> list[CreditRecord]:
    with ctx.session_factory() as session:
        return list(
            session.execute(
                select(CreditRecord)
                .join(Entity, Entity.id == CreditRecord.entity_id)
                .where(Entity.identifier == identifier)
            ).scalars()
        )


@pytest.mark.parametrize("outcome", ["passed", "not_found_at_address"])
def test_a_result_without_problems_is_recorded(ctx, one_item, outcome):
    plan_id, item_id, identifier = one_item

    view = inspections.record_result(
        ctx, LANGXI_REGULATOR, plan_id, item_id, outcome=outcome, note="现场检查"
    )

    assert (view["outcome"], view["note"], view["record_id"]) == (outcome, "现场检查", None)
    assert view["result_at"] == ctx.now()
    stored = item_row(ctx, item_id)
    assert (stored.outcome, stored.result_by) == (outcome, LANGXI_REGULATOR.username)
    assert records_of(ctx, identifier) == []


def test_problems_found_files_a_record_in_the_same_transaction(ctx, one_item):
    plan_id, item_id, identifier = one_item
    fields = penalty_fields(CF_CFLB=SEVERE)

    view = inspections.record_result(
        ctx,
        LANGXI_REGULATOR,
        plan_id,
        item_id,
        outcome="problems_found",
        note="发现假冒专利标识",
        record={"item_code": PENALTY_ITEM, "fields": fields},
    )

    (record,) = records_of(ctx, identifier)
    assert view["record_id"] == record.id == item_row(ctx, item_id).record_id
    assert record.source_ref == fields["CF_WSH"] and record.severity == "severe"
    assert record.revision_reason == f"inspection plan {plan_id} item {item_id}"
    assert tier_views.tier_view(ctx, LANGXI_REGULATOR, identifier)["tier"] == "D"
    stored = item_row(ctx, item_id)
    assert (stored.state, stored.version, stored.updated_at) == ("inspected", 2, ctx.now())
    with ctx.session_factory() as session:
        (step,) = session.execute(
            select(ProcedureStep).where(
                ProcedureStep.procedure == "inspection", ProcedureStep.subject_id == item_id
            )
        ).scalars()
        (event,) = session.execute(
            select(AuditEvent).where(AuditEvent.action == "inspection.record_result")
        ).scalars()
    assert (step.step, step.state_after, step.reason) == (
        "record_result",
        "inspected",
        "发现假冒专利标识",
    )
    assert step.details == {"outcome": "problems_found", "record_id": record.id}
    assert (event.object_type, event.object_id) == ("inspection_item", str(item_id))
    assert event.details["outcome"] == "problems_found"
    assert event.details["record_id"] == record.id


def test_a_result_with_invalid_record_fields_saves_nothing(ctx, one_item):
    plan_id, item_id, identifier = one_item
    fields = penalty_fields()
    del fields["CF_JDRQ"]

    with pytest.raises(InvalidInput) as caught:
        inspections.record_result(
            ctx,
            LANGXI_REGULATOR,
            plan_id,
            item_id,
            outcome="problems_found",
            note="发现问题",
            record={"item_code": PENALTY_ITEM, "fields": fields},
        )

    assert "fields.CF_JDRQ" in caught.value.errors
    stored = item_row(ctx, item_id)
    assert (stored.outcome, stored.result_at, stored.record_id) == (None, None, None)
    assert records_of(ctx, identifier) == []
    with ctx.session_factory() as session:
        assert session.get(TierAssignment, entity_id_of(session, identifier)).tier == "B"


def written_rows(ctx) -> dict[str, int]:
    """How many records, revisions, tier changes, audit rows, outbox events and procedure
    steps exist."""
    with ctx.session_factory() as session:
        return {
            model.__tablename__: session.execute(
                select(func.count()).select_from(model)
            ).scalar_one()
            for model in (
                CreditRecord,
                CreditRecordRevision,
                TierChange,
                AuditEvent,
                OutboxEvent,
                ProcedureStep,
            )
        }


@pytest.mark.parametrize(
    "second",
    [
        {"outcome": "passed"},
        {"outcome": "problems_found", "record": "valid"},
        {"outcome": "problems_found", "record": "invalid"},
    ],
    ids=["without a record", "with a record", "with invalid record fields"],
)
def test_a_second_result_on_the_same_item_is_refused_and_writes_nothing(ctx, one_item, second):
    plan_id, item_id, identifier = one_item
    first_fields = penalty_fields()
    first = inspections.record_result(
        ctx,
        LANGXI_REGULATOR,
        plan_id,
        item_id,
        outcome="problems_found",
        note="发现假冒专利标识",
        record={"item_code": PENALTY_ITEM, "fields": first_fields},
    )
    assert tier_views.tier_view(ctx, LANGXI_REGULATOR, identifier)["tier"] == "C"
    before, stored_before = written_rows(ctx), item_row(ctx, item_id)
    record = None
    if "record" in second:
        fields = penalty_fields(CF_CFLB=SEVERE)
        if second["record"] == "invalid":
            del fields["CF_JDRQ"]
        record = {"item_code": PENALTY_ITEM, "fields": fields}
    later = TODAY.replace(day=26)
    ctx.clock.set(local_noon(later))

    with pytest.raises(Conflict) as caught:
        inspections.record_result(
            ctx,
            CITY_REGULATOR,
            plan_id,
            item_id,
            outcome=second["outcome"],
            note="复查",
            record=record,
        )

    assert caught.value.code == "result-exists"
    assert caught.value.extensions["state"] == "inspected"
    stored = item_row(ctx, item_id)
    assert (stored.outcome, stored.note, stored.record_id) == (
        "problems_found",
        "发现假冒专利标识",
        first["record_id"],
    )
    assert (stored.result_at, stored.result_by) == (
        stored_before.result_at,
        LANGXI_REGULATOR.username,
    )
    assert [r.source_ref for r in records_of(ctx, identifier)] == [first_fields["CF_WSH"]]
    assert written_rows(ctx) == before
    assert tier_views.tier_view(ctx, LANGXI_REGULATOR, identifier)["tier"] == "C"


def entity_id_of(session, identifier: str) -> int:  # type: ignore[no-untyped-def]
    return session.execute(select(Entity.id).where(Entity.identifier == identifier)).scalar_one()


@pytest.mark.parametrize("outcome", ["passed", "not_found_at_address"])
def test_only_problems_found_may_file_a_record(ctx, one_item, outcome):
    plan_id, item_id, identifier = one_item
    with pytest.raises(InvalidInput) as caught:
        inspections.record_result(
            ctx,
            LANGXI_REGULATOR,
            plan_id,
            item_id,
            outcome=outcome,
            note="无问题",
            record={"item_code": PENALTY_ITEM, "fields": penalty_fields()},
        )
    assert "record" in caught.value.errors
    assert item_row(ctx, item_id).outcome is None
    assert records_of(ctx, identifier) == []


def test_a_result_needs_a_known_outcome_and_an_item_of_the_plan(ctx, one_item):
    plan_id, item_id, _ = one_item
    with pytest.raises(InvalidInput):
        inspections.record_result(ctx, SYSTEM, plan_id, item_id, outcome="fine", note="")
    with pytest.raises(NotFound):
        inspections.record_result(ctx, SYSTEM, plan_id, item_id + 1000, outcome="passed", note="")
    with pytest.raises(NotFound):
        inspections.record_result(ctx, SYSTEM, plan_id + 1000, item_id, outcome="passed", note="")
    outsider = Actor(role="regulator", username="r-xz", region_code=XUANZHOU, city_code=CITY)
    with pytest.raises(Forbidden):
        inspections.record_result(ctx, outsider, plan_id, item_id, outcome="passed", note="")

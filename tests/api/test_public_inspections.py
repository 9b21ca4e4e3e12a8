"""一公开 (D20) on both databases: an inspection's result goes public by the daily job
within 20 working days of its completion (counted across National Day 2026), the console
lists the results overdue, a result leaves every public output 3 years after it went
public, natural persons are masked everywhere, and no output carries a tier (D1)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

import pytest

from credit_service.access import SYSTEM, Actor
from credit_service.clock import local_noon
from credit_service.inspections import publication
from credit_service.inspections import services as inspections
from credit_service.tiers import services as tier_services
from schedulers import jobs
from tests.api.test_public_list import fetch, ok
from tests.factories import CITY, LANGXI, XUANZHOU, create_entity, create_person

COMPLETED = date(2026, 9, 30)  # the eve of National Day (1–7 October off, 10 October worked)
DUE = date(2026, 11, 3)  # 20 working days later; 28 October counting weekdays alone
REGULATOR = Actor(role="regulator", username="r-city", region_code=CITY, city_code=CITY)
PLANS, RESULTS = "/api/v1/public/inspection-plans", "/api/v1/public/inspection-results"
PERSON = "欧阳明华"


@pytest.fixture
def inspected(ctx, clock):  # type: ignore[no-untyped-def]
    """An organisation and a natural person, both drawn (triggered) and inspected on the
    eve of National Day 2026; nothing published yet."""
    clock.set(local_noon(COMPLETED - timedelta(days=2)))
    tier_services.apply_rule_set(ctx, SYSTEM)
    company = create_entity(ctx, region_code=XUANZHOU, name="宣城抽查科技有限公司")
    person = create_person(ctx, region_code=XUANZHOU, name=PERSON)
    for n, office in enumerate((LANGXI, CITY, XUANZHOU)):
        inspections.add_inspector(
            ctx, SYSTEM, badge_no=f"皖执公{n}", name=f"执法员{n}", office_region=office
        )
    plan = inspections.create_plan(
        ctx,
        REGULATOR,
        region=XUANZHOU,
        period_start=date(2026, 9, 1),
        period_end=date(2026, 12, 31),
        seed="public",
        triggered=[company["identifier"], person["identifier"]],
    )
    clock.set(local_noon(COMPLETED))
    items = {i["entity"]["region_code"] + str(n): i for n, i in enumerate(plan["items"])}
    outcomes = {}
    for item in plan["items"]:
        outcome = "passed" if "*" in item["entity"]["name"] else "problems_found"
        inspections.record_result(
            ctx, REGULATOR, plan["id"], item["id"], outcome=outcome, note="现场检查"
        )
        outcomes[item["id"]] = outcome
    assert len(items) == 2
    return {"plan": plan, "company": company, "person": person, "outcomes": outcomes}


def publish(ctx, clock, day: date) -> int:  # type: ignore[no-untyped-def]
    clock.set(local_noon(day))
    return jobs.publish_inspection_results_job(ctx)


def results(client, **args) -> list[dict]:  # type: ignore[no-untyped-def]
    return ok(client.get(RESULTS, query_string=args)).get_json()["items"]


def csv_rows(client, url: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    text = ok(fetch(client, url)).get_data(as_text=True)
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


# --- the deadline and the job -----------------------------------------------------------------


def test_the_deadline_is_20_working_days_counted_across_national_day(ctx, inspected):
    items = [i["id"] for i in inspected["plan"]["items"]]
    with ctx.session_factory() as session:
        from credit_service.inspections.models import InspectionItem

        item = session.get(InspectionItem, items[0])
        assert publication.completed_on(ctx, item) == COMPLETED
        assert publication.due(ctx, item).due == DUE
        assert not publication.due(ctx, item).provisional


def test_results_go_public_on_the_jobs_next_run_and_only_once(ctx, clock, client, inspected):
    assert results(client) == []  # recorded, not yet published
    assert publish(ctx, clock, COMPLETED + timedelta(days=1)) == 2

    shown = results(client)
    assert {r["published_on"] for r in shown} == {"2026-10-01"}
    assert {r["inspected_on"] for r in shown} == {COMPLETED.isoformat()}
    assert publish(ctx, clock, COMPLETED + timedelta(days=2)) == 0
    assert {r["published_on"] for r in results(client)} == {"2026-10-01"}
    company = next(r for r in shown if r["kind"] == "organisation")
    assert (company["outcome_text"], company["follow_up_text"]) == (
        "发现问题",
        "责令限期改正，跟踪复查",
    )


def test_a_result_unpublished_past_its_due_day_is_overdue_on_the_console(
    ctx, clock, client, auth, inspected
):
    clock.set(local_noon(DUE))  # the due day itself is still in time
    assert inspections.overdue(ctx, REGULATOR) == []
    clock.set(local_noon(DUE + timedelta(days=1)))
    late = inspections.overdue(ctx, REGULATOR)
    assert [(o["due"], o["days_late"]) for o in late] == [(DUE, 1), (DUE, 1)]
    assert {o["entity"]["name"] for o in late} == {"宣城抽查科技有限公司", "欧阳**"}
    langxi = Actor(role="regulator", username="r-lx", region_code=LANGXI, city_code=CITY)
    assert inspections.overdue(ctx, langxi) == []  # another county's results

    for role in ("regulator", "viewer", "admin"):
        html = ok(client.get("/console/inspections", headers=auth(role))).get_data(as_text=True)
        assert "逾期未公示的抽查结果" in html and html.count('class="overdue-result"') == 2, role
        assert PERSON not in html and inspected["person"]["identifier"] not in html
    uscc = inspected["company"]["identifier"]
    for role, kwargs in (("enterprise", {"uscc": uscc}), ("checker", {}), ("auditor", {})):
        refused = client.get("/console/inspections", headers=auth(role, **kwargs))
        assert refused.status_code == 403, role
    assert client.get("/console/inspections").status_code in (302, 303, 401)

    publish(ctx, clock, DUE + timedelta(days=1))
    assert inspections.overdue(ctx, REGULATOR) == []
    html = ok(client.get("/console/inspections", headers=auth("regulator"))).get_data(as_text=True)
    assert "没有逾期未公示的抽查结果" in html


def test_a_result_leaves_every_public_output_3_years_after_publication(
    ctx, clock, client, inspected
):
    publish(ctx, clock, date(2026, 10, 1))
    last = date(2029, 10, 1)
    assert publication.public_until(date(2026, 10, 1)) == last
    clock.set(local_noon(last))
    assert len(results(client)) == 2
    assert "宣城抽查科技有限公司" in client.get("/inspections").get_data(as_text=True)

    clock.set(local_noon(last + timedelta(days=1)))
    assert results(client) == []
    assert "宣城抽查科技有限公司" not in client.get("/inspections").get_data(as_text=True)
    assert len(csv_rows(client, f"{RESULTS}/export.csv")) == 1  # the header alone
    assert json.loads(fetch(client, f"{RESULTS}/export.json").get_data()) == []
    assert len(ok(client.get(PLANS)).get_json()["items"]) == 1  # the plan stays public


def test_the_earliest_publication_day_still_public_respects_month_ends():
    for today in (date(2027, 2, 28), date(2028, 2, 29), date(2028, 3, 1), date(2029, 10, 2)):
        since = publication.published_since(today)
        assert publication.public_until(since) >= today
        assert publication.public_until(since - timedelta(days=1)) < today


# --- what the public sees -----------------------------------------------------------------------


def test_natural_persons_are_masked_on_the_page_api_csv_and_json(ctx, clock, client, inspected):
    publish(ctx, clock, date(2026, 10, 8))
    person = inspected["person"]
    bodies = {
        "api": ok(client.get(RESULTS)).get_data(as_text=True),
        "page": ok(client.get("/inspections")).get_data(as_text=True),
        "csv": ok(fetch(client, f"{RESULTS}/export.csv")).get_data(as_text=True),
        "json": ok(fetch(client, f"{RESULTS}/export.json")).get_data(as_text=True),
        "plans": ok(client.get(PLANS)).get_data(as_text=True),
        "plans csv": ok(fetch(client, f"{PLANS}/export.csv")).get_data(as_text=True),
    }
    for where, text in bodies.items():
        assert PERSON not in text and person["identifier"] not in text, where
        if where in ("api", "page", "csv", "json"):
            assert "欧阳**" in text and "宣城抽查科技有限公司" in text, where
    masked = next(r for r in results(client) if r["kind"] == "natural_person")
    assert (masked["name"], masked["uscc"]) == ("欧阳**", None)
    # never found by full name or ID number; an organisation is, by name part or USCC
    assert results(client, entity=PERSON) == []
    assert results(client, entity=person["identifier"]) == []
    assert [r["name"] for r in results(client, entity="抽查科技")] == ["宣城抽查科技有限公司"]
    found = results(client, entity=inspected["company"]["identifier"].lower())
    assert [r["name"] for r in found] == ["宣城抽查科技有限公司"]


def test_no_public_output_carries_a_tier(ctx, clock, client, inspected):
    publish(ctx, clock, date(2026, 10, 8))
    (result, *_) = results(client)
    assert set(result) == {
        "id",
        "plan_id",
        "name",
        "kind",
        "uscc",
        "region_code",
        "region",
        "inspected_on",
        "outcome",
        "outcome_text",
        "follow_up",
        "follow_up_text",
        "published_on",
        "public_until",
    }
    (plan,) = ok(client.get(PLANS)).get_json()["items"]
    assert set(plan) == {
        "id",
        "region_code",
        "region",
        "period_start",
        "period_end",
        "domain",
        "drawn_on",
        "seed",
        "population",
        "population_digest",
        "sampling_ratios",
        "units",
    }
    assert (plan["seed"], plan["units"]) == ("public", 2)
    assert set(plan["sampling_ratios"]) == set("ABCD")
    headers = csv_rows(client, f"{RESULTS}/export.csv")[0]
    assert not any("等级" in h for h in headers)
    page = client.get("/inspections").get_data(as_text=True)
    assert "tier" not in page and "监管等级" in page  # only to say it is not public


def test_results_are_searched_by_plan_and_region_and_paginated(ctx, clock, client, inspected):
    publish(ctx, clock, date(2026, 10, 8))
    plan_id = inspected["plan"]["id"]
    assert len(results(client, plan=plan_id)) == 2
    assert results(client, plan=plan_id + 1) == []
    assert len(results(client, region=XUANZHOU)) == 2
    assert results(client, region=LANGXI) == []
    first = ok(client.get(RESULTS, query_string={"limit": 1})).get_json()
    second = ok(
        client.get(RESULTS, query_string={"limit": 1, "cursor": first["next_cursor"]})
    ).get_json()
    assert first["items"][0]["id"] > second["items"][0]["id"]
    assert second["next_cursor"] is None
    for bad in ({"plan": "x"}, {"region": "1"}, {"limit": 0}, {"tier": "A"}):
        response = client.get(RESULTS, query_string=bad)
        assert response.status_code == 422, bad
        assert response.mimetype == "application/problem+json"
    page = client.get("/inspections", query_string={"plan": plan_id, "region": XUANZHOU})
    assert ok(page).get_data(as_text=True).count("欧阳**") == 1
    refused = client.get("/inspections", query_string={"region": "999999"})
    assert "请从列表中选择" in ok(refused).get_data(as_text=True)


def test_the_downloads_have_chinese_headers_and_dated_names(ctx, clock, client, inspected):
    publish(ctx, clock, date(2026, 10, 8))
    response = ok(fetch(client, f"{RESULTS}/export.csv"))
    assert "inspection-results-2026-10-08.csv" in response.headers["Content-Disposition"]
    rows = csv_rows(client, f"{RESULTS}/export.csv")
    assert rows[0][:3] == ["编号", "抽查计划编号", "名称"]
    assert {r[6] for r in rows[1:]} == {"未发现问题", "发现问题"}
    plans = csv_rows(client, f"{PLANS}/export.csv")
    assert plans[0][0] == "编号" and plans[1][6] == "public"
    assert "A级" in plans[1][9]
    downloaded = json.loads(fetch(client, f"{PLANS}/export.json").get_data())
    assert downloaded[0]["seed"] == "public"


def test_the_public_menu_links_to_the_inspections_page(client):
    html = ok(client.get("/")).get_data(as_text=True)
    assert 'href="/inspections"' in html and "抽查结果公示" in html

"""Tier and inspection endpoints end to end through the Flask test client (both databases):
tiers are internal (never public), overrides and rule changes are for administrators."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from credit_service.access import SYSTEM
from credit_service.tiers import overrides as tier_overrides
from credit_service.tiers import reports as tier_reports
from credit_service.tiers import services as tier_services
from tests.factories import (
    CITY,
    LANGXI,
    PENALTY_ITEM,
    XUANZHOU,
    create_entity,
    create_person,
    file_penalty,
    penalty_fields,
    unique_uscc,
)

TODAY = date(2026, 11, 25)
JINGXIAN = "341823"
SEVERE = ["责令停产停业"]


@pytest.fixture
def applied(ctx):  # type: ignore[no-untyped-def]
    return tier_services.apply_rule_set(ctx, SYSTEM)


@pytest.fixture
def regulator(auth):  # type: ignore[no-untyped-def]
    return auth("regulator")  # city-wide


@pytest.fixture
def admin(auth):  # type: ignore[no-untyped-def]
    return auth("admin")


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return response.get_json(force=True)


def read_csv(response) -> tuple[str, list[list[str]]]:  # type: ignore[no-untyped-def]
    text = response.get_data(as_text=True)
    return text, list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


# --- tiers are never public -----------------------------------------------------------------


def tier_endpoints(identifier: str) -> list[tuple[str, str, dict | None]]:
    return [
        ("get", f"/api/v1/entities/{identifier}/tier", None),
        ("get", f"/api/v1/entities/{identifier}/tier/history", None),
        ("post", "/api/v1/tiers/lookup", {"identifiers": [identifier]}),
        ("get", "/api/v1/tiers/summary", None),
        ("get", "/api/v1/tiers/export.csv", None),
        (
            "post",
            "/api/v1/tiers/overrides",
            {
                "identifier": identifier,
                "tier": "D",
                "reason": "无权调整",
                "expires_on": "2027-01-01",
            },
        ),
        ("delete", "/api/v1/tiers/overrides/1", None),
        ("get", "/api/v1/admin/tiers/preview", None),
        ("post", "/api/v1/admin/tiers/apply", None),
    ]


def test_anonymous_callers_get_401_and_enterprises_403_on_every_tier_endpoint(
    client, ctx, auth, applied
):
    own = create_entity(ctx)["identifier"]
    enterprise = auth("enterprise", uscc=own)

    for method, url, body in tier_endpoints(own):
        kwargs = {"json": body} if body is not None else {}
        anonymous = getattr(client, method)(url, **kwargs)
        assert problem(anonymous, 401)["code"] == "unauthenticated", url
        denied = getattr(client, method)(url, headers=enterprise, **kwargs)
        assert problem(denied, 403)["code"] == "role-forbidden", url
    # not even an enterprise's own tier
    assert client.get(f"/api/v1/entities/{own}/tier", headers=enterprise).status_code == 403


def test_overrides_and_rule_changes_are_for_administrators_only(client, ctx, auth, applied):
    identifier = create_entity(ctx)["identifier"]
    for role in ("regulator", "viewer"):
        headers = auth(role)
        for method, url, body in tier_endpoints(identifier)[5:]:
            kwargs = {"json": body} if body is not None else {}
            response = getattr(client, method)(url, headers=headers, **kwargs)
            assert problem(response, 403)["code"] == "role-forbidden", (role, url)
    # viewers read tiers
    viewer = auth("viewer")
    assert client.get(f"/api/v1/entities/{identifier}/tier", headers=viewer).status_code == 200


# --- the tier of one entity -------------------------------------------------------------------


def test_an_entitys_tier_with_reasons_changes_and_measures(client, ctx, regulator, applied):
    identifier = create_entity(ctx)["identifier"]
    record = file_penalty(ctx, identifier, CF_JDRQ="2026-03-15")

    response = client.get(f"/api/v1/entities/{identifier}/tier", headers=regulator)

    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["tier"], body["tier_name"], body["rule_id"]) == (
        "C",
        "信用风险较高",
        "dishonest-record",
    )
    assert body["since"] == TODAY.isoformat()
    assert body["rule_set"] == applied.rule_set
    assert body["entity"]["identifier"] == identifier
    assert body["reasons"] == [
        {
            "rule_id": "dishonest-record",
            "description": "有公示期内的失信信息",
            "record_ids": [record["id"]],
            "listing_ids": [],
            "score": None,
        }
    ]
    changes = {c["kind"]: c for c in body["would_change"]}
    assert changes["time"]["on"] == "2027-03-16" and changes["time"]["new_tier"] == "B"
    assert changes["time"]["record_id"] is None and changes["time"]["explanation"]
    assert changes["repair"]["record_id"] == record["id"]
    assert body["measures"] == {
        "sampling_ratio": 0.4,
        "inspections_per_year": 2.0,
        "proactive_inspection": True,
    }


def test_the_tier_of_an_unknown_or_out_of_scope_entity(client, ctx, auth, applied):
    identifier = create_entity(ctx, region_code=XUANZHOU)["identifier"]
    langxi = auth("regulator", region=LANGXI)

    assert problem(client.get(f"/api/v1/entities/{identifier}/tier", headers=langxi), 403)
    missing = client.get(f"/api/v1/entities/{unique_uscc()}/tier", headers=auth("admin"))
    assert problem(missing, 404)


def test_before_any_rule_set_the_tier_is_not_found(client, ctx, regulator):
    identifier = create_entity(ctx)["identifier"]
    response = client.get(f"/api/v1/entities/{identifier}/tier", headers=regulator)
    assert problem(response, 404)["code"] == "no-tier-rules"


def test_tier_history_lists_every_change(client, ctx, regulator, applied):
    identifier = create_entity(ctx)["identifier"]
    first = file_penalty(ctx, identifier)
    second = file_penalty(ctx, identifier, CF_CFLB=SEVERE)

    response = client.get(f"/api/v1/entities/{identifier}/tier/history", headers=regulator)

    assert response.status_code == 200
    changes = response.get_json()
    assert [(c["old_tier"], c["new_tier"]) for c in changes] == [
        (None, "B"),
        ("B", "C"),
        ("C", "D"),
    ]
    assert [c["cause"] for c in changes[1:]] == [
        f"record {first['id']} filed",
        f"record {second['id']} filed",
    ]
    assert {c["rule_set"] for c in changes} == {applied.rule_set}
    assert all(c["effective_on"] == TODAY.isoformat() and c["changed_at"] for c in changes)


# --- lookup, summary, export ------------------------------------------------------------------


def test_lookup_reports_errors_per_item(client, ctx, auth, applied):
    mine = create_entity(ctx, region_code=LANGXI)["identifier"]
    file_penalty(ctx, mine)
    theirs = create_entity(ctx, region_code=XUANZHOU)["identifier"]
    unknown = unique_uscc()
    headers = auth("regulator", region=LANGXI)

    response = client.post(
        "/api/v1/tiers/lookup", json={"identifiers": [mine, theirs, unknown]}, headers=headers
    )

    assert response.status_code == 200, response.get_data(as_text=True)
    found, outside, missing = response.get_json()["items"]
    assert (
        found["found"] is True and found["tier"] == "C" and found["rule_id"] == "dishonest-record"
    )
    assert found["entity"]["region_code"] == LANGXI and found["since"] == TODAY.isoformat()
    assert outside == {
        "identifier": theirs,
        "found": False,
        "error": "outside-region",
    }
    assert missing == {"identifier": unknown, "found": False, "error": "entity-not-found"}


def test_lookup_takes_one_to_a_thousand_identifiers(client, ctx, regulator, applied):
    wanted = [unique_uscc() for _ in range(1000)]

    ok = client.post("/api/v1/tiers/lookup", json={"identifiers": wanted}, headers=regulator)
    assert ok.status_code == 200 and len(ok.get_json()["items"]) == 1000

    too_many = client.post(
        "/api/v1/tiers/lookup", json={"identifiers": [*wanted, unique_uscc()]}, headers=regulator
    )
    assert problem(too_many, 422)
    assert problem(
        client.post("/api/v1/tiers/lookup", json={"identifiers": []}, headers=regulator), 422
    )
    assert problem(client.post("/api/v1/tiers/lookup", json={}, headers=regulator), 422)


def test_summary_counts_within_the_scope(client, ctx, auth, applied):
    for region, overrides in ((XUANZHOU, {}), (XUANZHOU, {"CF_CFLB": SEVERE}), (LANGXI, {})):
        file_penalty(ctx, create_entity(ctx, region_code=region)["identifier"], **overrides)
    create_entity(ctx, region_code=LANGXI, industry="I")

    city = client.get("/api/v1/tiers/summary", headers=auth("viewer"))
    assert city.status_code == 200
    assert city.get_json() == {
        "region": CITY,
        "industry": None,
        "counts": {"A": 0, "B": 1, "C": 2, "D": 1},
        "total": 4,
    }
    langxi = auth("regulator", region=LANGXI)
    own = client.get("/api/v1/tiers/summary", headers=langxi).get_json()
    assert (own["region"], own["counts"], own["total"]) == (
        LANGXI,
        {"A": 0, "B": 1, "C": 1, "D": 0},
        2,
    )
    by_industry = client.get("/api/v1/tiers/summary?industry=I", headers=langxi).get_json()
    assert by_industry["counts"] == {"A": 0, "B": 1, "C": 0, "D": 0}
    other = client.get(f"/api/v1/tiers/summary?region={XUANZHOU}", headers=langxi)
    assert problem(other, 403)["code"] == "region-scope"
    assert problem(client.get("/api/v1/tiers/summary?region=12", headers=langxi), 422)


def test_export_csv_has_a_bom_a_header_and_masks_natural_persons(client, ctx, auth, applied):
    organisation = create_entity(ctx, region_code=LANGXI)
    person = create_person(ctx, region_code=LANGXI)
    file_penalty(ctx, organisation["identifier"], CF_CFLB=SEVERE)
    create_entity(ctx, region_code=XUANZHOU)

    response = client.get("/api/v1/tiers/export.csv", headers=auth("regulator", region=LANGXI))

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "tiers.csv" in response.headers["Content-Disposition"]
    text, rows = read_csv(response)
    assert text.startswith("\ufeff")
    assert rows[0] == list(tier_reports.EXPORT_COLUMNS)
    by_kind = {r[2]: r for r in rows[1:]}
    assert len(rows) == 3 and set(by_kind) == {"organisation", "natural_person"}
    assert by_kind["organisation"][:1] == [organisation["identifier"]]
    assert by_kind["organisation"][5:] == ["D", TODAY.isoformat(), "severe-record"]
    masked = by_kind["natural_person"]
    assert masked[0] != person["identifier"] and "*" in masked[0]
    assert masked[1] != "欧阳明华" and "*" in masked[1]
    assert person["identifier"] not in text and "欧阳明华" not in text


# --- overrides --------------------------------------------------------------------------------


def test_an_admin_sets_and_revokes_an_override(client, ctx, admin, regulator, applied):
    identifier = create_entity(ctx)["identifier"]
    body = {
        "identifier": identifier,
        "tier": "D",
        "reason": "多次被投诉，列为重点监管",
        "expires_on": "2027-01-31",
    }

    made = client.post("/api/v1/tiers/overrides", json=body, headers=admin)

    assert made.status_code == 201, made.get_data(as_text=True)
    override = made.get_json()
    assert (override["tier"], override["expires_on"]) == ("D", "2027-01-31")
    view = client.get(f"/api/v1/entities/{identifier}/tier", headers=regulator).get_json()
    assert (view["tier"], view["rule_id"]) == ("D", "override")
    assert "多次被投诉，列为重点监管" in view["reasons"][0]["description"]

    assert client.post("/api/v1/tiers/overrides", json=body, headers=regulator).status_code == 403
    assert (
        client.delete(f"/api/v1/tiers/overrides/{override['id']}", headers=regulator).status_code
        == 403
    )

    revoked = client.delete(f"/api/v1/tiers/overrides/{override['id']}", headers=admin)
    assert revoked.status_code == 204
    view = client.get(f"/api/v1/entities/{identifier}/tier", headers=regulator).get_json()
    assert (view["tier"], view["rule_id"]) == ("B", "default")
    again = client.delete(f"/api/v1/tiers/overrides/{override['id']}", headers=admin)
    assert problem(again, 404)["code"] == "override-not-found"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"expires_on": "2026-11-24"}, "expires_on"),
        ({"expires_on": "2027-11-26"}, "expires_on"),
        ({"tier": "E"}, "tier"),
        ({"reason": "短"}, "reason"),
    ],
    ids=["past", "beyond a year", "unknown tier", "reason too short"],
)
def test_an_invalid_override_is_refused(client, ctx, admin, applied, change, field):
    identifier = create_entity(ctx)["identifier"]
    body = {
        "identifier": identifier,
        "tier": "D",
        "reason": "专项整治对象",
        "expires_on": "2027-01-31",
    }
    response = client.post("/api/v1/tiers/overrides", json={**body, **change}, headers=admin)
    assert field in str(problem(response, 422))


# --- preview and apply (administrators) -------------------------------------------------------


def test_preview_then_apply_a_changed_rule_file(client, ctx, admin, applied, edited_rules):
    identifier = create_entity(ctx, region_code=LANGXI, industry="I")["identifier"]
    file_penalty(ctx, identifier)

    preview = client.get("/api/v1/admin/tiers/preview", headers=admin)

    assert preview.status_code == 200, preview.get_data(as_text=True)
    body = preview.get_json()
    assert body["rule_set"] != applied.rule_set and body["as_of"] == TODAY.isoformat()
    assert body["moves"] == [
        {"region_code": LANGXI, "industry": "I", "old": "C", "new": "D", "count": 1}
    ]
    assert body["total_moving"] == 1
    tier = client.get(f"/api/v1/entities/{identifier}/tier", headers=admin).get_json()
    assert tier["tier"] == "C"  # the preview wrote nothing

    applied_now = client.post("/api/v1/admin/tiers/apply", headers=admin)

    assert applied_now.status_code == 200, applied_now.get_data(as_text=True)
    result = applied_now.get_json()
    assert result["rule_set"] == body["rule_set"] and result["changed"] == 1
    assert result["entities_considered"] is None and result["as_of"] == TODAY.isoformat()
    tier = client.get(f"/api/v1/entities/{identifier}/tier", headers=admin).get_json()
    assert (tier["tier"], tier["rule_set"]) == ("D", body["rule_set"])
    history = client.get(f"/api/v1/entities/{identifier}/tier/history", headers=admin).get_json()
    assert history[-1]["rule_set"] == body["rule_set"]
    assert body["rule_set"] in history[-1]["cause"]


def test_an_invalid_rule_file_is_refused_naming_the_key(client, ctx, admin, applied, edited_rules):
    text = edited_rules.read_text(encoding="utf-8")
    edited_rules.write_text(text.replace("period: P3Y", "period: three-years"), "utf-8")

    for response in (
        client.get("/api/v1/admin/tiers/preview", headers=admin),
        client.post("/api/v1/admin/tiers/apply", headers=admin),
    ):
        body = problem(response, 422)
        assert body["code"] == "tier-rules-invalid"
        assert "tiers.yaml" in body["detail"] and "no_record_within.period" in body["detail"]


# --- inspections through the API ----------------------------------------------------------------


def test_an_inspection_plan_through_the_api(client, ctx, auth, applied):
    county = auth("regulator", region=LANGXI)
    flagged = create_entity(ctx, region_code=LANGXI)["identifier"]
    severe = create_entity(ctx, region_code=LANGXI)["identifier"]
    file_penalty(ctx, severe, CF_CFLB=SEVERE)
    person = create_person(ctx, region_code=LANGXI)
    tier_overrides.set_override(
        ctx, SYSTEM, person["identifier"], tier="D", reason="专项检查对象", expires_on=TODAY
    )
    inspectors = []
    for n, office in enumerate((XUANZHOU, JINGXIAN, LANGXI)):
        made = client.post(
            "/api/v1/inspectors",
            json={"badge_no": f"皖执API{n}", "name": f"检查员{n}", "office_region": office},
            headers=auth("regulator"),
        )
        assert made.status_code == 201, made.get_data(as_text=True)
        inspectors.append(made.get_json()["id"])
    duplicate = client.post(
        "/api/v1/inspectors",
        json={"badge_no": "皖执API0", "name": "重复", "office_region": XUANZHOU},
        headers=auth("regulator"),
    )
    assert problem(duplicate, 409)["code"] == "inspector-exists"

    body = {
        "region": LANGXI,
        "period_start": "2027-01-01",
        "period_end": "2027-12-31",
        "seed": "api-2027",
        "triggered": [flagged],
    }
    keyed = {**county, "Idempotency-Key": "plan-2027-langxi"}
    created = client.post("/api/v1/inspection-plans", json=body, headers=keyed)
    retried = client.post("/api/v1/inspection-plans", json=body, headers=keyed)

    assert created.status_code == 201, created.get_data(as_text=True)
    assert retried.get_json() == created.get_json()  # the same plan, not a second draw
    too_long = client.post(
        "/api/v1/inspection-plans", json=body, headers={**county, "Idempotency-Key": "k" * 101}
    )
    assert problem(too_long, 422)["errors"] == {"Idempotency-Key": ["1–100 characters"]}
    plan = created.get_json()
    assert plan["seed"] == "api-2027" and len(plan["population_digest"]) == 64
    assert len(plan["items"]) == 3  # the triggered B entity and the two D entities
    by_identifier = {i["entity"]["identifier"]: i for i in plan["items"]}
    assert by_identifier[flagged]["triggered"] is True and by_identifier[flagged]["tier"] == "B"
    assert by_identifier[severe]["tier"] == "D"
    masked = [i for i in plan["items"] if i["entity"]["identifier"] not in (flagged, severe)]
    assert len(masked) == 1 and "*" in masked[0]["entity"]["identifier"]
    for item in plan["items"]:
        assert sorted(x["id"] for x in item["inspectors"]) == sorted(inspectors[:2])

    fetched = client.get(f"/api/v1/inspection-plans/{plan['id']}", headers=auth("viewer"))
    assert fetched.status_code == 200 and fetched.get_json() == plan
    other_county = auth("regulator", region=XUANZHOU)
    assert problem(client.get(f"/api/v1/inspection-plans/{plan['id']}", headers=other_county), 403)

    export = client.get(f"/api/v1/inspection-plans/{plan['id']}/export.csv", headers=county)
    assert export.status_code == 200
    text, rows = read_csv(export)
    assert text.startswith("\ufeff") and rows[0][:2] == ["position", "identifier"]
    assert len(rows) == 4 and person["identifier"] not in text

    result_url = (
        f"/api/v1/inspection-plans/{plan['id']}/items/{by_identifier[flagged]['id']}/result"
    )
    passed_with_record = client.post(
        result_url,
        json={
            "outcome": "passed",
            "note": "无问题",
            "record": {"item_code": PENALTY_ITEM, "fields": penalty_fields()},
        },
        headers=county,
    )
    assert problem(passed_with_record, 422)
    found = client.post(
        result_url,
        json={
            "outcome": "problems_found",
            "note": "发现假冒专利标识",
            "record": {"item_code": PENALTY_ITEM, "fields": penalty_fields()},
        },
        headers=county,
    )
    assert found.status_code == 200, found.get_data(as_text=True)
    item = found.get_json()
    assert item["outcome"] == "problems_found" and item["record_id"]
    record = client.get(f"/api/v1/records/{item['record_id']}", headers=county).get_json()
    assert record["item_code"] == PENALTY_ITEM
    tier = client.get(f"/api/v1/entities/{flagged}/tier", headers=county).get_json()
    assert tier["tier"] == "C"
    viewer = client.post(result_url, json={"outcome": "passed", "note": ""}, headers=auth("viewer"))
    assert problem(viewer, 403)["code"] == "role-forbidden"


def test_inspection_endpoints_are_not_for_enterprises_or_anonymous_callers(client, ctx, auth):
    enterprise = auth("enterprise", uscc=create_entity(ctx)["identifier"])
    for method, url in (
        ("get", "/api/v1/inspectors"),
        ("post", "/api/v1/inspection-plans"),
        ("get", "/api/v1/inspection-plans/1"),
        ("get", "/api/v1/inspection-plans/1/export.csv"),
        ("post", "/api/v1/inspection-plans/1/items/1/result"),
    ):
        kwargs = {"json": {}} if method == "post" else {}
        assert problem(getattr(client, method)(url, **kwargs), 401)
        assert problem(getattr(client, method)(url, headers=enterprise, **kwargs), 403)

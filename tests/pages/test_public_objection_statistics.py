"""The objections section of the public statistics page (both databases): its summary,
charts and tables, and its two downloads (CSV with a Chinese header, JSON with codes)
holding the charted numbers and no objector."""

from __future__ import annotations

import re

import pytest

from credit_service.objections import services as objections
from tests.factories import LANGXI, XUANZHOU, create_entity
from tests.integration.test_objection_statistics import objection_by
from tests.integration.test_repair import CITY_REGULATOR
from tests.pages.test_public_pages import BAR, MONTH, TODAY, download, get_page

HEADER = [
    "收到异议",
    "受理",
    "办结",
    "不予受理",
    "异议成立",
    "异议部分成立",
    "异议不成立",
    "按期办结",
    "逾期办结",
    "异议办理用时中位数（工作日）",
]


def objection(ctx, clock, region: str, *taken: tuple[str, dict]) -> dict:
    """An enterprise's objection to its own record today, taken through ``taken``."""
    owner = create_entity(ctx, region_code=region, name=f"宣城异议{region}科技有限公司")
    objection_id = objection_by(ctx, clock, TODAY, owner)
    for step, details in taken:
        objections.take_step(
            ctx, CITY_REGULATOR, objection_id, step, reason="经核查", details=details
        )
    return owner


@pytest.fixture
def objected(ctx, clock) -> dict[str, dict]:
    """Today: one upheld in 宣州区, one refused and one waiting in 郎溪县."""
    return {
        "upheld": objection(ctx, clock, XUANZHOU, ("accept", {}), ("uphold", {})),
        "refused": objection(ctx, clock, LANGXI, ("refuse", {"refusal_reason": "repeat"})),
        "waiting": objection(ctx, clock, LANGXI),
    }


def test_the_page_shows_the_objection_figures(client, objected):
    html = get_page(client, "/statistics")
    assert "异议处理情况" in html
    assert re.search(r"近12个月收到异议</dt><dd class=\"stat\">3</dd>", html)
    assert "按期办结 2/2" in html and "异议成立或部分成立 1件" in html
    bars = {(c, s): v for c, s, v in BAR.findall(html)}
    assert bars[MONTH, "收到异议"] == "3" and bars[MONTH, "办结"] == "2"
    assert bars[MONTH, "异议成立"] == "1" and bars[MONTH, "不予受理"] == "1"
    assert bars[MONTH, "按期办结"] == "2" and bars[MONTH, "逾期办结"] == "0"
    assert bars["郎溪县", "收到异议"] == "2" and bars["宣州区", "按期办结"] == "1"
    for name in ("objection-monthly", "objection-regions"):
        assert f'href="/statistics/{name}.csv"' in html
        assert f'href="/statistics/{name}.json"' in html
    for owner in objected.values():  # counts only
        assert owner["name"] not in html and owner["identifier"] not in html


def test_the_objection_csv_holds_the_charted_numbers(client, objected):
    charted = {(c, s): v for c, s, v in BAR.findall(get_page(client, "/statistics"))}
    _, rows = download(client, "/statistics/objection-monthly.csv")
    assert rows[0] == ["月份", *HEADER]
    assert rows[-1] == [MONTH, "3", "1", "2", "1", "1", "0", "0", "2", "0", "0"]
    _, rows = download(client, "/statistics/objection-regions.csv")
    assert rows[0] == ["地区", *HEADER]
    by_region = {r[0]: r[1:] for r in rows[1:]}
    assert by_region["宣州区"] == ["1", "1", "1", "0", "1", "0", "0", "1", "0", "0"]
    assert by_region["郎溪县"] == ["2", "0", "1", "1", "0", "0", "0", "1", "0", "0"]
    assert by_region["宁国市"] == ["0"] * 9 + [""]  # no median of nothing
    for region, row in by_region.items():
        for label, value in zip(HEADER, row, strict=True):
            if (region, label) in charted:
                assert charted[region, label] == value
    text, _ = download(client, "/statistics/objection-regions.csv")
    for owner in objected.values():
        assert owner["name"] not in text and owner["identifier"] not in text


def test_the_objection_json_has_codes_and_labels(client, objected):
    response = client.get("/statistics/objection-monthly.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    assert body["dataset"] == "objection-monthly" and body["as_of"] == "2026-11-25"
    assert [c["code"] for c in body["columns"]] == [
        "received",
        "accepted",
        "decided",
        "refused",
        "upheld",
        "partly_upheld",
        "not_upheld",
        "on_time",
        "late",
        "median_workdays",
    ]
    assert [c["label"] for c in body["columns"]] == HEADER
    november = body["rows"][-1]
    assert november["key"] == MONTH and november["received"] == 3
    assert november["on_time"] == 2 and november["median_workdays"] == 0
    assert body["rows"][0]["median_workdays"] is None

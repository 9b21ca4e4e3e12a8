"""What every page shares: the strings, the menus, the charts, the error pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from credit_service.access import ROLES
from credit_service.catalogs.schema import DOMAINS
from credit_service.web import charts, i18n
from credit_service.web.errors import STATUSES
from credit_service.web.pages.navigation import MENUS
from tests.factories import bearer_for
from tests.pages.checks import assert_accessible, problems

TEMPLATES = Path(i18n.__file__).parent / "templates"
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z0-9_.]+)["']""")
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


# --- strings --------------------------------------------------------------------------------


def test_every_string_a_template_names_exists():
    used = {
        key
        for path in TEMPLATES.rglob("*.html")
        for key in LITERAL_KEY.findall(path.read_text(encoding="utf-8"))
    }
    used = {key for key in used if not key.endswith(".")}  # t("role." ~ name): below
    used |= {label for entries in MENUS.values() for _, label in entries}
    used |= {f"role.{role}" for role in ROLES} | {f"domain.{d}" for d in DOMAINS}
    used |= {f"error_page.title.{status}" for status in STATUSES}
    missing = sorted(used - set(i18n.messages()))
    assert not missing, missing


def test_a_key_defined_twice_is_refused(tmp_path, monkeypatch):
    (tmp_path / "zh").mkdir()
    (tmp_path / "zh" / "a.yaml").write_text("x.y: 一\n", encoding="utf-8")
    (tmp_path / "zh" / "b.yaml").write_text("x.y: 二\n", encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALES", tmp_path)
    i18n.messages.cache_clear()
    try:
        with pytest.raises(ValueError, match="x.y"):
            i18n.messages()
    finally:
        monkeypatch.undo()
        i18n.messages.cache_clear()


def test_missing_keys_show_the_default_or_the_key_and_values_fill_placeholders():
    assert i18n.translate("no.such.key") == "no.such.key"
    assert i18n.translate("no.such.key", default="备用") == "备用"
    assert i18n.translate("site.name") == "宣城市知识产权信用监管服务"


# --- charts ---------------------------------------------------------------------------------


def test_nice_ceilings():
    assert [charts.nice_ceiling(v) for v in (0, 3, 7, 12, 26, 180, 1000)] == [
        1,
        5,
        10,
        20,
        50,
        200,
        1000,
    ]


def test_bars_are_proportional_to_their_values_and_stack():
    grouped = charts.bar_chart(
        "g",
        "新增与移出",
        ["1月", "2月"],
        [charts.Series("新增", (4, 2)), charts.Series("移出", (1, 0))],
    )
    heights = [b.height for b in grouped.bars]
    assert heights[0] == pytest.approx(heights[1] * 4)  # 4 against 1 in January
    assert heights[2] == pytest.approx(heights[0] / 2) and heights[3] == 0
    stacked = charts.bar_chart(
        "s",
        "按地区",
        ["宣州区"],
        [charts.Series("A", (3,)), charts.Series("B", (2,))],
        stacked=True,
    )
    lower, upper = stacked.bars
    assert upper.y + upper.height == pytest.approx(lower.y)  # B sits on A
    assert stacked.rows == [("宣州区", [3, 2])]
    assert "A最高为宣州区（3）" in stacked.summary


@pytest.mark.parametrize(
    ("values", "ticks"),
    [
        ((1, 3), ["0", "1", "2", "3", "4", "5"]),  # small counts: whole steps
        ((7, 2), ["0", "2", "4", "6", "8", "10"]),  # 10 / 4 would be 2.5
        ((19,), ["0", "5", "10", "15", "20"]),
        ((0.3, 0.1), ["0", "0.125", "0.25", "0.375", "0.5"]),  # fractions stay fractions
    ],
)
def test_axes_of_counts_have_whole_gridlines(values, ticks):
    chart = charts.bar_chart(
        "t", "计数", [str(n) for n in range(len(values))], [charts.Series("数", values)]
    )
    axis = [label.text for label in chart.labels if label.anchor == "end"]
    assert axis == ticks


def test_horizontal_bars_grow_along_x():
    chart = charts.bar_chart(
        "h",
        "按行业",
        ["制造业", "批发和零售业"],
        [charts.Series("主体数", (10, 5))],
        horizontal=True,
    )
    first, second = chart.bars
    assert first.width == pytest.approx(second.width * 2) and first.y < second.y


def test_a_long_category_is_cut_on_the_axis_only():
    long_name = "科学研究和技术服务业"  # ten characters: more than the label column holds
    chart = charts.bar_chart(
        "h", "按行业", ["制造业", long_name], [charts.Series("主体数", (3, 4))], horizontal=True
    )
    axis = {label.text: label.full for label in chart.labels if label.anchor == "end"}
    assert axis == {"制造业": "", "科学研究和技术…": long_name}  # the whole name as its tooltip
    assert [category for category, _ in chart.rows] == ["制造业", long_name]  # the table
    assert chart.bars[1].label.startswith(long_name)


def test_a_series_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match="series"):
        charts.bar_chart("x", "错", ["a", "b"], [charts.Series("s", (1,))])


def test_a_rendered_chart_is_described_and_has_its_table(app):
    chart = charts.bar_chart("demo", "示例图", ["甲", "乙"], [charts.Series("数量", (2, 3))])
    with app.test_request_context():
        template = app.jinja_env.from_string(
            '{% from "_charts.html" import chart %}<!doctype html><html lang="zh-CN"><body>'
            "<h1>图</h1>{{ chart(c) }}</body></html>"
        )
        html = template.render(c=chart)
    assert_accessible(html)
    assert 'role="img"' in html and '<title id="demo-title">示例图</title>' in html
    assert "<td>3</td>" in html


# --- the accessibility checker itself ---------------------------------------------------------


def test_the_checker_finds_what_is_missing():
    html = (
        '<html lang="en"><body><h1>a</h1><h1>b</h1><input name="q"><img src="x.png">'
        '<table><tr><td>1</td></tr></table><p style="color:red">x</p></body></html>'
    )
    found = problems(html)
    assert "html lang is 'en'" in found and "2 h1 headings" in found
    assert "unlabelled input name='q'" in found and "image without alt: x.png" in found
    assert "a table without header cells" in found
    assert any("inline style" in p for p in found)


# --- layout, menus and error pages ------------------------------------------------------------


def test_the_home_page_is_public_accessible_and_marks_the_current_menu_entry(client):
    response = client.get("/", headers=BROWSER)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert_accessible(html)
    assert 'aria-current="page">首页' in html
    assert "监管工作台" not in html  # no console menu for the public


def test_staff_see_the_console_menu_and_an_enterprise_its_portal(client, ctx):
    staff = client.get("/console", headers={**BROWSER, **bearer_for(ctx, "regulator")})
    assert staff.status_code == 200
    html = staff.get_data(as_text=True)
    assert_accessible(html)
    assert 'aria-label="监管工作台"' in html and "企业服务" not in html


def test_a_browser_that_must_sign_in_is_sent_to_the_sign_in_page(client):
    response = client.get("/console?x=1", headers=BROWSER)
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in?next=/console?x%3D1"


def test_a_browser_gets_an_html_error_page_and_an_api_client_problem_json(client, ctx):
    page = client.get("/list/999999", headers=BROWSER)
    assert page.status_code == 404 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "页面不存在" in html
    assert_accessible(html)
    api = client.get("/api/v1/public/dishonesty-list/999999", headers=BROWSER)
    assert api.status_code == 404 and api.mimetype == "application/problem+json"
    forbidden = client.get("/console", headers={**BROWSER, **bearer_for(ctx, "checker")})
    assert forbidden.status_code == 403 and "无权访问" in forbidden.get_data(as_text=True)

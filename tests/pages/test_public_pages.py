"""The public pages through the Flask test client (both databases): the home page with its
figures and rules, the catalogs, the transparency statistics with their downloads, and the
reworked list pages; each page is checked for the accessibility basics."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from datetime import date

import pytest

from credit_service.access import SYSTEM, Actor
from credit_service.auth import services as auth_services
from credit_service.clock import local_noon
from credit_service.dishonesty import services as dishonesty
from credit_service.repair import services as repair
from tests.factories import CITY, LANGXI, XUANZHOU, create_entity, file_penalty, step_papers
from tests.pages.checks import assert_accessible

BROWSER = {"Accept": "text/html"}
HEAVIER = ["罚款", "责令停产停业"]
REGULATOR = Actor(role="regulator", username="r-pages", region_code=CITY, city_code=CITY)
TODAY = date(2026, 11, 25)
MONTH = "2026-11"
UNTRANSLATED = re.compile(r"\bpublic\.[a-z_]+\.[a-z_.]+")
DATASETS = ("list-monthly", "list-regions", "repair-monthly", "repair-regions")
BAR = re.compile(r"<rect [^>]*><title>([^<·]+) · ([^<：]+)：([0-9.]+)</title></rect>")


def get_page(client, url: str) -> str:  # type: ignore[no-untyped-def]
    """A page that renders, passes the accessibility checks and shows no missing string."""
    response = client.get(url, headers=BROWSER)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert_accessible(html)
    assert not UNTRANSLATED.findall(html), UNTRANSLATED.findall(html)
    assert "<built-in" not in html and "Undefined" not in html
    return html


def listed(ctx, region: str = XUANZHOU, **entity) -> tuple[dict, dict]:
    """An organisation listed and published today."""
    owner = create_entity(ctx, region_code=region, **entity)
    record = file_penalty(ctx, owner["identifier"], CF_CFLB=HEAVIER)
    case = dishonesty.propose(
        ctx, REGULATOR, entity=owner["identifier"], record_ids=[record["id"]], reason="拟列入"
    )
    for step in ("serve_notice", "waive", "decide_list", "publish"):
        case = dishonesty.advance(ctx, REGULATOR, case["id"], step, **step_papers(step))
    return owner, case


def granted_repair(ctx, region: str = LANGXI) -> dict:
    """A general penalty repaired today: submitted, accepted and granted at once."""
    owner = create_entity(ctx, region_code=region)
    record = file_penalty(ctx, owner["identifier"], CF_JDRQ="2026-03-15")
    username = f"pages-{owner['identifier'][-8:]}"
    auth_services.create_user(
        ctx,
        SYSTEM,
        username=username,
        display_name=username,
        role="enterprise",
        uscc=owner["identifier"],
    )
    enterprise = Actor(
        role="enterprise", username=username, uscc=owner["identifier"], city_code=CITY
    )
    view, _ = repair.apply(
        ctx,
        enterprise,
        target=f"record:{record['id']}",
        reason="已纠正失信行为",
        measures_taken="已缴纳罚款",
        obligations_performed=True,
        commitment_version=ctx.repair_rules.commitment_version,
        contact="李四 13900000000",
    )
    repair.review(ctx, REGULATOR, view["id"], "accept")
    return repair.review(ctx, REGULATOR, view["id"], "grant", reason="准予修复")


@pytest.fixture
def figures(ctx, clock) -> dict[str, dict]:
    """Two listings today (one removed again as corrected) and a repair granted today."""
    kept, _ = listed(ctx, name="宣城统计光电科技有限公司")
    corrected, case = listed(ctx, region=LANGXI)
    dishonesty.advance(
        ctx, REGULATOR, case["id"], "remove", reason="列入有误", removal_reason="corrected"
    )
    return {"kept": kept, "corrected": corrected, "repair": granted_repair(ctx)}


def download(client, url: str) -> tuple[str, list[list[str]]]:  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    text = response.get_data(as_text=True)
    return text, list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


# --- home -------------------------------------------------------------------------------------


def test_the_home_page_explains_the_list_and_repair_with_the_rules_values(client, ctx, figures):
    html = get_page(client, "/")
    assert html.count("<h1") == 1
    assert re.search(r"目前在列主体</dt><dd class=\"stat\">1</dd>", html)
    assert re.search(r"近12个月列入</dt><dd class=\"stat\">2</dd>", html)
    assert re.search(r"近12个月移出</dt><dd class=\"stat\">1</dd>", html)
    rules, repair_rules = ctx.list_rules, ctx.repair_rules
    for name in rules.grounds.values():
        assert name in html
    assert f"{rules.statement_window_workdays}个工作日" in html  # 5
    assert f"{rules.publication_deadline_workdays}个工作日" in html  # 20
    assert "公示期：3年" in html and "列入名单满1年" in html
    for days in (repair_rules.acceptance_workdays, repair_rules.decision_workdays):
        assert f'<td data-label="期限">{days}个工作日</td>' in html  # 3, 10
    assert f"{repair_rules.listing_decision_workdays}个工作日" in html  # 15
    assert "一般失信信息3个月，严重失信信息1年" in html
    for material in (*repair_rules.materials["record"], *repair_rules.materials["listing"]):
        assert material in html
    assert "每份不超过10MB，每件申请最多10份" in html
    for href in ("/list", "/list/notices", "/catalogs", "/statistics", "/sign-in"):
        assert f'href="{href}"' in html
    assert 'href="/enterprise/register"' in html


def test_the_home_page_follows_the_rules_files(client, ctx, monkeypatch):
    """No deadline is written into the template: a changed rules file changes the page."""
    changed = replace(ctx.repair_rules, acceptance_workdays=4, decision_workdays=12)
    monkeypatch.setattr(ctx, "repair_rules", changed)
    html = get_page(client, "/")
    assert '<td data-label="期限">4个工作日</td>' in html
    assert '<td data-label="期限">12个工作日</td>' in html
    assert '<td data-label="期限">3个工作日</td>' not in html


# --- catalogs ---------------------------------------------------------------------------------


def test_the_catalogs_page_lists_the_three_domains(client):
    html = get_page(client, "/catalogs")
    for title, domain in (
        ("专利领域信用信息基础目录", "patent"),
        ("商标领域信用信息基础目录", "trademark"),
        ("地理标志领域信用信息基础目录", "geographical_indication"),
    ):
        assert title in html and f'href="/catalogs/{domain}"' in html
    assert html.index("专利领域信用") < html.index("商标领域信用") < html.index("地理标志领域信用")
    assert "失信信息" in html and "守信信息" in html and "向社会公开" in html


def test_a_domain_page_groups_its_items_by_category(client, ctx):
    html = get_page(client, "/catalogs/patent")
    catalog = ctx.catalogs.catalogs["patent"]
    for item in catalog.items:
        assert f'href="/catalogs/patent/items/{item.code}">{item.name}</a>' in html
    assert html.index('id="category-dishonest"') < html.index('id="category-trustworthy"')
    assert "最短6个月，最长1年" in html  # a CNIPA finding
    assert "按处罚轻重确定：一般失信3个月至1年，严重失信1年至3年" in html  # a penalty
    assert 'class="stack"' in html and 'data-label="公示期限"' in html


def test_an_item_page_shows_basis_authority_disclosure_periods_and_fields(client, ctx):
    html = get_page(client, "/catalogs/patent/items/PAT-DIS-ABNORMAL-APPLICATION")
    item = next(
        i for i in ctx.catalogs.catalogs["patent"].items if i.code == "PAT-DIS-ABNORMAL-APPLICATION"
    )
    for basis in item.legal_basis:
        assert f"《{basis['instrument']}》{basis['article']}" in html
    assert item.provider in html and "向社会公开" in html and "非正常专利申请" in html
    assert "最短6个月，最长1年" in html and "5年（默认）" in html
    assert "措施期限：一般1年，最长3年" in html
    for measure in item.measures:
        assert ctx.catalogs.measures[measure].name in html
    for spec in item.fields:
        assert f'<td data-label="字段">{spec.label}</td>' in html
    assert 'data-label="可选值"' in html


@pytest.mark.parametrize(
    "url", ["/catalogs/copyright", "/catalogs/patent/items/NO-SUCH-ITEM", "/catalogs/x/items/y"]
)
def test_an_unknown_domain_or_item_is_a_404_page(client, url):
    response = client.get(url, headers=BROWSER)
    assert response.status_code == 404 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "页面不存在" in html
    assert_accessible(html)


# --- statistics -------------------------------------------------------------------------------


def test_the_statistics_page_shows_the_figures_as_charts_and_tables(client, figures):
    html = get_page(client, "/statistics")
    assert "统计期间：2025-12-01至2026-11-25" in html
    assert re.search(r"目前在列主体</dt><dd class=\"stat\">1</dd>", html)
    # two list charts by month, three objection charts by month, one each for the rest
    # (credit reports issued by month the last)
    assert html.count('role="img"') == 10
    bars = {(c, s): v for c, s, v in BAR.findall(html)}
    assert bars[MONTH, "列入"] == "2" and bars[MONTH, "移出合计"] == "1"
    assert bars[MONTH, "列入错误予以更正"] == "1" and bars[MONTH, "公示期届满移出"] == "0"
    assert bars["宣州区", "2026-11-25在列"] == "1"
    assert bars["郎溪县", "办结申请"] == "1" and bars["郎溪县", "按期作出决定"] == "1"
    assert "按期受理 1/1" in html  # and decided the day it came in:
    assert re.search(r'<dd class="stat">0</dd><dd>个工作日</dd>', html)
    for name in DATASETS:
        assert f'href="/statistics/{name}.csv"' in html
        assert f'href="/statistics/{name}.json"' in html
    assert figures["kept"]["name"] not in html  # counts only


def test_every_csv_has_a_bom_a_chinese_header_and_the_charted_numbers(client, figures):
    charted = {(c, s): v for c, s, v in BAR.findall(get_page(client, "/statistics"))}
    seen = 0
    for name in (*DATASETS, "objection-monthly", "objection-regions", "report-monthly"):
        text, rows = download(client, f"/statistics/{name}.csv")
        assert text.startswith("\ufeff")
        header, *body = rows
        assert header[0] in ("月份", "地区")
        for row in body:
            for label, value in zip(header[1:], row[1:], strict=True):
                if (row[0], label) in charted:
                    assert charted[row[0], label] == value, (name, row[0], label)
                    seen += 1
    assert seen == len(charted)  # every bar is a cell of a download


def test_the_csv_downloads_hold_the_figures(client, figures):
    _, rows = download(client, "/statistics/list-monthly.csv")
    header = rows[0]
    assert header == [
        "月份",
        "列入",
        "移出合计",
        "公示期届满移出",
        "信用修复提前移出",
        "所依据的行政处罚决定被撤销",
        "列入错误予以更正",
        "异议成立予以移出",
    ]
    assert [r[0] for r in rows[1:]] == ["2025-12", *(f"2026-{m:02d}" for m in range(1, 12))]
    assert rows[-1] == [MONTH, "2", "1", "0", "0", "0", "1", "0"]
    _, rows = download(client, "/statistics/repair-regions.csv")
    assert rows[0] == [
        "地区",
        "办结申请",
        "按期作出受理决定",
        "受理后作出决定",
        "按期作出决定",
        "办理用时中位数（工作日）",
    ]
    by_region = {r[0]: r[1:] for r in rows[1:]}
    assert by_region["郎溪县"] == ["1", "1", "1", "1", "0"]
    assert by_region["宣州区"] == ["0", "0", "0", "0", ""]  # no median of nothing
    assert by_region["宣城市（市本级）"] == ["0", "0", "0", "0", ""]


def test_the_json_download_has_codes_labels_and_the_same_rows(client, figures):
    response = client.get("/statistics/list-regions.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    assert body["dataset"] == "list-regions" and body["as_of"] == "2026-11-25"
    assert body["since"] == "2025-12-01"
    assert {"code": "on_list", "label": "2026-11-25在列"} in body["columns"]
    rows = {r["key"]: r for r in body["rows"]}
    assert rows["宣州区"]["added"] == 1 and rows["宣州区"]["on_list"] == 1
    assert rows["郎溪县"]["removed_corrected"] == 1 and rows["郎溪县"]["on_list"] == 0


@pytest.mark.parametrize("url", ["/statistics/nothing.csv", "/statistics/nothing.json"])
def test_an_unknown_dataset_is_404(client, url):
    assert client.get(url, headers=BROWSER).status_code == 404
    assert client.get("/statistics/list-monthly.xlsx").status_code == 404


def test_the_statistics_page_of_an_empty_service(client):
    html = get_page(client, "/statistics")
    assert re.search(r"办理用时中位数</dt>\s*<dd class=\"stat\">—</dd>", html)


# --- the list pages ---------------------------------------------------------------------------


def test_the_list_entry_and_notices_pages_stack_on_phones(client, figures):
    html = get_page(client, "/list")
    assert '<table class="stack">' in html
    assert f'<td data-label="统一社会信用代码">{figures["kept"]["identifier"]}</td>' in html
    assert '<td data-label="列入日期">2026-11-25</td>' in html
    for name in ("f-q", "f-uscc", "f-region", "f-domain", "f-ground"):
        assert f'<label for="{name}">' in html
    entry = re.search(r'href="/list/(\d+)"', html).group(1)
    html = get_page(client, f"/list/{entry}")
    assert "公示截止日期" in html and "2029-11-25" in html
    assert "列入满1年且符合条件的" in html
    html = get_page(client, "/list/notices")
    kinds = re.findall(r'<span class="badge badge-(?:bad|ok)">(列入|移出)</span>', html)
    assert kinds[0] == "移出" and "列入" in kinds  # newest first: the correction came last
    assert "移出严重失信主体名单（列入错误予以更正）。" in html


def test_the_list_page_links_to_both_downloads_of_the_whole_list(client, figures):
    html = get_page(client, "/list")
    downloads = html.split('<p class="downloads">', 1)[1].split("</p>", 1)[0]
    links = dict(
        (label, url) for url, label in re.findall(r'<a href="([^"]+)">([^<]+)</a>', downloads)
    )
    assert links["CSV"] == "/api/v1/public/dishonesty-list/export.csv"
    assert links["JSON"] == "/api/v1/public/dishonesty-list/export.json"
    text, rows = download(client, links["CSV"])
    assert text.startswith("\ufeff")
    assert [figures["kept"]["identifier"] in row for row in rows[1:]] == [True]
    entries = client.get(links["JSON"]).get_json()
    assert [e["uscc"] for e in entries] == [figures["kept"]["identifier"]]  # not the corrected


def test_a_bad_filter_is_flagged_in_chinese(client):
    html = get_page(client, "/list?uscc=123&region=999999")
    assert "统一社会信用代码应为18位" in html
    assert 'id="f-region" name="region" aria-invalid="true"' in html
    assert "请选择列表中的选项" in html
    html = get_page(client, "/list?cursor=garbage")
    assert "翻页参数无效，请重新查询" in html


def test_an_empty_list_and_feed_say_so(client):
    assert "没有符合条件的名单主体。" in get_page(client, "/list")
    assert "暂无公告。" in get_page(client, "/list/notices")


def test_the_public_menu_offers_catalogs_and_statistics(client):
    html = get_page(client, "/catalogs")
    assert 'href="/statistics">统计公开</a>' in html
    assert 'aria-current="page">信用信息目录</a>' in html
    html = get_page(client, "/statistics")
    assert 'aria-current="page">统计公开</a>' in html


def test_the_public_page_on_the_clock(client, clock):
    """Dates follow the service's clock (Asia/Shanghai), not the machine's."""
    clock.set(local_noon(date(2027, 1, 4)))
    html = get_page(client, "/statistics")
    assert "统计期间：2026-02-01至2027-01-04" in html


def test_list_pages_for_visitors_are_rendered_once_per_version_and_revalidate(
    client, ctx, clock, auth
):
    owner, _ = listed(ctx)
    first = client.get("/list", headers=BROWSER)
    assert first.status_code == 200 and owner["name"] in first.get_data(as_text=True)
    assert first.headers["Cache-Control"] == "public, no-cache"
    kept = len(ctx.extras["public_answers"])
    again = client.get("/list", headers={**BROWSER, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and len(ctx.extras["public_answers"]) == kept

    newcomer, _ = listed(ctx, LANGXI)  # the same moment: seen at once
    fresh = client.get("/list", headers=BROWSER)
    assert fresh.headers["ETag"] != first.headers["ETag"]
    assert newcomer["name"] in fresh.get_data(as_text=True)

    signed_in = client.get("/list", headers={**BROWSER, **auth("viewer")})
    assert "public" not in signed_in.headers.get("Cache-Control", "")
    assert "退出登录" in signed_in.get_data(as_text=True)  # the user's own header
    assert "退出登录" not in client.get("/list", headers=BROWSER).get_data(as_text=True)

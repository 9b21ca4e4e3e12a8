"""Removals the public can confirm (D22), both databases: a removed entry's address and
the name and USCC searches answer "removed" (when, why, by whom, none of the listing's
facts) for a year, then 410; one stream of addition and removal notices, newest first,
with their text, as a page, JSON and Atom; the entry's print view. A natural person is
masked in all of them (D12)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from xml.etree import ElementTree

import pytest
from sqlalchemy import select

from credit_service.access import SYSTEM
from credit_service.clock import local_noon
from credit_service.dishonesty.models import DishonestyCase, ListChange
from credit_service.records import services as record_services
from credit_service.records.models import CreditRecord
from tests.api.test_public_list import LIST, decided, fetch, ids, no_script, ok, publish
from tests.factories import LANGXI, XUANZHOU, create_entity, create_person
from tests.pages.checks import assert_accessible
from tests.pages.language import raw_strings

BROWSER = {"Accept": "text/html"}
ATOM = "{http://www.w3.org/2005/Atom}"
REMOVED_ON = date(2026, 12, 2)
OFFICE = "宣城市市场监督管理局（宣城市知识产权局）"
REMOVED_FIELDS = {
    "id",
    "status",
    "name",
    "kind",
    "uscc",
    "decision_no",
    "removed_on",
    "removal_reason",
    "removal_reason_text",
    "authority",
    "answered_until",
}


def on(clock, day: date) -> None:  # type: ignore[no-untyped-def]
    clock.set(local_noon(day))


@pytest.fixture
def removed(ctx, clock):  # type: ignore[no-untyped-def]
    """An organisation and a natural person listed on 2026-11-26 and removed on 2026-12-02
    (their penalties revoked), and an organisation still listed; the clock ends there."""
    org = create_entity(ctx, name="宣城移出测试光电科技有限公司", region_code=XUANZHOU)
    person = create_person(
        ctx, name="欧阳明华", region_code=XUANZHOU, phone="13912345678", address="宣州区鳌峰路8号"
    )
    kept = create_entity(ctx, name="郎溪仍在名单商标代理有限公司", region_code=LANGXI)
    cases = {
        "org": decided(ctx, org),
        "person": decided(ctx, person),
        "kept": decided(ctx, kept, "TM-PEN-AGENCY", CF_WFXW="商标代理违法行为"),
    }
    on(clock, date(2026, 11, 26))
    for case in cases.values():
        publish(ctx, case)
    on(clock, REMOVED_ON)
    for name in ("org", "person"):
        record_services.revoke_record(
            ctx, SYSTEM, cases[name]["record_id"], reason="行政复议撤销原处罚决定"
        )
    owners = {"org": org, "person": person, "kept": kept}
    return {name: {**owners[name], "case": cases[name]} for name in owners}


def facts_of(ctx, case: dict) -> list[str]:  # type: ignore[no-untyped-def]
    """What the listing said that its removed answer must not: grounds, penalties, measures,
    basis."""
    with ctx.read_session_factory() as session:
        row = session.get(DishonestyCase, case["id"])
        refs = session.execute(
            select(CreditRecord.source_ref).where(CreditRecord.id.in_(row.record_ids))
        ).scalars()
        measures = [ctx.catalogs.measures[m].name for m in row.measures]
        return [
            *(ctx.list_rules.grounds[g] for g in row.grounds),
            *refs,
            *measures,
            ctx.list_rules.basis[0]["instrument"],
        ]


def page_of(client, url: str, status: int = 200) -> str:  # type: ignore[no-untyped-def]
    response = client.get(url, headers=BROWSER)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    html = response.get_data(as_text=True)
    no_script(html)
    assert_accessible(html)
    assert raw_strings(html) == [], raw_strings(html)
    return html


# --- the removed entry's address ----------------------------------------------------------------


def test_a_removed_entry_answers_for_a_year_then_410(ctx, clock, client, removed):
    case = removed["org"]["case"]
    url, page = f"{LIST}/{case['id']}", f"/list/{case['id']}"
    for day in (REMOVED_ON, REMOVED_ON + timedelta(days=364), date(2027, 12, 2)):
        on(clock, day)
        answer = ok(client.get(url)).get_json()
        assert set(answer) == REMOVED_FIELDS
        assert answer["status"] == "removed" and answer["removed_on"] == "2026-12-02"
        assert answer["removal_reason"] == "revoked"
        assert answer["removal_reason_text"] == "所依据的行政处罚决定被撤销"
        assert answer["authority"] == OFFICE and answer["answered_until"] == "2027-12-02"
        assert answer["uscc"] == removed["org"]["identifier"]
        assert answer["decision_no"] == case["decision_no"]
        html = page_of(client, page)
        assert "已移出" in html and "2026-12-02" in html and "所依据的行政处罚决定被撤销" in html
        assert removed["org"]["identifier"] in html and OFFICE in html

    on(clock, date(2027, 12, 3))
    gone = client.get(url)
    assert gone.status_code == 410 and gone.mimetype == "application/problem+json"
    assert gone.get_json()["code"] == "entry-gone"
    html = page_of(client, page, 410)
    assert "已不再公示" in html and removed["org"]["name"] not in html
    assert client.get(f"{page}/print", headers=BROWSER).status_code == 410

    for never in (f"{LIST}/999999", "/list/999999"):
        assert client.get(never, headers=BROWSER).status_code == 404


def test_the_removed_answer_holds_none_of_the_listings_facts(ctx, client, removed):
    case = removed["org"]["case"]
    facts = facts_of(ctx, case)
    assert facts and len(facts) >= 4
    for url in (f"{LIST}/{case['id']}", f"/list/{case['id']}", f"/list/{case['id']}/print"):
        text = ok(client.get(url, headers=BROWSER)).get_data(as_text=True)
        for fact in facts:
            assert fact not in text, (url, fact)
    found = ok(client.get(LIST, query_string={"q": "移出测试"})).get_json()["items"]
    assert [set(e) for e in found] == [REMOVED_FIELDS]


def test_a_term_ended_without_the_expiry_job_answers_removed_the_next_day(
    ctx, clock, client, removed
):
    case = removed["kept"]["case"]
    ends = date.fromisoformat(ok(client.get(f"{LIST}/{case['id']}")).get_json()["term_ends_on"])
    on(clock, ends)
    assert ok(client.get(f"{LIST}/{case['id']}")).get_json()["status"] == "listed"
    on(clock, ends + timedelta(days=1))
    answer = ok(client.get(f"{LIST}/{case['id']}")).get_json()
    assert answer["status"] == "removed" and answer["removal_reason"] == "expired"
    assert answer["removed_on"] == (ends + timedelta(days=1)).isoformat()
    assert answer["removal_reason_text"] == "公示期届满移出"


# --- the search ---------------------------------------------------------------------------------


def test_name_and_uscc_search_find_a_removed_entry_for_the_year(ctx, clock, client, removed):
    org = removed["org"]
    case_id = org["case"]["id"]
    by_name = ok(client.get(LIST, query_string={"q": "移出测试"})).get_json()["items"]
    assert [(e["id"], e["status"], e["removed_on"]) for e in by_name] == [
        (case_id, "removed", "2026-12-02")
    ]
    assert ids(client.get(LIST, query_string={"uscc": org["identifier"]})) == [case_id]
    # a search by a listing's facts, or none at all, shows the list in force only
    for facts in ({}, {"ground": "intentional_infringement"}, {"domain": "patent"}):
        assert case_id not in ids(client.get(LIST, query_string={"limit": 100, **facts}))
    assert (
        ids(client.get(LIST, query_string={"q": "移出测试", "ground": "intentional_infringement"}))
        == []
    )
    # the person: never by name or ID number, as when listed
    person = removed["person"]
    assert ids(client.get(LIST, query_string={"q": person["name"]})) == []

    html = page_of(client, "/list?q=移出测试")
    assert "已移出（2026-12-02）" in html and f'href="/list/{case_id}"' in html

    on(clock, date(2027, 12, 3))
    assert ids(client.get(LIST, query_string={"q": "移出测试"})) == []
    assert ids(client.get(LIST, query_string={"uscc": org["identifier"]})) == []


# --- the notices ------------------------------------------------------------------------------


def notices(client, **args) -> dict:  # type: ignore[no-untyped-def]
    return ok(client.get(f"{LIST}/notices", query_string=args)).get_json()


def test_the_notices_are_one_stream_newest_first_with_their_text(ctx, client, removed):
    org, person, kept = removed["org"], removed["person"], removed["kept"]
    with ctx.session_factory.begin() as session:  # a mark 异议处理中: no notice
        session.add(
            ListChange(
                case_id=kept["case"]["id"],
                kind="marked",
                reason="objection",
                effective_on=REMOVED_ON,
                at=ctx.now(),
            )
        )
    items = notices(client, limit=100)["items"]
    assert [(n["entry_id"], n["kind"]) for n in items] == [
        (person["case"]["id"], "removed"),
        (org["case"]["id"], "removed"),
        (kept["case"]["id"], "added"),
        (person["case"]["id"], "added"),
        (org["case"]["id"], "added"),
    ]
    assert [n["effective_on"] for n in items] == ["2026-12-02"] * 2 + ["2026-11-26"] * 3
    removal, addition = items[1], items[4]
    assert removal["text"] == (
        f"经查，{org['name']}（统一社会信用代码：{org['identifier']}）"
        f"（列入决定书文号：{org['case']['decision_no']}）符合移出条件，{OFFICE}"
        "决定将其移出严重失信主体名单（所依据的行政处罚决定被撤销）。"
    )
    assert addition["text"].startswith(
        f"经查，{org['name']}（统一社会信用代码：{org['identifier']}）存在故意侵犯知识产权的严重失信行为。依据《"
    )
    assert addition["text"].endswith(
        f"{OFFICE}决定将其列入严重失信主体名单（{org['case']['decision_no']}）。"
    )
    assert all(n["authority"] == OFFICE for n in items)
    assert addition["url"] == f"http://localhost/list/{org['case']['id']}"
    assert items[0]["text"].startswith("经查，欧阳**（列入决定书文号：")


def test_the_notices_page_through_by_cursor(ctx, client, removed):
    pages, cursor = [], None
    while True:
        body = notices(client, limit=2, **({"cursor": cursor} if cursor else {}))
        pages.append([n["id"] for n in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert [len(p) for p in pages] == [2, 2, 1]
    flat = [i for p in pages for i in p]
    assert flat == [n["id"] for n in notices(client, limit=100)["items"]]
    assert client.get(f"{LIST}/notices", query_string={"cursor": "garbage"}).status_code == 422


def test_the_notices_page_shows_the_stream_in_pages(ctx, clock, client, removed):
    kept = removed["kept"]["case"]["id"]
    with ctx.session_factory.begin() as session:
        for n in range(20):  # more history than a page holds
            session.add(
                ListChange(
                    case_id=kept,
                    kind=("removed", "added")[n % 2],
                    reason="corrected" if n % 2 == 0 else None,
                    effective_on=date(2026, 10, 1) + timedelta(days=n),
                    at=ctx.now(),
                )
            )
    html = page_of(client, "/list/notices")
    dates = re.findall(r'<span class="notice-date">([0-9-]+)</span>', html)
    assert len(dates) == 20 and dates == sorted(dates, reverse=True) and dates[0] == "2026-12-02"
    assert "移出严重失信主体名单（所依据的行政处罚决定被撤销）。" in html
    assert f'href="/list/{removed["org"]["case"]["id"]}"' in html
    assert 'href="/list/notices.atom"' in html
    following = re.search(r'<a class="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    older = page_of(client, following)
    rest = re.findall(r'<span class="notice-date">([0-9-]+)</span>', older)
    assert len(rest) == 5 and rest[-1] == "2026-10-01" and max(rest) <= dates[-1]
    assert "最新公告" in older and 'class="next"' not in older
    assert "翻页参数无效" in page_of(client, "/list/notices?cursor=garbage")


def test_the_atom_feed_is_valid_atom(ctx, client, removed):
    response = ok(client.get("/list/notices.atom"))
    assert response.mimetype == "application/atom+xml"
    feed = ElementTree.fromstring(response.get_data())
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{required}").text, required
    assert feed.find(f"{ATOM}author/{ATOM}name").text == OFFICE
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert links == {
        "self": "http://localhost/list/notices.atom",
        "alternate": "http://localhost/list/notices",
    }
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 5
    api = notices(client, limit=100)["items"]
    for entry, notice in zip(entries, api, strict=True):
        for required in ("id", "title", "updated"):
            assert entry.find(f"{ATOM}{required}").text, required
        assert entry.find(f"{ATOM}link").get("href") == notice["url"]
        assert entry.find(f"{ATOM}summary").text == notice["text"]
    assert len({e.find(f"{ATOM}id").text for e in entries}) == 5
    assert entries[0].find(f"{ATOM}title").text == "移出：欧阳**"


# --- the print view ---------------------------------------------------------------------------


def test_the_print_view_says_when_and_where_it_was_printed(ctx, clock, client, removed):
    kept = removed["kept"]
    clock.set(local_noon(REMOVED_ON) + timedelta(hours=3, minutes=7))
    url = f"/list/{kept['case']['id']}"
    assert f'href="{url}/print"' in page_of(client, url)
    html = page_of(client, f"{url}/print")
    assert "打印时间（北京时间）" in html and "2026-12-02 15:07" in html
    assert f"http://localhost{url}" in html and "css/print.css" in html
    assert kept["name"] in html and kept["case"]["decision_no"] in html
    assert "从事严重违法专利、商标代理行为" in html

    removed_html = page_of(client, f"/list/{removed['org']['case']['id']}/print")
    assert "已移出" in removed_html and "所依据的行政处罚决定被撤销" in removed_html
    assert client.get("/list/999999/print", headers=BROWSER).status_code == 404


# --- natural persons (D12) ----------------------------------------------------------------------


def test_a_removed_natural_person_is_masked_everywhere(ctx, client, removed):
    person = removed["person"]
    case_id = person["case"]["id"]
    secrets = (person["name"], person["identifier"], "13912345678", "宣州区鳌峰路8号")
    urls = (
        f"{LIST}/{case_id}",
        f"/list/{case_id}",
        f"/list/{case_id}/print",
        f"{LIST}/notices",
        "/list/notices",
        "/list/notices.atom",
        f"{LIST}/changes",
    )
    for url in urls:
        text = ok(fetch(client, url, headers=BROWSER)).get_data(as_text=True)
        assert "欧阳**" in text, url
        for secret in secrets:
            assert secret not in text, (url, secret)
    answer = ok(client.get(f"{LIST}/{case_id}")).get_json()
    assert answer["uscc"] is None and answer["kind"] == "natural_person"

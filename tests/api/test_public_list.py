"""The public severe-dishonesty list through the Flask test client (both databases): search,
keyset pages, entries, downloads, the change feed, HTTP validators and caching, rate limits,
the no-JavaScript pages in Chinese, and what a natural person's entry may show (D12)."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from credit_service import identifiers, masking
from credit_service.access import SYSTEM, Actor
from credit_service.clock import local_noon
from credit_service.dishonesty import public, services
from credit_service.entities import services as entity_services
from credit_service.records import services as record_services
from credit_service.reports import services as report_services
from credit_service.web import create_app
from tests.factories import (
    CITY,
    LANGXI,
    XUANZHOU,
    create_entity,
    create_person,
    file_award,
    file_penalty,
    step_papers,
)

LIST = "/api/v1/public/dishonesty-list"
TRUSTWORTHY = "/api/v1/public/trustworthy-list"
# a checker asks for a report on each person: its verification is public (D21)
REPORT_CHECKER = Actor(role="checker", username="report-checker")
HEAVIER = ["罚款", "责令停产停业"]
REGULATOR = Actor(role="regulator", username="r-public-list", region_code=CITY, city_code=CITY)
TODAY = date(2026, 11, 25)


# --- helpers ----------------------------------------------------------------------------------


def on(clock, day: date) -> None:
    clock.set(local_noon(day))


def decided(ctx, owner: dict, item: str = "PAT-PEN-COUNTERFEIT", **fields) -> dict:
    """File a heavier penalty under ``item``, propose, serve, waive and decide today."""
    record = file_penalty(ctx, owner["identifier"], item, CF_CFLB=HEAVIER, **fields)
    case = services.propose(
        ctx, REGULATOR, entity=owner["identifier"], record_ids=[record["id"]], reason="依法拟列入"
    )
    for name in ("serve_notice", "waive", "decide_list"):
        case = services.advance(ctx, REGULATOR, case["id"], name, **step_papers(name))
    case["record_id"] = record["id"]
    return case


def publish(ctx, case: dict) -> dict:
    return services.advance(ctx, REGULATOR, case["id"], "publish")


def ok(response, status: int = 200):  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response


def fetch(client, url: str, **kwargs):  # type: ignore[no-untyped-def]
    """GET and read the (possibly streamed) body, so the stream closes inside the test."""
    response = client.get(url, **kwargs)
    response.get_data()
    response.close()
    return response


def ids(response) -> list[int]:
    return [e["id"] for e in ok(response).get_json()["items"]]


def read_csv(response) -> tuple[str, list[list[str]]]:
    text = ok(response).get_data(as_text=True)
    return text, list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def no_script(html: str) -> None:
    assert "<script" not in html.lower()
    assert not re.search(r"\son[a-z]+\s*=", html, re.I), "inline event handler"


def fresh_app(ctx, **limits: str):  # type: ignore[no-untyped-def]
    ctx.settings = ctx.settings.replace(**limits)
    application = create_app(context=ctx)
    application.testing = True
    return application


@pytest.fixture
def listed(ctx, clock):  # type: ignore[no-untyped-def]
    """Four entries published on four days (newest last); the clock ends on the fourth."""
    star = create_entity(ctx, name="宣城星河光电科技有限公司", region_code=XUANZHOU)
    agency = create_entity(ctx, name="郎溪远山商标代理有限公司", region_code=LANGXI)
    materials = create_entity(ctx, name="宣城星河新材料有限公司", region_code=XUANZHOU)
    person = create_person(ctx, name="欧阳明华", region_code=XUANZHOU)
    cases = [
        decided(ctx, star),
        decided(ctx, agency, "TM-PEN-AGENCY", CF_WFXW="商标代理违法行为"),
        decided(ctx, materials, "PAT-PEN-ABNORMAL-APPLICATION", CF_WFXW="非正常专利申请"),
        decided(ctx, person),
    ]
    for day, case in zip((26, 27, 30), cases[:3], strict=True):
        on(clock, date(2026, 11, day))
        publish(ctx, case)
    on(clock, date(2026, 12, 1))
    publish(ctx, cases[3])
    owners = {"star": star, "agency": agency, "materials": materials, "person": person}
    return {
        name: {**owner, "case": case}
        for (name, owner), case in zip(owners.items(), cases, strict=True)
    }


# --- no token; search -------------------------------------------------------------------------


def test_public_endpoints_need_no_token(client, listed):
    entry = listed["star"]["case"]["id"]
    for url in (
        LIST,
        f"{LIST}/{entry}",
        f"{LIST}/export.csv",
        f"{LIST}/export.json",
        f"{LIST}/changes",
        f"{LIST}/notices",
        "/list",
        f"/list/{entry}",
        f"/list/{entry}/print",
        "/list/notices",
        "/list/notices.atom",
    ):
        ok(fetch(client, url))


def test_search_lists_entries_newest_publication_first(client, listed):
    expected = [listed[k]["case"]["id"] for k in ("person", "materials", "agency", "star")]
    assert ids(client.get(LIST)) == expected


def test_search_by_name_substring_finds_organisations(client, listed):
    found = ids(client.get(LIST, query_string={"q": "星河"}))
    assert found == [listed["materials"]["case"]["id"], listed["star"]["case"]["id"]]
    assert ids(client.get(LIST, query_string={"q": "远山商标"})) == [listed["agency"]["case"]["id"]]
    assert ids(client.get(LIST, query_string={"q": "不存在的名称"})) == []


def test_a_natural_person_is_never_found_by_name_or_id_number(client, listed):
    person = listed["person"]
    assert ids(client.get(LIST, query_string={"q": "欧阳"})) == []
    assert ids(client.get(LIST, query_string={"q": person["name"]})) == []
    assert ids(client.get(LIST, query_string={"uscc": person["identifier"]})) == []


def test_search_by_uscc(client, listed):
    star = listed["star"]
    assert ids(client.get(LIST, query_string={"uscc": star["identifier"]})) == [star["case"]["id"]]
    assert ids(client.get(LIST, query_string={"uscc": star["identifier"].lower()})) == [
        star["case"]["id"]
    ]


def test_search_by_region_domain_and_ground(client, listed):
    case = {k: v["case"]["id"] for k, v in listed.items()}
    assert ids(client.get(LIST, query_string={"region": LANGXI})) == [case["agency"]]
    assert ids(client.get(LIST, query_string={"region": XUANZHOU})) == [
        case["person"],
        case["materials"],
        case["star"],
    ]
    assert ids(client.get(LIST, query_string={"domain": "trademark"})) == [case["agency"]]
    assert ids(client.get(LIST, query_string={"domain": "geographical_indication"})) == []
    assert ids(client.get(LIST, query_string={"ground": "serious_illegal_agency"})) == [
        case["agency"]
    ]
    assert ids(client.get(LIST, query_string={"ground": "abnormal_or_bad_faith_application"})) == [
        case["materials"]
    ]
    assert ids(
        client.get(LIST, query_string={"ground": "intentional_infringement", "region": XUANZHOU})
    ) == [case["person"], case["star"]]


def test_invalid_search_arguments_are_422(client, listed):
    for args in ({"domain": "copyright"}, {"ground": "fraud"}, {"region": "34"}, {"limit": 0}):
        assert client.get(LIST, query_string=args).status_code == 422, args
    assert client.get(LIST, query_string={"cursor": "not-a-cursor"}).status_code in (400, 422)


def test_keyset_pages_follow_next_cursor_to_the_end(client, listed):
    seen, cursor, pages = [], None, 0
    while True:
        args = {"limit": 1} if cursor is None else {"limit": 1, "cursor": cursor}
        body = ok(client.get(LIST, query_string=args)).get_json()
        seen += [e["id"] for e in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == ids(client.get(LIST)) and len(set(seen)) == 4
    assert pages == 4

    first = ok(client.get(LIST, query_string={"limit": 3})).get_json()
    rest = ok(client.get(LIST, query_string={"limit": 3, "cursor": first["next_cursor"]}))
    assert [e["id"] for e in first["items"]] + ids(rest) == seen
    assert rest.get_json()["next_cursor"] is None


def test_an_entry_shows_the_public_fields(client, listed):
    star, case = listed["star"], listed["star"]["case"]
    entry = ok(client.get(f"{LIST}/{case['id']}")).get_json()
    assert entry["name"] == star["name"] and entry["uscc"] == star["identifier"]
    assert entry["kind"] == "organisation"
    assert entry["region_code"] == XUANZHOU and entry["region"]
    assert entry["grounds"] == [{"code": "intentional_infringement", "name": "故意侵犯知识产权"}]
    assert entry["decision_no"] == case["decision_no"]
    assert entry["authority"] == "宣城市市场监督管理局（宣城市知识产权局）"
    assert entry["decided_on"] == "2026-11-25"
    assert entry["published_on"] == "2026-11-26"
    assert entry["term_ends_on"] == "2029-11-25"
    assert {m["code"] for m in entry["measures"]} == {
        "list_procurement_restriction",
        "list_licensing_strict_review",
        "list_no_honours",
        "list_fiscal_strict_review",
        "list_key_supervision",
    }
    assert any("总局令第44号" in b for b in entry["basis"])
    assert len(entry["penalty_refs"]) == 1
    assert client.get(f"{LIST}/999999999").status_code == 404


def test_a_decided_but_unpublished_case_is_not_on_the_list(ctx, client, listed):
    pending = decided(ctx, create_entity(ctx))
    assert pending["id"] not in ids(client.get(LIST))
    assert client.get(f"{LIST}/{pending['id']}").status_code == 404


# --- downloads --------------------------------------------------------------------------------


def test_the_csv_download_has_a_bom_the_header_and_every_row(client, listed):
    response = client.get(f"{LIST}/export.csv")
    text, rows = read_csv(response)
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert text.startswith("\ufeff")
    assert response.get_data().startswith(b"\xef\xbb\xbf")
    assert rows[0][:3] == ["编号", "名称", "统一社会信用代码"]  # Chinese headers
    assert len(rows[0]) == len(public.DOWNLOAD_COLUMNS)
    disposition = response.headers["Content-Disposition"]
    assert "filename=dishonesty-list-2026-" in disposition and disposition.endswith(".csv")
    assert sorted(int(r[0]) for r in rows[1:]) == sorted(ids(client.get(LIST)))
    star = next(r for r in rows[1:] if int(r[0]) == listed["star"]["case"]["id"])
    assert star[1] == listed["star"]["name"] and star[2] == listed["star"]["identifier"]
    assert star[4] == "故意侵犯知识产权"
    assert star[5] == listed["star"]["case"]["decision_no"]
    _, langxi = read_csv(client.get(f"{LIST}/export.csv", query_string={"region": LANGXI}))
    assert [int(r[0]) for r in langxi[1:]] == [listed["agency"]["case"]["id"]]


def test_the_json_download_is_a_valid_array(client, listed):
    response = ok(client.get(f"{LIST}/export.json"))
    assert response.mimetype == "application/json"
    body = json.loads(response.get_data(as_text=True))
    assert isinstance(body, list)
    assert sorted(e["id"] for e in body) == sorted(ids(client.get(LIST)))
    assert all({"name", "decision_no", "term_ends_on", "grounds"} <= set(e) for e in body)
    empty = ok(
        client.get(f"{LIST}/export.json", query_string={"domain": "geographical_indication"})
    )
    assert json.loads(empty.get_data(as_text=True)) == []


# --- validators and caching -------------------------------------------------------------------

CACHED = (LIST, "entry", f"{LIST}/export.csv", f"{LIST}/export.json", f"{LIST}/changes")


def urls(listed) -> list[str]:
    entry = f"{LIST}/{listed['star']['case']['id']}"
    return [entry if u == "entry" else u for u in CACHED]


def test_responses_carry_etag_last_modified_and_cache_control(client, listed):
    for url in urls(listed):
        response = ok(fetch(client, url))
        assert response.headers.get("ETag"), url
        assert response.headers.get("Last-Modified"), url
        cache = response.headers["Cache-Control"]
        assert cache == "public, no-cache", url  # stored copies always ask again


def test_if_none_match_with_the_etag_is_304_without_a_body(client, listed):
    for url in urls(listed):
        etag = ok(fetch(client, url)).headers["ETag"]
        again = fetch(client, url, headers={"If-None-Match": etag})
        assert again.status_code == 304, url
        assert again.get_data() == b""
        assert again.headers["ETag"] == etag
        other = fetch(client, url, headers={"If-None-Match": 'W/"something-else"'})
        assert other.status_code == 200


def test_if_modified_since_in_the_future_is_304(client, listed):
    future = "Tue, 01 Jan 2036 00:00:00 GMT"
    for url in urls(listed):
        response = fetch(client, url, headers={"If-Modified-Since": future})
        assert response.status_code == 304, url
        assert response.get_data() == b""
    past = "Mon, 01 Jan 2024 00:00:00 GMT"
    assert client.get(LIST, headers={"If-Modified-Since": past}).status_code == 200


def test_a_new_publication_changes_the_validators(ctx, clock, client, listed):
    first = ok(client.get(LIST))
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert client.get(LIST, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(LIST, headers={"If-Modified-Since": modified}).status_code == 304

    clock.advance(hours=1)
    new = publish(ctx, decided(ctx, create_entity(ctx)))

    changed = client.get(LIST, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert new["id"] in [e["id"] for e in changed.get_json()["items"]]
    assert client.get(LIST, headers={"If-Modified-Since": modified}).status_code == 200
    assert client.get(LIST, headers={"If-None-Match": changed.headers["ETag"]}).status_code == 304


def test_answers_are_rendered_once_per_version_and_renamed_entities_show_at_once(
    ctx, app, clock, client, listed
):
    """Answers are kept by their ETag: the same request under the same version is the
    same body without a second rendering; a change of a listed entity is a new version."""
    first = ok(client.get(LIST, query_string={"region": XUANZHOU}))
    answers = ctx.extras["public_answers"]
    kept = len(answers)
    again = ok(client.get(LIST, query_string={"region": XUANZHOU}))
    assert again.get_data() == first.get_data() and len(answers) == kept
    missing = client.get(f"{LIST}/999999")
    assert missing.status_code == 404 and len(answers) == kept  # errors are not kept

    clock.advance(seconds=2)
    entity_services.update_entity(
        ctx, REGULATOR, listed["star"]["identifier"], {"name": "宣城星河光电股份有限公司"}
    )
    renamed = ok(client.get(LIST, query_string={"region": XUANZHOU}))
    assert renamed.headers["ETag"] != first.headers["ETag"]
    assert "宣城星河光电股份有限公司" in renamed.get_data(as_text=True)


def test_a_removal_leaves_every_answer_at_its_commit(ctx, client, listed):
    """No clock movement: an answer rendered a moment before the removal is neither
    served again nor confirmed as current (304) after it."""
    gone = listed["agency"]["case"]["id"]
    before = {url: ok(fetch(client, url)) for url in (LIST, f"{LIST}/export.csv", f"{LIST}/{gone}")}
    name = listed["agency"]["name"]
    assert gone in ids(before[LIST]) and name in before[f"{LIST}/export.csv"].get_data(as_text=True)

    record_services.revoke_record(
        ctx, SYSTEM, listed["agency"]["case"]["record_id"], reason="行政复议撤销原处罚决定"
    )

    for url, earlier in before.items():
        again = fetch(client, url, headers={"If-None-Match": earlier.headers["ETag"]})
        assert (
            again.status_code in (200, 404) and again.headers.get("ETag") != earlier.headers["ETag"]
        ), url
    assert gone not in ids(fetch(client, LIST))
    assert name not in fetch(client, f"{LIST}/export.csv").get_data(as_text=True)
    assert ok(fetch(client, f"{LIST}/{gone}")).get_json()["status"] == "removed"


def test_the_next_day_changes_the_validators(clock, client, listed):
    """Terms end at midnight: yesterday's copy may hold an entry that is gone today."""
    etag = ok(client.get(LIST)).headers["ETag"]
    clock.advance(days=1)
    assert client.get(LIST, headers={"If-None-Match": etag}).status_code == 200


# --- the change feed --------------------------------------------------------------------------


def test_the_change_feed_pages_by_cursor_and_filters_by_date(ctx, clock, client, listed):
    feed = ok(client.get(f"{LIST}/changes")).get_json()
    assert [(c["entry_id"], c["kind"]) for c in feed["items"]] == [
        (listed[k]["case"]["id"], "added") for k in ("star", "agency", "materials", "person")
    ]
    assert feed["more"] is False
    assert feed["items"][0]["effective_on"] == "2026-11-26"
    assert feed["items"][-1]["name"] == "欧阳**" and feed["items"][-1]["uscc"] is None

    empty = ok(client.get(f"{LIST}/changes", query_string={"since": feed["next"]})).get_json()
    assert empty["items"] == []

    on(clock, date(2026, 12, 2))
    record_services.revoke_record(
        ctx, SYSTEM, listed["agency"]["case"]["record_id"], reason="行政复议撤销原处罚决定"
    )
    newer = ok(client.get(f"{LIST}/changes", query_string={"since": feed["next"]})).get_json()
    (removal,) = newer["items"]
    assert removal["entry_id"] == listed["agency"]["case"]["id"]
    assert removal["kind"] == "removed" and removal["reason"] == "revoked"
    assert removal["reason_text"] == "所依据的行政处罚决定被撤销"
    assert removal["effective_on"] == "2026-12-02"

    dated = ok(client.get(f"{LIST}/changes", query_string={"since": "2026-11-30"})).get_json()
    assert [(c["entry_id"], c["kind"]) for c in dated["items"]] == [
        (listed["materials"]["case"]["id"], "added"),
        (listed["person"]["case"]["id"], "added"),
        (listed["agency"]["case"]["id"], "removed"),
    ]
    assert client.get(f"{LIST}/changes", query_string={"since": "garbage"}).status_code == 422


def test_polling_the_feed_is_304_until_an_addition_or_removal(ctx, clock, client, listed):
    feed = ok(client.get(f"{LIST}/changes"))
    etag = feed.headers["ETag"]
    dated = ok(client.get(f"{LIST}/changes", query_string={"since": "2026-11-30"}))
    assert dated.headers["ETag"] != etag  # each query its own validator
    clock.advance(hours=1)
    assert client.get(f"{LIST}/changes", headers={"If-None-Match": etag}).status_code == 304

    record_services.revoke_record(
        ctx, SYSTEM, listed["agency"]["case"]["record_id"], reason="行政复议撤销原处罚决定"
    )
    changed = ok(client.get(f"{LIST}/changes", headers={"If-None-Match": etag}))
    assert changed.headers["ETag"] != etag
    assert changed.headers["Cache-Control"] == "public, no-cache"
    assert [(c["kind"], c["reason"]) for c in changed.get_json()["items"]][-1] == (
        "removed",
        "revoked",
    )
    bad = client.get(f"{LIST}/changes", query_string={"since": "garbage"})
    assert bad.status_code == 422 and "ETag" not in bad.headers


# --- rate limits ------------------------------------------------------------------------------


def test_public_endpoints_are_rate_limited_per_address(ctx, listed):
    client = fresh_app(ctx, ratelimit_public="3 per minute").test_client()
    first = {"REMOTE_ADDR": "203.0.113.7"}
    assert [client.get(LIST, environ_base=first).status_code for _ in range(3)] == [200] * 3
    refused = client.get(LIST, environ_base=first)
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    assert refused.headers.get("Retry-After")
    assert client.get(LIST, environ_base={"REMOTE_ADDR": "203.0.113.8"}).status_code == 200
    # each public endpoint counts on its own (flask-limiter default limits are per route)
    pages = [client.get("/list", environ_base=first).status_code for _ in range(4)]
    assert pages == [200, 200, 200, 429]


# --- the pages --------------------------------------------------------------------------------


def test_the_list_page_is_chinese_plain_html_with_labelled_fields(client, listed):
    response = ok(client.get("/list"))
    html = response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    assert '<html lang="zh-CN">' in html
    assert "严重失信主体名单" in html and "查询" in html
    no_script(html)
    assert '<form method="get"' in html
    fields = re.findall(r'<(?:input|select)\b[^>]*\bid="([^"]+)"', html)
    assert {"f-q", "f-uscc", "f-region", "f-domain", "f-ground"} <= set(fields)
    for field in fields:
        assert f'<label for="{field}">' in html, field
    for key in ("star", "agency", "materials"):
        assert listed[key]["name"] in html
        assert listed[key]["case"]["decision_no"] in html
    assert "欧阳**" in html and "欧阳明华" not in html


def test_the_list_page_searches_and_pages_without_javascript(client, listed):
    html = ok(client.get("/list", query_string={"q": "远山"})).get_data(as_text=True)
    assert listed["agency"]["name"] in html and listed["star"]["name"] not in html
    bad = ok(client.get("/list", query_string={"uscc": "123"})).get_data(as_text=True)
    assert 'aria-invalid="true"' in bad and "统一社会信用代码应为18位" in bad


def test_the_entry_page(client, listed):
    case = listed["star"]["case"]
    html = ok(client.get(f"/list/{case['id']}")).get_data(as_text=True)
    no_script(html)
    assert listed["star"]["name"] in html and listed["star"]["identifier"] in html
    assert case["decision_no"] in html and "故意侵犯知识产权" in html
    assert "公示截止日期" in html and "2029-11-25" in html
    assert client.get("/list/999999999").status_code == 404


def test_the_notices_page(client, listed):
    html = ok(client.get("/list/notices")).get_data(as_text=True)
    no_script(html)
    assert "列入与移出公告" in html
    assert listed["agency"]["case"]["decision_no"] in html and "列入" in html


def test_a_removed_entry_leaves_the_pages_at_once(ctx, client, listed):
    """Its facts leave at once; its address says it was removed (tests/api/
    test_public_removals.py follows that answer through its year)."""
    agency = listed["agency"]
    record_services.revoke_record(ctx, SYSTEM, agency["case"]["record_id"], reason="复议撤销处罚")
    page = ok(client.get(f"/list/{agency['case']['id']}")).get_data(as_text=True)
    assert "已移出" in page and "从事严重违法专利" not in page
    assert ok(client.get(f"{LIST}/{agency['case']['id']}")).get_json()["status"] == "removed"
    assert agency["name"] not in ok(client.get("/list")).get_data(as_text=True)
    assert agency["case"]["id"] not in ids(client.get(LIST))
    notices = ok(client.get("/list/notices")).get_data(as_text=True)
    assert "所依据的行政处罚决定被撤销" in notices


# --- natural persons (D12): a property over random people ---------------------------------------

SINGLE_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
COMPOUND = ["欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "慕容", "令狐", "夏侯", "公孙"]
GIVEN = "瑾瑜琪璇珂翔骁昊烨皓琛璟筠蕾薇芃芮菁锦钰铭晗晟昕曦睿轩霖霏旻"
ROADS = ["鳌峰", "梅溪", "叠嶂", "响山", "敬亭", "宛陵", "昭亭", "薰化"]
PROVINCE_REGIONS = ["341802", "341821", "340104", "110105", "320106", "330106"]


@st.composite
def people(draw):  # type: ignore[no-untyped-def]
    if draw(st.booleans()):
        surname = draw(st.sampled_from(COMPOUND))
        given = draw(st.text(GIVEN, min_size=1, max_size=2))
    else:
        surname = draw(st.sampled_from(SINGLE_SURNAMES))
        given = draw(st.text(GIVEN, min_size=1, max_size=3))
    born = draw(st.dates(date(1940, 1, 1), date(2005, 12, 31)))
    region = draw(st.sampled_from(PROVINCE_REGIONS))
    sequence = draw(st.integers(0, 999))
    return {
        "surname": surname,
        "name": surname + given,
        "identifier": identifiers.make_resident_id(f"{region}{born:%Y%m%d}{sequence:03d}"),
        "phone": "1"
        + draw(st.sampled_from("3456789"))
        + draw(st.text("0123456789", min_size=9, max_size=9)),
        "address": (
            f"安徽省宣城市宣州区{draw(st.sampled_from(ROADS))}路"
            f"{draw(st.integers(1, 999))}号{draw(st.integers(1, 30))}栋"
        ),
        "region_code": draw(st.sampled_from([XUANZHOU, LANGXI])),
    }


def test_the_name_pools_cannot_be_mistaken_for_compound_surnames():
    assert not {s for s in SINGLE_SURNAMES} & {c[0] for c in masking.COMPOUND_SURNAMES}
    assert set(COMPOUND) <= masking.COMPOUND_SURNAMES


@pytest.fixture
def unlimited_client(ctx):  # type: ignore[no-untyped-def]
    return fresh_app(ctx, ratelimit_public="100000 per minute").test_client()


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(person=people())
def test_no_public_response_reveals_a_natural_persons_data(ctx, unlimited_client, clock, person):
    """Examples share one database transaction: each adds a person to the same list (a
    second apart: the list's version is kept for a second, and answers by version)."""
    client = unlimited_client
    clock.advance(seconds=2)
    registered = ctx.extras.setdefault("people", {})
    # a replayed example finds its person registered; another person with the same ID
    # number cannot be registered and is not an example
    assume(registered.get(person["identifier"], (person, None))[0] == person)
    if person["identifier"] not in registered:
        owner = create_person(
            ctx,
            identifier=person["identifier"],
            name=person["name"],
            phone=person["phone"],
            address=person["address"],
            region_code=person["region_code"],
        )
        honour = file_award(ctx, person["identifier"])  # on the trustworthy list too
        registered[person["identifier"]] = (person, publish(ctx, decided(ctx, owner)), honour)
        report, _ = report_services.issue_report(
            ctx, REPORT_CHECKER, identifier=person["identifier"], purpose="awards"
        )
        ctx.extras.setdefault("reports", {})[person["identifier"]] = report
    _, case, honour = registered[person["identifier"]]
    report = ctx.extras["reports"][person["identifier"]]
    verification = f"/api/v1/public/credit-reports/{report['number']}/verification"
    masked = person["surname"] + "*" * (len(person["name"]) - len(person["surname"]))
    assert masking.mask_person_name(person["name"]) == masked

    urls = {
        "search": (LIST, {"limit": 100}),
        "search by name": (LIST, {"q": person["name"]}),
        "search by id": (LIST, {"uscc": person["identifier"]}),
        "entry": (f"{LIST}/{case['id']}", {}),
        "csv": (f"{LIST}/export.csv", {}),
        "json": (f"{LIST}/export.json", {}),
        "changes": (f"{LIST}/changes", {}),
        "notices": (f"{LIST}/notices", {"limit": 100}),
        "list page": ("/list", {}),
        "entry page": (f"/list/{case['id']}", {}),
        "print view": (f"/list/{case['id']}/print", {}),
        "notices page": ("/list/notices", {}),
        "ftm": (f"{LIST}/export.ftm.jsonl", {}),
        "trustworthy": (TRUSTWORTHY, {"limit": 100}),
        "search by name (trustworthy)": (TRUSTWORTHY, {"q": person["name"]}),
        "search by id (trustworthy)": (TRUSTWORTHY, {"uscc": person["identifier"]}),
        "trustworthy entry": (f"{TRUSTWORTHY}/{honour['id']}", {}),
        "trustworthy csv": (f"{TRUSTWORTHY}/export.csv", {}),
        "trustworthy json": (f"{TRUSTWORTHY}/export.json", {}),
        "trustworthy ftm": (f"{TRUSTWORTHY}/export.ftm.jsonl", {}),
        "trustworthy page": ("/trustworthy", {}),
        "trustworthy entry page": (f"/trustworthy/{honour['id']}", {}),
        "notices feed": ("/list/notices.atom", {}),
        "report verification": (verification, {}),
        "report comparison": (verification, {"code": report["holder_code"]}),
        "report page": (f"/verify/{report['number']}", {}),
    }
    secrets = {
        "id number": person["identifier"],
        "phone": person["phone"],
        "address": person["address"],
        "full name": person["name"],
    }
    bodies = {}
    for where, (url, args) in urls.items():
        bodies[where] = text = ok(fetch(client, url, query_string=args)).get_data(as_text=True)
        for what, value in secrets.items():
            assert value not in text, f"{what} in {where}"
        if where.startswith("search by"):
            assert json.loads(text)["items"] == []
        elif not where.startswith("report"):  # a verification names nobody
            assert masked in text, where
    entry = json.loads(bodies["entry"])
    assert entry["name"] == masked and entry["uscc"] is None and entry["kind"] == "natural_person"
    assert set(entry) == {
        "id",
        "status",
        "name",
        "kind",
        "uscc",
        "region_code",
        "region",
        "grounds",
        "basis",
        "decision_no",
        "authority",
        "decided_on",
        "published_on",
        "term_ends_on",
        "measures",
        "penalty_refs",
        "objection_pending",
        "objection_id",
    }


def test_following_next_after_an_empty_dated_page_does_not_restart_the_feed(client, listed):
    empty = ok(client.get(f"{LIST}/changes", query_string={"since": "2030-01-01"})).get_json()
    assert empty["items"] == []
    after = ok(client.get(f"{LIST}/changes", query_string={"since": empty["next"]})).get_json()
    assert after["items"] == []


def test_renaming_a_listed_organisation_changes_the_validators(ctx, clock, client, listed):
    first = ok(client.get(LIST))
    clock.advance(hours=1)
    new_name = {"name": "宣城新名称有限公司"}
    entity_services.update_entity(ctx, SYSTEM, listed["star"]["identifier"], new_name)
    again = client.get(LIST, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert "宣城新名称有限公司" in again.get_data(as_text=True)

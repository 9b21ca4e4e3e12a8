"""The public trustworthy list through the Flask test client (both databases): search,
keyset pages, entries, CSV (Chinese headers) and JSON, the end of publication at the
end of the period, revoked records, natural persons masked (D12), no tier (D1), and the
pages in Chinese."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from credit_service.access import SYSTEM
from credit_service.clock import local_noon
from credit_service.records import services as record_services
from credit_service.web.i18n import translate
from tests.api.test_public_list import fetch, no_script, ok, read_csv
from tests.factories import (
    LANGXI,
    XUANZHOU,
    create_entity,
    create_person,
    file_award,
    file_penalty,
)

LIST = "/api/v1/public/trustworthy-list"
DECIDED = date(2026, 3, 2)  # a Monday


def award(ctx, owner: dict, **fields) -> dict:  # type: ignore[no-untyped-def]
    return file_award(ctx, owner["identifier"], **fields)


@pytest.fixture
def awarded(ctx, clock):  # type: ignore[no-untyped-def]
    """Two organisations and a natural person with honours, and an organisation without
    one; the clock a day after the last decision."""
    clock.set(local_noon(DECIDED + timedelta(days=1)))
    star = create_entity(ctx, name="宣城星河光电科技有限公司", region_code=XUANZHOU)
    paper = create_entity(ctx, name="泾县宣纸文化有限公司", region_code=LANGXI)
    plain = create_entity(ctx, name="宣城普通贸易有限公司", region_code=XUANZHOU)
    person = create_person(ctx, name="欧阳明华", region_code=XUANZHOU)
    records = {
        "star": award(ctx, star),
        "paper": award(ctx, paper, honour_name="国家知识产权优势企业", decision_date="2026-02-27"),
        "person": award(ctx, person, honour_name="中国专利奖"),
    }
    owners = {"star": star, "paper": paper, "person": person}
    return {name: {**owners[name], "record": rec} for name, rec in records.items()} | {
        "plain": plain
    }


def ids(response) -> list[int]:  # type: ignore[no-untyped-def]
    return [e["id"] for e in ok(response).get_json()["items"]]


def test_the_list_needs_no_token_and_shows_newest_decision_first(client, awarded):
    found = ids(client.get(LIST))
    star, paper, person = (awarded[n]["record"]["id"] for n in ("star", "paper", "person"))
    assert found[:2] == sorted([star, person], reverse=True) and found[2] == paper


def test_search_by_name_uscc_and_region(client, awarded):
    star = awarded["star"]
    assert ids(client.get(LIST, query_string={"q": "星河"})) == [star["record"]["id"]]
    assert ids(client.get(LIST, query_string={"uscc": star["identifier"]})) == [
        star["record"]["id"]
    ]
    assert ids(client.get(LIST, query_string={"region": LANGXI})) == [
        awarded["paper"]["record"]["id"]
    ]
    assert ids(client.get(LIST, query_string={"q": "普通"})) == []
    assert client.get(LIST, query_string={"uscc": "123"}).status_code == 422
    assert client.get(LIST, query_string={"tier": "A"}).status_code == 422


def test_keyset_pages_follow_next_cursor(client, awarded):
    seen, cursor = [], None
    while True:
        args = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        body = ok(client.get(LIST, query_string=args)).get_json()
        seen += [e["id"] for e in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == ids(client.get(LIST))
    assert client.get(LIST, query_string={"cursor": "not-a-cursor"}).status_code == 422


def test_an_entry_shows_the_honour_the_authority_the_document_and_the_period(client, awarded):
    record = awarded["star"]["record"]
    entry = ok(client.get(f"{LIST}/{record['id']}")).get_json()
    assert entry["name"] == "宣城星河光电科技有限公司"
    assert entry["uscc"] == awarded["star"]["identifier"]
    assert entry["item"] == "国家知识产权示范企业" and entry["item_code"] == record["item_code"]
    assert entry["honour"] == "国家知识产权示范企业" and entry["honour_level"] == "国家级"
    assert entry["awarded_by"] == "国家知识产权局"
    assert entry["document_no"] == record["source_ref"]
    assert entry["awarded_on"] == DECIDED.isoformat()
    assert entry["term_ends_on"] == record["publicity_end"].isoformat()
    assert entry["region"] == "宣州区" and "全国公共信用信息基础目录" in entry["basis"]
    assert not {"tier", "severity", "fields", "status"} & set(entry)
    missing = client.get(f"{LIST}/999999")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"


def test_a_penalty_is_no_entry(ctx, client, awarded):
    penalty = file_penalty(ctx, awarded["plain"]["identifier"], CF_JDRQ="2026-03-02")
    assert client.get(f"{LIST}/{penalty['id']}").status_code == 404
    assert penalty["id"] not in ids(client.get(LIST, query_string={"limit": 100}))


def test_an_entry_leaves_the_day_after_its_period_ends(client, clock, awarded):
    record = awarded["star"]["record"]
    last = record["publicity_end"]
    clock.set(local_noon(last))
    assert client.get(f"{LIST}/{record['id']}").status_code == 200
    assert record["id"] in ids(client.get(LIST, query_string={"limit": 100}))
    clock.set(local_noon(last + timedelta(days=1)))  # the expiry job has not run
    assert client.get(f"{LIST}/{record['id']}").status_code == 404
    assert record["id"] not in ids(client.get(LIST, query_string={"limit": 100}))
    assert client.get(f"/trustworthy/{record['id']}").status_code == 404
    _, rows = read_csv(fetch(client, f"{LIST}/export.csv"))
    assert str(record["id"]) not in [r[0] for r in rows[1:]]


def test_a_revoked_record_leaves_at_once(ctx, client, awarded):
    record = awarded["paper"]["record"]
    record_services.revoke_record(ctx, SYSTEM, record["id"], reason="认定被撤销")
    assert client.get(f"{LIST}/{record['id']}").status_code == 404
    assert record["id"] not in ids(client.get(LIST, query_string={"limit": 100}))
    assert client.get(f"/trustworthy/{record['id']}").status_code == 404


def test_the_csv_has_chinese_headers_a_bom_and_a_dated_name(client, awarded):
    response = fetch(client, f"{LIST}/export.csv")
    text, rows = read_csv(response)
    assert text.startswith("\ufeff")
    assert "trustworthy-list-2026-03-03.csv" in response.headers["Content-Disposition"]
    assert rows[0][:4] == ["编号", "名称", "统一社会信用代码", "所属地区"]
    assert translate("csv.awarded_by") in rows[0] and translate("csv.honour") in rows[0]
    assert len(rows) == 1 + 3


def test_the_json_download_is_the_csv_with_english_keys(client, awarded):
    response = fetch(client, f"{LIST}/export.json")
    body = json.loads(ok(response).get_data(as_text=True))
    assert "trustworthy-list-2026-03-03.json" in response.headers["Content-Disposition"]
    assert sorted(e["id"] for e in body) == sorted(ids(client.get(LIST)))
    assert {"honour", "awarded_by", "document_no", "awarded_on", "term_ends_on"} <= set(body[0])


def test_a_natural_person_is_masked_and_never_found_by_name_or_number(client, awarded):
    person = awarded["person"]
    secrets = (person["identifier"], "欧阳明华", "13812345678", "鳌峰路")
    record_id = person["record"]["id"]
    urls = (
        LIST,
        f"{LIST}/{record_id}",
        f"{LIST}/export.csv",
        f"{LIST}/export.json",
        f"{LIST}/export.ftm.jsonl",
        "/trustworthy",
        f"/trustworthy/{record_id}",
    )
    for url in urls:
        text = ok(fetch(client, url)).get_data(as_text=True)
        assert "欧阳**" in text, url
        for secret in secrets:
            assert secret not in text, (secret, url)
    entry = client.get(f"{LIST}/{record_id}").get_json()
    assert entry["uscc"] is None and entry["kind"] == "natural_person"
    assert ids(client.get(LIST, query_string={"q": "欧阳"})) == []
    assert ids(client.get(LIST, query_string={"uscc": person["identifier"]})) == []


def test_the_pages_search_and_show_an_entry_in_chinese_without_javascript(client, awarded):
    html = ok(client.get("/trustworthy", query_string={"q": "星河"})).get_data(as_text=True)
    no_script(html)
    assert "宣城星河光电科技有限公司" in html and "泾县宣纸" not in html
    assert 'href="/trustworthy"' in ok(client.get("/")).get_data(as_text=True)  # the menu
    record = awarded["star"]["record"]
    entry = ok(client.get(f"/trustworthy/{record['id']}")).get_data(as_text=True)
    for shown in (
        "国家知识产权示范企业",
        "国家知识产权局",
        record["source_ref"],
        "认定日期",
        "公示期",
    ):
        assert shown in entry
    bad = ok(client.get("/trustworthy", query_string={"uscc": "12", "region": "x"}))
    assert bad.get_data(as_text=True).count('aria-invalid="true"') == 2

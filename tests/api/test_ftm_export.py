"""The FollowTheMoney exports of both public lists (both databases), checked with
followthemoney's own model: every line an entity of a known schema, every property one
of its schema with values valid for their type and unchanged by the model's cleaning,
the required properties present, every reference resolved within the file; a Sanction
per list entry, an Event (never a Sanction) per trustworthy entry, natural persons
masked as on the pages."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from followthemoney import model
from followthemoney.types import registry

from tests.api.test_public_list import fetch, ok
from tests.api.test_public_list import listed as listed  # noqa: F401  (fixture)
from tests.api.test_trustworthy_list import awarded as awarded  # noqa: F401  (fixture)

DISHONESTY = "/api/v1/public/dishonesty-list/export.ftm.jsonl"
TRUSTWORTHY = "/api/v1/public/trustworthy-list/export.ftm.jsonl"


def entities(client, url: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    response = ok(fetch(client, url))
    assert response.mimetype == "application/x-ndjson"
    assert ".ftm.jsonl" in response.headers["Content-Disposition"]
    lines = response.get_data(as_text=True).splitlines()
    return [json.loads(line) for line in lines]


def valid(data: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each entity checked with the model; fragments with one id merged (as FtM readers
    do). Returns the merged entities by id."""
    merged: dict[str, Any] = {}
    for entity in data:
        schema = model.get(entity["schema"])
        assert schema is not None, entity["schema"]
        assert set(entity["properties"]) <= set(schema.properties), entity
        schema.validate(entity)  # raises InvalidData naming the property
        raw = model.get_proxy(entity, cleaned=False)
        cleaned = model.get_proxy(entity)  # the model's own cleaning loses nothing
        assert cleaned.to_dict()["properties"] == raw.to_dict()["properties"], entity
        if entity["id"] in merged:
            merged[entity["id"]] = merged[entity["id"]].merge(raw) or merged[entity["id"]]
        else:
            merged[entity["id"]] = raw
    for proxy in merged.values():
        for name in proxy.schema.required:
            assert proxy.get(name), (proxy.id, name)
        for prop, value in proxy.itervalues():
            if prop.type == registry.entity:
                assert value in merged, (proxy.id, prop.name, value)
    return {key: proxy.to_dict() for key, proxy in merged.items()}


def of_schema(found: dict[str, dict[str, Any]], schema: str) -> list[dict[str, Any]]:
    return [e for e in found.values() if e["schema"] == schema]


def test_the_dishonesty_list_as_companies_people_and_sanctions(client, listed):  # noqa: F811
    found = valid(entities(client, DISHONESTY))
    sanctions = of_schema(found, "Sanction")
    assert len(sanctions) == len(listed)
    assert Counter(e["schema"] for e in found.values()) == {
        "Sanction": 4,
        "Company": 3,
        "Person": 1,
    }
    star = listed["star"]
    company = found[f"cn-341800-ipcredit-uscc-{star['identifier']}"]["properties"]
    assert company["uscCode"] == [star["identifier"]] and company["topics"] == ["reg.action"]
    sanction = next(
        s["properties"] for s in sanctions if s["id"].endswith(f"-{star['case']['id']}")
    )
    assert sanction["entity"] == [f"cn-341800-ipcredit-uscc-{star['identifier']}"]
    assert sanction["program"] == ["知识产权领域严重失信主体名单"]
    assert sanction["authority"] and sanction["reason"] and sanction["provisions"]
    assert sanction["date"] == [str(star["case"]["decided_on"])]
    assert sanction["startDate"] == sanction["listingDate"] == ["2026-11-26"]  # published
    assert sanction["endDate"] and sanction["recordId"] == [star["case"]["decision_no"]]
    assert sanction["sourceUrl"] == [f"http://localhost/list/{star['case']['id']}"]


def test_a_natural_person_is_masked_in_the_dishonesty_export(client, listed):  # noqa: F811
    person = listed["person"]
    text = ok(fetch(client, DISHONESTY)).get_data(as_text=True)
    assert person["identifier"] not in text and "欧阳明华" not in text
    people = of_schema(valid(entities(client, DISHONESTY)), "Person")
    assert [p["properties"]["name"] for p in people] == [["欧阳**"]]
    assert set(people[0]["properties"]) == {"name", "country", "sourceUrl", "topics"}


def test_the_trustworthy_list_as_events_never_sanctions(client, awarded):  # noqa: F811
    data = entities(client, TRUSTWORTHY)
    found = valid(data)
    assert not of_schema(found, "Sanction")
    assert not any("topics" in e["properties"] for e in found.values())
    events = of_schema(found, "Event")
    assert len(events) == 3
    star = awarded["star"]
    event = next(e["properties"] for e in events if e["id"].endswith(f"-{star['record']['id']}"))
    assert event["name"] == ["国家知识产权示范企业"]
    assert event["involved"] == [f"cn-341800-ipcredit-uscc-{star['identifier']}"]
    assert found[event["organizer"][0]]["properties"]["name"] == ["国家知识产权局"]
    assert event["recordId"] == [star["record"]["source_ref"]]
    assert event["startDate"] == ["2026-03-02"]
    assert event["endDate"] == [star["record"]["publicity_end"].isoformat()]
    text = "\n".join(json.dumps(e, ensure_ascii=False) for e in data)
    assert awarded["person"]["identifier"] not in text and "欧阳明华" not in text
    assert "欧阳**" in text

"""Object-level access through the HTTP API: one enterprise never reaches another's data,
and a county regulator never acts outside its county (IDOR and region scope).

Role checks alone cannot catch these: enterprise A and enterprise B hold the same role,
and so do the regulators of 郎溪县 and 宣州区. The city-level regulator is the control: the
same requests succeed for it, so the refusals below come from the object checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest

from credit_service.access import SYSTEM
from credit_service.auth import services as auth_services
from credit_service.config import Settings
from credit_service.web import create_app
from credit_service.web.api.common import ACCEPTS_ATTR
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

DENIED = (403, 404)
NAME_MARK = "越权测试"
PARAMETER = re.compile(r"<(?:([a-z_]+)(?:\([^)]*\))?:)?([^<>]+)>")
SKIPPED_METHODS = {"HEAD", "OPTIONS"}


def _object_routes() -> tuple[list[tuple[str, str, str]], dict[tuple[str, str], list[str]]]:
    """Every (rule, endpoint, method) whose URL names an entity or a record, and the
    required query parameters of each (from the OpenAPI description)."""
    settings = Settings(
        database_url="sqlite://",
        secret_key="collect",
        catalogs_autoload=False,
        ratelimit_storage_uri="memory://",  # one process, nothing written in the project
    )
    app = create_app(settings)
    spec = app.test_client().get("/api/openapi.json").get_json()
    routes, required = [], {}
    for rule in app.url_map.iter_rules():
        if not {"identifier", "record_id"} & set(rule.arguments):
            continue
        operations = spec["paths"].get(PARAMETER.sub(r"{\2}", rule.rule), {})
        for method in sorted((rule.methods or set()) - SKIPPED_METHODS):
            routes.append((rule.rule, rule.endpoint, method))
            parameters = operations.get(method.lower(), {}).get("parameters", [])
            required[rule.endpoint, method] = [
                p["name"] for p in parameters if p["in"] == "query" and p.get("required")
            ]
    app.extensions["credit_service"].close()
    return sorted(routes), required


OBJECT_ROUTES, REQUIRED_QUERY = _object_routes()
OBJECT_ROUTE_IDS = [f"{method} {rule}" for rule, _, method in OBJECT_ROUTES]
READ_ROUTES = [route for route in OBJECT_ROUTES if route[2] == "GET"]
READ_ROUTE_IDS = [f"{method} {rule}" for rule, _, method in READ_ROUTES]


def required_query(ctx, endpoint: str, method: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Valid values for a route's required query parameters, so that the request reaches
    the object check instead of stopping at validation (422)."""
    known = {"purpose": next(iter(ctx.catalogs.purposes))}
    names = REQUIRED_QUERY[endpoint, method]
    missing = [name for name in names if name not in known]
    assert not missing, f"{method} {endpoint}: give the walk a value for {missing}"
    return {name: known[name] for name in names}


@dataclass
class Owned:
    """An entity with one record."""

    identifier: str
    name: str
    record_id: int
    record_fields: dict[str, Any]

    def url(self, rule: str) -> str:
        values = {"identifier": self.identifier, "record_id": str(self.record_id)}
        return PARAMETER.sub(lambda m: values.get(m.group(2), "X"), rule)


def owned(ctx, region: str, name: str) -> Owned:  # type: ignore[no-untyped-def]
    entity = create_entity(ctx, region_code=region, name=name)
    record = file_penalty(ctx, entity["identifier"])
    return Owned(entity["identifier"], entity["name"], record["id"], record["fields"])


def pending_enterprise(ctx, uscc: str) -> str:  # type: ignore[no-untyped-def]
    username = f"pending-{uscc[-8:]}"
    auth_services.create_user(
        ctx,
        SYSTEM,
        username=username,
        display_name=username,
        role="enterprise",
        uscc=uscc,
        binding_status="pending",
    )
    return username


def assert_denied(response, *, secret: str | None = None) -> None:  # type: ignore[no-untyped-def]
    text = response.get_data(as_text=True)
    assert response.status_code in DENIED, (response.status_code, text[:300])
    assert response.mimetype == "application/problem+json"
    if secret:
        assert secret not in text, "a refusal must not show the other party's data"


def assert_forbidden(response, code: str | None = None) -> None:  # type: ignore[no-untyped-def]
    body = response.get_json(force=True)
    assert response.status_code == 403, (response.status_code, body)
    assert response.mimetype == "application/problem+json"
    if code:
        assert body["code"] == code, body


def correction(target: Owned, **changes: Any) -> dict[str, Any]:
    return {"fields": {**target.record_fields, **changes}, "reason": "更正处罚事由"}


def body_for(app, endpoint: str, method: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """An empty body of a media type the endpoint takes, so that 415 hides nothing."""
    if method not in ("POST", "PATCH", "PUT"):
        return {}
    view = app.view_functions[endpoint]
    view_class = getattr(view, "view_class", None)
    handler = getattr(view_class, method.lower(), None) if view_class else view
    accepted = getattr(handler, ACCEPTS_ATTR, frozenset({"application/json"}))
    if "application/json" in accepted:
        return {"json": {}}
    return {"data": b"", "content_type": sorted(accepted)[0]}


# --- enterprises ---------------------------------------------------------------------


@pytest.fixture
def enterprises(ctx):  # type: ignore[no-untyped-def]
    a = owned(ctx, XUANZHOU, "宣城甲方知识产权有限公司")
    b = owned(ctx, XUANZHOU, "宣城乙方知识产权有限公司")
    return a, b


def test_an_enterprise_reads_its_own_entity_and_records(client, auth, enterprises):
    a, _ = enterprises
    headers = auth("enterprise", uscc=a.identifier)

    entity = client.get(f"/api/v1/entities/{a.identifier}", headers=headers)
    assert entity.status_code == 200, entity.get_json()
    assert entity.get_json()["identifier"] == a.identifier

    listed = client.get(f"/api/v1/entities/{a.identifier}/records", headers=headers)
    assert listed.status_code == 200, listed.get_json()
    assert [r["id"] for r in listed.get_json()["items"]] == [a.record_id]

    record = client.get(f"/api/v1/records/{a.record_id}", headers=headers)
    assert record.status_code == 200, record.get_json()
    assert record.get_json()["entity"]["identifier"] == a.identifier


def test_an_enterprise_gets_nothing_of_another_enterprise(client, auth, enterprises):
    a, b = enterprises
    headers = auth("enterprise", uscc=a.identifier)
    for url in (
        f"/api/v1/entities/{b.identifier}",
        f"/api/v1/entities/{b.identifier}?unmask=true",
        f"/api/v1/entities/{b.identifier}/records",
        f"/api/v1/records/{b.record_id}",
    ):
        assert_denied(client.get(url, headers=headers), secret=b.name)


@pytest.mark.parametrize(("path", "endpoint", "method"), OBJECT_ROUTES, ids=OBJECT_ROUTE_IDS)
def test_no_route_gives_an_enterprise_another_enterprises_objects(
    app, client, ctx, auth, enterprises, path, endpoint, method
):
    """Every route that names an entity or a record, now and as routes are added."""
    a, b = enterprises
    headers = auth("enterprise", uscc=a.identifier)
    query = required_query(ctx, endpoint, method)
    url = b.url(path)
    response = client.open(
        url, method=method, query_string=query, headers=headers, **body_for(app, endpoint, method)
    )
    assert_denied(response, secret=b.name)


def test_an_enterprise_changes_nothing_not_even_its_own(client, auth, enterprises):
    a, b = enterprises
    headers = auth("enterprise", uscc=a.identifier)
    for target in (a, b):
        writes = [
            ("PATCH", f"/api/v1/entities/{target.identifier}", {"json": {"name": "改名企图"}}),
            (
                "POST",
                "/api/v1/records",
                {
                    "json": {
                        "entity": target.identifier,
                        "item_code": PENALTY_ITEM,
                        "fields": penalty_fields(),
                    }
                },
            ),
            (
                "POST",
                f"/api/v1/records/{target.record_id}/corrections",
                {"json": correction(target)},
            ),
            ("POST", f"/api/v1/entities/{target.identifier}/activation-codes", {}),
        ]
        for method, url, kwargs in writes:
            response = client.open(url, method=method, headers=headers, **kwargs)
            assert_forbidden(response, "role-forbidden")
    others = [
        ("GET", "/api/v1/entities", {}),
        ("POST", "/api/v1/entities", {"json": {"kind": "organisation"}}),
        ("POST", "/api/v1/entities/imports", {"data": b"", "content_type": "text/csv"}),
        ("POST", "/api/v1/records/imports", {"data": b"", "content_type": "text/csv"}),
        ("GET", "/api/v1/accounts/pending-bindings", {}),
    ]
    for method, url, kwargs in others:
        assert_forbidden(client.open(url, method=method, headers=headers, **kwargs))
    control = auth("regulator")
    assert client.get(f"/api/v1/entities/{a.identifier}", headers=control).get_json()["name"] == (
        a.name
    )
    listed = client.get(f"/api/v1/entities/{a.identifier}/records", headers=control).get_json()
    assert len(listed["items"]) == 1


def test_an_enterprise_of_an_unregistered_uscc_sees_nothing(client, auth, enterprises):
    _, b = enterprises
    headers = auth("enterprise", uscc=unique_uscc())
    assert_denied(client.get(f"/api/v1/entities/{b.identifier}", headers=headers), secret=b.name)
    assert_denied(client.get(f"/api/v1/records/{b.record_id}", headers=headers), secret=b.name)


# --- counties ------------------------------------------------------------------------


@pytest.fixture
def counties(ctx):  # type: ignore[no-untyped-def]
    """An entity with a record in 宣州区 and one in 郎溪县, named alike."""
    xuanzhou = owned(ctx, XUANZHOU, f"{NAME_MARK}宣州科技有限公司")
    langxi = owned(ctx, LANGXI, f"{NAME_MARK}郎溪科技有限公司")
    return xuanzhou, langxi


@pytest.fixture
def langxi_regulator(auth):  # type: ignore[no-untyped-def]
    return auth("regulator", region=LANGXI)


def test_a_county_regulator_acts_in_its_own_county(client, langxi_regulator, counties):
    _, langxi = counties
    headers = langxi_regulator
    assert client.get(f"/api/v1/entities/{langxi.identifier}", headers=headers).status_code == 200
    patched = client.patch(
        f"/api/v1/entities/{langxi.identifier}", json={"address": "郎溪县建平镇"}, headers=headers
    )
    assert patched.status_code == 200, patched.get_json()
    filed = client.post(
        "/api/v1/records",
        json={"entity": langxi.identifier, "item_code": PENALTY_ITEM, "fields": penalty_fields()},
        headers=headers,
    )
    assert filed.status_code == 201, filed.get_json()
    corrected = client.post(
        f"/api/v1/records/{langxi.record_id}/corrections",
        json=correction(langxi, CF_SY="更正后的事由"),
        headers=headers,
    )
    assert corrected.status_code == 200, corrected.get_json()
    assert corrected.get_json()["revision"] == 2


def test_a_county_regulator_cannot_read_or_change_another_countys_entity(
    client, langxi_regulator, counties
):
    xuanzhou, _ = counties
    url = f"/api/v1/entities/{xuanzhou.identifier}"
    assert_forbidden(client.get(url, headers=langxi_regulator), "region-scope")
    assert_forbidden(
        client.patch(url, json={"name": "改名企图有限公司"}, headers=langxi_regulator),
        "region-scope",
    )
    assert_forbidden(
        client.patch(url, json={"region_code": LANGXI}, headers=langxi_regulator), "region-scope"
    )
    assert_denied(client.get(f"{url}/records", headers=langxi_regulator), secret=xuanzhou.name)
    assert_denied(
        client.get(f"/api/v1/records/{xuanzhou.record_id}", headers=langxi_regulator),
        secret=xuanzhou.name,
    )


def test_a_county_regulator_cannot_move_its_entity_to_another_county(
    client, langxi_regulator, counties
):
    _, langxi = counties
    response = client.patch(
        f"/api/v1/entities/{langxi.identifier}",
        json={"region_code": XUANZHOU},
        headers=langxi_regulator,
    )
    assert_forbidden(response, "region-scope")


@pytest.mark.parametrize(("path", "endpoint", "method"), READ_ROUTES, ids=READ_ROUTE_IDS)
@pytest.mark.parametrize("role", ["regulator", "viewer"])
def test_no_read_route_shows_a_county_another_countys_objects(
    client, ctx, auth, counties, role, path, endpoint, method
):
    """Every read route naming an entity or record, now and as routes are added."""
    xuanzhou, _ = counties
    headers = auth(role, region=LANGXI)
    query = required_query(ctx, endpoint, method)
    response = client.get(xuanzhou.url(path), query_string=query, headers=headers)
    assert_denied(response, secret=xuanzhou.name)


def test_a_county_regulator_cannot_file_or_correct_another_countys_records(
    client, auth, langxi_regulator, counties
):
    xuanzhou, _ = counties
    filed = client.post(
        "/api/v1/records",
        json={"entity": xuanzhou.identifier, "item_code": PENALTY_ITEM, "fields": penalty_fields()},
        headers=langxi_regulator,
    )
    assert_forbidden(filed, "region-scope")
    corrected = client.post(
        f"/api/v1/records/{xuanzhou.record_id}/corrections",
        json=correction(xuanzhou, CF_SY="越权更正"),
        headers=langxi_regulator,
    )
    assert_forbidden(corrected, "region-scope")

    city = auth("regulator")
    record = client.get(f"/api/v1/records/{xuanzhou.record_id}", headers=city).get_json()
    assert record["revision"] == 1
    assert record["fields"]["CF_SY"] == xuanzhou.record_fields["CF_SY"]
    listed = client.get(f"/api/v1/entities/{xuanzhou.identifier}/records", headers=city).get_json()
    assert [r["id"] for r in listed["items"]] == [xuanzhou.record_id]


def test_a_county_regulators_entity_import_reports_other_counties_rows(
    client, auth, langxi_regulator, counties
):
    xuanzhou, _ = counties
    newcomer, outsider = unique_uscc(LANGXI), unique_uscc(XUANZHOU)
    text = (
        "kind,identifier,name,region_code\n"
        f"organisation,{xuanzhou.identifier},改名企图有限公司,{LANGXI}\n"
        f"organisation,{outsider},宣州新设有限公司,{XUANZHOU}\n"
        f"organisation,{newcomer},郎溪新设有限公司,{LANGXI}\n"
    )
    response = client.post(
        "/api/v1/entities/imports",
        data=text.encode(),
        content_type="text/csv",
        headers=langxi_regulator,
    )
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert (report["rows"], report["created"], report["updated"], report["invalid"]) == (3, 1, 0, 2)
    assert sorted((e["line"], e["column"]) for e in report["errors"]) == [
        (2, "identifier"),
        (3, "region_code"),
    ]

    city = auth("regulator")
    kept = client.get(f"/api/v1/entities/{xuanzhou.identifier}", headers=city).get_json()
    assert (kept["name"], kept["region_code"]) == (xuanzhou.name, XUANZHOU)
    assert client.get(f"/api/v1/entities/{outsider}", headers=city).status_code == 404
    assert client.get(f"/api/v1/entities/{newcomer}", headers=city).status_code == 200


RECORD_COLUMNS = ("CF_WSH", "CF_WFXW", "CF_SY", "CF_YJ", "CF_CFLB", "CF_NR", "CF_NR_FK", "CF_JDRQ")


def records_csv(*identifiers: str) -> str:
    lines = [",".join(("entity", "item_code", *RECORD_COLUMNS, "CF_CFJG"))]
    for identifier in identifiers:
        fields = {**penalty_fields(), "CF_CFLB": "罚款"}
        values = [identifier, PENALTY_ITEM, *(fields[c] for c in RECORD_COLUMNS), fields["CF_CFJG"]]
        assert not any("," in v for v in values)
        lines.append(",".join(values))
    return "\n".join(lines) + "\n"


def test_a_county_regulators_record_import_reports_other_counties_rows(
    client, auth, langxi_regulator, counties
):
    xuanzhou, langxi = counties
    response = client.post(
        "/api/v1/records/imports",
        data=records_csv(xuanzhou.identifier, langxi.identifier).encode(),
        content_type="text/csv",
        headers=langxi_regulator,
    )
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert (report["rows"], report["created"], report["invalid"]) == (2, 1, 1)
    assert [(e["line"], e["column"]) for e in report["errors"]] == [(2, "party")]

    city = auth("regulator")
    theirs = client.get(f"/api/v1/entities/{xuanzhou.identifier}/records", headers=city)
    assert [r["id"] for r in theirs.get_json()["items"]] == [xuanzhou.record_id]
    ours = client.get(f"/api/v1/entities/{langxi.identifier}/records", headers=city)
    assert len(ours.get_json()["items"]) == 2


def search(client, headers, **query):  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/entities", query_string=query, headers=headers)
    return response


def test_a_county_search_never_returns_other_counties(client, langxi_regulator, counties):
    xuanzhou, langxi = counties
    for query in ({"q": NAME_MARK}, {"q": NAME_MARK, "region": LANGXI}, {}, {"region": LANGXI}):
        response = search(client, langxi_regulator, **query)
        assert response.status_code == 200, (query, response.get_json())
        found = {e["identifier"] for e in response.get_json()["items"]}
        assert langxi.identifier in found, query
        assert all(e["region_code"] == LANGXI for e in response.get_json()["items"]), query
    by_identifier = search(client, langxi_regulator, q=xuanzhou.identifier)
    assert by_identifier.status_code == 200
    assert by_identifier.get_json()["items"] == []
    for region in (XUANZHOU, CITY):
        assert_forbidden(
            search(client, langxi_regulator, q=NAME_MARK, region=region), "region-scope"
        )


def test_a_county_search_pages_stay_in_the_county(client, auth, ctx, counties):
    for n in range(3):
        create_entity(ctx, region_code=XUANZHOU, name=f"{NAME_MARK}宣州分页{n}有限公司")
        create_entity(ctx, region_code=LANGXI, name=f"{NAME_MARK}郎溪分页{n}有限公司")
    headers = auth("regulator", region=LANGXI)
    seen, cursor = [], None
    while True:
        query = {"q": NAME_MARK, "limit": 1, **({"cursor": cursor} if cursor else {})}
        page = search(client, headers, **query).get_json()
        seen.extend(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 4
    assert {e["region_code"] for e in seen} == {LANGXI}


def test_a_county_regulator_cannot_issue_codes_or_approve_bindings_elsewhere(
    client, ctx, langxi_regulator, counties
):
    xuanzhou, langxi = counties
    theirs = pending_enterprise(ctx, xuanzhou.identifier)
    ours = pending_enterprise(ctx, langxi.identifier)

    code = client.post(
        f"/api/v1/entities/{xuanzhou.identifier}/activation-codes", headers=langxi_regulator
    )
    assert_forbidden(code, "region-scope")
    approve = client.post(f"/api/v1/accounts/{theirs}/approve-binding", headers=langxi_regulator)
    assert_forbidden(approve, "region-scope")
    pending = client.get("/api/v1/accounts/pending-bindings", headers=langxi_regulator)
    assert [u["username"] for u in pending.get_json()] == [ours]

    own_code = client.post(
        f"/api/v1/entities/{langxi.identifier}/activation-codes", headers=langxi_regulator
    )
    assert own_code.status_code == 201, own_code.get_json()
    own = client.post(f"/api/v1/accounts/{ours}/approve-binding", headers=langxi_regulator)
    assert own.status_code == 200, own.get_json()
    assert own.get_json()["binding_status"] == "approved"


def test_the_city_regulator_does_all_of_it(client, ctx, auth, counties):
    xuanzhou, langxi = counties
    city = auth("regulator")
    url = f"/api/v1/entities/{xuanzhou.identifier}"
    assert client.get(url, headers=city).status_code == 200
    patched = client.patch(url, json={"address": "宣城市宣州区鳌峰路2号"}, headers=city)
    assert patched.status_code == 200, patched.get_json()
    filed = client.post(
        "/api/v1/records",
        json={"entity": xuanzhou.identifier, "item_code": PENALTY_ITEM, "fields": penalty_fields()},
        headers=city,
    )
    assert filed.status_code == 201, filed.get_json()
    corrected = client.post(
        f"/api/v1/records/{xuanzhou.record_id}/corrections",
        json=correction(xuanzhou, CF_SY="更正后的事由"),
        headers=city,
    )
    assert corrected.status_code == 200, corrected.get_json()

    imported = client.post(
        "/api/v1/records/imports",
        data=records_csv(xuanzhou.identifier, langxi.identifier).encode(),
        content_type="text/csv",
        headers=city,
    ).get_json()
    assert (imported["created"], imported["invalid"]) == (2, 0)
    entity_import = client.post(
        "/api/v1/entities/imports",
        data=(
            "kind,identifier,name,region_code\n"
            f"organisation,{xuanzhou.identifier},{xuanzhou.name},{XUANZHOU}\n"
            f"organisation,{unique_uscc(XUANZHOU)},宣州新设有限公司,{XUANZHOU}\n"
        ).encode(),
        content_type="text/csv",
        headers=city,
    ).get_json()
    assert (entity_import["created"], entity_import["invalid"]) == (1, 0)

    everywhere = search(client, city, q=NAME_MARK).get_json()["items"]
    assert {xuanzhou.identifier, langxi.identifier} <= {e["identifier"] for e in everywhere}
    for region, expected in ((XUANZHOU, xuanzhou), (LANGXI, langxi), (CITY, xuanzhou)):
        response = search(client, city, q=NAME_MARK, region=region)
        assert response.status_code == 200, response.get_json()
        assert expected.identifier in {e["identifier"] for e in response.get_json()["items"]}

    pending = pending_enterprise(ctx, xuanzhou.identifier)
    code = client.post(f"{url}/activation-codes", headers=city)
    assert code.status_code == 201, code.get_json()
    approved = client.post(f"/api/v1/accounts/{pending}/approve-binding", headers=city)
    assert approved.status_code == 200, approved.get_json()


# --- viewers and checkers ------------------------------------------------------------


def test_a_city_viewer_reads_but_never_writes(client, ctx, auth, counties):
    xuanzhou, _ = counties
    viewer = auth("viewer")
    for url in (
        f"/api/v1/entities/{xuanzhou.identifier}",
        f"/api/v1/entities/{xuanzhou.identifier}/records",
        f"/api/v1/records/{xuanzhou.record_id}",
        f"/api/v1/entities?q={NAME_MARK}",
    ):
        response = client.get(url, headers=viewer)
        assert response.status_code == 200, (url, response.get_json())
    pending = pending_enterprise(ctx, xuanzhou.identifier)
    writes = [
        ("PATCH", f"/api/v1/entities/{xuanzhou.identifier}", {"json": {"address": "某地"}}),
        ("POST", "/api/v1/entities", {"json": {"kind": "organisation"}}),
        (
            "POST",
            "/api/v1/records",
            {
                "json": {
                    "entity": xuanzhou.identifier,
                    "item_code": PENALTY_ITEM,
                    "fields": penalty_fields(),
                }
            },
        ),
        (
            "POST",
            f"/api/v1/records/{xuanzhou.record_id}/corrections",
            {"json": correction(xuanzhou)},
        ),
        ("POST", "/api/v1/entities/imports", {"data": b"", "content_type": "text/csv"}),
        ("POST", "/api/v1/records/imports", {"data": b"", "content_type": "text/csv"}),
        ("POST", f"/api/v1/entities/{xuanzhou.identifier}/activation-codes", {}),
        ("POST", f"/api/v1/accounts/{pending}/approve-binding", {}),
    ]
    for method, url, kwargs in writes:
        assert_forbidden(
            client.open(url, method=method, headers=viewer, **kwargs), "role-forbidden"
        )
    record = client.get(f"/api/v1/records/{xuanzhou.record_id}", headers=viewer).get_json()
    assert record["revision"] == 1


def test_a_viewer_does_not_see_unmasked_personal_data(client, ctx, auth):
    person = create_person(ctx)
    viewer = auth("viewer")
    url = f"/api/v1/entities/{person['identifier']}"
    lookup = {"q": person["identifier"], "purpose": "投诉核查 2026-17"}
    assert client.get("/api/v1/entities", query_string=lookup, headers=viewer).status_code == 200
    shown = client.get(url, headers=viewer)
    assert shown.status_code == 200, shown.get_json()
    assert shown.get_json()["masked"] is True
    assert person["identifier"] not in shown.get_data(as_text=True)
    assert_forbidden(client.get(f"{url}?unmask=true", headers=viewer), "unmask-forbidden")


ENTITY_AND_RECORD_ROUTES = [
    ("GET", "/api/v1/entities", {}),
    ("POST", "/api/v1/entities", {"json": {}}),
    ("GET", "/api/v1/entities/{identifier}", {}),
    ("PATCH", "/api/v1/entities/{identifier}", {"json": {}}),
    ("GET", "/api/v1/entities/{identifier}/records", {}),
    ("POST", "/api/v1/entities/{identifier}/activation-codes", {}),
    ("POST", "/api/v1/entities/imports", {"data": b"", "content_type": "text/csv"}),
    ("POST", "/api/v1/records", {"json": {}}),
    ("GET", "/api/v1/records/{record_id}", {}),
    ("POST", "/api/v1/records/{record_id}/corrections", {"json": {}}),
    ("POST", "/api/v1/records/imports", {"data": b"", "content_type": "text/csv"}),
]


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    ENTITY_AND_RECORD_ROUTES,
    ids=[f"{m} {p}" for m, p, _ in ENTITY_AND_RECORD_ROUTES],
)
def test_a_checker_gets_403_on_entity_and_record_endpoints(
    client, auth, counties, method, path, kwargs
):
    xuanzhou, _ = counties
    url = path.format(identifier=xuanzhou.identifier, record_id=xuanzhou.record_id)
    response = client.open(url, method=method, headers=auth("checker"), **kwargs)
    assert_forbidden(response, "role-forbidden")
    assert xuanzhou.name not in response.get_data(as_text=True)

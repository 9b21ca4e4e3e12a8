"""The REST API end to end through the Flask test client, on both databases."""

from __future__ import annotations

import io
import json
import re
import shutil

from credit_service.catalogs.loader import load_catalog_set
from credit_service.config import PROJECT_ROOT
from tests.factories import (
    LANGXI,
    PENALTY_ITEM,
    XUANZHOU,
    create_entity,
    create_person,
    file_penalty,
    penalty_fields,
    unique_resident_id,
    unique_uscc,
)

DOMAINS = {"patent", "trademark", "geographical_indication"}
HTTP_METHODS = ("get", "put", "post", "patch", "delete")


def new_organisation(**overrides):
    return {
        "kind": "organisation",
        "identifier": unique_uscc(),
        "name": "宣城接口测试科技有限公司",
        "region_code": XUANZHOU,
        "industry": "C",
        **overrides,
    }


# --- health --------------------------------------------------------------------------


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_when_everything_is_in_place(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "ready"
    assert body["checks"] == {"database": "ok", "migrations": "ok", "catalogs": "ok"}


def test_readyz_is_503_when_catalog_files_differ_from_the_stored_version(client, ctx, tmp_path):
    changed = tmp_path / "catalogs"
    shutil.copytree(PROJECT_ROOT / "catalogs", changed)
    patents = changed / "patents.yaml"
    text = patents.read_text(encoding="utf-8")
    assert 'edition: "2026年版"' in text
    patents.write_text(text.replace('edition: "2026年版"', 'edition: "2026年修订版"'), "utf-8")
    ctx.catalogs = load_catalog_set(changed)

    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "not ready"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["migrations"] == "ok"
    assert "patent" in body["checks"]["catalogs"]
    assert "trademark" not in body["checks"]["catalogs"]


# --- catalogs ------------------------------------------------------------------------


def test_catalog_list_is_public_and_has_the_three_domains(client):
    response = client.get("/api/v1/catalogs")
    assert response.status_code == 200
    catalogs = response.get_json()
    assert {c["domain"] for c in catalogs} == DOMAINS
    for catalog in catalogs:
        assert catalog["item_count"] > 0
        assert catalog["version"] and catalog["edition"] and catalog["title"]
        assert len(catalog["content_hash"]) == 64


def test_catalog_by_domain_has_items_with_fields(client):
    for domain in DOMAINS:
        response = client.get(f"/api/v1/catalogs/{domain}")
        assert response.status_code == 200, (domain, response.get_data(as_text=True))
        catalog = response.get_json()
        assert catalog["domain"] == domain
        assert len(catalog["items"]) == catalog["item_count"]
        for item in catalog["items"]:
            assert item["domain"] == domain
            assert item["fields"], item["code"]
            assert all(f["name"] and f["type"] for f in item["fields"])
            # A field without enumerated values must not serialise dict.values or crash.
            for spec in item["fields"]:
                assert isinstance(spec.get("values", []), list)


def test_catalog_item_detail(client):
    response = client.get(f"/api/v1/catalogs/patent/items/{PENALTY_ITEM}")
    assert response.status_code == 200, response.get_data(as_text=True)
    item = response.get_json()
    assert item["code"] == PENALTY_ITEM
    assert item["domain"] == "patent"
    assert item["version"]
    assert isinstance(item["can_ground_listing"], bool)
    assert {f["name"] for f in item["fields"]} >= {"CF_WSH", "CF_JDRQ", "CF_CFJG"}
    enum_fields = [f for f in item["fields"] if f["type"] in ("enum", "enum_list")]
    assert all(f["values"] for f in enum_fields)
    summary = {c["domain"]: c for c in client.get("/api/v1/catalogs").get_json()}
    assert item["version"] == summary["patent"]["version"]


def test_a_basis_without_a_settled_article_is_the_instrument_alone(client):
    response = client.get("/api/v1/catalogs/patent/items/PAT-DIS-OTHER-CATALOGUED")
    assert response.status_code == 200, response.get_data(as_text=True)
    bases = response.get_json()["legal_basis"]
    assert {b["article"] for b in bases} == {None}
    page = client.get("/catalogs/patent/items/PAT-DIS-OTHER-CATALOGUED").get_data(as_text=True)
    assert "《全国公共信用信息基础目录（2024年版）》<" in page and "None" not in page


# --- entities ------------------------------------------------------------------------


def test_create_get_and_patch_an_entity(client, auth):
    regulator = auth("regulator")
    data = new_organisation(name="宣城旧名科技有限公司")
    created = client.post("/api/v1/entities", json=data, headers=regulator)
    assert created.status_code == 201, created.get_json()
    entity = created.get_json()
    assert entity["identifier"] == data["identifier"]
    assert entity["status"] == "active"
    assert entity["masked"] is False

    fetched = client.get(f"/api/v1/entities/{data['identifier'].lower()}", headers=regulator)
    assert fetched.status_code == 200
    assert fetched.get_json()["id"] == entity["id"]

    patched = client.patch(
        f"/api/v1/entities/{data['identifier']}",
        json={"name": "宣城新名科技有限公司", "phone": "0563-1234567"},
        headers=regulator,
    )
    assert patched.status_code == 200, patched.get_json()
    after = patched.get_json()
    assert after["name"] == "宣城新名科技有限公司"
    assert "宣城旧名科技有限公司" in after["former_names"]
    assert after["phone"] == "0563-1234567"
    again = client.get(f"/api/v1/entities/{data['identifier']}", headers=regulator).get_json()
    assert again["former_names"] == after["former_names"]


def test_patch_may_not_change_the_identifier(client, ctx, auth):
    entity = create_entity(ctx)
    response = client.patch(
        f"/api/v1/entities/{entity['identifier']}",
        json={"identifier": unique_uscc()},
        headers=auth("regulator"),
    )
    assert response.status_code == 422


def test_search_by_name_with_keyset_pages(client, ctx, auth):
    marker = f"翰墨{unique_uscc()[-5:]}"
    made = [create_entity(ctx, name=f"宣城{marker}纸业{i}有限公司") for i in range(5)]
    create_entity(ctx, name="宣城无关科技有限公司")
    regulator = auth("regulator")

    seen, cursor, pages = [], None, 0
    while True:
        query = {"q": marker, "limit": 2}
        if cursor:
            query["cursor"] = cursor
        response = client.get("/api/v1/entities", query_string=query, headers=regulator)
        assert response.status_code == 200, response.get_json()
        page = response.get_json()
        assert len(page["items"]) <= 2
        seen.extend(e["identifier"] for e in page["items"])
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
        assert pages < 10
    assert pages == 3
    assert seen == [e["identifier"] for e in made]

    exact = client.get(
        "/api/v1/entities", query_string={"q": made[2]["identifier"].lower()}, headers=regulator
    ).get_json()
    assert [e["identifier"] for e in exact["items"]] == [made[2]["identifier"]]


def test_search_is_limited_to_a_county_regulators_region(client, ctx, auth):
    marker = f"宛陵{unique_uscc()[-5:]}"
    mine = create_entity(ctx, region_code=LANGXI, name=f"郎溪{marker}有限公司")
    create_entity(ctx, region_code=XUANZHOU, name=f"宣州{marker}有限公司")
    response = client.get(
        "/api/v1/entities",
        query_string={"q": marker},
        headers=auth("regulator", region=LANGXI),
    )
    assert response.status_code == 200
    assert [e["identifier"] for e in response.get_json()["items"]] == [mine["identifier"]]


def test_natural_person_is_masked_unless_a_regulator_asks(client, ctx, auth):
    person = create_person(ctx, name="欧阳明华")
    url = f"/api/v1/entities/{person['identifier']}"
    regulator, viewer = auth("regulator"), auth("viewer")

    masked = client.get(url, headers=regulator).get_json()
    assert masked["masked"] is True
    assert masked["identifier"] != person["identifier"]
    assert masked["name"] != "欧阳明华"
    assert "13812345678" not in json.dumps(masked)

    full = client.get(url, query_string={"unmask": "true"}, headers=regulator)
    assert full.status_code == 200
    assert full.get_json()["masked"] is False
    assert full.get_json()["identifier"] == person["identifier"]
    assert full.get_json()["name"] == "欧阳明华"
    assert full.get_json()["phone"] == "13812345678"

    lookup = {"q": person["identifier"], "purpose": "投诉核查 2026-17"}
    assert client.get("/api/v1/entities", query_string=lookup, headers=viewer).status_code == 200
    assert client.get(url, headers=viewer).get_json()["masked"] is True
    refused = client.get(url, query_string={"unmask": "true"}, headers=viewer)
    assert refused.status_code == 403
    assert refused.get_json()["code"] == "unmask-forbidden"


def test_person_found_by_lowercase_x_resident_id(client, ctx, auth):
    identifier = next(i for i in (unique_resident_id() for _ in range(300)) if i.endswith("X"))
    person = create_person(ctx, identifier=identifier)
    response = client.get(f"/api/v1/entities/{identifier.lower()}", headers=auth("regulator"))
    assert response.status_code == 200
    assert response.get_json()["id"] == person["id"]


def test_enterprise_reads_only_its_own_entity_and_records(client, ctx, auth):
    own = create_entity(ctx)
    other = create_entity(ctx)
    own_record = file_penalty(ctx, own["identifier"])
    other_record = file_penalty(ctx, other["identifier"])
    enterprise = auth("enterprise", uscc=own["identifier"])

    response = client.get(f"/api/v1/entities/{own['identifier']}", headers=enterprise)
    assert response.status_code == 200
    assert response.get_json()["identifier"] == own["identifier"]
    records = client.get(f"/api/v1/entities/{own['identifier']}/records", headers=enterprise)
    assert records.status_code == 200
    assert [r["id"] for r in records.get_json()["items"]] == [own_record["id"]]
    assert client.get(f"/api/v1/records/{own_record['id']}", headers=enterprise).status_code == 200

    for url in (
        f"/api/v1/entities/{other['identifier']}",
        f"/api/v1/entities/{other['identifier']}/records",
        f"/api/v1/records/{other_record['id']}",
    ):
        denied = client.get(url, headers=enterprise)
        assert denied.status_code in (403, 404), url
        assert denied.mimetype == "application/problem+json"
    leaked = client.get(f"/api/v1/records/{other_record['id']}", headers=enterprise)
    assert other["identifier"] not in leaked.get_data(as_text=True)
    assert other["name"] not in leaked.get_data(as_text=True)

    assert client.get("/api/v1/entities", headers=enterprise).status_code == 403
    filing = {"entity": own["identifier"], "item_code": PENALTY_ITEM, "fields": penalty_fields()}
    assert client.post("/api/v1/records", json=filing, headers=enterprise).status_code == 403


# --- records -------------------------------------------------------------------------


def test_file_a_record_idempotently_and_conflicts(client, ctx, auth):
    entity = create_entity(ctx)
    regulator = auth("regulator")
    fields = penalty_fields()
    filing = {"entity": entity["identifier"], "item_code": PENALTY_ITEM, "fields": fields}

    first = client.post("/api/v1/records", json=filing, headers=regulator)
    assert first.status_code == 201, first.get_json()
    record = first.get_json()
    assert record["item_code"] == PENALTY_ITEM
    assert record["domain"] == "patent"
    assert record["entity"]["identifier"] == entity["identifier"]
    assert record["source_ref"] == fields["CF_WSH"]
    assert record["revision"] == 1

    again = client.post("/api/v1/records", json=filing, headers=regulator)
    assert again.status_code == 200
    assert again.get_json()["id"] == record["id"]

    clash = {**filing, "fields": {**fields, "CF_NR": "罚款人民币八万元", "CF_NR_FK": "8"}}
    conflict = client.post("/api/v1/records", json=clash, headers=regulator)
    assert conflict.status_code == 409
    assert conflict.mimetype == "application/problem+json"
    assert conflict.get_json()["record_id"] == record["id"]
    assert conflict.get_json()["code"] == "record-exists-different"


def test_correct_a_record_and_read_its_revisions(client, ctx, auth):
    entity = create_entity(ctx)
    record = file_penalty(ctx, entity["identifier"])
    regulator = auth("regulator")
    corrected_fields = {**record["fields"], "CF_NR": "罚款人民币三万元", "CF_NR_FK": "3"}

    response = client.post(
        f"/api/v1/records/{record['id']}/corrections",
        json={"fields": corrected_fields, "reason": "罚款金额录入错误"},
        headers=regulator,
    )
    assert response.status_code == 200, response.get_json()
    corrected = response.get_json()
    assert corrected["id"] == record["id"]
    assert corrected["revision"] == 2
    assert corrected["fields"]["CF_NR"] == "罚款人民币三万元"

    detail = client.get(f"/api/v1/records/{record['id']}", headers=auth("viewer"))
    assert detail.status_code == 200
    body = detail.get_json()
    revisions = {r["revision"]: r for r in body["revisions"]}
    assert set(revisions) == {1, 2}
    assert revisions[1]["current"] is False
    assert revisions[1]["fields"]["CF_NR"] == record["fields"]["CF_NR"]
    assert revisions[2]["current"] is True
    assert revisions[2]["reason"] == "罚款金额录入错误"
    assert all(r["catalog_version"] for r in body["revisions"])

    moved = client.post(
        f"/api/v1/records/{record['id']}/corrections",
        json={
            "fields": {**corrected_fields, "CF_WSH": "宣市监知罚〔2026〕99999号"},
            "reason": "改号",
        },
        headers=regulator,
    )
    assert moved.status_code == 422


def test_unknown_record_is_404(client, auth):
    response = client.get("/api/v1/records/987654321", headers=auth("regulator"))
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_an_entitys_records_in_pages(client, ctx, auth):
    entity = create_entity(ctx)
    filed = [file_penalty(ctx, entity["identifier"])["id"] for _ in range(3)]
    file_penalty(ctx, create_entity(ctx)["identifier"])
    viewer = auth("viewer")
    url = f"/api/v1/entities/{entity['identifier']}/records"

    first = client.get(url, query_string={"limit": 2}, headers=viewer)
    assert first.status_code == 200
    page = first.get_json()
    assert [r["id"] for r in page["items"]] == filed[:2]
    assert page["next_cursor"]
    second = client.get(
        url, query_string={"limit": 2, "cursor": page["next_cursor"]}, headers=viewer
    ).get_json()
    assert [r["id"] for r in second["items"]] == filed[2:]
    assert second["next_cursor"] is None


# --- CSV imports ---------------------------------------------------------------------


def entities_csv() -> tuple[str, list[str]]:
    good = [unique_uscc(), unique_uscc()]
    bad = unique_uscc()[:-1] + "?"
    text = (
        "kind,identifier,name,region_code,industry\n"
        f"organisation,{good[0]},宣城导入一有限公司,{XUANZHOU},C\n"
        f"organisation,{bad},宣城导入坏行有限公司,{XUANZHOU},C\n"
        f"organisation,{good[1]},宣城导入二有限公司,{LANGXI},\n"
    )
    return text, good


def test_import_entities_as_text_csv(client, auth):
    regulator = auth("regulator")
    text, good = entities_csv()
    response = client.post(
        "/api/v1/entities/imports",
        data=text.encode("utf-8"),
        content_type="text/csv; charset=utf-8",
        headers=regulator,
    )
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert (report["rows"], report["created"], report["invalid"]) == (3, 2, 1)
    assert [(e["line"], e["column"]) for e in report["errors"]] == [(3, "identifier")]
    for identifier in good:
        assert client.get(f"/api/v1/entities/{identifier}", headers=regulator).status_code == 200

    again = client.post(
        "/api/v1/entities/imports", data=text.encode(), content_type="text/csv", headers=regulator
    ).get_json()
    assert (again["created"], again["unchanged"], again["invalid"]) == (0, 2, 1)


def test_import_entities_as_multipart_file(client, auth):
    regulator = auth("regulator")
    text, good = entities_csv()
    response = client.post(
        "/api/v1/entities/imports",
        data={"file": (io.BytesIO(("\ufeff" + text).encode("utf-8")), "entities.csv", "text/csv")},
        content_type="multipart/form-data",
        headers=regulator,
    )
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert (report["rows"], report["created"], report["invalid"]) == (3, 2, 1)
    assert report["errors"][0]["line"] == 3
    assert client.get(f"/api/v1/entities/{good[1]}", headers=regulator).status_code == 200


def test_multipart_import_without_a_file_part_is_422(client, auth):
    response = client.post(
        "/api/v1/entities/imports",
        data={"other": (io.BytesIO(b"kind\n"), "x.csv", "text/csv")},
        content_type="multipart/form-data",
        headers=auth("regulator"),
    )
    assert response.status_code == 422
    assert "file" in response.get_json()["errors"]


def test_import_with_a_wrong_header_is_422(client, auth):
    response = client.post(
        "/api/v1/entities/imports",
        data=b"kind,identifier,colour\norganisation,x,red\n",
        content_type="text/csv",
        headers=auth("regulator"),
    )
    assert response.status_code == 422
    assert "header" in response.get_json()["errors"]


RECORD_COLUMNS = ("CF_WSH", "CF_WFXW", "CF_SY", "CF_YJ", "CF_CFLB", "CF_NR", "CF_NR_FK", "CF_JDRQ")


def records_csv(ctx) -> tuple[str, str]:
    entity = create_entity(ctx)["identifier"]
    header = ["entity", "item_code", *RECORD_COLUMNS, "CF_CFJG"]
    lines = [",".join(header)]
    for n, decision_date in enumerate(("2026-03-15", "2026-13-45", "2026-04-01")):
        fields = penalty_fields(CF_JDRQ=decision_date)
        fields["CF_CFLB"] = "罚款"
        values = [entity, PENALTY_ITEM, *(fields[c] for c in RECORD_COLUMNS), fields["CF_CFJG"]]
        assert not any("," in v for v in values), n
        lines.append(",".join(values))
    return "\n".join(lines) + "\n", entity


def test_import_records_as_text_csv(client, ctx, auth):
    regulator = auth("regulator")
    text, entity = records_csv(ctx)
    response = client.post(
        "/api/v1/records/imports", data=text.encode(), content_type="text/csv", headers=regulator
    )
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert (report["rows"], report["created"], report["invalid"]) == (3, 2, 1)
    assert {e["line"] for e in report["errors"]} == {3}
    assert report["errors"][0]["column"] == "CF_JDRQ"
    listed = client.get(f"/api/v1/entities/{entity}/records", headers=regulator).get_json()
    assert len(listed["items"]) == 2


def test_import_records_as_multipart_file(client, ctx, auth):
    regulator = auth("regulator")
    text, entity = records_csv(ctx)
    response = client.post(
        "/api/v1/records/imports",
        data={"file": (io.BytesIO(text.encode()), "records.csv", "text/csv")},
        content_type="multipart/form-data",
        headers=regulator,
    )
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert (report["rows"], report["created"], report["invalid"]) == (3, 2, 1)
    assert report["errors"][0]["line"] == 3
    again = client.post(
        "/api/v1/records/imports",
        data={"file": (io.BytesIO(text.encode()), "records.csv", "text/csv")},
        content_type="multipart/form-data",
        headers=regulator,
    ).get_json()
    assert (again["created"], again["unchanged"], again["invalid"]) == (0, 2, 1)


# --- OpenAPI and the docs page -------------------------------------------------------


def openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def test_openapi_document(app, client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = json.loads(response.get_data(as_text=True))
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"]

    routes = {
        openapi_path(rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
    }
    assert routes
    assert routes <= set(spec["paths"]), routes - set(spec["paths"])
    assert {"/healthz", "/readyz"} <= set(spec["paths"])

    def resolve(obj):
        while "$ref" in obj:
            section, name = obj["$ref"].split("/")[-2:]
            obj = spec["components"][section][name]
        return obj

    for path, operations in spec["paths"].items():
        for method in HTTP_METHODS:
            if method not in operations:
                continue
            responses = operations[method]["responses"]
            with_schema = [
                status
                for status, resp in responses.items()
                if any("schema" in media for media in resolve(resp).get("content", {}).values())
            ]
            assert with_schema, f"{method.upper()} {path} has no response with a schema"


def test_docs_page_uses_only_local_assets(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    references = re.findall(r'<(?:script|link|img)[^>]*?\b(?:src|href)="([^"]+)"', html)
    assert references, html
    for ref in references:
        assert not ref.startswith(("http://", "https://", "//")), ref
        asset = client.get(ref)
        assert asset.status_code == 200, ref
        assert asset.get_data(), ref
    spec_url = re.search(r'data-spec-url="([^"]+)"', html)
    assert spec_url is not None
    assert client.get(spec_url.group(1)).status_code == 200

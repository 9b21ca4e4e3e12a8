"""No full resident ID number in the audit trail (issue #14, item 4).

A natural person's entity is addressed by its number, so refused requests, filters,
user names typed at sign-in and reasons could carry it into rows that administrators
and auditors read and export. ``audit.append`` masks every such text before the row is
written. Here a workload that touches natural persons through every door, refused
ones included, is run and the whole trail scanned; ``tests/conftest.py`` scans the
rows of every other test of the suite the same way before it rolls them back.
"""

from __future__ import annotations

import csv
import io

from credit_service.audit import services as audit
from credit_service.logmask import mask_resident_ids
from tests.api.test_sessions import sign_in
from tests.audit_scan import resident_ids_in_audit
from tests.factories import LANGXI, XUANZHOU, create_entity, create_person, file_penalty

PURPOSE = "投诉核查 宣市监投〔2026〕17号"


def test_the_audit_trail_holds_no_full_resident_id_after_a_natural_person_workload(
    client, ctx, auth
):
    person = create_person(ctx, region_code=XUANZHOU)
    number = person["identifier"]
    record = file_penalty(ctx, number)
    company = create_entity(ctx, region_code=XUANZHOU)
    path = f"/api/v1/entities/{number}"
    admin, regulator = auth("admin"), auth("regulator", region=XUANZHOU)
    elsewhere = auth("regulator", region=LANGXI)
    viewer, checker = auth("viewer", region=XUANZHOU), auth("checker")
    enterprise = auth("enterprise", uscc=company["identifier"])
    calls = [
        # refused before the view runs, and by the core's object checks
        ("get", path, None, None),
        ("get", path, viewer, None),
        ("get", f"{path}/records", enterprise, None),
        ("get", f"{path}/records", checker, None),
        ("get", f"/console/entities/{number}", viewer, None),
        ("get", f"{path}?unmask=true", viewer, None),
        ("patch", path, elsewhere, {"json": {"name": "越权改名"}}),
        ("post", f"/api/v1/entities/{number}/activation-codes", viewer, None),
        ("post", f"/api/v1/records/{record['id']}/corrections", viewer, {"json": {}}),
        # answered, and audited as reads, lookups and checks
        ("get", "/api/v1/entities", viewer, {"query_string": {"q": number, "purpose": number}}),
        ("get", path, viewer, None),
        ("get", path, regulator, {"query_string": {"unmask": "true"}}),
        ("get", "/api/v1/entities", regulator, {"query_string": {"q": number}}),
        ("post", "/api/v1/tiers/lookup", regulator, {"json": {"identifiers": [number]}}),
        (
            "get",
            f"/api/v1/credit-checks/{number}",
            checker,
            {"query_string": {"purpose": "awards"}},
        ),
        (
            "post",
            "/api/v1/credit-checks",
            checker,
            {"json": {"identifiers": [number, number[:-1] + "0"], "purpose": "awards"}},
        ),
        ("patch", path, regulator, {"json": {"address": f"宣城市鳌峰路1号（证件{number}）"}}),
        # the trail's own filters, as an auditor would type them
        ("get", "/api/v1/admin/audit", admin, {"query_string": {"object_id": f"GET {path}"}}),
        ("get", "/api/v1/admin/audit/export.csv", admin, {"query_string": {"actor": number}}),
    ]
    statuses = [
        getattr(client, method)(url, headers=headers, **(options or {})).status_code
        for method, url, headers, options in calls
    ]
    sign_in(client, number, "wrong password 1")  # a number typed as the user name

    with ctx.session_factory() as session:
        assert resident_ids_in_audit(session.connection()) == []
        denied = audit.query_events(session, action="access.denied")
        signed = audit.query_events(session, action="auth.sign_in")
    masked_path = f"GET /api/v1/entities/{number[:6]}{'*' * 12}"
    assert masked_path in {row.object_id for row in denied}
    assert mask_resident_ids(number) in {row.actor for row in signed}
    assert statuses == [401, 403, 403, 403, 403, 403, 404, 403, 403] + [200] * 10


def test_a_filter_typed_in_full_finds_the_masked_rows(client, ctx, auth):
    number = create_person(ctx, region_code=XUANZHOU)["identifier"]
    path = f"/api/v1/entities/{number}"
    viewer, admin = auth("viewer", region=LANGXI), auth("admin")
    client.get(path, headers=viewer)

    listed = client.get(
        "/api/v1/admin/audit", query_string={"object_id": f"GET {path}"}, headers=admin
    ).get_json()["items"]
    exported = client.get(
        "/api/v1/admin/audit/export.csv", query_string={"object_id": f"GET {path}"}, headers=admin
    ).get_data(as_text=True)

    assert [item["object_id"] for item in listed] == [mask_resident_ids(f"GET {path}")]
    [row] = csv.DictReader(io.StringIO(exported.lstrip("\ufeff")))
    assert row["object_id"] == mask_resident_ids(f"GET {path}") and number not in exported

"""Every refusal is audited as access.denied, object-level ones from the core included:
one row per refused request, written in a transaction of its own, never at the cost of
the refusal itself; and exports of non-public data leave a row each."""

from __future__ import annotations

import pytest

from credit_service.audit import sealing, verification
from credit_service.audit import services as audit
from tests.factories import LANGXI, XUANZHOU, create_entity, file_penalty

DENIED = (403, 404)


def whoami(client, headers: dict[str, str]) -> str:
    return client.get("/api/v1/accounts/me", headers=headers).get_json()["username"]


def events(ctx, username: str, action: str = "access.denied") -> list[audit.AuditEvent]:
    with ctx.session_factory() as session:
        return audit.query_events(session, actor=username, action=action)


def assert_problem(response, statuses: tuple[int, ...] = (403,)) -> dict:
    assert response.status_code in statuses, (response.status_code, response.get_data())
    assert response.mimetype == "application/problem+json"
    return response.get_json(force=True)


@pytest.fixture
def xuanzhou_entity(ctx) -> dict:
    entity = create_entity(ctx, region_code=XUANZHOU, name="宣州审计测试科技有限公司")
    record = file_penalty(ctx, entity["identifier"])
    return {**entity, "record_id": record["id"]}


# --- object-level refusals of the core ------------------------------------------------------


def test_a_county_regulator_reading_another_countys_entity_is_audited(
    ctx, client, auth, xuanzhou_entity
):
    headers = auth("regulator", region=LANGXI)
    name = whoami(client, headers)
    path = f"/api/v1/entities/{xuanzhou_entity['identifier']}"

    body = assert_problem(client.get(path, headers=headers))

    [event] = events(ctx, name)
    assert body["code"] == "region-scope"
    assert (event.role, event.object_type, event.object_id) == (
        "regulator",
        "endpoint",
        f"GET {path}",
    )
    assert (event.outcome, event.details) == ("denied", {"reason": "region-scope"})
    assert event.source_ip is not None


def test_a_refused_change_is_audited_and_changes_nothing(ctx, client, auth, xuanzhou_entity):
    headers = auth("regulator", region=LANGXI)
    name = whoami(client, headers)
    path = f"/api/v1/entities/{xuanzhou_entity['identifier']}"

    assert_problem(client.patch(path, json={"name": "越权改名有限公司"}, headers=headers))

    assert [(e.object_id, e.details["reason"]) for e in events(ctx, name)] == [
        (f"PATCH {path}", "region-scope")
    ]
    kept = client.get(path, headers=auth("regulator")).get_json()
    assert kept["name"] == xuanzhou_entity["name"]
    sealing.seal_log(ctx)
    assert verification.verify_log(ctx).ok


def test_an_enterprise_reading_another_enterprises_record_is_audited(
    ctx, client, auth, xuanzhou_entity
):
    other = create_entity(ctx, region_code=XUANZHOU)
    headers = auth("enterprise", uscc=other["identifier"])
    name = whoami(client, headers)
    path = f"/api/v1/records/{xuanzhou_entity['record_id']}"

    body = assert_problem(client.get(path, headers=headers), DENIED)

    [event] = events(ctx, name)
    assert (event.role, event.object_id) == ("enterprise", f"GET {path}")
    assert event.details == {"reason": body["code"]}


def test_a_refusal_before_the_view_is_audited_once(ctx, client, auth):
    headers = auth("viewer")
    name = whoami(client, headers)

    assert_problem(client.post("/api/v1/entities", json={}, headers=headers))

    assert [e.details for e in events(ctx, name)] == [{"reason": "role-forbidden"}]


def test_an_anonymous_refusal_records_the_callers_address(ctx, client):
    response = client.get("/api/v1/entities", environ_base={"REMOTE_ADDR": "10.9.8.7"})

    assert_problem(response, (401,))
    [event] = [e for e in events(ctx, "anonymous") if e.object_id == "GET /api/v1/entities"]
    assert (event.source_ip, event.details) == ("10.9.8.7", {"reason": "unauthenticated"})


def test_a_failing_audit_write_does_not_turn_the_refusal_into_an_error(
    ctx, client, auth, xuanzhou_entity, monkeypatch
):
    headers = auth("regulator", region=LANGXI)
    name = whoami(client, headers)

    def broken(*args, **kwargs):
        raise RuntimeError("the audit database is down")

    monkeypatch.setattr(audit, "append_alone", broken)
    response = client.get(f"/api/v1/entities/{xuanzhou_entity['identifier']}", headers=headers)

    assert assert_problem(response)["code"] == "region-scope"
    monkeypatch.undo()
    assert events(ctx, name) == []


# --- exports of non-public data --------------------------------------------------------------


def test_a_tier_export_is_audited_and_one_outside_the_scope_refused_before_it_starts(
    ctx, client, auth
):
    create_entity(ctx, region_code=LANGXI)
    headers = auth("regulator", region=LANGXI)
    name = whoami(client, headers)

    exported = client.get(
        "/api/v1/tiers/export.csv", query_string={"industry": "C"}, headers=headers
    )
    refused = client.get(
        "/api/v1/tiers/export.csv", query_string={"region": XUANZHOU}, headers=headers
    )

    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    [export] = events(ctx, name, "tiers.export")
    assert export.details == {"region": None, "industry": "C", "rows": 1}
    assert assert_problem(refused)["code"] == "region-scope"
    assert [e.object_id for e in events(ctx, name)] == ["GET /api/v1/tiers/export.csv"]

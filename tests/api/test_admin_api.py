"""The administration API end to end: accounts, tokens and the audit trail, on both
databases; who may call it (admins; auditors read the trail) and what it records."""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
from datetime import timedelta

from sqlalchemy import text

from credit_service.access import SYSTEM
from credit_service.audit import services as audit
from credit_service.auth.models import ApiToken
from credit_service.clock import SHANGHAI
from tests.factories import CITY, XUANZHOU, create_entity, unique_uscc

PASSWORD = "Xuan-Cheng#2026!"
_numbers = itertools.count(1)


def assert_problem(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    if code is not None:
        assert body["code"] == code, body
    return body


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def whoami(client, headers) -> str:
    response = client.get("/api/v1/accounts/me", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["username"]


def new_user(client, admin, **overrides) -> dict:
    """Create a machine-style regulator account (no password: no hashing) through the API."""
    body = {
        "username": f"api-user-{next(_numbers)}",
        "display_name": "宣州区监管员",
        "role": "regulator",
        "region_code": XUANZHOU,
        **overrides,
    }
    response = client.post("/api/v1/admin/users", json=body, headers=admin)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def new_token(client, admin, username: str, **overrides) -> dict:
    body = {"username": username, "name": "nightly sync", **overrides}
    response = client.post("/api/v1/admin/tokens", json=body, headers=admin)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def new_organisation() -> dict:
    return {
        "kind": "organisation",
        "identifier": unique_uscc(),
        "name": "宣城管理接口测试科技有限公司",
        "region_code": XUANZHOU,
        "industry": "C",
    }


def audit_items(client, headers, **filters) -> list[dict]:
    response = client.get("/api/v1/admin/audit", query_string=filters, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


# --- accounts -------------------------------------------------------------------------------


def test_an_admin_creates_an_account_with_a_password(client, auth):
    admin = auth("admin")
    body = {
        "username": "wang.fang",
        "display_name": "王芳",
        "role": "regulator",
        "region_code": XUANZHOU,
        "password": PASSWORD,
    }

    response = client.post("/api/v1/admin/users", json=body, headers=admin)

    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["username"] == "wang.fang" and created["region_code"] == XUANZHOU
    assert created["is_active"] is True and created["binding_status"] == "approved"
    assert created["password_changed_at"] is not None
    assert not {"password", "password_hash"} & set(created)
    assert PASSWORD not in response.get_data(as_text=True)


def test_a_weak_password_is_refused_naming_the_field(client, auth):
    body = {
        "username": "weak.one",
        "display_name": "弱密码",
        "role": "viewer",
        "region_code": CITY,
        "password": "Password123",
    }

    response = client.post("/api/v1/admin/users", json=body, headers=auth("admin"))

    problem = assert_problem(response, 422, "weak-password")
    assert "password" in problem["errors"]
    users = client.get("/api/v1/admin/users", headers=auth("admin")).get_json()
    assert "weak.one" not in [u["username"] for u in users]


def test_account_fields_are_checked(client, auth):
    admin = auth("admin")
    existing = new_user(client, admin)

    no_region = client.post(
        "/api/v1/admin/users",
        json={"username": "no.region", "display_name": "x", "role": "regulator"},
        headers=admin,
    )
    duplicate = client.post(
        "/api/v1/admin/users",
        json={"username": existing["username"], "display_name": "x", "role": "auditor"},
        headers=admin,
    )

    assert "region_code" in assert_problem(no_region, 422)["errors"]
    assert_problem(duplicate, 409, "user-exists")


def test_an_admin_lists_accounts_without_their_hashes(client, auth):
    admin = auth("admin")
    created = new_user(client, admin)

    response = client.get("/api/v1/admin/users", headers=admin)

    assert response.status_code == 200
    users = {u["username"]: u for u in response.get_json()}
    assert users[created["username"]]["role"] == "regulator"
    assert all("password_hash" not in u for u in users.values())


def test_disabling_and_enabling_an_account(client, auth):
    admin = auth("admin")
    user = new_user(client, admin)
    token = new_token(client, admin, user["username"])["token"]
    assert client.get("/api/v1/accounts/me", headers=bearer(token)).status_code == 200

    disabled = client.post(f"/api/v1/admin/users/{user['username']}/disable", headers=admin)

    assert disabled.status_code == 200 and disabled.get_json()["is_active"] is False
    assert_problem(client.get("/api/v1/accounts/me", headers=bearer(token)), 401)
    listed = client.get("/api/v1/admin/users", headers=admin).get_json()
    assert next(u for u in listed if u["username"] == user["username"])["is_active"] is False

    enabled = client.post(f"/api/v1/admin/users/{user['username']}/enable", headers=admin)

    assert enabled.status_code == 200 and enabled.get_json()["is_active"] is True
    assert client.get("/api/v1/accounts/me", headers=bearer(token)).status_code == 200
    events = audit_items(client, admin, object_type="user", object_id=str(user["id"]))
    actions = [e["action"] for e in events]
    assert actions == ["user.create", "user.disable", "user.enable"]


def test_disabling_an_unknown_account_is_404(client, auth):
    response = client.post("/api/v1/admin/users/nobody-at-all/disable", headers=auth("admin"))

    assert_problem(response, 404, "user-not-found")


# --- tokens ---------------------------------------------------------------------------------


def test_a_new_token_is_shown_once_and_stored_hashed(ctx, client, auth):
    admin = auth("admin")
    user = new_user(client, admin)

    issued = new_token(client, admin, user["username"], scopes=["read"], days=30)

    secret = issued["token"]
    assert secret.startswith("cst_")
    assert issued["scopes"] == ["read"]
    assert issued["expires_at"].startswith((ctx.now() + timedelta(days=30)).date().isoformat())
    listing = client.get("/api/v1/admin/tokens", headers=admin)
    assert listing.status_code == 200
    mine = [t for t in listing.get_json() if t["id"] == issued["id"]]
    assert len(mine) == 1 and mine[0]["username"] == user["username"]
    assert "token" not in mine[0] and "token_hash" not in mine[0]
    assert secret not in listing.get_data(as_text=True)
    assert secret.split("_", 2)[2] not in listing.get_data(as_text=True)
    with ctx.session_factory() as session:
        stored = session.get(ApiToken, issued["id"])
    assert stored.token_hash == hashlib.sha256(secret.split("_", 2)[2].encode()).hexdigest()
    assert stored.prefix == mine[0]["prefix"] == secret.split("_")[1]


def test_the_new_token_works(client, auth):
    admin = auth("admin")
    user = new_user(client, admin)
    secret = new_token(client, admin, user["username"])["token"]

    response = client.get("/api/v1/accounts/me", headers=bearer(secret))

    assert response.status_code == 200
    me = response.get_json()
    assert (me["username"], me["via"], me["scopes"]) == (
        user["username"],
        "token",
        ["read", "write"],
    )


def test_a_revoked_token_stops_at_once(client, auth):
    admin = auth("admin")
    user = new_user(client, admin)
    issued = new_token(client, admin, user["username"])
    assert client.get("/api/v1/accounts/me", headers=bearer(issued["token"])).status_code == 200

    revoked = client.delete(f"/api/v1/admin/tokens/{issued['id']}", headers=admin)

    assert revoked.status_code == 204
    answer = client.get("/api/v1/accounts/me", headers=bearer(issued["token"]))
    assert_problem(answer, 401, "invalid-token")
    listed = client.get("/api/v1/admin/tokens", headers=admin).get_json()
    assert next(t for t in listed if t["id"] == issued["id"])["revoked_at"] is not None


def test_revoking_an_unknown_token_is_404(client, auth):
    assert_problem(client.delete("/api/v1/admin/tokens/999999", headers=auth("admin")), 404)


def test_an_expired_token_is_refused(client, auth, clock):
    admin = auth("admin")
    user = new_user(client, admin)
    secret = new_token(client, admin, user["username"], days=1)["token"]
    clock.advance(hours=23)
    assert client.get("/api/v1/accounts/me", headers=bearer(secret)).status_code == 200

    clock.advance(hours=1, seconds=1)

    assert_problem(client.get("/api/v1/accounts/me", headers=bearer(secret)), 401, "invalid-token")


def test_a_forged_or_malformed_token_is_refused(client, auth):
    issued = auth("regulator")["Authorization"]
    forged = issued[:-4] + ("AAAA" if not issued.endswith("AAAA") else "BBBB")

    assert_problem(client.get("/api/v1/accounts/me", headers={"Authorization": forged}), 401)
    assert_problem(client.get("/api/v1/accounts/me", headers=bearer("not-a-token")), 401)
    assert_problem(
        client.get("/api/v1/accounts/me", headers={"Authorization": "Basic eDp5"}),
        401,
        "bad-authorization",
    )


def test_a_read_scoped_token_reads_but_cannot_write(client, auth):
    reader = auth("regulator", scopes=["read"])

    listing = client.get("/api/v1/entities", headers=reader)
    created = client.post("/api/v1/entities", json=new_organisation(), headers=reader)

    assert listing.status_code == 200, listing.get_json()
    assert_problem(created, 403, "scope-forbidden")
    writer = auth("regulator")
    assert (
        client.post("/api/v1/entities", json=new_organisation(), headers=writer).status_code == 201
    )


def test_an_admin_token_without_the_admin_scope_cannot_administer(client, auth):
    reader = auth("admin", scopes=["read"])

    assert_problem(client.get("/api/v1/admin/users", headers=reader), 403, "scope-forbidden")
    assert client.get("/api/v1/entities", headers=reader).status_code == 200


def test_scopes_beyond_the_role_are_refused(client, auth):
    admin = auth("admin")
    viewer = new_user(client, admin, role="viewer", region_code=CITY)

    response = client.post(
        "/api/v1/admin/tokens",
        json={"username": viewer["username"], "name": "x", "scopes": ["write"]},
        headers=admin,
    )

    assert "scopes" in assert_problem(response, 422)["errors"]


def test_a_token_for_an_unknown_user_is_404(client, auth):
    response = client.post(
        "/api/v1/admin/tokens",
        json={"username": "nobody-at-all", "name": "x"},
        headers=auth("admin"),
    )

    assert_problem(response, 404, "user-not-found")


# --- the audit trail ------------------------------------------------------------------------


def make_history(client, clock, admin) -> dict:
    """Three acts of the admin an hour apart: create an account, a token, disable it."""
    start = clock.now()
    user = new_user(client, admin)
    clock.advance(hours=1)
    token = new_token(client, admin, user["username"])
    clock.advance(hours=1)
    client.post(f"/api/v1/admin/users/{user['username']}/disable", headers=admin)
    clock.advance(hours=1)
    return {"start": start, "user": user, "token": token}


def test_audit_filter_by_actor(client, auth, clock):
    admin = auth("admin")
    name = whoami(client, admin)
    make_history(client, clock, admin)

    items = audit_items(client, admin, actor=name)

    assert [e["action"] for e in items] == ["user.create", "token.create", "user.disable"]
    assert {e["actor"] for e in items} == {name}
    assert {e["role"] for e in items} == {"admin"}


def test_audit_filter_by_action(client, auth, clock):
    admin = auth("admin")
    name = whoami(client, admin)
    history = make_history(client, clock, admin)

    items = audit_items(client, admin, action="user.create")

    assert {e["action"] for e in items} == {"user.create"}
    assert (name, str(history["user"]["id"])) in [(e["actor"], e["object_id"]) for e in items]
    assert len(items) >= 2  # the factory's own accounts are created by 'system'


def test_audit_filter_by_object(client, auth, clock):
    admin = auth("admin")
    history = make_history(client, clock, admin)

    by_user = audit_items(client, admin, object_type="user", object_id=str(history["user"]["id"]))
    by_token = audit_items(
        client, admin, object_type="token", object_id=str(history["token"]["id"])
    )

    assert [e["action"] for e in by_user] == ["user.create", "user.disable"]
    assert [e["action"] for e in by_token] == ["token.create"]
    assert by_token[0]["details"]["user"] == history["user"]["username"]


def test_audit_filter_by_time_range(client, auth, clock):
    admin = auth("admin")
    name = whoami(client, admin)
    start = make_history(client, clock, admin)["start"]
    second_hour = start + timedelta(hours=1)

    in_utc = audit_items(
        client,
        admin,
        since=second_hour.isoformat(),
        until=(second_hour + timedelta(hours=1)).isoformat(),
    )
    in_beijing = audit_items(
        client,
        admin,
        since=second_hour.astimezone(SHANGHAI).isoformat(),
        until=(second_hour + timedelta(hours=1)).astimezone(SHANGHAI).isoformat(),
    )
    from_then_on = audit_items(client, admin, since=second_hour.isoformat(), actor=name)
    before = audit_items(client, admin, until=second_hour.isoformat(), actor=name)

    assert [(e["actor"], e["action"]) for e in in_utc] == [(name, "token.create")]
    assert in_beijing == in_utc
    assert [e["action"] for e in from_then_on] == ["token.create", "user.disable"]
    assert [e["action"] for e in before] == ["user.create"]


def test_audit_times_need_a_zone(client, auth):
    response = client.get(
        "/api/v1/admin/audit", query_string={"since": "2026-11-25T10:00:00"}, headers=auth("admin")
    )

    assert_problem(response, 422)


def test_audit_unknown_filters_are_refused(client, auth):
    response = client.get("/api/v1/admin/audit?who=me", headers=auth("admin"))

    assert_problem(response, 422)


def test_audit_paging_with_next_after_id(client, auth, clock):
    admin = auth("admin")
    make_history(client, clock, admin)
    everything = audit_items(client, admin, limit=1000)
    assert len(everything) >= 5

    seen, after = [], None
    while True:
        args = {"limit": 2} if after is None else {"limit": 2, "after_id": after}
        page = client.get("/api/v1/admin/audit", query_string=args, headers=admin).get_json()
        assert len(page["items"]) <= 2
        seen.extend(e["id"] for e in page["items"])
        after = page["next_after_id"]
        if after is None:
            break
        assert after == page["items"][-1]["id"]

    assert seen == [e["id"] for e in everything]
    assert seen == sorted(seen)


def read_csv(response) -> tuple[str, list[list[str]]]:
    assert response.status_code == 200, response.get_data(as_text=True)
    raw = response.get_data()
    data = raw.decode("utf-8")
    return data, list(csv.reader(io.StringIO(data.removeprefix("\ufeff"))))


def test_the_csv_export_has_a_bom_a_header_and_the_matching_rows(client, auth, clock):
    admin = auth("admin")
    make_history(client, clock, admin)
    expected = audit_items(client, admin, action="user.create")

    response = client.get(
        "/api/v1/admin/audit/export.csv", query_string={"action": "user.create"}, headers=admin
    )

    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    data, rows = read_csv(response)
    assert data.startswith("\ufeff")
    assert rows[0] == list(audit.EXPORT_COLUMNS)
    body = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert [int(r["id"]) for r in body] == [e["id"] for e in expected]
    assert {r["action"] for r in body} == {"user.create"}
    assert [r["chain_hash"] for r in body] == [e["chain_hash"] or "" for e in expected]


def test_the_export_itself_is_audited(client, auth, clock):
    admin = auth("admin")
    name = whoami(client, admin)

    read_csv(
        client.get(
            "/api/v1/admin/audit/export.csv",
            query_string={"action": "user.disable"},
            headers=admin,
        )
    )

    exports = audit_items(client, admin, action="audit.export")
    assert [(e["actor"], e["object_type"]) for e in exports] == [(name, "audit")]
    assert exports[0]["details"] == {"action": "user.disable"}


def test_the_export_keeps_chinese_text_readable(ctx, client, auth):
    admin = auth("admin")
    with ctx.session_factory.begin() as session:
        audit.append(
            session,
            actor=SYSTEM,
            action="test.note",
            now=ctx.now(),
            details={"备注": "宣城市市场监督管理局"},
        )

    _, rows = read_csv(
        client.get(
            "/api/v1/admin/audit/export.csv", query_string={"action": "test.note"}, headers=admin
        )
    )

    details = rows[1][audit.EXPORT_COLUMNS.index("details")]
    assert json.loads(details) == {"备注": "宣城市市场监督管理局"}
    assert "宣城市" in details


# --- who may read the trail -----------------------------------------------------------------


def test_an_auditor_reads_the_trail(client, auth):
    auditor = auth("auditor")

    assert client.get("/api/v1/admin/audit", headers=auditor).status_code == 200
    assert client.get("/api/v1/admin/audit/verify", headers=auditor).status_code == 200
    export = client.get("/api/v1/admin/audit/export.csv", headers=auditor)
    assert export.status_code == 200
    export.get_data()
    name = whoami(client, auditor)
    assert [e["actor"] for e in audit_items(client, auditor, action="audit.export")] == [name]


def test_an_auditor_cannot_administer_or_write(ctx, client, auth):
    auditor = auth("auditor")
    entity = create_entity(ctx)
    attempts = [
        client.get("/api/v1/admin/users", headers=auditor),
        client.get("/api/v1/admin/tokens", headers=auditor),
        client.post(
            "/api/v1/admin/users",
            json={"username": "sneaky", "display_name": "x", "role": "admin"},
            headers=auditor,
        ),
        client.post("/api/v1/admin/tokens", json={"username": "x", "name": "x"}, headers=auditor),
        client.delete("/api/v1/admin/tokens/1", headers=auditor),
        client.post("/api/v1/admin/users/someone/disable", headers=auditor),
        client.post("/api/v1/entities", json=new_organisation(), headers=auditor),
        client.post(f"/api/v1/entities/{entity['identifier']}/activation-codes", headers=auditor),
    ]

    for response in attempts:
        assert_problem(response, 403, "role-forbidden")


def test_an_auditor_token_without_the_audit_scope_cannot_read_the_trail(client, auth):
    reader = auth("auditor", scopes=["read"])

    assert_problem(client.get("/api/v1/admin/audit", headers=reader), 403, "scope-forbidden")


def test_a_regulator_cannot_read_the_trail(client, auth):
    regulator = auth("regulator")

    for path in (
        "/api/v1/admin/audit",
        "/api/v1/admin/audit/export.csv",
        "/api/v1/admin/audit/verify",
    ):
        assert_problem(client.get(path, headers=regulator), 403, "role-forbidden")


def test_the_trail_cannot_be_read_anonymously(client):
    assert_problem(client.get("/api/v1/admin/audit"), 401)


def test_a_refused_request_is_itself_audited(client, auth):
    regulator = auth("regulator")
    name = whoami(client, regulator)
    client.get("/api/v1/admin/audit", headers=regulator)

    denied = audit_items(client, auth("admin"), action="access.denied", actor=name)

    assert [(e["object_id"], e["outcome"]) for e in denied] == [
        ("GET /api/v1/admin/audit", "denied")
    ]
    assert denied[0]["details"] == {"reason": "role-forbidden"}


# --- verifying the chain --------------------------------------------------------------------


def seal(client, admin) -> dict:
    response = client.post("/api/v1/admin/audit/seal", headers=admin)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_a_seal_on_demand_numbers_every_row_and_is_audited(client, auth, clock):
    admin = auth("admin")
    make_history(client, clock, admin)

    sealed = seal(client, admin)

    items = audit_items(client, admin, limit=1000)
    assert sealed["rows"] >= 5 and sealed["size"] == max(e["seq"] or 0 for e in items)
    assert items[-1]["action"] == "audit.seal" and items[-1]["seq"] is None  # the next seal's
    assert client.post("/api/v1/admin/audit/seal", headers=auth("auditor")).status_code == 403


def test_verify_reports_an_intact_log(client, auth, clock):
    admin = auth("admin")
    make_history(client, clock, admin)
    seal(client, admin)

    report = client.get("/api/v1/admin/audit/verify", headers=admin).get_json()

    assert report["ok"] is True and report["findings"] == []
    sealed = [e for e in audit_items(client, admin, limit=1000) if e["seq"] is not None]
    assert report["checked"] == len(sealed) >= 5
    assert report["unsealed"] == 1  # the seal request's own row


def test_verify_names_the_row_altered_behind_its_back(ctx, client, auth, clock):
    admin = auth("admin")
    history = make_history(client, clock, admin)
    seal(client, admin)
    target = audit_items(client, admin, object_type="token", object_id=str(history["token"]["id"]))
    seq = target[0]["seq"]
    with ctx.session_factory.begin() as session:
        session.execute(
            text("UPDATE audit_events SET actor = :actor WHERE seq = :seq"),
            {"actor": "someone-else", "seq": seq},
        )

    report = client.get(
        "/api/v1/admin/audit/verify", headers={**admin, "Accept-Language": "zh"}
    ).get_json()

    assert report["ok"] is False
    [finding] = report["findings"]
    assert (finding["problem"], finding["seq"], finding["id"]) == (
        "audit-row-forged",
        seq,
        target[0]["id"],
    )
    assert "认证码不符" in finding["message"]

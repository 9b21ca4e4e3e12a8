"""Every error leaves as RFC 9457 problem+json, and every response carries the security headers."""

from __future__ import annotations

import itertools
import re

import pytest

from credit_service.access import SYSTEM
from credit_service.auth import services as auth_services
from credit_service.auth import tokens
from credit_service.web import hardening, i18n
from credit_service.web.access import public
from tests.factories import LANGXI, XUANZHOU, create_entity, penalty_fields, unique_uscc

PROBLEM_MEMBERS = ("type", "title", "status", "detail", "instance", "code")
_users = itertools.count(1)


def assert_problem(response, status: int, code: str | None = None) -> dict:
    """The response is problem+json with every member, for ``status`` (and ``code``)."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    missing = [m for m in PROBLEM_MEMBERS if m not in body]
    assert not missing, f"problem lacks {missing}: {body}"
    assert body["status"] == status
    assert body["type"].endswith("/" + body["code"])
    assert body["title"] and body["detail"]
    assert body["instance"] == response.request.path
    if code is not None:
        assert body["code"] == code
    return body


def new_organisation(**overrides):
    return {
        "kind": "organisation",
        "identifier": unique_uscc(),
        "name": "宣城错误测试科技有限公司",
        "region_code": XUANZHOU,
        **overrides,
    }


def issue_token(ctx, role: str = "regulator", **kwargs) -> tokens.IssuedToken:
    """A fresh user of ``role`` and a token for it (the IssuedToken, with its id)."""
    username = f"errors-{role}-{next(_users)}"
    region = kwargs.pop("region", "341800" if role in ("regulator", "viewer") else None)
    auth_services.create_user(
        ctx, SYSTEM, username=username, display_name=username, role=role, region_code=region
    )
    return tokens.create_token(ctx, SYSTEM, username=username, name="test", **kwargs)


def bearer(token: tokens.IssuedToken) -> dict[str, str]:
    return {"Authorization": f"Bearer {token.secret}"}


# --- 400 -----------------------------------------------------------------------------


def test_malformed_json_body_is_400(client, auth):
    response = client.post(
        "/api/v1/records",
        data='{"entity": "x", "item_code": ',
        content_type="application/json",
        headers=auth("regulator"),
    )
    assert_problem(response, 400)


# --- 401 -----------------------------------------------------------------------------


def test_no_token_is_401(client):
    body = assert_problem(client.get("/api/v1/entities"), 401, "unauthenticated")
    assert "Traceback" not in str(body)


@pytest.mark.parametrize(
    "header",
    ["Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "Token abc", "cst_abc_def"],
)
def test_malformed_authorization_header_is_401(client, header):
    response = client.get("/api/v1/entities", headers={"Authorization": header})
    assert_problem(response, 401, "bad-authorization")


@pytest.mark.parametrize(
    "secret",
    ["cst_000000000000_unknownsecret", "not-a-token", "cst_only-two"],
)
def test_unknown_token_is_401(client, secret):
    response = client.get("/api/v1/entities", headers={"Authorization": f"Bearer {secret}"})
    assert_problem(response, 401, "invalid-token")


def test_token_with_wrong_secret_is_401(client, ctx):
    token = issue_token(ctx)
    forged = token.secret[:-4] + ("AAAA" if not token.secret.endswith("AAAA") else "BBBB")
    response = client.get("/api/v1/entities", headers={"Authorization": f"Bearer {forged}"})
    assert_problem(response, 401, "invalid-token")


def test_revoked_token_is_401(client, ctx):
    token = issue_token(ctx)
    assert client.get("/api/v1/entities", headers=bearer(token)).status_code == 200
    tokens.revoke_token(ctx, SYSTEM, token.token_id)
    assert_problem(client.get("/api/v1/entities", headers=bearer(token)), 401, "invalid-token")


def test_expired_token_is_401(client, ctx, clock):
    token = issue_token(ctx, days=1)
    assert client.get("/api/v1/entities", headers=bearer(token)).status_code == 200
    clock.advance(hours=23, minutes=59)
    assert client.get("/api/v1/entities", headers=bearer(token)).status_code == 200
    clock.advance(minutes=2)
    assert_problem(client.get("/api/v1/entities", headers=bearer(token)), 401, "invalid-token")


# --- 403 -----------------------------------------------------------------------------


def test_viewer_may_not_register_an_entity(client, auth):
    response = client.post("/api/v1/entities", json=new_organisation(), headers=auth("viewer"))
    assert_problem(response, 403, "role-forbidden")


def test_county_regulator_may_not_read_another_countys_entity(client, ctx, auth):
    entity = create_entity(ctx, region_code=XUANZHOU)
    langxi = auth("regulator", region=LANGXI)
    response = client.get(f"/api/v1/entities/{entity['identifier']}", headers=langxi)
    assert_problem(response, 403, "region-scope")
    own = create_entity(ctx, region_code=LANGXI)
    assert client.get(f"/api/v1/entities/{own['identifier']}", headers=langxi).status_code == 200


# --- 404 -----------------------------------------------------------------------------


def test_unknown_entity_is_404(client, auth):
    response = client.get(f"/api/v1/entities/{unique_uscc()}", headers=auth("regulator"))
    assert_problem(response, 404, "entity-not-found")


def test_unknown_catalog_domain_is_404(client):
    assert_problem(client.get("/api/v1/catalogs/copyright"), 404, "catalog-not-found")


def test_unknown_catalog_item_is_404(client):
    response = client.get("/api/v1/catalogs/patent/items/PAT-NO-SUCH-ITEM")
    assert_problem(response, 404, "catalog-item-not-found")


@pytest.mark.parametrize("path", ["/no/such/page", "/api/v1/nothing-here", "/api/v2/catalogs"])
def test_unknown_url_is_404(client, path):
    assert_problem(client.get(path), 404, "not-found")


# --- 405 -----------------------------------------------------------------------------


def test_delete_on_catalogs_is_405_with_allow(client):
    response = client.delete("/api/v1/catalogs")
    assert_problem(response, 405)
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert "GET" in allowed
    assert "DELETE" not in allowed


# --- 409 -----------------------------------------------------------------------------


def test_duplicate_entity_is_409(client, auth):
    regulator = auth("regulator")
    data = new_organisation()
    assert client.post("/api/v1/entities", json=data, headers=regulator).status_code == 201
    body = assert_problem(
        client.post("/api/v1/entities", json=data, headers=regulator), 409, "entity-exists"
    )
    assert body["identifier"] == data["identifier"]


# --- 413 -----------------------------------------------------------------------------


def test_body_over_the_limit_is_413(client, auth):
    body = b'{"pad": "' + b"x" * (11 * 1024 * 1024) + b'"}'
    response = client.post(
        "/api/v1/records", data=body, content_type="application/json", headers=auth("regulator")
    )
    assert_problem(response, 413)


# --- 415 -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/api/v1/catalogs?q=" + "a" * (hardening.MAX_URL_BYTES - 18), {}, 414),
        ("/api/v1/catalogs", {"X-Big": "a" * hardening.MAX_HEADER_FIELD_BYTES}, 431),
        ("/api/v1/catalogs", {f"X-{n}": "1" for n in range(hardening.MAX_HEADER_FIELDS)}, 431),
    ],
    ids=["url", "header-field", "header-count"],
)
def test_a_url_or_headers_beyond_the_limits_are_414_and_431(client, auth, path, headers, status):
    """Signed in or not: the size is refused before anything reads the request (the
    served check, through gunicorn, is in tests/integration/test_gunicorn_errors.py)."""
    for caller in ({}, auth("regulator")):
        assert_problem(client.get(path, headers={**caller, **headers}), status)
    assert client.get(path[: hardening.MAX_URL_BYTES]).status_code != 414


def test_text_plain_to_a_json_endpoint_is_415(client, auth):
    response = client.post(
        "/api/v1/entities",
        data="kind=organisation",
        content_type="text/plain",
        headers=auth("regulator"),
    )
    body = assert_problem(response, 415, "unsupported-media-type")
    assert "application/json" in body["detail"]


@pytest.mark.parametrize("path", ["/api/v1/entities/imports", "/api/v1/records/imports"])
def test_json_to_a_csv_import_endpoint_is_415(client, auth, path):
    response = client.post(path, json={"rows": []}, headers=auth("regulator"))
    body = assert_problem(response, 415, "unsupported-media-type")
    assert "text/csv" in body["detail"]


# --- 422 -----------------------------------------------------------------------------


def test_invalid_uscc_names_the_identifier_field(client, auth):
    valid = unique_uscc()
    wrong_check = "0" if valid[-1] != "0" else "1"
    data = new_organisation(identifier=valid[:-1] + wrong_check)
    response = client.post("/api/v1/entities", json=data, headers=auth("regulator"))
    body = assert_problem(response, 422)
    assert "identifier" in body["errors"]


def test_unknown_body_field_is_rejected(client, auth):
    data = new_organisation(nickname="小宣")
    response = client.post("/api/v1/entities", json=data, headers=auth("regulator"))
    body = assert_problem(response, 422)
    assert "nickname" in body["errors"]


def test_unknown_query_parameter_is_rejected(client, auth):
    response = client.get("/api/v1/entities?q=宣城&sort=name", headers=auth("regulator"))
    body = assert_problem(response, 422)
    assert any("sort" in key for key in body["errors"])


@pytest.mark.parametrize(
    "cursor", ["!!!not-base64!!!", "eyJ4IjoxfQ", "WzEsMl0", "eyJhZnRlciI6IngifQ"]
)
def test_bad_cursor_is_422(client, auth, cursor):
    response = client.get(f"/api/v1/entities?cursor={cursor}", headers=auth("regulator"))
    body = assert_problem(response, 422)
    assert "cursor" in body["errors"]


def test_record_for_unknown_item_is_422(client, ctx, auth):
    entity = create_entity(ctx)
    response = client.post(
        "/api/v1/records",
        json={"entity": entity["identifier"], "item_code": "NO-SUCH-ITEM", "fields": {}},
        headers=auth("regulator"),
    )
    body = assert_problem(response, 422, "unknown-catalog-item")
    assert "item_code" in body["errors"]


def test_record_with_invalid_fields_is_422(client, ctx, auth):
    entity = create_entity(ctx)
    response = client.post(
        "/api/v1/records",
        json={
            "entity": entity["identifier"],
            "item_code": "PAT-PEN-COUNTERFEIT",
            "fields": penalty_fields(CF_JDRQ="not a date"),
        },
        headers=auth("regulator"),
    )
    body = assert_problem(response, 422)
    assert any("CF_JDRQ" in key for key in body["errors"])


# --- 500 -----------------------------------------------------------------------------


def test_unexpected_error_is_a_bare_500(app, client, caplog):
    @public("test")
    def explode():
        raise RuntimeError("secret SQL SELECT password_hash FROM users")

    app.add_url_rule("/test-explode", "test_explode", explode)
    response = client.get("/test-explode")
    assert_problem(response, 500)
    text = response.get_data(as_text=True)
    for leaked in ("Traceback", "secret", "SELECT", "RuntimeError", "password_hash"):
        assert leaked not in text
    assert any(r.exc_info for r in caplog.records), "the error is logged with its traceback"


# --- headers -------------------------------------------------------------------------

HEADER_CASES = [
    ("get", "/healthz", None, 200),
    ("get", "/api/v1/catalogs", None, 200),
    ("get", "/api/docs", None, 200),
    ("get", "/api/openapi.json", None, 200),
    ("get", "/api/v1/entities", None, 401),
    ("get", "/api/v1/entities", "regulator", 200),
    ("post", "/api/v1/entities", "viewer", 403),
    ("get", "/nowhere", None, 404),
    ("delete", "/api/v1/catalogs", None, 405),
]


@pytest.mark.parametrize(("method", "path", "role", "status"), HEADER_CASES)
def test_security_headers_on_every_response(client, auth, method, path, role, status):
    headers = auth(role) if role else {}
    kwargs = {"json": new_organisation()} if method == "post" else {}
    response = getattr(client, method)(path, headers=headers, **kwargs)
    assert response.status_code == status
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]
    server = response.headers.get("Server", "")
    assert not re.search(r"werkzeug|flask|python|\d+\.\d+", server, re.IGNORECASE), server
    powered = response.headers.get("X-Powered-By", "")
    assert not powered


def test_security_headers_on_500(app, client):
    @public("test")
    def explode():
        raise RuntimeError("boom")

    app.add_url_rule("/test-explode-headers", "test_explode_headers", explode)
    response = client.get("/test-explode-headers")
    assert response.status_code == 500
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


# --- language ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept_language", "language"),
    [
        (None, "zh-CN"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        ("en-US,en;q=0.9,zh;q=0.8", "en"),
        ("en", "en"),
        ("en;q=0.3, zh-TW;q=0.9", "zh-CN"),  # q-values decide, not the order
        ("zh;q=0.2, en;q=0.5", "en"),
        ("fr-FR, de;q=0.5", "zh-CN"),  # neither: Chinese
    ],
)
def test_the_detail_is_in_the_language_the_client_prefers(client, auth, accept_language, language):
    headers = {
        **auth("viewer"),
        **({"Accept-Language": accept_language} if accept_language else {}),
    }
    response = client.post("/api/v1/entities", json=new_organisation(), headers=headers)
    body = assert_problem(response, 403, "role-forbidden")
    assert response.headers["Content-Language"] == language
    if language == "en":
        assert (body["title"], body["detail"]) == (
            "Forbidden",
            "The role 'viewer' may not call this endpoint.",
        )
    else:
        assert (body["title"], body["detail"]) == (
            "无权访问",
            "当前角色（查询人员）无权使用此功能。",
        )
    assert body["role"] == "viewer"  # the params are members of the problem too


def test_field_errors_of_the_schemas_are_in_words_in_either_language(client, auth):
    data = new_organisation(nickname="小宣")
    for accept, unknown in (("zh", "不接受此字段。"), ("en", "Unknown field.")):
        headers = {**auth("regulator"), "Accept-Language": accept}
        body = assert_problem(client.post("/api/v1/entities", json=data, headers=headers), 422)
        assert body["errors"]["nickname"] == [unknown]
        assert body["detail"] == i18n.translate("problem.detail.422", accept)


def test_a_status_without_a_code_of_its_own_has_its_general_words(client):
    english = client.delete("/api/v1/catalogs", headers={"Accept-Language": "en"})
    assert assert_problem(english, 405)["detail"] == "This method is not allowed here."
    chinese = assert_problem(client.delete("/api/v1/catalogs"), 405)
    assert chinese["detail"] == "不支持该请求方法。" and chinese["title"] == "不支持该请求方法"


def test_a_page_speaks_chinese_whatever_the_browser_prefers(client, auth):
    headers = {"Accept": "text/html", "Accept-Language": "en-US,en;q=0.9", **auth("checker")}
    response = client.get("/console", headers=headers)
    assert response.status_code == 403 and response.mimetype == "text/html"
    assert response.headers["Content-Language"] == "zh-CN"
    assert "当前角色（信用核查部门）无权使用此功能。" in response.get_data(as_text=True)

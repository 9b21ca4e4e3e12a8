"""Every route declares who may call it, and the declaration is what the app enforces.

The URL map is walked once at collection time (on an app that never touches a
database) so that each rule and method is its own test; a new endpoint without a
declaration fails here. A fuller role x route matrix lives elsewhere.
"""

from __future__ import annotations

import re

import pytest

from credit_service.access import ROLES
from credit_service.audit import services as audit
from credit_service.config import Settings
from credit_service.web import access, create_app
from tests.factories import unique_uscc

SKIPPED_METHODS = {"HEAD", "OPTIONS"}


def concrete_url(rule: str) -> str:
    """The rule with each path converter replaced by a dummy value."""

    def dummy(match: re.Match[str]) -> str:
        converter = match.group(1) or "string"
        return "1" if converter in ("int", "float") else "X"

    return re.sub(r"<(?:([a-z_]+)(?:\([^)]*\))?:)?[^<>]+>", dummy, rule)


def _routes() -> list[tuple[str, str, str]]:
    settings = Settings(database_url="sqlite://", secret_key="collect", catalogs_autoload=False)
    app = create_app(settings)
    routes = sorted(
        (rule.rule, rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods or ()
        if method not in SKIPPED_METHODS
    )
    app.extensions["credit_service"].close()
    return routes


ROUTES = _routes()
ROUTE_IDS = [f"{method} {rule}" for rule, _, method in ROUTES]


def token_for(auth, role: str) -> dict[str, str]:
    if role == "enterprise":
        return auth(role, uscc=unique_uscc())
    return auth(role)


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status
    assert {"type", "title", "detail", "instance", "code"} <= set(body)
    return body


def test_the_walk_covers_the_api():
    paths = {rule for rule, _, _ in ROUTES}
    assert {"/api/v1/entities", "/api/v1/records", "/api/v1/catalogs", "/healthz"} <= paths
    assert any(method == "POST" for _, _, method in ROUTES)
    assert concrete_url("/api/v1/records/<int:record_id>/corrections") == (
        "/api/v1/records/1/corrections"
    )
    assert concrete_url("/api/v1/entities/<string:identifier>") == "/api/v1/entities/X"
    assert concrete_url("/static/<path:filename>") == "/static/X"


@pytest.mark.parametrize(("path", "endpoint", "method"), ROUTES, ids=ROUTE_IDS)
def test_every_route_declares_its_access(app, path, endpoint, method):
    rule = access.rule_for(app, endpoint, method)
    assert rule is not None, f"{method} {path} ({endpoint}) declares no access rule"
    if rule.is_public:
        assert rule.public_reason and rule.public_reason.strip(), f"{method} {path}"
        assert not rule.roles
    else:
        assert rule.roles, f"{method} {path} is neither public nor open to any role"
        assert rule.roles <= set(ROLES)


@pytest.mark.parametrize(("path", "endpoint", "method"), ROUTES, ids=ROUTE_IDS)
def test_declarations_are_enforced(app, client, auth, path, endpoint, method):
    rule = access.rule_for(app, endpoint, method)
    assert rule is not None
    url = concrete_url(path)
    if rule.is_public:
        response = client.open(url, method=method)
        assert response.status_code not in (401, 403), f"public {method} {url}"
        return
    assert_problem(client.open(url, method=method), 401)
    for role in sorted(set(ROLES) - rule.roles):
        response = client.open(url, method=method, headers=token_for(auth, role))
        body = assert_problem(response, 403)
        assert body["code"] == "role-forbidden", (role, body)


def test_an_undeclared_endpoint_is_refused_and_audited(ctx, app, client, auth):
    def undeclared():
        return {"ok": True}

    app.add_url_rule("/test-undeclared", "test_undeclared", undeclared)
    assert access.rule_for(app, "test_undeclared", "GET") is None
    for headers in ({}, auth("admin")):
        body = assert_problem(client.get("/test-undeclared", headers=headers), 403)
        assert body["code"] == "undeclared-endpoint"
    with ctx.session_factory() as session:
        denied = audit.query_events(
            session, action="access.denied", object_id="GET /test-undeclared"
        )
    assert [(e.role, e.details["reason"]) for e in denied] == [
        ("public", "undeclared-endpoint"),
        ("admin", "undeclared-endpoint"),
    ]

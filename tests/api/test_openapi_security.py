"""The OpenAPI document says who may call each operation (issue #14), from the same
declarations access control enforces: walked over the URL map, every documented operation
is compared with its ``@allow``/``@public`` declaration."""

from __future__ import annotations

import re

import pytest

from credit_service.config import Settings
from credit_service.web import access, create_app

PARAMETER = re.compile(r"<(?:[a-z_]+(?:\([^)]*\))?:)?([^<>]+)>")
PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


def _documented() -> tuple[dict, list[tuple[str, str, dict, access.AccessRule | None]]]:
    """The document as served, and (path, method, operation, declaration) for every
    documented operation."""
    settings = Settings(database_url="sqlite://", secret_key="collect", catalogs_autoload=False)
    app = create_app(settings)
    spec = app.test_client().get("/api/openapi.json").get_json()
    found = []
    for rule in app.url_map.iter_rules():
        path = PARAMETER.sub(r"{\1}", rule.rule)
        for method in sorted(rule.methods or ()):
            operation = spec["paths"].get(path, {}).get(method.lower())
            if operation is not None:
                found.append((path, method, operation, access.rule_for(app, rule.endpoint, method)))
    app.extensions["credit_service"].close()
    return spec, found


SPEC, OPERATIONS = _documented()


def test_the_document_declares_the_bearer_token_and_the_session_cookie():
    schemes = SPEC["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    assert schemes["sessionCookie"]["in"] == "cookie"
    assert schemes["sessionCookie"]["name"] == access.SESSION_COOKIE
    for status in ("UNAUTHORIZED", "FORBIDDEN"):
        assert SPEC["components"]["responses"][status]["content"] == PROBLEM
    assert len(OPERATIONS) >= 75  # every API operation, not a few


@pytest.mark.parametrize(
    ("path", "method", "operation", "declared"),
    OPERATIONS,
    ids=[f"{method} {path}" for path, method, _, _ in OPERATIONS],
)
def test_each_operation_documents_who_may_call_it(path, method, operation, declared):
    assert declared is not None, "every endpoint declares its access (test_role_matrix)"
    if declared.is_public:
        assert operation["security"] == []
        assert operation["x-public"] == declared.public_reason
        assert "401" not in operation["responses"]
        return
    assert operation["security"] == [{"bearerAuth": []}, {"sessionCookie": []}]
    assert set(operation["x-roles"]) == declared.roles
    assert operation["x-token-scopes"] == list(declared.token_scopes(method))
    assert f"Roles: {', '.join(sorted(declared.roles))}." in operation["description"]
    for status, name in (("401", "UNAUTHORIZED"), ("403", "FORBIDDEN")):
        assert operation["responses"][status] == {"$ref": f"#/components/responses/{name}"}

"""Schemathesis against the app's own /api/openapi.json: no 5xx, every response as documented.

The schema is read once at collection time from an app that never touches a database,
so each operation is its own test, once signed in and once anonymous; the requests go to
one shared app serving the test's context (both databases). Signed in means a city-level
regulator's bearer token, or an admin's where a regulator may not call the operation (or
a role the operation names, when it names neither). Each operation gets a bounded,
derandomized number of examples so that the file stays fast: 15 signed in, 6 anonymous
(who mostly meet 401 before any input is read). About half of the generated entity,
record, account and catalog values are swapped for real ones so that 2xx answers are
checked against their schemas too.

Checks run: not_a_server_error, response_schema_conformance, status_code_conformance,
content_type_conformance (error bodies must be documented as application/problem+json),
response_headers_conformance, and the ones that hold the document and the service to each
other (issue #14):
- negative_data_rejection: input the document calls invalid is refused (401/403 count:
  access control runs first);
- positive_data_acceptance: input the document calls valid is accepted, or refused with
  422 only for a domain rule JSON Schema cannot state (a check digit, an item of the
  current catalogs, a rule across fields, a password's composition: DOMAIN_RULES);
- ignored_auth: every operation that declares security refuses a request without it, or
  with a wrong token (the probes go to the same app).
NUL characters are not generated: the service refuses them in every text (422
nul-character, tests below), as the document's description says. Left out on purpose:
- use_after_free / ensure_resource_availability: no stateful links are described;
- unsupported_method: it only judges the coverage phase's undeclared methods, and that
  phase (boundary values of every parameter) is switched off as it triples the run time;
- max_response_time: timing is not a contract here.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import hypothesis
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis import checks

from credit_service.access import ROLES, SYSTEM
from credit_service.auth import services as auth_services
from credit_service.config import Settings
from credit_service.pagination import encode_cursor
from credit_service.web import access, create_app
from credit_service.web.error_text import field_error
from tests.factories import (
    PENALTY_ITEM,
    create_entity,
    file_penalty,
    unique_resident_id,
    unique_uscc,
)

CHECKS = [
    checks.not_a_server_error,
    checks.response_schema_conformance,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.positive_data_acceptance,
    checks.negative_data_rejection,
    checks.ignored_auth,
]
# Schema-valid input may still break a domain rule that JSON Schema cannot state: a check
# digit, an item of the current catalogs, a rule across fields, a password's composition.
# Those answer 422 with the field named; every other refusal of valid input still fails.
DOMAIN_RULES = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]
CONFIG = {
    "phases": {"coverage": {"enabled": False}},
    # NUL is refused in every text (the document says so); the credentials are the test's
    "generation": {"allow-x00": False, "with-security-parameters": False},
    "checks": {"positive_data_acceptance": {"expected-statuses": DOMAIN_RULES}},
}
EXAMPLES = {"signed_in": 15, "anonymous": 6}
PREFERRED = ("regulator", "admin", *ROLES)
PARAMETER = re.compile(r"<(?:[a-z_]+(?:\([^)]*\))?:)?([^<>]+)>")
CATALOG_TARGETS = {"domain": "patent", "code": PENALTY_ITEM}
NAMED_TARGETS = {"identifier", "entity", "record_id", "username", *CATALOG_TARGETS}


def _collect() -> tuple[dict, dict[tuple[str, str], str]]:
    """The OpenAPI description, and the role each operation is called as when signed in:
    a city regulator where one may call it, else an admin, else a role it names."""
    settings = Settings(
        database_url="sqlite://",
        secret_key="collect",
        catalogs_autoload=False,
        ratelimit_storage_uri="memory://",  # one process, nothing written in the project
    )
    app = create_app(settings)
    spec = app.test_client().get("/api/openapi.json").get_json()
    callers = {}
    for rule in app.url_map.iter_rules():
        path = PARAMETER.sub(r"{\1}", rule.rule)
        for method in rule.methods or ():
            declaration = access.rule_for(app, rule.endpoint, method)
            roles = declaration.roles if declaration else frozenset()
            callers[method, path] = next((r for r in PREFERRED if r in roles), "regulator")
    app.extensions["credit_service"].close()
    return spec, callers


SPEC, CALLER_ROLE = _collect()
# The document's identifier formats (credit_service/web/api/common.py): valid values with
# their check characters, as the service takes them.
schemathesis.openapi.format("uscc", st.builds(unique_uscc))
schemathesis.openapi.format(
    "credit-identifier", st.one_of(st.builds(unique_uscc), st.builds(unique_resident_id))
)
SCHEMA = schemathesis.openapi.from_dict(SPEC, config=schemathesis.Config.from_dict(CONFIG))


def bounded(examples: int):  # type: ignore[no-untyped-def]
    return hypothesis.settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(hypothesis.HealthCheck),
    )


@pytest.fixture(scope="module")
def shared_app():  # type: ignore[no-untyped-def]
    """One app for the module, with rate limits out of the way (429 would only waste the
    examples): building an app per test would cost more than running its examples."""
    settings = Settings(
        database_url="sqlite://",
        secret_key="test-secret",
        catalogs_autoload=False,
        ratelimit_storage_uri="memory://",
        ratelimit_public="100000 per minute",
        ratelimit_signin="100000 per minute",
    )
    application = create_app(settings)
    application.testing = True
    own_context = application.extensions["credit_service"]
    yield application
    own_context.close()


@pytest.fixture
def api_app(shared_app, ctx):  # type: ignore[no-untyped-def]
    """The shared app serving this test's context (its database and clock)."""
    shared_app.extensions["credit_service"] = ctx
    return shared_app


@pytest.fixture
def targets(ctx) -> Callable[[], dict[str, object]]:
    """Real objects for a share of the generated values, so 2xx answers are checked too:
    an entity of 宣州区 with a record, an enterprise waiting for approval, a catalog item.
    Made on first use (most operations name none of them)."""
    made: dict[str, object] = {}

    def get() -> dict[str, object]:
        if not made:
            entity = create_entity(ctx)["identifier"]
            record = file_penalty(ctx, entity)
            pending = f"pending-{record['id']}"
            auth_services.create_user(
                ctx,
                SYSTEM,
                username=pending,
                display_name=pending,
                role="enterprise",
                uscc=entity,
                binding_status="pending",
            )
            made.update(identifier=entity, entity=entity, record_id=record["id"])
            made.update(username=pending, **CATALOG_TARGETS)
        return made

    return get


@pytest.fixture
def token_of(auth, targets) -> Callable[[str], dict[str, str]]:  # type: ignore[no-untyped-def]
    """The bearer header of a role (made once per test; an enterprise owns the target)."""
    tokens: dict[str, dict[str, str]] = {}

    def get(role: str) -> dict[str, str]:
        if role not in tokens:
            uscc = targets()["entity"] if role == "enterprise" else None
            tokens[role] = auth(role, uscc=uscc)
        return tokens[role]

    return get


def aim(case, targets: Callable[[], dict[str, object]], names: set[str]) -> None:  # type: ignore[no-untyped-def]
    """Point about half of the valid cases at real objects. The choice depends only on the
    generated value, so Hypothesis sees the same request when it replays an example. An
    invalid case is sent as generated: a real value would replace what made it invalid."""
    if case.meta is not None and not case.meta.generation.mode.is_positive:
        return
    for name, value in list((case.path_parameters or {}).items()):
        if name in names and len(repr(value)) % 2 == 0:
            case.path_parameters[name] = targets()[name]
    body = case.body
    if "entity" in names and isinstance(body, dict) and len(repr(body.get("entity"))) % 2 == 0:
        if "entity" in body:
            body["entity"] = targets()["entity"]


@SCHEMA.parametrize()
@bounded(EXAMPLES["signed_in"])
def test_signed_in_callers_get_documented_answers(case, api_app, token_of, targets):  # type: ignore[no-untyped-def]
    aim(case, targets, NAMED_TARGETS)
    headers = token_of(CALLER_ROLE[case.method.upper(), case.path])
    case.operation.schema.app = api_app  # ignored_auth's probes go to the same app
    case.call_and_validate(app=api_app, headers=headers, checks=CHECKS)


@SCHEMA.parametrize()
@bounded(EXAMPLES["anonymous"])
def test_anonymous_callers_get_documented_answers(case, api_app):  # type: ignore[no-untyped-def]
    aim(case, lambda: CATALOG_TARGETS, set(CATALOG_TARGETS))
    case.operation.schema.app = api_app
    case.call_and_validate(app=api_app, checks=CHECKS)


# --- regressions for what the fuzzing found ---------------------------------------------


BEYOND_INTEGER = 2**63  # beyond PostgreSQL's integer and SQLite's 64-bit integer


@pytest.mark.parametrize(
    ("method", "path", "role"),
    [
        ("GET", f"/api/v1/records/{BEYOND_INTEGER}", "regulator"),
        ("POST", f"/api/v1/records/{BEYOND_INTEGER}/corrections", "regulator"),
        ("DELETE", f"/api/v1/admin/tokens/{BEYOND_INTEGER}", "admin"),
    ],
)
def test_an_id_beyond_the_integer_range_is_404_not_500(client, auth, method, path, role):
    body = {"fields": {}, "reason": "更正"} if method == "POST" else None
    response = client.open(path, method=method, json=body, headers=auth(role))
    assert response.status_code == 404, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    "query",
    [
        f"/api/v1/entities?cursor={encode_cursor({'after': BEYOND_INTEGER})}",
        f"/api/v1/admin/audit?after_id={BEYOND_INTEGER}",
    ],
)
def test_a_cursor_beyond_the_integer_range_is_422_not_500(client, auth, query):
    response = client.get(query, headers=auth("admin"))
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("path", ["/api/v1/entities/imports", "/api/v1/records/imports"])
@pytest.mark.parametrize("body", [b"\xff\xfe\x00bad\n", b"kind,name\n\xc3\x28\n"])
def test_a_csv_that_is_not_utf8_is_422_not_500(client, auth, path, body):
    response = client.post(path, data=body, content_type="text/csv", headers=auth("regulator"))
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "not-utf8"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/entities/a%00b", None),
        ("GET", "/api/v1/entities?q=a%00b", None),
        ("GET", "/api/v1/admin/audit?object_type=%00", None),
        ("POST", "/api/v1/records", {"entity": "a\x00b", "item_code": PENALTY_ITEM, "fields": {}}),
    ],
)
@pytest.mark.parametrize("role", ["admin", None])
def test_a_nul_character_is_422_not_500(client, auth, method, path, body, role):
    headers = auth(role) if role else {}
    response = client.open(path, method=method, json=body, headers=headers)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.get_json()["code"] == "nul-character"


def test_a_nul_character_in_an_upload_forms_text_field_is_422(client, auth, ctx):
    """A multipart form (evidence upload) is checked too, once the caller is known."""
    owner = create_entity(ctx)
    response = client.post(
        "/api/v1/repair-applications/1/evidence",
        data={"note": "a\x00b", "file": (io.BytesIO(b"%PDF-1.4"), "a.pdf")},
        content_type="multipart/form-data",
        headers=auth("enterprise", uscc=owner["identifier"]),
    )
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.get_json()["errors"] == {"note": [field_error("nul-character", "zh")]}
    anonymous = client.post(
        "/api/v1/repair-applications/1/evidence",
        data={"note": "a\x00b"},
        content_type="multipart/form-data",
    )
    assert anonymous.status_code == 401  # refused before the body is read


def test_a_form_part_with_an_unreadable_name_is_not_500(client, auth):
    """A multipart part whose name holds a carriage return (werkzeug gives it the name
    None), next to the file."""
    body = (
        b'--b\r\nContent-Disposition: form-data; name="a\rb"\r\n\r\nx\r\n'
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\nx\r\n'
        b"--b--\r\n"
    )
    response = client.post(
        "/api/v1/entities/imports",
        data=body,
        content_type="multipart/form-data; boundary=b",
        headers=auth("regulator"),
    )
    assert response.status_code in (400, 415, 422), response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"


def test_a_nul_character_in_a_csv_is_422(client, auth):
    text = "kind,identifier,name,region_code\norganisation,x,a\x00b,341802\n"
    response = client.post(
        "/api/v1/entities/imports",
        data=text.encode(),
        content_type="text/csv",
        headers=auth("regulator"),
    )
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.get_json()["code"] == "nul-character"


@pytest.mark.parametrize("value", [0, 1, "true", "yes", None])
def test_a_boolean_field_takes_only_true_or_false(client, auth, value):
    """The document says ``type: boolean``: 0, 1 and strings are refused, as schemathesis
    found the service accepting (PATCH /inspectors {"active": 0})."""
    made = client.post(
        "/api/v1/inspectors",
        json={"badge_no": f"皖执B{value!r}", "name": "检查员", "office_region": "341802"},
        headers=auth("regulator"),
    )
    assert made.status_code == 201, made.get_data(as_text=True)
    path = f"/api/v1/inspectors/{made.get_json()['id']}"
    refused = client.patch(path, json={"active": value}, headers=auth("regulator"))
    assert refused.status_code == 422, refused.get_data(as_text=True)
    assert set(refused.get_json()["errors"]) == {"active"}
    accepted = client.patch(path, json={"active": False}, headers=auth("regulator"))
    assert accepted.status_code == 200 and accepted.get_json()["active"] is False


def test_a_json_body_nested_too_deep_is_400_not_500(client, auth):
    response = client.post(
        "/api/v1/entities",
        data="[" * 100_000,
        content_type="application/json",
        headers=auth("regulator"),
    )
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"

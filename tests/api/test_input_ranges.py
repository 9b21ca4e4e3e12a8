"""Input out of the domain range is the caller's mistake, answered 4xx problem+json naming
the field, never a 500 (both databases): ids past the 32-bit id columns, dates before
1949-10-01 or far in the future (or, for the date of an act, after today), numbers too
long to read, forged keyset cursors, and a sign-in ``next`` a redirect cannot carry.

First the requests an adversarial review found crashing the service, one by one; then a
property test that feeds out-of-range numbers, dates and cursors to every endpoint that
takes them: every integer and date parameter and body field of the OpenAPI description
(so a new one is covered without being listed here), and the values read outside the
schemas (cursors, ``since``, a repair target, a record's fields).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import hypothesis
import pytest
from hypothesis import strategies as st
from sqlalchemy import func, select

from credit_service.access import ROLES
from credit_service.auth.models import WebSession
from credit_service.config import Settings
from credit_service.repair.models import RepairApplication
from credit_service.web import access, create_app
from credit_service.web.error_text import field_error
from credit_service.web.i18n import translate
from tests.api.test_sessions import PASSWORD, form_token, make_user, sign_in_outcomes
from tests.factories import PENALTY_ITEM, create_entity, file_penalty, penalty_fields

TODAY = date(2026, 11, 25)  # the suite's clock
LATEST = date(2126, 11, 25)  # today plus 100 years
EARLIEST = date(1949, 10, 1)
MAX_ID = 2**31 - 1
PUBLIC_LIST = "/api/v1/public/dishonesty-list"
CHANGES = f"{PUBLIC_LIST}/changes"
HUGE = "9" * 5000  # more digits than Python reads (4,300)
APPLICATION = {  # a repair application but for its target
    "reason": "已全面纠正失信行为，申请信用修复",
    "measures_taken": "已缴纳全部罚款并下架涉案产品",
    "obligations_performed": True,
    "commitment_version": "2026-1",
    "contact": "李四 13900000000",
}


def cursor(position: object) -> str:
    raw = position if isinstance(position, str) else json.dumps(position)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def problem(response, status: int, field: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    """The problem+json body of a refusal with this status, naming ``field`` when given."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    if field is not None:
        assert field in json.dumps(body.get("errors"), ensure_ascii=False), body
    return body


@pytest.fixture
def app(ctx):  # type: ignore[no-untyped-def]
    """The app with rate limits out of the way: a 429 would pass for a refusal."""
    ctx.settings = ctx.settings.replace(
        ratelimit_public="100000 per minute", ratelimit_signin="100000 per minute"
    )
    application = create_app(context=ctx)
    application.testing = True
    return application


# --- the crash inputs, one by one -------------------------------------------------------------


FORGED_IDS = [1e30, 2**63, 10**30, -1, "7", 1.5]
FORGED_CURSORS = [
    *(cursor({"p": "2026-01-01", "id": n}) for n in FORGED_IDS),
    cursor('{"p": "2026-01-01", "id": Infinity}'),
    cursor('{"p": "2026-01-01", "id": ' + HUGE + "}"),
]
FORGED_SINCE = [
    *(cursor({"after": n}) for n in FORGED_IDS),
    cursor('{"after": Infinity}'),
    cursor('{"after": ' + HUGE + "}"),
]


@pytest.mark.parametrize("forged", FORGED_CURSORS)
def test_a_forged_list_cursor_is_422(client, forged):
    problem(client.get(PUBLIC_LIST, query_string={"cursor": forged}), 422, "cursor")
    page = client.get("/list", query_string={"cursor": forged})  # the form flags it
    assert page.status_code == 200
    assert translate("public.list.error.cursor") in page.get_data(as_text=True)


@pytest.mark.parametrize("forged", FORGED_SINCE)
def test_a_forged_change_feed_cursor_is_422(client, forged):
    problem(client.get(CHANGES, query_string={"since": forged}), 422, "since")
    notices = f"{PUBLIC_LIST}/notices"
    problem(client.get(notices, query_string={"cursor": forged}), 422, "cursor")
    page = client.get("/list/notices", query_string={"cursor": forged})  # the page flags it
    assert page.status_code == 200
    assert translate("public.list.error.cursor") in page.get_data(as_text=True)


def test_the_change_feed_takes_days_in_range_only(client):
    early = problem(client.get(CHANGES, query_string={"since": "0001-01-01"}), 422, "since")
    late = problem(client.get(CHANGES, query_string={"since": "9999-12-31"}), 422, "since")
    too_early = {"code": "date-too-early", "earliest": str(EARLIEST)}
    assert early["errors"] == {"since": [field_error(too_early, "zh")]}
    too_late = {"code": "date-too-late", "latest": str(LATEST)}
    assert late["errors"] == {"since": [field_error(too_late, "zh")]}
    assert str(EARLIEST) in early["errors"]["since"][0]  # the bound, in the words
    assert str(LATEST) in late["errors"]["since"][0]
    assert client.get(CHANGES, query_string={"since": "2026-01-01"}).status_code == 200


@pytest.mark.parametrize(
    "target", ["record:99999999999999999999999", f"listing:{10**25}", f"record:{MAX_ID + 1}"]
)
def test_a_repair_target_past_the_id_range_is_422(client, ctx, auth, target):
    owner = create_entity(ctx)["identifier"]
    eligibility = client.get(
        "/api/v1/repair-eligibility", query_string={"target": target}, headers=auth("regulator")
    )
    refused = problem(eligibility, 422, "target")
    assert refused["code"] == "target-invalid"
    too_large = field_error({"code": "above-maximum", "max": MAX_ID}, "zh")
    assert refused["errors"] == {"target": [too_large]} and str(MAX_ID) in too_large
    application = {"target": target, **APPLICATION}
    enterprise = auth("enterprise", uscc=owner)
    problem(client.post("/api/v1/repair-applications", json=application, headers=enterprise), 422)
    with ctx.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(RepairApplication)) == 0


def test_a_repair_target_in_other_digits_is_422(client, auth):
    for target in ("record:²", "record:١٢"):  # str.isdigit() says yes, int() says no
        answer = client.get(
            "/api/v1/repair-eligibility", query_string={"target": target}, headers=auth("viewer")
        )
        body = problem(answer, 422, "target")
        (said,) = body["errors"]["target"]
        assert said.startswith("格式不符合要求"), said  # pattern-mismatch, in words


def test_an_identifier_of_5000_digits_is_422(client, auth):
    body = '{"identifiers": [' + HUGE + "]}"
    lookup = client.post(
        "/api/v1/tiers/lookup", data=body, content_type="application/json", headers=auth("viewer")
    )
    problem(lookup, 422, "identifiers")


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("CF_JDRQ", "9999-12-31", "date-in-future"),  # 'year 10004 is out of range'
        ("CF_JDRQ", str(TODAY + timedelta(days=1)), "date-in-future"),
        ("CF_JDRQ", "1949-09-30", {"code": "date-too-early", "earliest": "1949-10-01"}),
        ("CF_YXQ", "9999-12-31", {"code": "date-too-late", "latest": str(LATEST)}),
        ("CF_YXQ", "0001-01-01", {"code": "date-too-early", "earliest": "1949-10-01"}),
        ("CF_NR_FK", "1e999999999", {"code": "figure-out-of-range", "largest": 10**15}),
        ("CF_NR_FK", "0." + "0" * 100 + "1", {"code": "too-many-decimals", "digits": 6}),
    ],
)
def test_a_record_field_out_of_range_is_422_naming_it(client, ctx, auth, field, value, reason):
    """The reason in English, for a client that asks for English."""
    entity = create_entity(ctx)["identifier"]
    filing = {"entity": entity, "item_code": PENALTY_ITEM, "fields": penalty_fields()}
    filing["fields"][field] = value
    body = problem(client.post("/api/v1/records", json=filing, headers=auth("regulator")), 422)
    assert body["code"] == "record-fields-invalid"
    words = field_error(reason, "zh")  # the reason's own words, not the general ones
    assert words != field_error("no-such-code", "zh")
    assert body["errors"][f"fields.{field}"] == [words], body


def test_a_record_decided_today_or_with_a_distant_expiry_is_filed(client, ctx, auth):
    entity = create_entity(ctx)["identifier"]
    fields = penalty_fields(CF_JDRQ=str(TODAY), CF_YXQ=str(LATEST), CF_NR_FK="0.000001")
    filing = {"entity": entity, "item_code": PENALTY_ITEM, "fields": fields}
    filed = client.post("/api/v1/records", json=filing, headers=auth("regulator"))
    assert filed.status_code == 201, filed.get_data(as_text=True)


@pytest.mark.parametrize(
    "next_value", ["/console\r\nSet-Cookie: planted=1", "/\\evil.example", "/\t/evil.example"]
)
def test_a_sign_in_with_a_next_a_redirect_cannot_carry_goes_to_the_start(client, ctx, next_value):
    username = make_user(ctx)
    answer = client.post(
        "/sign-in",
        data={
            "csrf_token": form_token(client),
            "username": username,
            "password": PASSWORD,
            "next": next_value,
        },
    )
    assert answer.status_code == 303, answer.get_data(as_text=True)
    assert answer.headers["Location"] == "/start"
    assert "planted" not in str(answer.headers)
    assert sign_in_outcomes(ctx, username) == ["success"]
    with ctx.session_factory() as session:  # one session, the one the cookie names
        sessions = session.scalars(select(WebSession)).all()
    assert len(sessions) == 1 and client.get("/api/v1/accounts/me").status_code == 200


# --- the property test: every endpoint that takes a number, a date or a cursor ----------------


@dataclass(frozen=True)
class Target:
    """One value a request carries, and where: ``location`` is path, query or body;
    ``field`` names it (a dotted path in the body, '[]' for the items of a list)."""

    method: str
    path: str
    location: str
    field: str
    kind: str  # integer, date, date-time, cursor, since, target, record-date, record-figure
    low: int | None = None
    high: int | None = None

    @property
    def name(self) -> str:
        return self.field.replace("[]", "").split(".")[-1]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.location}:{self.field}"


PARAMETER = re.compile(r"<(?:[a-z_]+(?:\([^)]*\))?:)?([^<>]+)>")
PREFERRED = ("regulator", "admin", *ROLES)


def _collect() -> tuple[list[Target], dict[tuple[str, str], str | None]]:
    """The integer and date values of every operation of the OpenAPI description, and the
    role to call each operation as (None: anonymous, for public ones)."""
    settings = Settings(database_url="sqlite://", secret_key="collect", catalogs_autoload=False)
    app = create_app(settings)
    spec = app.test_client().get("/api/openapi.json").get_json()
    callers: dict[tuple[str, str], str | None] = {}
    for rule in app.url_map.iter_rules():
        for method in rule.methods or ():
            declaration = access.rule_for(app, rule.endpoint, method)
            roles = declaration.roles if declaration else frozenset()
            role = next((r for r in PREFERRED if r in roles), None)
            callers[method, PARAMETER.sub(r"{\1}", rule.rule)] = role
    app.extensions["credit_service"].close()
    targets = []
    for path, operations in spec["paths"].items():
        shared = operations.get("parameters", [])  # the path's own, for every method
        for method, operation in operations.items():
            if method == "parameters":
                continue
            for parameter in [*shared, *operation.get("parameters", [])]:
                where = (method.upper(), path, parameter["in"], parameter["name"])
                targets += _typed(spec, *where, parameter.get("schema", {}))
            content = operation.get("requestBody", {}).get("content", {})
            body = content.get("application/json", {}).get("schema")
            if body:
                targets += _typed(spec, method.upper(), path, "body", "", body)
    return targets, callers


def _typed(  # type: ignore[type-arg]
    spec: dict, method: str, path: str, location: str, field: str, schema: dict
) -> list[Target]:
    """The integer and date values in ``schema``, walked through references and lists."""
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].split("/")[-1]]
    kind = schema.get("format") if schema.get("format") in ("date", "date-time") else None
    if schema.get("type") in ("integer", "number"):
        kind = "integer"
    if kind:
        low, high = schema.get("minimum"), schema.get("maximum")
        return [Target(method, path, location, field, kind, low, high)]
    found = []
    for name, inner in schema.get("properties", {}).items():
        found += _typed(spec, method, path, location, f"{field}.{name}".lstrip("."), inner)
    if "items" in schema:
        found += _typed(spec, method, path, location, f"{field}[]", schema["items"])
    return found


SCHEMA_TARGETS, CALLERS = _collect()
EXTRA_TARGETS = [  # values read outside the schemas
    Target("GET", PUBLIC_LIST, "query", "cursor", "cursor"),
    Target("GET", "/list", "query", "cursor", "cursor"),
    Target("GET", CHANGES, "query", "since", "since"),
    Target("GET", "/list/notices", "query", "cursor", "cursor"),
    Target("GET", "/api/v1/entities", "query", "cursor", "cursor"),
    Target("GET", "/api/v1/entities/{identifier}/records", "query", "cursor", "cursor"),
    Target("GET", "/api/v1/repair-eligibility", "query", "target", "target"),
    Target("POST", "/api/v1/repair-applications", "body", "target", "target"),
    Target("POST", "/api/v1/records", "body", "fields.CF_JDRQ", "record-date"),
    Target("POST", "/api/v1/records", "body", "fields.CF_YXQ", "date"),
    Target("POST", "/api/v1/records", "body", "fields.CF_NR_FK", "record-figure"),
    Target("POST", "/api/v1/records/{record_id}/corrections", "body", "fields.CF_JDRQ", "date"),
]
PAGES = {"/list", "/list/notices"}  # forms that show a bad cursor on the page itself
TARGETS = SCHEMA_TARGETS + EXTRA_TARGETS


def test_the_property_test_covers_the_schema_values_it_should():
    """The walk found the OpenAPI's integer and date inputs (a broken walk would leave
    the property test below with nothing to test)."""
    found = {str(t) for t in SCHEMA_TARGETS}
    assert {
        "GET /api/v1/admin/audit query:after_id",
        "GET /api/v1/admin/audit query:since",
        "POST /api/v1/tiers/overrides body:expires_on",
        "POST /api/v1/inspection-plans body:period_end",
        "POST /api/v1/dishonesty-cases body:record_ids[]",
        "POST /api/v1/dishonesty-cases/{case_id}/steps/{step} body:documents[].received_on",
        "POST /api/v1/repair-applications/{application_id}/review/{step} body:expected_version",
        "GET /api/v1/records/{record_id} path:record_id",
    } <= found


# Out-of-range values as raw JSON tokens (bodies) or raw text (query and path).
DIGITS = st.text("0123456789", min_size=19, max_size=5000).map(lambda d: "1" + d)  # ≥ 10¹⁹
DATES_OUT = st.one_of(
    st.dates(max_value=EARLIEST - timedelta(days=1)), st.dates(min_value=LATEST + timedelta(1))
)
DATES_AFTER_TODAY = st.dates(min_value=TODAY + timedelta(days=1))
OFFSETS = st.sampled_from(["+14:00", "-12:00", "Z", "+08:00"])
FIGURES_OUT = st.one_of(
    st.integers(min_value=10**15 + 1).map(str),
    st.integers(min_value=7, max_value=999_999_999).map(lambda e: f"1e{e}"),
    st.integers(min_value=7, max_value=999_999_999).map(lambda e: f"-1e-{e}"),
)


def integers_out(target: Target) -> st.SearchStrategy[str]:
    """Below the minimum, above the maximum (the id range when the schema says none),
    longer than Python reads, or not a whole number at all."""
    low = target.low if target.low is not None else 0
    high = target.high if target.high is not None else MAX_ID
    options = [
        st.integers(max_value=low - 1).map(str),
        st.integers(min_value=high + 1).map(str),
        DIGITS,
        DIGITS.map(lambda d: "-" + d),
    ]
    if target.location == "body":
        options.append(st.sampled_from(["1e30", "1e400", "-1e400", "Infinity", "NaN", "2.5"]))
    return st.one_of(options)


def forged_cursors(key: str) -> st.SearchStrategy[str]:
    """Cursors this service never issued: an id out of range, of another type, or too
    long to read; a date out of range in a list cursor."""
    ids = st.one_of(
        st.integers(max_value=-1).map(str),
        st.integers(min_value=MAX_ID + 1).map(str),
        DIGITS,
        st.sampled_from(["1e30", "Infinity", "-Infinity", "NaN", '"7"', "2.5", "null", "[]"]),
    )
    with_date = st.builds(lambda day, n: cursor(f'{{"p": "{day}", "{key}": {n}}}'), st.dates(), ids)
    return st.one_of(ids.map(lambda n: cursor(f'{{"{key}": {n}}}')), with_date)


def repair_targets() -> st.SearchStrategy[str]:
    """record:<n> and listing:<n> with n past the id range or in digits int() cannot read."""
    foreign = st.text("0123456789²١", min_size=1, max_size=30).filter(lambda s: not s.isascii())
    ids = st.one_of(st.integers(min_value=MAX_ID + 1).map(str), foreign)
    return st.builds(lambda kind, n: f"{kind}:{n}", st.sampled_from(["record", "listing"]), ids)


def values_for(target: Target) -> st.SearchStrategy[str]:
    """Out-of-range values for the target: raw JSON tokens in bodies, text elsewhere."""
    as_text = json.dumps if target.location == "body" else (lambda s: s)
    if target.kind == "integer":
        return integers_out(target)
    if target.kind == "date":
        return DATES_OUT.map(lambda d: as_text(d.isoformat()))
    if target.kind == "record-date":  # the date of an act: not after today either
        return st.one_of(DATES_OUT, DATES_AFTER_TODAY).map(lambda d: as_text(d.isoformat()))
    if target.kind == "date-time":
        moments = st.builds(lambda d, z: f"{d.isoformat()}T00:00:00{z}", DATES_OUT, OFFSETS)
        return moments.map(as_text)
    if target.kind == "record-figure":  # as a JSON string and as a JSON number
        return st.one_of(FIGURES_OUT.map(as_text), FIGURES_OUT)
    if target.kind == "target":
        return repair_targets().map(as_text)
    if target.kind == "since":  # a day or a cursor of the change feed
        return st.one_of(DATES_OUT.map(date.isoformat), forged_cursors("after"))
    return forged_cursors("id" if target.path in (PUBLIC_LIST, "/list") else "after")


def request_for(target: Target, value: str, world: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """The URL and the client's keyword arguments carrying ``value`` at the target; the
    other path values name the world's objects, or are 1 (the body is read before the
    object is looked up, except a record's fields)."""
    path = target.path
    if target.location == "path":
        path = path.replace("{" + target.field + "}", value)
    path = re.sub(r"\{([a-z_]+)\}", lambda m: world.get(m.group(1), "1"), path)
    if target.location == "query":
        return path, {"query_string": {target.field: value}}
    if target.location == "path":
        return path, {}
    base = BASE_BODIES.get(target.path, lambda _: {})(world)
    return path, {"data": _body(target.field, value, base), "content_type": "application/json"}


def _body(field: str, token: str, base: dict[str, Any]) -> str:
    """A JSON body holding the raw token at the dotted field path ('[]': a list's item),
    in the otherwise valid ``base``."""
    placeholder = "\u0000value\u0000"
    body: Any = placeholder
    for part in reversed(field.split(".")):
        name, many = part.removesuffix("[]"), part.endswith("[]")
        body = {name: [body] if many else body}
    return json.dumps(_merged(base, body)).replace(json.dumps(placeholder), token)


def _merged(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        inner = merged.get(key)
        both = isinstance(inner, dict) and isinstance(value, dict)
        merged[key] = _merged(inner, value) if both else value  # type: ignore[arg-type]
    return merged


BASE_BODIES: dict[str, Callable[[dict[str, str]], dict[str, Any]]] = {
    # the operations whose core reads the value only once the rest of the body is valid
    "/api/v1/records": lambda world: {
        "entity": world["identifier"],
        "item_code": PENALTY_ITEM,
        "fields": penalty_fields(),
    },
    "/api/v1/records/{record_id}/corrections": lambda _: {
        "reason": "更正决定日期",
        "fields": penalty_fields(),
    },
    "/api/v1/repair-applications": lambda _: dict(APPLICATION),
}


@pytest.fixture
def world(ctx) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Real objects for the path values whose lookup comes first: an entity and its record."""
    entity = create_entity(ctx)["identifier"]
    record = file_penalty(ctx, entity)
    return {"identifier": entity, "record_id": str(record["id"]), "step": "serve_notice"}


@pytest.fixture
def caller(auth, world) -> Callable[[Target], dict[str, str]]:  # type: ignore[no-untyped-def]
    """The headers to call a target's operation with: a token of a role it allows (an
    enterprise's is bound to the world's entity)."""
    tokens: dict[str, dict[str, str]] = {}

    def headers(target: Target) -> dict[str, str]:
        role = CALLERS.get((target.method, target.path))
        if role is None:
            return {}
        if role not in tokens:
            uscc = world["identifier"] if role == "enterprise" else None
            tokens[role] = auth(role, uscc=uscc)
        return tokens[role]

    return headers


def expected_status(target: Target) -> int:
    """A path id past the id columns names no resource (404); anything else is 422."""
    return 404 if target.location == "path" else 422


@pytest.mark.parametrize("target", TARGETS, ids=str)
def test_out_of_range_input_is_refused_naming_the_field(client, caller, world, target):
    headers = caller(target)

    @hypothesis.settings(
        max_examples=12,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    @hypothesis.given(value=values_for(target))
    def check(value: str) -> None:
        url, kwargs = request_for(target, value, world)
        answer = client.open(url, method=target.method, headers=headers, **kwargs)
        assert answer.status_code < 500, (value[:80], answer.get_data(as_text=True)[:500])
        if target.path in PAGES and answer.mimetype == "text/html":
            assert answer.status_code == 200
            assert translate("public.list.error.cursor") in answer.get_data(as_text=True)
            return
        name = None if target.location == "path" else target.name
        problem(answer, expected_status(target), name)

    check()

"""The full route x role matrix: every route of the URL map, every method, every role and
the anonymous public, against the declaration that governs it.

The URL map is walked at collection time (on an app that never touches a database), so
each route and method is its own test, and a new endpoint without a declaration fails
here. Each test then calls its route once per caller on a real app (both databases):

- anonymous on a route that is not public: 401 problem+json;
- a role the declaration does not name: 403 problem+json (code role-forbidden);
- a role it names, with the role's default-scope token: past access control, i.e. not
  401/403 (200/201/204/303, or 400/404/409/415/422 for the empty request sent).

Path values are real objects the caller may touch: an entity registered at city level
(341800) with a record, which city-scoped regulators and viewers cover and which is the
enterprise caller's own entity; a pending enterprise account of that entity; a token.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from swagger_ui_bundle import swagger_ui_path

from credit_service.access import ROLES, SYSTEM
from credit_service.auth import services as auth_services
from credit_service.auth import tokens
from credit_service.config import Settings
from credit_service.web import access, create_app
from credit_service.web.access import AccessRule
from credit_service.web.api.common import ACCEPTS_ATTR
from tests.factories import CITY, PENALTY_ITEM, create_entity, file_penalty

SKIPPED_METHODS = {"HEAD", "OPTIONS"}
ANONYMOUS = "anonymous"
CALLERS = (*ROLES, ANONYMOUS)
BODY_METHODS = {"POST", "PUT", "PATCH"}
PAST_ACCESS_CONTROL = {200, 201, 204, 303, 400, 404, 409, 415, 422}
STATIC_DIR = Path(__file__).resolve().parents[2] / "credit_service" / "web" / "static"
PARAMETER = re.compile(r"<(?:([a-z_]+)(?:\([^)]*\))?:)?([^<>]+)>")


def _routes() -> tuple[list[tuple[str, str, str]], dict[tuple[str, str], AccessRule | None]]:
    """Every (rule, endpoint, method), and the declaration of each (None when missing)."""
    settings = Settings(database_url="sqlite://", secret_key="collect", catalogs_autoload=False)
    app = create_app(settings)
    routes = sorted(
        (rule.rule, rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods or ()
        if method not in SKIPPED_METHODS
    )
    declarations = {
        (endpoint, method): access.rule_for(app, endpoint, method) for _, endpoint, method in routes
    }
    app.extensions["credit_service"].close()
    return routes, declarations


ROUTES, DECLARATIONS = _routes()
ROUTE_IDS = [f"{method} {rule}" for rule, _, method in ROUTES]


@pytest.fixture
def world(ctx) -> dict[str, str]:
    """The objects the matrix points at: a city-level entity with a record, an enterprise
    account of it waiting for approval, and a token of an account of its own."""
    entity = create_entity(ctx, region_code=CITY)["identifier"]
    record = file_penalty(ctx, entity)
    for username, role, uscc, binding in (
        ("matrix-pending", "enterprise", entity, "pending"),
        ("matrix-client", "sync", None, "approved"),
    ):
        auth_services.create_user(
            ctx,
            SYSTEM,
            username=username,
            display_name=username,
            role=role,
            uscc=uscc,
            binding_status=binding,
        )
    token = tokens.create_token(ctx, SYSTEM, username="matrix-client", name="matrix")
    return {
        "identifier": entity,
        "record_id": str(record["id"]),
        "username": "matrix-pending",
        "token_id": str(token.token_id),
        "domain": "patent",
        "code": PENALTY_ITEM,
    }


def concrete_url(rule: str, endpoint: str, world: dict[str, str]) -> str:
    """The rule with each converter replaced by a real value (a dummy for unknown ones)."""

    def value(match: re.Match[str]) -> str:
        converter, name = match.group(1) or "string", match.group(2)
        if name == "filename":
            return "css/site.css" if endpoint == "static" else "swagger-ui.css"
        if name in world:
            return world[name]
        return "1" if converter in ("int", "float") else "X"

    return PARAMETER.sub(value, rule)


def accepted_media_types(app, endpoint: str, method: str) -> frozenset[str]:  # type: ignore[no-untyped-def]
    view = app.view_functions[endpoint]
    view_class = getattr(view, "view_class", None)
    handler = getattr(view_class, method.lower(), None) if view_class else view
    return getattr(handler, ACCEPTS_ATTR, frozenset({"application/json"}))


def request_for(app, path: str, endpoint: str, method: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """An empty body of the media type the endpoint takes, so 415 hides nothing."""
    if method not in BODY_METHODS or not path.startswith("/api/"):
        return {}
    accepted = accepted_media_types(app, endpoint, method)
    if "application/json" in accepted:
        return {"json": {}}
    for media_type in ("text/csv", "multipart/form-data"):
        if media_type in accepted:
            return {"data": b"", "content_type": media_type}
    raise AssertionError(f"{method} {path}: the matrix sends no body of {sorted(accepted)}")


def caller_headers(
    auth: Callable[..., dict[str, str]], caller: str, world: dict[str, str]
) -> dict[str, str]:
    if caller == ANONYMOUS:
        return {}
    if caller == "enterprise":
        return auth(caller, uscc=world["identifier"])
    return auth(caller)  # regulators and viewers: the city scope


def describe(response) -> str:  # type: ignore[no-untyped-def]
    return f"{response.status_code} {response.get_data(as_text=True)[:300]}"


def assert_problem(response, status: int, code: str | None = None) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, describe(response)
    assert response.mimetype == "application/problem+json", describe(response)
    body = response.get_json(force=True)
    assert body["status"] == status
    if code:
        assert body["code"] == code, body


def is_page(path: str) -> bool:
    return not path.startswith("/api/") and path not in ("/healthz", "/readyz")


# --- the walk itself -----------------------------------------------------------------


def test_the_walk_covers_pages_api_docs_and_static_files():
    paths = {rule for rule, _, _ in ROUTES}
    assert {
        "/sign-in",
        "/sign-out",
        "/console",
        "/account/password",
        "/enterprise/register",
        "/api/docs",
        "/api/openapi.json",
        "/static/<path:filename>",
        "/api/v1/entities/<string:identifier>",
        "/api/v1/records/<int:record_id>",
        "/api/v1/admin/audit",
    } <= paths
    methods = {(rule, method) for rule, _, method in ROUTES}
    assert ("/api/v1/entities/<string:identifier>", "PATCH") in methods
    assert ("/api/v1/admin/tokens/<int:token_id>", "DELETE") in methods
    assert ("/sign-out", "POST") in methods
    assert not any(method in SKIPPED_METHODS for _, _, method in ROUTES)


def test_the_url_builder_uses_real_objects():
    world = {"identifier": "91341800MA0000001X", "record_id": "7"}
    assert concrete_url("/api/v1/records/<int:record_id>/corrections", "x", world) == (
        "/api/v1/records/7/corrections"
    )
    assert concrete_url("/api/v1/entities/<string:identifier>", "x", world) == (
        "/api/v1/entities/91341800MA0000001X"
    )
    assert concrete_url("/static/<path:filename>", "static", world) == "/static/css/site.css"
    assert concrete_url("/a/<int(max=9):other_id>/<name>", "x", world) == "/a/1/X"
    assert (STATIC_DIR / "css" / "site.css").is_file()
    assert (Path(swagger_ui_path) / "swagger-ui.css").is_file()


# --- every declaration's token scopes fit its roles ----------------------------------


@pytest.mark.parametrize(("path", "endpoint", "method"), ROUTES, ids=ROUTE_IDS)
def test_a_roles_default_token_has_the_scope_its_routes_need(path, endpoint, method):
    rule = DECLARATIONS[endpoint, method]
    assert rule is not None, f"{method} {path} ({endpoint}) declares no access rule"
    wanted = rule.scopes or (("read",) if method in access.SAFE_METHODS else ("write",))
    for role in sorted(rule.roles):
        default = set(auth_services.DEFAULT_SCOPES[role])
        assert default & set(wanted), (
            f"{method} {path}: role {role} is allowed, but its default token "
            f"({sorted(default)}) lacks every scope the route needs ({list(wanted)})"
        )


@pytest.mark.parametrize(("path", "endpoint", "method"), ROUTES, ids=ROUTE_IDS)
def test_a_token_without_the_routes_scope_is_refused(
    app, client, auth, world, path, endpoint, method
):
    """Each allowed role, with a token narrowed to the scopes the route does not take."""
    rule = DECLARATIONS[endpoint, method]
    assert rule is not None, f"{method} {path} ({endpoint}) declares no access rule"
    wanted = set(rule.scopes or (("read",) if method in access.SAFE_METHODS else ("write",)))
    url = concrete_url(path, endpoint, world)
    body = request_for(app, path, endpoint, method)
    for role in sorted(rule.roles):
        narrowed = sorted(set(auth_services.DEFAULT_SCOPES[role]) - wanted)
        if not narrowed:
            continue
        uscc = world["identifier"] if role == "enterprise" else None
        headers = auth(role, uscc=uscc, scopes=narrowed)
        response = client.open(url, method=method, headers=headers, **body)
        assert_problem(response, 403, "scope-forbidden")


# --- the matrix ----------------------------------------------------------------------


@pytest.mark.parametrize(("path", "endpoint", "method"), ROUTES, ids=ROUTE_IDS)
def test_every_caller_is_allowed_or_denied_as_declared(
    app, client, auth, world, path, endpoint, method
):
    rule = access.rule_for(app, endpoint, method)
    assert rule is not None, f"{method} {path} ({endpoint}) declares no access rule"
    url = concrete_url(path, endpoint, world)
    body = request_for(app, path, endpoint, method)
    outcomes: dict[str, int] = {}
    for caller in CALLERS:
        headers = caller_headers(auth, caller, world)
        response = client.open(url, method=method, headers=headers, **body)
        response.get_data()  # read streamed answers (CSV exports) to the end
        outcomes[caller] = response.status_code
        where = f"{caller}: {method} {url}"
        if rule.is_public:
            assert response.status_code in PAST_ACCESS_CONTROL, (where, describe(response))
        elif caller == ANONYMOUS:
            if is_page(path):
                assert response.status_code == 401, (where, describe(response))
            else:
                assert_problem(response, 401)
        elif caller not in rule.roles:
            assert_problem(response, 403, "role-forbidden")
        else:
            assert response.status_code in PAST_ACCESS_CONTROL, (where, describe(response))
    allowed = set(CALLERS) if rule.is_public else set(rule.roles)
    assert {c for c, status in outcomes.items() if status not in (401, 403)} == allowed, outcomes

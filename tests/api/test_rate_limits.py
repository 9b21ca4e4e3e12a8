"""Rate limits (flask-limiter) on sign-in and on public endpoints, on both databases.

flask-limiter keeps its counts in memory per app, so every test builds a fresh app with
the limits it needs; the windows are the limiter's own (wall clock), not the test clock.
"""

from __future__ import annotations

import re

from credit_service.audit import services as audit
from credit_service.web import create_app

CSRF_INPUT = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]*)">')


def app_with(ctx, **limits: str):
    ctx.settings = ctx.settings.replace(**limits)
    application = create_app(context=ctx)
    application.testing = True
    return application


def assert_too_many(response) -> dict:
    assert response.status_code == 429, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == "application/problem+json"
    retry_after = response.headers.get("Retry-After")
    assert retry_after is not None and retry_after.isdigit() and 0 < int(retry_after) <= 60
    body = response.get_json(force=True)
    assert body["status"] == 429
    assert body["code"] == "too-many-requests" and body["title"] == "请求过于频繁"
    assert {"type", "detail", "instance", "code"} <= set(body)
    return body


def sign_in_outcomes(ctx, username: str) -> list[str]:
    with ctx.session_factory() as session:
        events = audit.query_events(session, actor=username, action="auth.sign_in")
    return [e.outcome for e in events]


def sign_in_form(client) -> dict[str, str]:
    html = client.get("/sign-in").get_data(as_text=True)
    return {"csrf_token": CSRF_INPUT.search(html).group(1), "username": "nobody"}


# --- sign-in --------------------------------------------------------------------------------


def test_the_fourth_sign_in_post_in_a_minute_is_refused(ctx):
    client = app_with(ctx, ratelimit_signin="3 per minute").test_client()
    form = sign_in_form(client)

    first_three = [
        client.post("/sign-in", data={**form, "password": f"Guess-{i}#2026"}) for i in range(3)
    ]
    fourth = client.post("/sign-in", data={**form, "password": "Guess-4#2026"})

    assert [r.status_code for r in first_three] == [401, 401, 401]
    body = assert_too_many(fourth)
    assert body["instance"] == "/sign-in"
    assert sign_in_outcomes(ctx, "nobody") == ["unknown-user"] * 3 + ["rate-limited"]


def test_the_limit_counts_posts_whatever_their_outcome(ctx):
    """Posts refused for their CSRF token count too: the limit is checked before the view."""
    client = app_with(ctx, ratelimit_signin="3 per minute").test_client()

    answers = [client.post("/sign-in", data={"username": "x", "password": "y"}) for _ in range(4)]

    assert [r.status_code for r in answers[:3]] == [400, 400, 400]
    assert_too_many(answers[3])


def test_the_sign_in_limit_is_per_client_address(ctx):
    client = app_with(ctx, ratelimit_signin="3 per minute").test_client()
    form = sign_in_form(client)
    for _ in range(3):
        client.post("/sign-in", data={**form, "password": "Guess#2026"})
    assert_too_many(client.post("/sign-in", data={**form, "password": "Guess#2026"}))

    elsewhere = client.post(
        "/sign-in",
        data={**form, "password": "Guess#2026"},
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
    )

    assert elsewhere.status_code == 401


def test_showing_the_sign_in_page_is_not_limited_by_the_sign_in_rule(ctx):
    client = app_with(ctx, ratelimit_signin="3 per minute").test_client()

    pages = [client.get("/sign-in") for _ in range(8)]

    assert [r.status_code for r in pages] == [200] * 8


def test_a_refused_sign_in_page_post_does_not_block_showing_the_page(ctx):
    client = app_with(ctx, ratelimit_signin="3 per minute").test_client()
    form = sign_in_form(client)
    for _ in range(4):
        client.post("/sign-in", data={**form, "password": "Guess#2026"})

    assert client.get("/sign-in").status_code == 200


def test_the_api_registration_shares_the_sign_in_rule(ctx):
    client = app_with(ctx, ratelimit_signin="3 per minute").test_client()
    body = {"username": "x"}  # invalid: answered 422 without hashing anything

    answers = [client.post("/api/v1/accounts/enterprise", json=body) for _ in range(4)]

    assert [r.status_code for r in answers[:3]] == [422, 422, 422]
    assert_too_many(answers[3])


# --- public endpoints -----------------------------------------------------------------------


def test_the_sixth_public_get_in_a_minute_is_refused(ctx):
    client = app_with(ctx, ratelimit_public="5 per minute").test_client()

    first_five = [client.get("/api/v1/catalogs") for _ in range(5)]
    sixth = client.get("/api/v1/catalogs")

    assert [r.status_code for r in first_five] == [200] * 5
    body = assert_too_many(sixth)
    assert body["instance"] == "/api/v1/catalogs"


def test_the_public_limit_reports_the_remaining_requests(ctx):
    client = app_with(ctx, ratelimit_public="5 per minute").test_client()

    response = client.get("/api/v1/catalogs")

    assert response.headers["X-RateLimit-Limit"] == "5"
    assert response.headers["X-RateLimit-Remaining"] == "4"


def test_only_refusals_say_when_to_retry(ctx):
    """Retry-After belongs to 429 and 503 (RFC 6585, RFC 9110): an answer that refuses
    nothing, a 404 included, carries the X-RateLimit-* headers but no Retry-After."""
    client = app_with(ctx, ratelimit_public="2 per minute").test_client()

    answers = [
        client.get("/api/v1/catalogs"),
        client.get("/api/v1/catalogs/no-such-domain"),
        client.post("/api/v1/catalogs"),
        client.get("/api/v1/catalogs"),
    ]
    refused = client.get("/api/v1/catalogs")

    assert [r.status_code for r in answers] == [200, 404, 405, 200]
    assert [r.headers.get("X-RateLimit-Remaining") for r in answers] == ["1", "1", None, "0"]
    assert [r.headers.get("Retry-After") for r in answers] == [None] * 4
    assert_too_many(refused)


def test_authenticated_endpoints_are_not_limited_by_the_public_rule(ctx, auth):
    application = app_with(ctx, ratelimit_public="5 per minute")
    client = application.test_client()
    headers = auth("regulator")

    answers = [client.get("/api/v1/accounts/me", headers=headers) for _ in range(10)]
    entities = [client.get("/api/v1/entities", headers=headers) for _ in range(10)]

    assert [r.status_code for r in answers] == [200] * 10
    assert [r.status_code for r in entities] == [200] * 10


def test_the_public_limit_holds_for_a_signed_in_caller_of_a_public_endpoint(ctx, auth):
    client = app_with(ctx, ratelimit_public="5 per minute").test_client()
    headers = auth("regulator")

    answers = [client.get("/api/v1/catalogs", headers=headers) for _ in range(6)]

    assert [r.status_code for r in answers[:5]] == [200] * 5
    assert_too_many(answers[5])


def test_the_liveness_probe_is_not_limited_and_readiness_is(ctx):
    """A load balancer's liveness probes would share a window with the clients behind its
    address; the readiness probe queries the database, and stays limited."""
    client = app_with(ctx, ratelimit_public="2 per minute").test_client()

    probes = [client.get("/healthz") for _ in range(5)]
    readiness = [client.get("/readyz") for _ in range(3)]

    assert [r.status_code for r in probes] == [200] * 5
    assert probes[0].get_json() == {"status": "ok"}
    assert all("X-RateLimit-Limit" not in r.headers for r in probes)
    assert [r.status_code for r in readiness[:2]] == [200, 200]
    assert_too_many(readiness[2])

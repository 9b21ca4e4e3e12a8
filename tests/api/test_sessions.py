"""Web sign-in through the Flask test client, on both databases: cookies, CSRF, rotation,
lockout, idle and absolute timeouts, sign-out, disabling, and the audit of every attempt.

The app keeps the default SESSION_COOKIE_SECURE=true; werkzeug's test client sends Secure
cookies over plain http too, so the flag is asserted on the Set-Cookie header instead.
"""

from __future__ import annotations

import itertools
import re

import pytest
from sqlalchemy import func, select, update

from credit_service.access import SYSTEM
from credit_service.audit import services as audit
from credit_service.auth import services as auth_services
from credit_service.auth.models import User, WebSession
from credit_service.web.i18n import translate
from tests.factories import CITY, create_entity

PASSWORD = "Xuan-Cheng#2026!"
WRONG = "Wrong-Guess#2026!"
SESSION = "cs_session"
CSRF_INPUT = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]*)">')
ALERT = re.compile(r'<p class="alert alert-error" role="alert">([^<]*)</p>')
_numbers = itertools.count(1)


def make_user(ctx, role: str = "regulator", password: str = PASSWORD) -> str:
    username = f"web-{role}-{next(_numbers)}"
    auth_services.create_user(
        ctx,
        SYSTEM,
        username=username,
        display_name=username,
        role=role,
        region_code=CITY if role in ("regulator", "viewer") else None,
        password=password,
    )
    return username


def form_token(client, path: str = "/sign-in") -> str:
    """The hidden csrf_token of the form on ``path`` (anonymous, or the session's)."""
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    found = CSRF_INPUT.search(response.get_data(as_text=True))
    assert found and found.group(1), "the page has no csrf_token field"
    return found.group(1)


def sign_in(client, username: str, password: str = PASSWORD):
    return client.post(
        "/sign-in",
        data={"csrf_token": form_token(client), "username": username, "password": password},
    )


def session_id(client) -> str | None:
    cookie = client.get_cookie(SESSION)
    return cookie.value if cookie else None


def set_cookie_header(response, name: str) -> str:
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    assert len(headers) == 1, response.headers.getlist("Set-Cookie")
    return headers[0]


def client_with(app, session: str):
    """A second browser that presents ``session`` (e.g. a stolen or kept cookie)."""
    other = app.test_client()
    other.set_cookie(SESSION, session)
    return other


def me(client):
    return client.get("/api/v1/accounts/me")


def alert_text(response) -> str:
    found = ALERT.search(response.get_data(as_text=True))
    assert found, response.get_data(as_text=True)
    return found.group(1)


def open_sessions(ctx, username: str) -> int:
    with ctx.session_factory() as session:
        return session.execute(
            select(func.count())
            .select_from(WebSession)
            .join(User, User.id == WebSession.user_id)
            .where(User.username == username, WebSession.ended_at.is_(None))
        ).scalar_one()


def sign_in_outcomes(ctx, username: str) -> list[str]:
    with ctx.session_factory() as session:
        events = audit.query_events(session, actor=username, action="auth.sign_in")
    return [e.outcome for e in events]


def assert_problem(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    if code is not None:
        assert body["code"] == code, body
    return body


# --- the sign-in page and its CSRF protection -----------------------------------------------


def test_sign_in_page_has_a_labelled_form_with_a_csrf_field(client):
    response = client.get("/sign-in")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert '<form method="post" action="/sign-in">' in html
    for name in ("username", "password"):
        assert f'<label for="f-{name}">' in html
        assert f'id="f-{name}" name="{name}"' in html
    assert 'type="password"' in html
    token = CSRF_INPUT.search(html).group(1)
    cookie = set_cookie_header(response, "cs_csrf")
    assert cookie.startswith(f"cs_csrf={token};")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" in cookie


def test_sign_in_without_the_csrf_token_is_refused_and_opens_no_session(ctx, client):
    username = make_user(ctx)
    form_token(client)  # the anonymous CSRF cookie is set, but the form does not echo it

    response = client.post("/sign-in", data={"username": username, "password": PASSWORD})

    assert response.status_code == 400
    assert alert_text(response) == translate("form.csrf")
    assert session_id(client) is None
    assert open_sessions(ctx, username) == 0


def test_sign_in_with_a_wrong_csrf_token_is_refused(ctx, client):
    username = make_user(ctx)
    form_token(client)

    response = client.post(
        "/sign-in", data={"csrf_token": "forged", "username": username, "password": PASSWORD}
    )

    assert response.status_code == 400
    assert session_id(client) is None
    assert open_sessions(ctx, username) == 0


def test_a_sign_in_refused_for_its_csrf_token_is_audited(ctx, client):
    username = make_user(ctx)
    form_token(client)

    client.post("/sign-in", data={"csrf_token": "forged", "username": username, "password": WRONG})
    client.post("/sign-in", data={"username": f" {username} ", "password": PASSWORD})

    assert sign_in_outcomes(ctx, username) == ["csrf", "csrf"]
    with ctx.session_factory() as session:
        [event, _] = audit.query_events(session, actor=username, action="auth.sign_in")
    assert (event.role, event.source_ip) == ("public", "127.0.0.1")


def test_sign_in_without_the_csrf_cookie_is_refused(ctx, app):
    username = make_user(ctx)
    token = form_token(app.test_client())  # the token of another browser
    client = app.test_client()

    response = client.post(
        "/sign-in", data={"csrf_token": token, "username": username, "password": PASSWORD}
    )

    assert response.status_code == 400
    assert session_id(client) is None
    assert open_sessions(ctx, username) == 0


# --- successful sign-in, cookie flags and rotation ------------------------------------------


def test_sign_in_sets_a_secure_httponly_lax_session_cookie(ctx, client):
    username = make_user(ctx)

    response = sign_in(client, username)

    assert response.status_code == 303
    assert response.headers["Location"] == "/start"
    cookie = set_cookie_header(response, SESSION)
    attributes = {part.strip().split("=")[0] for part in cookie.split(";")[1:]}
    assert {"Secure", "HttpOnly", "SameSite", "Path"} <= attributes
    assert "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Max-Age=43200" in cookie  # no longer than the absolute lifetime
    raw = session_id(client)
    assert raw and len(raw) >= 40
    start = client.get("/start")
    assert (start.status_code, start.headers["Location"]) == (303, "/console")
    console = client.get("/console")
    assert console.status_code == 200
    assert username in console.get_data(as_text=True)
    body = me(client).get_json()
    assert (body["username"], body["via"]) == (username, "session")


def test_the_session_cookie_is_not_secure_when_the_setting_says_so(ctx):
    from credit_service.web import create_app

    ctx.settings = ctx.settings.replace(session_cookie_secure=False)
    client = create_app(context=ctx).test_client()
    username = make_user(ctx)

    cookie = set_cookie_header(sign_in(client, username), SESSION)

    assert "Secure" not in cookie and "HttpOnly" in cookie


def test_the_database_keeps_only_a_hash_of_the_session_id(ctx, client):
    username = make_user(ctx)
    sign_in(client, username)
    raw = session_id(client)

    with ctx.session_factory() as session:
        stored = session.execute(select(WebSession.session_hash)).scalars().all()

    assert raw not in stored
    assert len(stored) == 1 and len(stored[0]) == 64


def test_a_second_sign_in_rotates_the_id_and_ends_the_session_sent_along(ctx, app, client):
    username = make_user(ctx)
    sign_in(client, username)
    first = session_id(client)

    response = sign_in(client, username)  # the browser sends its current cookie along

    assert response.status_code == 303
    second = session_id(client)
    assert second and second != first
    assert me(client).status_code == 200
    assert_problem(me(client_with(app, first)), 401)
    assert open_sessions(ctx, username) == 1


def test_sign_in_from_another_browser_leaves_the_first_session_alone(ctx, app):
    username = make_user(ctx)
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, username)

    sign_in(phone, username)

    assert session_id(laptop) != session_id(phone)
    assert me(laptop).status_code == 200 and me(phone).status_code == 200
    assert open_sessions(ctx, username) == 2


def test_a_planted_session_id_is_never_adopted(ctx, client):
    username = make_user(ctx)
    client.set_cookie(SESSION, "chosen-by-an-attacker")

    sign_in(client, username)

    assert session_id(client) != "chosen-by-an-attacker"
    assert me(client).status_code == 200


def test_next_redirects_only_within_the_site(ctx, client):
    username = make_user(ctx)
    token = form_token(client)
    data = {"csrf_token": token, "username": username, "password": PASSWORD}

    inside = client.post("/sign-in", data={**data, "next": "/api/v1/accounts/me"})
    outside = client.post("/sign-in", data={**data, "next": "//evil.example/steal"})

    assert inside.headers["Location"] == "/api/v1/accounts/me"
    assert outside.headers["Location"] == "/start"


# --- failed sign-ins ------------------------------------------------------------------------


def test_unknown_user_and_wrong_password_get_the_same_answer(ctx, client):
    username = make_user(ctx)

    wrong = sign_in(client, username, WRONG)
    unknown = sign_in(client, "nobody-here", PASSWORD)

    assert wrong.status_code == unknown.status_code == 401
    assert alert_text(wrong) == alert_text(unknown) == translate("sign_in.failed")
    assert session_id(client) is None


def test_five_failures_lock_the_account_for_thirty_minutes(ctx, client, clock):
    username = make_user(ctx)
    wrong_answers = [sign_in(client, username, WRONG) for _ in range(5)]

    locked = sign_in(client, username, PASSWORD)

    assert [r.status_code for r in wrong_answers] == [401] * 5
    assert locked.status_code == 401
    assert alert_text(locked) == alert_text(wrong_answers[0])
    assert session_id(client) is None
    clock.advance(minutes=29)
    assert sign_in(client, username, PASSWORD).status_code == 401
    clock.advance(minutes=2)  # 31 minutes after the fifth failure
    assert sign_in(client, username, PASSWORD).status_code == 303
    assert me(client).status_code == 200


def test_four_failures_do_not_lock(ctx, client, clock):
    username = make_user(ctx)
    for _ in range(4):
        sign_in(client, username, WRONG)

    assert sign_in(client, username, PASSWORD).status_code == 303


def test_a_success_resets_the_failure_count(ctx, client, clock):
    username = make_user(ctx)
    for _ in range(4):
        sign_in(client, username, WRONG)
    assert sign_in(client, username, PASSWORD).status_code == 303

    for _ in range(4):
        sign_in(client, username, WRONG)

    assert sign_in(client, username, PASSWORD).status_code == 303


def test_failures_spread_beyond_the_window_do_not_lock(ctx, client, clock):
    username = make_user(ctx)
    for _ in range(5):  # at 0, 4, 8, 12 and 16 minutes: never five within 15 minutes
        assert sign_in(client, username, WRONG).status_code == 401
        clock.advance(minutes=4)

    assert sign_in(client, username, PASSWORD).status_code == 303


def test_five_failures_within_any_fifteen_minutes_lock(ctx, client, clock):
    username = make_user(ctx)
    sign_in(client, username, WRONG)  # opens the window at 0 minutes
    clock.advance(minutes=13)
    for _ in range(5):  # at 13, 14, 15, 16 and 17 minutes
        sign_in(client, username, WRONG)
        clock.advance(minutes=1)

    assert sign_in(client, username, PASSWORD).status_code == 401


# --- idle timeout and absolute lifetime -----------------------------------------------------


def test_a_request_within_the_idle_timeout_keeps_the_session_alive(ctx, client, clock):
    username = make_user(ctx)
    sign_in(client, username)

    for _ in range(4):  # two hours in all, never more than 29 minutes apart
        clock.advance(minutes=29)
        assert me(client).status_code == 200
        assert client.get("/console").status_code == 200


def test_a_request_after_the_idle_timeout_is_anonymous(ctx, app, client, clock):
    username = make_user(ctx)
    sign_in(client, username)
    raw = session_id(client)
    clock.advance(minutes=29)
    assert me(client).status_code == 200  # extends the session to 29 + 30 minutes

    clock.advance(minutes=31)

    assert_problem(me(client), 401, "unauthenticated")
    assert_problem(client.get("/console"), 401)
    clock.advance(minutes=-31)  # the ended session does not come back
    assert_problem(me(client_with(app, raw)), 401)


def test_the_session_ends_after_its_absolute_lifetime_however_active(ctx, client, clock):
    username = make_user(ctx)
    sign_in(client, username)

    for step in range(36):  # every 20 minutes for 12 hours
        clock.advance(minutes=20)
        assert me(client).status_code == 200, f"ended early, after {(step + 1) * 20} minutes"
    clock.advance(minutes=2)

    assert_problem(me(client), 401)
    assert open_sessions(ctx, username) == 0


def test_the_timeouts_follow_the_settings(ctx, clock):
    from credit_service.web import create_app

    ctx.settings = ctx.settings.replace(session_idle_minutes=5, session_max_hours=1)
    client = create_app(context=ctx).test_client()
    username = make_user(ctx)
    sign_in(client, username)
    clock.advance(minutes=6)
    assert me(client).status_code == 401

    sign_in(client, username)
    for _ in range(15):
        clock.advance(minutes=4)
        assert me(client).status_code == 200
    clock.advance(minutes=1, seconds=1)
    assert me(client).status_code == 401


# --- sign-out and disabling -----------------------------------------------------------------


def test_sign_out_ends_the_session(ctx, app, client):
    username = make_user(ctx)
    sign_in(client, username)
    raw = session_id(client)
    token = form_token(client, "/console")  # the sign-out form of the signed-in page

    response = client.post("/sign-out", data={"csrf_token": token})

    assert response.status_code == 303
    assert response.headers["Location"].startswith("/sign-in")
    assert session_id(client) is None
    assert_problem(me(client_with(app, raw)), 401)
    assert_problem(client_with(app, raw).get("/console"), 401)
    with ctx.session_factory() as session:
        events = audit.query_events(session, actor=username, action="auth.sign_out")
    assert len(events) == 1


def test_sign_out_accepts_the_csrf_header(ctx, app, client):
    username = make_user(ctx)
    sign_in(client, username)
    raw = session_id(client)
    token = form_token(client, "/console")

    response = client.post("/sign-out", headers={"X-CSRF-Token": token})

    assert response.status_code == 303
    assert_problem(me(client_with(app, raw)), 401)


def test_disabling_the_account_ends_its_session_at_the_next_request(ctx, app, client, auth):
    username = make_user(ctx)
    sign_in(client, username)
    assert me(client).status_code == 200

    disabled = app.test_client().post(
        f"/api/v1/admin/users/{username}/disable", headers=auth("admin")
    )

    assert disabled.status_code == 200, disabled.get_json()
    assert disabled.get_json()["is_active"] is False
    assert_problem(me(client), 401)
    assert open_sessions(ctx, username) == 0
    assert sign_in(client, username).status_code == 401


def test_a_session_of_a_user_disabled_behind_its_back_ends_too(ctx, client):
    """Even without end_user_sessions (e.g. a direct database change), is_active is checked."""
    username = make_user(ctx)
    sign_in(client, username)
    with ctx.session_factory.begin() as session:
        session.execute(update(User).where(User.username == username).values(is_active=False))

    assert_problem(me(client), 401)


# --- CSRF on session-authenticated unsafe requests ------------------------------------------


def test_sign_out_without_the_csrf_token_is_refused(ctx, client):
    username = make_user(ctx)
    sign_in(client, username)

    response = client.post("/sign-out")

    assert_problem(response, 403, "csrf")
    assert me(client).status_code == 200  # still signed in


def test_an_api_post_with_the_session_needs_the_csrf_header(ctx, client):
    username = make_user(ctx)
    sign_in(client, username)
    body = {"current_password": PASSWORD, "new_password": "Jing-Ting#Shan2026"}

    missing = client.post("/api/v1/accounts/me/password", json=body)
    wrong = client.post("/api/v1/accounts/me/password", json=body, headers={"X-CSRF-Token": "x"})

    assert_problem(missing, 403, "csrf")
    assert_problem(wrong, 403, "csrf")
    token = form_token(client, "/console")
    changed = client.post(
        "/api/v1/accounts/me/password", json=body, headers={"X-CSRF-Token": token}
    )
    assert changed.status_code == 204, changed.get_data(as_text=True)
    assert_problem(me(client), 401)  # a password change ends the account's sessions


def test_a_bearer_token_needs_no_csrf_token(ctx, auth, client):
    entity = create_entity(ctx)

    response = client.post(
        f"/api/v1/entities/{entity['identifier']}/activation-codes", headers=auth("admin")
    )

    assert response.status_code == 201, response.get_json()


def test_a_refused_csrf_check_is_audited(ctx, client):
    username = make_user(ctx)
    sign_in(client, username)

    client.post("/sign-out")

    with ctx.session_factory() as session:
        events = audit.query_events(session, actor=username, action="access.denied")
    assert [e.details["reason"] for e in events] == ["csrf"]


# --- the other forms: posted as browsers post them, each with its CSRF token ---------------


@pytest.mark.parametrize("path", ["/sign-in", "/enterprise/register"])
def test_public_forms_carry_a_csrf_field_and_set_its_cookie(client, path):
    token = form_token(client, path)

    assert client.get_cookie("cs_csrf").value == token


def test_registering_an_enterprise_through_the_page(ctx, client):
    entity = create_entity(ctx)
    data = {
        "username": f"page-enterprise-{next(_numbers)}",
        "password": PASSWORD,
        "uscc": entity["identifier"],
        "display_name": entity["name"],
        "contact": "王经理 13800000000",
        "activation_code": "",
    }

    refused = client.post("/enterprise/register", data=data)
    response = client.post(
        "/enterprise/register",
        data={**data, "csrf_token": form_token(client, "/enterprise/register")},
    )

    assert refused.status_code == 400
    assert response.status_code == 303, response.get_data(as_text=True)
    assert response.headers["Location"] == "/sign-in?notice=register.done_pending"
    with ctx.session_factory() as session:
        user = session.execute(select(User).where(User.username == data["username"])).scalar_one()
    assert (user.binding_status, user.uscc) == ("pending", entity["identifier"])


def test_changing_the_password_through_the_page(ctx, app, client):
    username = make_user(ctx)
    sign_in(client, username)
    raw = session_id(client)
    new = "Jing-Ting#Shan2026"
    data = {"current_password": PASSWORD, "new_password": new, "repeat_password": new}

    token = form_token(client, "/account/password")

    refused = client.post("/account/password", data=data)
    mismatch = client.post(
        "/account/password", data={**data, "repeat_password": "x", "csrf_token": token}
    )
    response = client.post("/account/password", data={**data, "csrf_token": token})

    assert_problem(refused, 403, "csrf")
    assert mismatch.status_code == 422
    assert response.status_code == 303, response.get_data(as_text=True)
    assert response.headers["Location"] == "/sign-in?notice=password.changed"
    assert session_id(client) is None
    assert_problem(me(client_with(app, raw)), 401)
    assert sign_in(client, username, PASSWORD).status_code == 401
    assert sign_in(client, username, new).status_code == 303


# --- audit of every attempt -----------------------------------------------------------------


def test_every_sign_in_attempt_is_audited_with_its_outcome(ctx, client, clock):
    username = make_user(ctx)
    sign_in(client, username)
    for _ in range(5):
        sign_in(client, username, WRONG)
    sign_in(client, username)  # locked now
    sign_in(client, "ghost-user", PASSWORD)

    assert sign_in_outcomes(ctx, username) == ["success"] + ["wrong-password"] * 5 + ["locked"]
    assert sign_in_outcomes(ctx, "ghost-user") == ["unknown-user"]
    with ctx.session_factory() as session:
        events = audit.query_events(session, action="auth.sign_in")
        user_id = session.execute(select(User.id).where(User.username == username)).scalar_one()
    mine = [e for e in events if e.actor == username]
    assert {e.object_id for e in mine} == {str(user_id)}
    assert {e.role for e in events} == {"public"}
    assert {e.source_ip for e in events} == {"127.0.0.1"}
    ghost = next(e for e in events if e.actor == "ghost-user")
    assert ghost.object_id is None

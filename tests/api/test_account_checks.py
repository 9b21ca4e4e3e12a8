"""Issue #14, items 5 and 6 (accounts), through the API, pages and CLI on both databases:
tokens get the account checks sign-in makes; the sign-in back-off is per account and
source, grows, and an administrator can lift it; registration does not reveal taken
user names; the last active administrator cannot be disabled, and the command line can
enable an account again."""

from __future__ import annotations

import getpass
import itertools

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select, update

from credit_service.access import SYSTEM
from credit_service.audit import services as audit
from credit_service.auth import accounts, passwords, tokens
from credit_service.auth import services as auth_services
from credit_service.auth.models import ApiToken, User
from tests.api.test_sessions import PASSWORD, WRONG, assert_problem, form_token, make_user
from tests.factories import XUANZHOU, create_entity

CLI_ACTOR = f"cli:{getpass.getuser()}"[:100]
FIRST, SECOND = "198.51.100.7", "203.0.113.20"  # two client addresses
_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch):
    """argon2id with minimal cost: these tests sign in dozens of times (the rules under
    test do not depend on the cost)."""
    monkeypatch.setattr(
        passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


@pytest.fixture
def app(ctx):  # type: ignore[no-untyped-def]
    """The app, with a sign-in rate limit these tests stay under: they count failures
    over hours of the test clock, but the limiter counts real seconds."""
    from credit_service.web import create_app

    ctx.settings = ctx.settings.replace(ratelimit_signin="1000 per minute")
    application = create_app(context=ctx)
    application.testing = True
    return application


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def enterprise_with_token(ctx, binding_status: str = "approved") -> tuple[dict, str, str]:
    """An enterprise account bound to a new entity (its user name), and a token issued
    while the binding was approved; then the binding is set to ``binding_status`` (a
    token issued before issuing checked the account, or an account whose binding was
    reset)."""
    entity = create_entity(ctx, region_code=XUANZHOU)
    username = f"firm-{next(_numbers)}"
    auth_services.create_user(
        ctx,
        SYSTEM,
        username=username,
        display_name=entity["name"],
        role="enterprise",
        uscc=entity["identifier"],
        password=PASSWORD,
    )
    issued = tokens.create_token(ctx, SYSTEM, username=username, name="erp")
    set_binding(ctx, username, binding_status)
    return entity, username, issued.secret


def set_binding(ctx, username: str, status: str) -> None:
    with ctx.session_factory.begin() as session:
        session.execute(update(User).where(User.username == username).values(binding_status=status))


def client_at(app, address: str):
    """A browser at ``address`` (the source its sign-in failures are counted under)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def sign_in(client, username: str, password: str = PASSWORD) -> int:
    data = {"csrf_token": form_token(client), "username": username, "password": password}
    return client.post("/sign-in", data=data).status_code


def fail_times(client, username: str, times: int = 5) -> None:
    assert [sign_in(client, username, WRONG) for _ in range(times)] == [401] * times


def actions(ctx, action: str) -> list:
    with ctx.session_factory() as session:
        return audit.query_events(session, action=action)


def user_row(ctx, username: str) -> User:
    with ctx.session_factory() as session:
        return session.execute(select(User).where(User.username == username)).scalar_one()


# --- item 5: tokens get the account checks of sign-in ---------------------------------------


def test_a_token_of_a_pending_enterprise_account_reads_nothing(ctx, client, auth):
    entity, username, secret = enterprise_with_token(ctx, binding_status="pending")

    entity_read = client.get(f"/api/v1/entities/{entity['identifier']}", headers=bearer(secret))
    records_read = client.get(
        f"/api/v1/entities/{entity['identifier']}/records", headers=bearer(secret)
    )

    assert_problem(entity_read, 401, "invalid-token")
    assert_problem(records_read, 401, "invalid-token")
    approved = client.post(
        f"/api/v1/accounts/{username}/approve-binding", headers=auth("regulator")
    )
    assert approved.status_code == 200, approved.get_json()
    again = client.get(f"/api/v1/entities/{entity['identifier']}", headers=bearer(secret))
    assert again.status_code == 200, again.get_json()


def test_a_session_ends_when_its_accounts_binding_is_pending(ctx, app):
    """The check of each session request is the same function as sign-in's and tokens'."""
    _, username, _ = enterprise_with_token(ctx)
    browser = app.test_client()
    assert sign_in(browser, username) == 303

    set_binding(ctx, username, "pending")

    assert_problem(browser.get("/api/v1/accounts/me"), 401)


@pytest.mark.parametrize(
    ("make_unusable", "code"),
    [
        (lambda ctx, name: set_binding(ctx, name, "pending"), "binding-pending"),
        (
            lambda ctx, name: accounts.set_active(ctx, SYSTEM, name, active=False),
            "account-disabled",
        ),
    ],
    ids=["pending", "disabled"],
)
def test_no_token_is_issued_for_an_account_that_may_not_act(ctx, client, auth, make_unusable, code):
    _, username, _ = enterprise_with_token(ctx)
    make_unusable(ctx, username)
    admin = auth("admin")
    with ctx.session_factory() as session:
        before = session.execute(select(func.count()).select_from(ApiToken)).scalar_one()

    response = client.post(
        "/api/v1/admin/tokens", json={"username": username, "name": "x"}, headers=admin
    )

    problem = assert_problem(response, 409, code)
    assert "token" not in problem
    with ctx.session_factory() as session:
        assert session.execute(select(func.count()).select_from(ApiToken)).scalar_one() == before


def test_the_sign_in_audit_names_why_an_account_may_not_act(ctx, app):
    username = make_user(ctx)
    accounts.set_active(ctx, SYSTEM, username, active=False)

    assert sign_in(app.test_client(), username) == 401

    with ctx.session_factory() as session:
        events = audit.query_events(session, actor=username, action="auth.sign_in")
    assert [e.outcome for e in events] == ["account-disabled"]


def test_neither_the_sign_in_back_off_nor_an_expired_password_stops_a_token(ctx, app, clock):
    """Decided in docs/security.md: the back-off keeps a source away from the password (a
    token is not a password, and stopping it would hand guessers a way to stop machine
    clients); a token has its own expiry and is not stopped because the password aged."""
    ctx.settings = ctx.settings.replace(password_expiry_days=90)
    username = make_user(ctx)
    secret = tokens.create_token(ctx, SYSTEM, username=username, name="x", days=365).secret
    fail_times(client_at(app, FIRST), username)
    client = app.test_client()

    assert client.get("/api/v1/accounts/me", headers=bearer(secret)).status_code == 200
    clock.advance(days=91)
    assert client.get("/api/v1/accounts/me", headers=bearer(secret)).status_code == 200


# --- item 6: the sign-in back-off, per account and source ----------------------------------


def test_failures_from_one_address_do_not_lock_out_another(ctx, app):
    username = make_user(ctx)
    guesser, owner = client_at(app, FIRST), client_at(app, SECOND)

    fail_times(guesser, username)

    assert sign_in(guesser, username) == 401  # the guesser's source is locked out
    assert sign_in(owner, username) == 303  # the owner, elsewhere, is not
    with ctx.session_factory() as session:
        events = audit.query_events(session, actor=username, action="auth.sign_in")
    assert [(e.source_ip, e.outcome) for e in events][-2:] == [
        (FIRST, "locked"),
        (SECOND, "success"),
    ]


def test_each_further_lock_of_a_source_lasts_twice_as_long(ctx, app, clock):
    username = make_user(ctx)
    guesser = client_at(app, FIRST)

    fail_times(guesser, username)  # locked for 30 minutes
    clock.advance(minutes=31)
    fail_times(guesser, username)  # the second lock: 60 minutes
    clock.advance(minutes=59)
    assert sign_in(guesser, username) == 401
    clock.advance(minutes=2)
    fail_times(guesser, username)  # the third: 120 minutes
    clock.advance(minutes=119)
    assert sign_in(guesser, username) == 401
    clock.advance(minutes=2)

    assert sign_in(guesser, username) == 303  # and a success starts over
    fail_times(guesser, username)
    clock.advance(minutes=31)
    assert sign_in(guesser, username) == 303


def test_the_back_off_starts_over_after_a_quiet_day(ctx, app, clock):
    username = make_user(ctx)
    guesser = client_at(app, FIRST)
    fail_times(guesser, username)
    clock.advance(minutes=31)
    fail_times(guesser, username)  # 60 minutes

    clock.advance(days=1, minutes=1)  # LOGIN_LOCK_MAX_MINUTES without a failure
    fail_times(guesser, username)
    clock.advance(minutes=31)

    assert sign_in(guesser, username) == 303


def test_an_admin_unlocks_an_account_for_every_source(ctx, app, client, auth):
    username = make_user(ctx)
    guessers = [client_at(app, FIRST), client_at(app, SECOND)]
    for guesser in guessers:
        fail_times(guesser, username)
    admin = auth("admin")
    listed = client.get("/api/v1/admin/users", headers=admin).get_json()
    assert next(u for u in listed if u["username"] == username)["locked_until"] is not None

    response = client.post(f"/api/v1/admin/users/{username}/unlock", headers=admin)

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["locked_until"] is None
    assert [sign_in(guesser, username) for guesser in guessers] == [303, 303]
    [event] = actions(ctx, "user.unlock")
    assert (event.object_id, event.details) == (str(user_row(ctx, username).id), {"sources": 2})


def test_only_an_admin_unlocks(ctx, client, auth):
    username = make_user(ctx)

    refused = client.post(f"/api/v1/admin/users/{username}/unlock", headers=auth("regulator"))
    unknown = client.post("/api/v1/admin/users/nobody-at-all/unlock", headers=auth("admin"))

    assert_problem(refused, 403, "role-forbidden")
    assert_problem(unknown, 404, "user-not-found")
    assert actions(ctx, "user.unlock") == []


# --- item 6: registration does not reveal taken user names ---------------------------------


def registration(uscc: str, username: str, **extra: str) -> dict:
    return {
        "username": username,
        "password": PASSWORD,
        "uscc": uscc,
        "display_name": "宣城注册测试科技有限公司",
        "contact": "王经理 13800000000",
        **extra,
    }


@pytest.fixture
def hashes(monkeypatch) -> list[str]:
    """Every password hashed meanwhile (a taken name must cost what a new one costs)."""
    hashed: list[str] = []
    real = passwords.hash_password
    monkeypatch.setattr(passwords, "hash_password", lambda p: hashed.append(p) or real(p))
    return hashed


def test_registration_answers_a_taken_name_as_it_answers_a_new_one(ctx, client, hashes):
    taken = make_user(ctx, role="admin")  # as demo-admin would be
    before = user_row(ctx, taken)
    hashes.clear()
    uscc = create_entity(ctx, region_code=XUANZHOU)["identifier"]
    new_name = f"firm-{next(_numbers)}"

    answers = {
        name: client.post("/api/v1/accounts/enterprise", json=registration(uscc, name))
        for name in (taken, new_name)
    }

    assert {name: a.status_code for name, a in answers.items()} == {taken: 202, new_name: 202}
    bodies = {name: a.get_json() for name, a in answers.items()}
    assert bodies[taken] == {**bodies[new_name], "username": taken}
    assert bodies[new_name] == {"username": new_name, "uscc": uscc, "binding_status": "pending"}
    assert len(hashes) == 2  # the same hashing work for both
    after = user_row(ctx, taken)
    assert (after.role, after.password_hash, after.uscc) == ("admin", before.password_hash, None)
    assert user_row(ctx, new_name).binding_status == "pending"
    [probe] = actions(ctx, "user.register")
    assert (probe.actor, probe.outcome, probe.details) == (taken, "name-taken", {"uscc": uscc})


def test_a_registrant_with_an_activation_code_learns_that_the_name_is_taken(ctx, client, auth):
    taken = make_user(ctx)
    uscc = create_entity(ctx, region_code=XUANZHOU)["identifier"]
    code = client.post(f"/api/v1/entities/{uscc}/activation-codes", headers=auth("regulator"))
    body = registration(uscc, taken, activation_code=code.get_json()["code"])

    refused = client.post("/api/v1/accounts/enterprise", json=body)
    created = client.post(
        "/api/v1/accounts/enterprise", json={**body, "username": f"firm-{next(_numbers)}"}
    )

    assert_problem(refused, 409, "user-exists")
    assert created.status_code == 201, created.get_json()  # the refusal left the code unused
    assert created.get_json()["binding_status"] == "approved"


def test_the_registration_page_answers_a_taken_name_as_a_new_one(ctx, client):
    taken = make_user(ctx)
    uscc = create_entity(ctx, region_code=XUANZHOU)["identifier"]
    token = form_token(client, "/enterprise/register")

    answers = [
        client.post(
            "/enterprise/register",
            data={**registration(uscc, name), "activation_code": "", "csrf_token": token},
        )
        for name in (taken, f"firm-{next(_numbers)}")
    ]

    assert [(a.status_code, a.headers.get("Location")) for a in answers] == [
        (303, "/sign-in?notice=register.done_pending")
    ] * 2


# --- item 6: the last active administrator --------------------------------------------------


def whoami(client, headers) -> str:
    return client.get("/api/v1/accounts/me", headers=headers).get_json()["username"]


def test_the_last_active_admin_cannot_be_disabled(ctx, client, auth):
    admin = auth("admin")
    me = whoami(client, admin)

    refused = client.post(f"/api/v1/admin/users/{me}/disable", headers=admin)

    assert_problem(refused, 409, "last-admin")
    assert user_row(ctx, me).is_active is True
    assert actions(ctx, "user.disable") == []


def test_an_admin_is_disabled_while_another_stays_active(ctx, client, auth):
    admin = auth("admin")
    me, other = whoami(client, admin), make_user(ctx, role="admin")
    assert client.post(f"/api/v1/admin/users/{other}/disable", headers=admin).status_code == 200

    assert_problem(client.post(f"/api/v1/admin/users/{me}/disable", headers=admin), 409)

    assert client.post(f"/api/v1/admin/users/{other}/enable", headers=admin).status_code == 200
    assert client.post(f"/api/v1/admin/users/{me}/disable", headers=admin).status_code == 200
    assert (user_row(ctx, me).is_active, user_row(ctx, other).is_active) == (False, True)


# --- item 6: the command line enables and unlocks -------------------------------------------


def test_the_command_line_enables_an_account(ctx, app):
    username = make_user(ctx, role="admin")
    with ctx.session_factory.begin() as session:  # as if no administrator were left
        session.execute(update(User).where(User.username == username).values(is_active=False))

    result = app.test_cli_runner().invoke(args=["users", "enable", username])

    assert result.exit_code == 0, result.output
    assert result.stdout == f"enabled user {username}\n"
    assert user_row(ctx, username).is_active is True
    assert sign_in(app.test_client(), username) == 303
    [event] = actions(ctx, "user.enable")
    assert (event.actor, event.object_id) == (CLI_ACTOR, str(user_row(ctx, username).id))


def test_the_command_line_unlocks_an_account(ctx, app):
    username = make_user(ctx)
    guesser = client_at(app, FIRST)
    fail_times(guesser, username)

    result = app.test_cli_runner().invoke(args=["users", "unlock", username])

    assert result.exit_code == 0, result.output
    assert sign_in(guesser, username) == 303
    [event] = actions(ctx, "user.unlock")
    assert event.actor == CLI_ACTOR


def test_the_command_line_names_an_unknown_account(app):
    result = app.test_cli_runner().invoke(args=["users", "enable", "nobody-at-all"])

    assert result.exit_code == 1
    assert "user-not-found (username=nobody-at-all)" in result.stderr

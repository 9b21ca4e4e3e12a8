"""The console's account administration through the Flask test client, on both
databases: enterprise bindings (the pending queue with what the enterprise typed,
approve, refuse with a reason, activation codes issued once and revoked) for
administrators and the regulators of the entity's region; users and API tokens for
administrators only. Each act is audited; bad input shows Chinese field errors and writes
nothing; every other role, and a regulator of another region, gets a 403 page. A pending
enterprise that signs in with its right password is told that it awaits approval."""

from __future__ import annotations

import itertools
import re

import pytest
from sqlalchemy import func, select

from credit_service.access import SYSTEM
from credit_service.audit import services as audit
from credit_service.auth import accounts
from credit_service.auth import services as auth_services
from credit_service.auth.models import ActivationCode, ApiToken, User
from credit_service.errors import InvalidInput
from tests.api.test_sessions import PASSWORD, WRONG, form_token, sign_in
from tests.factories import LANGXI, XUANZHOU, create_entity
from tests.pages.test_console_pages import BROWSER, get, html_of

SECRET_SHOWN = "只显示这一次"
SECRET = re.compile(r'<code class="secret" translate="no">([^<]+)</code>')
_numbers = itertools.count(1)


# --- helpers ----------------------------------------------------------------------------------


def browser_of(app, ctx, role: str, region: str | None = None, uscc: str | None = None):  # type: ignore[no-untyped-def]
    """A signed-in browser of a new account of ``role``."""
    username = f"adm-{role}-{next(_numbers)}"
    auth_services.create_user(
        ctx,
        SYSTEM,
        username=username,
        display_name=username,
        role=role,
        region_code=region,
        uscc=uscc,
        password=PASSWORD,
    )
    browser = app.test_client()
    assert sign_in(browser, username).status_code == 303
    browser.username = username
    return browser


def send(browser, path: str, data: dict | None = None, status: int | None = None):  # type: ignore[no-untyped-def]
    """Post a form with the session's token (from the account page every role may open)."""
    token = form_token(browser, "/account")
    response = browser.post(path, data={"csrf_token": token, **(data or {})}, headers=BROWSER)
    if status is not None:
        assert response.status_code == status, response.get_data(as_text=True)[:3000]
    return response


def register(ctx, entity: dict, **typed: str) -> str:  # type: ignore[no-untyped-def]
    """An enterprise account registered without a code (pending)."""
    username = f"ent-{next(_numbers)}"
    accounts.register_enterprise(
        ctx,
        username=username,
        password=PASSWORD,
        uscc=entity["identifier"],
        display_name=typed.get("display_name", entity["name"]),
        contact=typed.get("contact", "王经理 0563-1234567"),
        activation_code=None,
        source_ip=None,
    )
    return username


def shown_secret(html: str) -> str:
    found = SECRET.search(html)
    assert found, "no secret shown"
    return found.group(1)


def events(ctx, action: str) -> list:  # type: ignore[no-untyped-def]
    with ctx.session_factory() as session:
        return audit.query_events(session, action=action)


def user_row(ctx, username: str) -> User:  # type: ignore[no-untyped-def]
    with ctx.session_factory() as session:
        return session.execute(select(User).where(User.username == username)).scalar_one()


def count(ctx, model) -> int:  # type: ignore[no-untyped-def]
    with ctx.session_factory() as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


# --- bindings ---------------------------------------------------------------------------------


def test_the_queue_shows_what_the_enterprise_typed_and_approval_lets_it_in(app, ctx):
    entity = create_entity(ctx, region_code=XUANZHOU)
    username = register(
        ctx, entity, display_name="宣城某某公司（自填）", contact="李四 13900000000"
    )
    regulator = browser_of(app, ctx, "regulator", XUANZHOU)
    html = get(regulator, "/console/bindings")
    for shown in (username, "宣城某某公司（自填）", entity["identifier"], entity["name"]):
        assert shown in html
    assert "李四 13900000000" in html
    assert 'href="/console/bindings"' in html  # in the regulator's menu

    # the pending account: its right password is told why, a wrong one is not
    enterprise = app.test_client()
    refused = html_of(sign_in(enterprise, username), 401)
    assert "正在等待辖区监管部门审核" in refused
    wrong = html_of(sign_in(enterprise, username, WRONG), 401)
    assert "用户名或密码错误" in wrong and "审核" not in wrong

    response = send(regulator, f"/console/bindings/{username}/approve", status=303)
    assert "已通过" in get(regulator, response.headers["Location"])
    assert user_row(ctx, username).binding_status == "approved"
    (event,) = events(ctx, "user.approve_binding")
    assert event.actor == regulator.username
    assert sign_in(enterprise, username).status_code == 303


def test_a_refusal_needs_a_reason_and_is_audited_with_it(app, ctx):
    entity = create_entity(ctx, region_code=XUANZHOU)
    username = register(ctx, entity)
    admin = browser_of(app, ctx, "admin")
    html = html_of(send(admin, f"/console/bindings/{username}/refuse", {"reason": " "}), 422)
    assert "请填写理由" in html and 'aria-invalid="true"' in html
    assert user_row(ctx, username).binding_status == "pending"
    assert events(ctx, "user.refuse_binding") == []

    reason = "联系人电话无法接通，且名称与登记不符"
    send(admin, f"/console/bindings/{username}/refuse", {"reason": reason}, 303)
    assert user_row(ctx, username).binding_status == "refused"
    (event,) = events(ctx, "user.refuse_binding")
    assert event.details["reason"] == reason and event.actor == admin.username
    assert username not in get(admin, "/console/bindings")
    told = html_of(sign_in(app.test_client(), username), 401)
    assert "未获批准" in told
    # a second decision finds nothing pending
    again = send(admin, f"/console/bindings/{username}/approve", status=409)
    assert "没有待审核的绑定" in html_of(again, 409)


def test_another_regions_regulator_neither_sees_nor_decides(app, ctx):
    entity = create_entity(ctx, region_code=XUANZHOU)
    username = register(ctx, entity)
    langxi = browser_of(app, ctx, "regulator", LANGXI)
    assert username not in get(langxi, "/console/bindings")
    for act, data in (("approve", {}), ("refuse", {"reason": "不符"})):
        response = send(langxi, f"/console/bindings/{username}/{act}", data)
        assert "无权访问" in html_of(response, 403)
    assert user_row(ctx, username).binding_status == "pending"
    issued = send(langxi, "/console/activation-codes", {"uscc": entity["identifier"]})
    html_of(issued, 403)
    assert count(ctx, ActivationCode) == 0


@pytest.mark.parametrize("role", ["viewer", "checker", "enterprise", "auditor"])
def test_other_roles_may_not_open_or_post_the_bindings(app, ctx, role):
    entity = create_entity(ctx, region_code=XUANZHOU)
    username = register(ctx, entity)
    uscc = create_entity(ctx, region_code=XUANZHOU)["identifier"] if role == "enterprise" else None
    browser = browser_of(app, ctx, role, XUANZHOU if role == "viewer" else None, uscc)
    get(browser, "/console/bindings", status=403)
    html_of(send(browser, f"/console/bindings/{username}/approve"), 403)
    html_of(send(browser, "/console/activation-codes", {"uscc": entity["identifier"]}), 403)
    assert user_row(ctx, username).binding_status == "pending"
    assert 'href="/console/bindings"' not in get(browser, "/account")


def test_an_activation_code_is_shown_once_and_can_be_revoked(app, ctx):
    entity = create_entity(ctx, region_code=XUANZHOU)
    regulator = browser_of(app, ctx, "regulator", XUANZHOU)

    bad = html_of(send(regulator, "/console/activation-codes", {"uscc": "91341800MA2XXXXXXX"}), 422)
    assert "未找到该主体" in bad and 'aria-invalid="true"' in bad
    assert count(ctx, ActivationCode) == 0 and events(ctx, "user.issue_activation_code") == []

    response = send(regulator, "/console/activation-codes", {"uscc": entity["identifier"]}, 201)
    html = html_of(response, 201)
    assert SECRET_SHOWN in html and entity["name"] in html
    code = shown_secret(html)
    assert code not in get(regulator, "/console/bindings")  # never again
    assert len(events(ctx, "user.issue_activation_code")) == 1

    with ctx.session_factory() as session:
        code_id = session.execute(select(ActivationCode.id)).scalar_one()
    send(regulator, f"/console/activation-codes/{code_id}/revoke", status=303)
    (event,) = events(ctx, "user.revoke_activation_code")
    assert event.actor == regulator.username
    with pytest.raises(InvalidInput):
        accounts.register_enterprise(
            ctx,
            username="late-comer",
            password=PASSWORD,
            uscc=entity["identifier"],
            display_name=entity["name"],
            contact="张三",
            activation_code=code,
            source_ip=None,
        )
    # revoked already: nothing more to revoke, and nothing more audited
    html_of(send(regulator, f"/console/activation-codes/{code_id}/revoke"), 409)
    assert len(events(ctx, "user.revoke_activation_code")) == 1


# --- users ------------------------------------------------------------------------------------


def test_an_admin_creates_a_regulator_who_must_change_the_first_password(app, ctx):
    admin = browser_of(app, ctx, "admin")
    assert 'href="/console/users"' in get(admin, "/console/users")
    data = {"username": "langxi-officer", "display_name": "郎溪县监管员", "role": "regulator"}
    response = send(admin, "/console/users", {**data, "region_code": LANGXI}, 201)
    html = html_of(response, 201)
    assert SECRET_SHOWN in html
    password = shown_secret(html)
    created = user_row(ctx, "langxi-officer")
    assert created.role == "regulator" and created.region_code == LANGXI
    (event,) = [e for e in events(ctx, "user.create") if e.actor == admin.username]
    assert event.details["region_code"] == LANGXI

    officer = app.test_client()
    first = sign_in(officer, "langxi-officer", password)
    assert first.status_code == 303 and "/account/password" in first.headers["Location"]
    assert "/account/password" in officer.get("/console").headers["Location"]


@pytest.mark.parametrize(
    ("typed", "field_words"),
    [
        ({"username": "a b", "role": "viewer", "region_code": LANGXI}, "用户名须为3至64位"),
        ({"username": "no-region", "role": "regulator"}, "地区"),
        ({"username": "bad-uscc", "role": "enterprise", "uscc": "123"}, "统一社会信用代码"),
    ],
)
def test_bad_input_for_a_user_shows_field_errors_and_writes_nothing(app, ctx, typed, field_words):
    admin = browser_of(app, ctx, "admin")
    before = count(ctx, User)
    html = html_of(send(admin, "/console/users", {"display_name": "某人", **typed}), 422)
    assert field_words in html and 'aria-invalid="true"' in html
    assert count(ctx, User) == before
    assert [e for e in events(ctx, "user.create") if e.actor == admin.username] == []


def test_disable_enable_unlock_and_reset_are_audited(app, ctx):
    admin = browser_of(app, ctx, "admin")
    other = browser_of(app, ctx, "viewer", XUANZHOU)
    name = other.username
    send(admin, f"/console/users/{name}/disable", status=303)
    assert not user_row(ctx, name).is_active
    assert other.get("/console", headers=BROWSER).status_code in (302, 303, 401)
    send(admin, f"/console/users/{name}/enable", status=303)
    assert user_row(ctx, name).is_active
    send(admin, f"/console/users/{name}/unlock", status=303)

    html = html_of(send(admin, f"/console/users/{name}/reset-password"), 200)
    password = shown_secret(html)
    assert sign_in(app.test_client(), name).status_code == 401  # the old one is gone
    again = sign_in(app.test_client(), name, password)
    assert again.status_code == 303 and "/account/password" in again.headers["Location"]
    for action in ("user.disable", "user.enable", "user.unlock", "user.reset_password"):
        (event,) = events(ctx, action)
        assert event.actor == admin.username and event.object_id == str(user_row(ctx, name).id)

    # the last administrator is not disabled: the page says why
    with ctx.session_factory.begin() as session:
        for user in session.execute(select(User).where(User.role == "admin")).scalars():
            user.is_active = user.username == admin.username
    refused = html_of(send(admin, f"/console/users/{admin.username}/disable"), 409)
    assert "最后一个启用的管理员" in refused


@pytest.mark.parametrize("role", ["regulator", "viewer", "checker", "enterprise", "auditor"])
def test_only_admins_manage_users_and_tokens(app, ctx, role):
    uscc = create_entity(ctx, region_code=XUANZHOU)["identifier"] if role == "enterprise" else None
    region = XUANZHOU if role in ("regulator", "viewer") else None
    browser = browser_of(app, ctx, role, region, uscc)
    for path in ("/console/users", "/console/tokens"):
        get(browser, path, status=403)
    before = count(ctx, User)
    html_of(send(browser, "/console/users", {"username": "x-new", "role": "admin"}), 403)
    html_of(send(browser, f"/console/users/{browser.username}/reset-password"), 403)
    html_of(send(browser, "/console/tokens", {"username": browser.username, "name": "x"}), 403)
    assert count(ctx, User) == before and count(ctx, ApiToken) == 0


# --- tokens -----------------------------------------------------------------------------------


def test_a_token_is_shown_once_used_listed_and_revoked(app, ctx, client):
    admin = browser_of(app, ctx, "admin")
    machine = "province-sync"
    auth_services.create_user(ctx, SYSTEM, username=machine, display_name="省平台", role="sync")
    response = send(
        admin, "/console/tokens", {"username": machine, "name": "省平台同步", "days": "30"}, 201
    )
    html = html_of(response, 201)
    secret = shown_secret(html)
    assert SECRET_SHOWN in html and secret.startswith("cst_")
    assert secret not in get(admin, "/console/tokens")
    (created,) = events(ctx, "token.create")
    assert created.actor == admin.username

    used = client.get("/api/v1/accounts/me", headers={"Authorization": f"Bearer {secret}"})
    assert used.status_code == 200 and used.get_json()["username"] == machine
    with ctx.session_factory() as session:
        token = session.execute(select(ApiToken)).scalar_one()
    assert token.last_used_at is not None
    send(admin, f"/console/tokens/{token.id}/revoke", status=303)
    assert "已吊销" in get(admin, "/console/tokens")
    (revoked,) = events(ctx, "token.revoke")
    assert revoked.actor == admin.username


@pytest.mark.parametrize(
    ("typed", "field_words"),
    [
        ({"username": "nobody-here", "name": "x"}, "不存在"),
        ({"name": "x", "days": "0"}, "有效天数"),
        ({"name": ""}, "用途"),
        ({"name": "x", "scopes": "admin"}, "权限"),
    ],
)
def test_bad_input_for_a_token_shows_field_errors_and_writes_nothing(app, ctx, typed, field_words):
    admin = browser_of(app, ctx, "admin")
    data = {"username": admin.username, **typed}
    if "scopes" in typed:  # a viewer's token may only read
        data["username"] = browser_of(app, ctx, "viewer", XUANZHOU).username
    html = html_of(send(admin, "/console/tokens", data), 422)
    assert field_words in html
    assert count(ctx, ApiToken) == 0 and events(ctx, "token.create") == []

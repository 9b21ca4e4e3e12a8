"""The enterprise message centre through the Flask test client, on both databases: the
header shows a signed-in enterprise its unread count, the page lists its messages and
marks them read (one or all, with the form's CSRF token), and nobody reads or marks
another account's messages; other roles and the public have no message centre."""

from __future__ import annotations

import re

from sqlalchemy import select

from credit_service.access import Actor
from credit_service.auth import accounts
from credit_service.auth.models import User
from credit_service.notifications.models import Message, OutboundEmail
from credit_service.repair import services as repair
from tests.api.test_sessions import form_token
from tests.factories import CITY
from tests.integration.test_repair import CITY_REGULATOR, application, general_penalty
from tests.pages.test_enterprise_pages import HTML, browser, enterprise_account, get_page

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ERROR = re.compile(r'<p class="error" id="e-([a-z_]+)">([^<]*)</p>')
READ_FORM = re.compile(r'action="(/enterprise/messages/(\d+)/read)"')


def told_enterprise(ctx) -> str:  # type: ignore[no-untyped-def]
    """An enterprise account whose repair application was accepted: one unread message."""
    owner, record = general_penalty(ctx)
    username = enterprise_account(ctx, owner)
    actor = Actor(role="enterprise", username=username, uscc=owner["identifier"], city_code=CITY)
    view, _ = repair.apply(ctx, actor, **application(f"record:{record['id']}"))
    repair.review(ctx, CITY_REGULATOR, view["id"], "accept")
    return username


def test_the_header_counts_unread_messages_and_the_page_marks_them_read(ctx, app):
    client = browser(app, told_enterprise(ctx))
    overview = get_page(client, "/enterprise")
    assert "消息（1条未读）" in overview and 'href="/enterprise/messages"' in overview

    html = get_page(client, "/enterprise/messages")
    assert "信用修复申请已受理" in html and "未读 1 条" in html
    action, message_id = READ_FORM.search(html).groups()
    token = CSRF.search(html).group(1)
    assert client.post(action, data={}).status_code == 403  # no CSRF token
    marked = client.post(action, data={"csrf_token": token})
    assert marked.status_code == 303 and marked.headers["Location"].endswith("notice=marked")

    html = get_page(client, "/enterprise/messages?notice=marked")
    assert "已标为已读。" in html and "消息（" not in html and ">消息</a>" in html
    assert READ_FORM.search(html) is None
    with ctx.session_factory() as session:
        assert session.get(Message, int(message_id)).read_at is not None


def test_mark_all_read(ctx, app):
    username = told_enterprise(ctx)
    client = browser(app, username)
    html = get_page(client, "/enterprise/messages")
    token = CSRF.search(html).group(1)
    done = client.post("/enterprise/messages/read", data={"csrf_token": token})
    assert done.status_code == 303
    with ctx.session_factory() as session:
        query = select(Message).where(Message.recipient == username)
        assert all(m.read_at for m in session.execute(query).scalars())


def test_nobody_reads_or_marks_another_accounts_messages(ctx, app, auth):
    told = told_enterprise(ctx)
    owner, _ = general_penalty(ctx)
    other = browser(app, enterprise_account(ctx, owner))
    html = get_page(other, "/enterprise/messages")
    assert "暂无消息。" in html and "信用修复申请已受理" not in html
    with ctx.session_factory() as session:
        theirs = session.execute(select(Message.id).where(Message.recipient == told)).scalar()
    token = CSRF.search(html).group(1)
    refused = other.post(f"/enterprise/messages/{theirs}/read", data={"csrf_token": token})
    assert refused.status_code == 404
    with ctx.session_factory() as session:
        assert session.get(Message, theirs).read_at is None

    anonymous = app.test_client().get("/enterprise/messages", headers=HTML)
    assert anonymous.status_code == 302 and "/sign-in" in anonymous.headers["Location"]
    regulator = app.test_client().get("/enterprise/messages", headers={**HTML, **auth("regulator")})
    assert regulator.status_code == 403
    posted = app.test_client().post("/enterprise/messages/read", headers=auth("regulator"))
    assert posted.status_code == 403


def register(client, uscc: str, email: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/enterprise/register",
        data={
            "csrf_token": form_token(client, "/enterprise/register"),
            "username": f"mail-{uscc[-6:]}",
            "display_name": "宣城新企业",
            "uscc": uscc,
            "contact": "13800000000",
            "email": email,
            "password": "Xuan-Cheng#2026!",
        },
        headers=HTML,
    )


def test_registration_takes_an_email_address_where_the_binding_decision_is_sent(ctx, app):
    owner, _ = general_penalty(ctx)
    client = app.test_client()
    refused = register(client, owner["identifier"], "not-an-address")
    assert refused.status_code == 422
    errors = dict(ERROR.findall(refused.get_data(as_text=True)))
    assert errors == {"email": "不是有效的电子邮箱地址"}
    username = f"mail-{owner['identifier'][-6:]}"
    with ctx.session_factory() as session:
        assert session.execute(select(User).where(User.username == username)).first() is None

    assert register(client, owner["identifier"], " boss@example.com ").status_code == 303
    accounts.approve_binding(ctx, CITY_REGULATOR, username)
    with ctx.session_factory() as session:
        assert session.execute(select(User.email).where(User.username == username)).scalar() == (
            "boss@example.com"
        )
        [email] = session.execute(select(OutboundEmail)).scalars().all()
    assert email.to == "boss@example.com" and email.kind == "binding.approved"

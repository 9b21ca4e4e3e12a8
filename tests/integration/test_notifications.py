"""Notifications end to end, on both databases: an act queues a message in the
enterprise's message centre and an e-mail in the outbox in its own transaction; the
sending job delivers it to a real SMTP server on loopback (aiosmtpd); with the server
down the act still commits, the e-mail is retried later with backoff and delivered once
the server is up — nothing lost, nothing sent twice; with no SMTP_HOST it is only logged.
Regulators get a daily digest of what falls due in their scope.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from credit_service.access import SYSTEM
from credit_service.auth import accounts, bindings
from credit_service.auth import services as auth_services
from credit_service.auth.models import User
from credit_service.errors import Forbidden, NotFound
from credit_service.notifications import outbox
from credit_service.notifications import services as notifications
from credit_service.notifications.models import Message, OutboundEmail
from tests.factories import CITY
from tests.integration.test_repair import (
    CITY_REGULATOR,
    D,
    apply,
    enterprise_of,
    general_penalty,
    on,
    review,
)

ADDRESS = "boss@example.com"


class Inbox:
    """An aiosmtpd handler keeping what it received."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.received.append(
            (envelope.mail_from, list(envelope.rcpt_tos), envelope.content.decode("utf-8"))
        )
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A real SMTP server on loopback that a test can start and stop."""

    def __init__(self, port: int) -> None:
        self.port, self.inbox, self.controller = port, Inbox(), None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(ctx) -> Iterator[Server]:  # type: ignore[no-untyped-def]
    """The settings point at a loopback port; the server there is not started yet."""
    server = Server(free_port())
    ctx.settings = ctx.settings.replace(
        smtp_host="127.0.0.1", smtp_port=server.port, smtp_sender="office@example.gov.cn"
    )
    yield server
    server.stop()


def with_email(ctx, username: str, email: str = ADDRESS) -> None:
    with ctx.session_factory.begin() as session:
        session.execute(update(User).where(User.username == username).values(email=email))


def emails(ctx) -> list[OutboundEmail]:
    with ctx.session_factory() as session:
        return list(session.execute(select(OutboundEmail).order_by(OutboundEmail.id)).scalars())


def messages_of(ctx, username: str) -> list[Message]:
    with ctx.session_factory() as session:
        query = select(Message).where(Message.recipient == username).order_by(Message.id)
        return list(session.execute(query).scalars())


def accepted_application(ctx):  # type: ignore[no-untyped-def]
    """An enterprise (with an e-mail address) whose repair application was just accepted."""
    owner, record = general_penalty(ctx)
    enterprise = enterprise_of(ctx, owner)
    with_email(ctx, enterprise.username)
    app = apply(ctx, enterprise, f"record:{record['id']}")
    review(ctx, app["id"], "accept")
    return enterprise, app


def test_an_accepted_application_is_told_in_a_message_and_an_email_the_job_sends(ctx, smtp):
    enterprise, app = accepted_application(ctx)

    [message] = messages_of(ctx, enterprise.username)
    assert message.kind == "repair.accept" and message.read_at is None
    assert message.subject == "信用修复申请已受理"
    assert f"第{app['id']}号" in message.body and "2026年12月9日前作出决定" in message.body
    assert message.link == f"/enterprise/repair/{app['id']}"
    [email] = emails(ctx)
    assert (email.to, email.sent_at, email.attempts) == (ADDRESS, None, 0)

    smtp.start()
    assert notifications.send_emails(ctx) == {"sent": 1, "failed": 0}
    [(sender, to, content)] = smtp.inbox.received
    assert sender == "office@example.gov.cn" and to == [ADDRESS]
    assert "Subject: =?utf-8?" in content  # the Chinese subject, encoded
    [email] = emails(ctx)
    assert email.sent_at is not None and email.attempts == 1 and email.last_error is None
    assert notifications.send_emails(ctx) == {"sent": 0, "failed": 0}  # sent once
    assert len(smtp.inbox.received) == 1


def test_with_the_server_down_the_act_commits_and_the_email_is_retried_until_sent(ctx, clock, smtp):
    enterprise, app = accepted_application(ctx)  # the server is not up: the act commits
    supplement = review(ctx, app["id"], "request_supplement", reason="缴款凭证原件扫描件")
    assert supplement["state"] == "supplement_requested"
    assert [m.kind for m in messages_of(ctx, enterprise.username)] == [
        "repair.accept",
        "repair.request_supplement",
    ]
    asked = messages_of(ctx, enterprise.username)[1]
    assert "缴款凭证原件扫描件" in asked.body

    assert notifications.send_emails(ctx) == {"sent": 0, "failed": 2}
    first = emails(ctx)
    assert [(e.attempts, e.sent_at) for e in first] == [(1, None), (1, None)]
    assert all(e.last_error and e.next_attempt_at == clock.now() + outbox.BACKOFF[0] for e in first)
    assert notifications.send_emails(ctx) == {"sent": 0, "failed": 0}  # not due yet

    clock.advance(minutes=1)
    assert notifications.send_emails(ctx) == {"sent": 0, "failed": 2}  # still down
    assert {e.next_attempt_at - clock.now() for e in emails(ctx)} == {outbox.BACKOFF[1]}

    smtp.start()
    clock.advance(seconds=outbox.BACKOFF[1].total_seconds())
    assert notifications.send_emails(ctx) == {"sent": 2, "failed": 0}
    assert len(smtp.inbox.received) == 2  # nothing lost
    clock.advance(hours=1)
    assert notifications.send_emails(ctx) == {"sent": 0, "failed": 0}
    assert len(smtp.inbox.received) == 2  # nothing twice
    assert all(e.sent_at and e.attempts == 3 for e in emails(ctx))


def test_backoff_grows_and_never_gives_up():
    waits = [outbox.backoff(n) for n in range(1, 10)]
    assert waits == sorted(waits) and waits[-1] == timedelta(hours=6)


def test_without_an_smtp_host_the_email_is_only_logged(ctx, caplog):
    assert ctx.settings.smtp_host is None  # the default: make run needs no mail server
    accepted_application(ctx)
    with caplog.at_level(logging.INFO, logger="credit_service.notifications.mailer"):
        assert notifications.send_emails(ctx) == {"sent": 1, "failed": 0}
    assert ADDRESS in caplog.text and "信用修复申请已受理" in caplog.text


def test_each_party_hears_of_its_own_steps_and_decisions(ctx, clock):
    owner, record = general_penalty(ctx)
    enterprise = enterprise_of(ctx, owner)
    colleague = enterprise_of(ctx, owner, name="colleague")  # the same entity's other account
    stranger_owner, _ = general_penalty(ctx)
    stranger = enterprise_of(ctx, stranger_owner)
    app = apply(ctx, enterprise, f"record:{record['id']}")
    review(ctx, app["id"], "accept")
    on(clock, D("2026-11-30"))
    review(ctx, app["id"], "refuse", reason="材料不实")

    kinds = ["repair.accept", "repair.refuse"]
    assert [m.kind for m in messages_of(ctx, enterprise.username)] == kinds
    assert [m.kind for m in messages_of(ctx, colleague.username)] == kinds
    assert messages_of(ctx, stranger.username) == []
    refused = messages_of(ctx, enterprise.username)[1]
    assert "2026年11月30日" in refused.body and "材料不实" in refused.body
    assert emails(ctx) == []  # no account has an address: the message centre only


def test_an_approved_binding_is_told_to_its_account(ctx):
    owner, _ = general_penalty(ctx)
    auth_services.create_user(
        ctx,
        SYSTEM,
        username="pending-one",
        display_name="pending-one",
        role="enterprise",
        uscc=owner["identifier"],
        binding_status="pending",
        contact="张三 zhang@example.com",  # not an address as a whole: none used
    )
    accounts.approve_binding(ctx, CITY_REGULATOR, "pending-one")
    [message] = messages_of(ctx, "pending-one")
    assert message.kind == "binding.approved" and "审核通过" in message.body
    assert emails(ctx) == []


def test_a_refused_binding_is_told_why(ctx):
    owner, _ = general_penalty(ctx)
    auth_services.create_user(
        ctx,
        SYSTEM,
        username="pending-two",
        display_name="pending-two",
        role="enterprise",
        uscc=owner["identifier"],
        binding_status="pending",
        email="li@example.com",
    )
    bindings.refuse_binding(ctx, CITY_REGULATOR, "pending-two", reason="非该企业工作人员")
    [message] = messages_of(ctx, "pending-two")
    assert message.kind == "binding.refused" and "非该企业工作人员" in message.body
    assert [e.to for e in emails(ctx)] == ["li@example.com"]


def test_the_message_centre_is_the_accounts_own(ctx):
    enterprise, _ = accepted_application(ctx)
    owner, _ = general_penalty(ctx)
    other = enterprise_of(ctx, owner)
    [message] = notifications.list_messages(ctx, enterprise)
    assert notifications.unread_count(ctx, enterprise) == 1
    assert notifications.list_messages(ctx, other) == []

    with pytest.raises(NotFound):
        notifications.mark_read(ctx, other, message["id"])
    with pytest.raises(Forbidden):
        notifications.list_messages(ctx, CITY_REGULATOR)
    assert notifications.mark_read(ctx, enterprise, message["id"]) == 1
    assert notifications.unread_count(ctx, enterprise) == 0
    assert notifications.mark_read(ctx, enterprise) == 0


def test_regulators_get_a_digest_of_what_falls_due(ctx, clock, smtp):
    enterprise, app = accepted_application(ctx)
    auth_services.create_user(
        ctx, SYSTEM, username="r-digest", display_name="r", role="regulator", region_code=CITY
    )
    with_email(ctx, "r-digest", "regulator@example.gov.cn")
    auth_services.create_user(
        ctx, SYSTEM, username="r-no-mail", display_name="r", role="regulator", region_code=CITY
    )
    assert notifications.queue_digests(ctx, D("2026-11-26")) == 0  # nothing due soon yet

    on(clock, D("2026-12-08"))  # the decision is due on 2026-12-09
    assert notifications.queue_digests(ctx) == 1
    digest = emails(ctx)[-1]
    assert digest.to == "regulator@example.gov.cn" and digest.kind == "digest"
    assert f"信用修复申请第{app['id']}号" in digest.body and "2026年12月9日" in digest.body
    assert "即将到期" in digest.body
    smtp.start()
    notifications.send_emails(ctx)
    assert any(to == ["regulator@example.gov.cn"] for _, to, _ in smtp.inbox.received)


def test_objection_steps_reach_the_party(ctx, clock):
    from tests.integration.test_objections import a_record, file, step

    owner, record = a_record(ctx)
    enterprise = enterprise_of(ctx, owner)
    objection = file(ctx, enterprise, f"record:{record['id']}", field="CF_NR")
    step(ctx, objection["id"], "accept")
    step(ctx, objection["id"], "request_supplement", reason="原处罚决定书复印件")
    step(ctx, objection["id"], "supplement_received")
    extended = step(ctx, objection["id"], "extend", reason="需国家知识产权局核实")
    step(ctx, objection["id"], "not_uphold", reason="经核查登记无误")

    told = messages_of(ctx, enterprise.username)
    assert [m.kind for m in told] == [
        "objection.accepted",
        "objection.request_supplement",
        "objection.extend",
        "objection.decided",
    ]
    assert "原处罚决定书复印件" in told[1].body
    due = extended["decision_due"]
    assert f"延长至{due.year}年{due.month}月{due.day}日" in told[2].body
    assert "异议不成立" in told[3].body
    assert all(m.link == f"/enterprise/objections/{objection['id']}" for m in told)

"""Sending e-mail: through SMTP as the settings say (SMTP_HOST, SMTP_PORT, SMTP_TLS
none / starttls / ssl, SMTP_USER, SMTP_PASSWORD, SMTP_SENDER), or, with no SMTP_HOST,
only into the log (``make run`` needs no mail server: what would be sent is logged and
counts as sent).

A mailer is opened once per run of the sending job and sends that run's e-mails over
one connection; a server that cannot be reached fails the opening, a refused message
fails only that message.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol

from credit_service.config import Settings

logger = logging.getLogger(__name__)
TIMEOUT_SECONDS = 15
MAIL_ERRORS = (OSError, smtplib.SMTPException)  # what a failed attempt raises


class Connection(Protocol):
    def send(self, message: EmailMessage) -> None: ...


def build(outbox_id: int, sender: str, to: str, subject: str, body: str) -> EmailMessage:
    """The e-mail of outbox row ``outbox_id``: its Message-ID names the row, so a
    receiver can tell a resend after a lost answer from a new e-mail."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(idstring=f"outbox-{outbox_id}", domain="credit-service")
    message.set_content(body)
    return message


class _LogOnly:
    def send(self, message: EmailMessage) -> None:
        logger.info(
            "e-mail (log only, no SMTP_HOST) to %s: %s\n%s",
            message["To"],
            message["Subject"],
            message.get_content(),
        )


class _Smtp:
    def __init__(self, client: smtplib.SMTP) -> None:
        self.client = client

    def send(self, message: EmailMessage) -> None:
        self.client.send_message(message)


@contextmanager
def connect(settings: Settings) -> Iterator[Connection]:
    """A connection to send through for the length of the block.

    :raises OSError, smtplib.SMTPException: the server cannot be reached or refuses us.
    """
    if not settings.smtp_host:
        yield _LogOnly()
        return
    host, port, tls = settings.smtp_host, settings.smtp_port, settings.smtp_tls
    client: smtplib.SMTP
    if tls == "ssl":
        client = smtplib.SMTP_SSL(
            host, port, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(host, port, timeout=TIMEOUT_SECONDS)
    try:
        if tls == "starttls":
            client.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            client.login(settings.smtp_user, settings.smtp_password or "")
        yield _Smtp(client)
    finally:
        try:
            client.quit()
        except MAIL_ERRORS:
            client.close()

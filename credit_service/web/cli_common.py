"""What every command of the console (`flask …`) shares: its command group that answers a
database that is not ready and gives each command a request id (``cli-<uuid>``, in its
log lines, audit rows and outbox events), the service context, the operator it acts as,
and how it ends with an error."""

from __future__ import annotations

import getpass
import sys
from typing import NoReturn

import click
from flask import current_app
from flask.cli import AppGroup, ScriptInfo
from sqlalchemy.exc import SQLAlchemyError

from credit_service import request_ids
from credit_service.access import Actor
from credit_service.context import Context
from credit_service.errors import CreditServiceError
from credit_service.health import readiness
from credit_service.web.error_text import error_text, field_errors

CONSOLE_LANGUAGE = "en"  # the commands speak English, as their help does


class ServiceGroup(AppGroup):
    """A command group whose commands, on a database that is not ready (unreachable, or
    not migrated to the head revision), end with the reason and what to run instead of
    a traceback. Any other database error is a fault and keeps its traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            with request_ids.bound(request_ids.new_request_id("cli")):
                return super().invoke(ctx)
        except SQLAlchemyError:
            app = ctx.ensure_object(ScriptInfo).load_app()  # its context has ended
            checks = readiness(app.extensions["credit_service"])
            problems = [f"{name} {state}" for name, state in checks.items() if state != "ok"]
            if not problems:
                raise
            click.echo(f"error: the database is not ready: {'; '.join(problems)}", err=True)
            sys.exit(1)


def cli_context() -> Context:
    """The service context of the app the command runs in."""
    return current_app.extensions["credit_service"]


def cli_actor() -> Actor:
    """The operator at the console: audited as cli:<login name>."""
    return Actor(role="admin", username=f"cli:{getpass.getuser()}"[:100], via="cli")


def fail(exc: CreditServiceError) -> NoReturn:
    """End with the error in the console's language (English) and exit status 1."""
    click.echo(f"error: {error_text(exc, CONSOLE_LANGUAGE)}", err=True)
    for field, messages in field_errors(exc.errors or {}, CONSOLE_LANGUAGE).items():
        said = "; ".join(messages) if isinstance(messages, list) else messages
        click.echo(f"  {field}: {said}", err=True)
    sys.exit(1)

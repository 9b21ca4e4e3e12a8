"""Console commands for accounts and API tokens (`flask users …`, `flask tokens …`): the
way in when no administrator can sign in, and machine users' tokens."""

from __future__ import annotations

from collections.abc import Callable

import click

from credit_service.auth import accounts as account_services
from credit_service.auth import services as auth_services
from credit_service.auth import tokens
from credit_service.errors import CreditServiceError
from credit_service.web.cli_common import ServiceGroup, cli_actor, cli_context, fail

users_cli = ServiceGroup("users", help="Manage accounts.")
tokens_cli = ServiceGroup("tokens", help="Manage API tokens.")


@users_cli.command("create")
@click.argument("username")
@click.option("--role", required=True)
@click.option("--name", "display_name", default=None)
@click.option("--region", "region_code", default=None)
@click.option("--uscc", default=None)
@click.option("--password", default=None, help="Omit to be prompted; omit for machine users.")
@click.option("--prompt-password/--no-password", default=True)
def users_create(
    username: str,
    role: str,
    display_name: str | None,
    region_code: str | None,
    uscc: str | None,
    password: str | None,
    prompt_password: bool,
) -> None:
    """Create an account."""
    if password is None and prompt_password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = auth_services.create_user(
            cli_context(),
            cli_actor(),
            username=username,
            display_name=display_name or username,
            role=role,
            region_code=region_code,
            uscc=uscc,
            password=password,
        )
    except CreditServiceError as exc:
        fail(exc)
    click.echo(f"created user {user.username} ({user.role})")


@users_cli.command("enable")
@click.argument("username")
def users_enable(username: str) -> None:
    """Enable an account again: the way back in when no administrator can sign in."""
    _account_act(account_services.set_active, username, "enabled", active=True)


@users_cli.command("unlock")
@click.argument("username")
def users_unlock(username: str) -> None:
    """Lift an account's sign-in locks, for every source, before their time."""
    _account_act(account_services.unlock, username, "unlocked")


def _account_act(act: Callable[..., object], username: str, done: str, **options: object) -> None:
    """Run an account service as the console operator (audited as cli:<login name>)."""
    try:
        act(cli_context(), cli_actor(), username, **options)
    except CreditServiceError as exc:
        fail(exc)
    click.echo(f"{done} user {username}")


@tokens_cli.command("create")
@click.argument("username")
@click.option("--name", default="cli", help="What the token is for.")
@click.option("--scope", "scopes", multiple=True, help="Repeat for several scopes.")
@click.option("--days", type=int, default=None)
def tokens_create(username: str, name: str, scopes: tuple[str, ...], days: int | None) -> None:
    """Issue an API token; it is printed once and stored only as a hash."""
    try:
        issued = tokens.create_token(
            cli_context(),
            cli_actor(),
            username=username,
            name=name,
            scopes=list(scopes) or None,
            days=days,
        )
    except CreditServiceError as exc:
        fail(exc)
    click.echo(issued.secret)
    click.echo(
        f"(token {issued.token_id}, scopes {','.join(issued.scopes)}, "
        f"expires {issued.expires_at:%Y-%m-%d})",
        err=True,
    )


@tokens_cli.command("revoke")
@click.argument("token_id", type=int)
def tokens_revoke(token_id: int) -> None:
    """Revoke a token at once."""
    try:
        tokens.revoke_token(cli_context(), cli_actor(), token_id)
    except CreditServiceError as exc:
        fail(exc)
    click.echo(f"revoked token {token_id}")

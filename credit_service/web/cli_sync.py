"""Console commands for the provincial platforms: push and pull now, their status, and
the local simulator's platforms file and feed for the demonstration."""

from __future__ import annotations

import secrets
import sys

import click

from credit_service.demo import seed as demo_seed
from credit_service.errors import CreditServiceError
from credit_service.files import write_private
from credit_service.sync import push, retire
from credit_service.sync import services as sync_services
from credit_service.sync.client import PlatformClient, SimulatorControl
from credit_service.sync.platforms import load_platforms
from credit_service.web.cli_common import ServiceGroup, cli_actor, cli_context, fail

sync_cli = ServiceGroup("sync", help="Provincial platform sync.")


def _platforms() -> dict:
    return load_platforms(cli_context().settings.sync_platforms_file)


@sync_cli.command("push")
def sync_push() -> None:
    """Push pending outbox events to every push platform now."""
    for platform in _platforms().values():
        if platform.pushes:
            summary = push.push_pending(cli_context(), platform, PlatformClient(platform))
            click.echo(f"{platform.id}: {summary.__dict__}")


@sync_cli.command("pull")
def sync_pull() -> None:
    """Pull changes from every pull platform now."""
    for platform in _platforms().values():
        if platform.pulls:
            outcomes = sync_services.pull_changes(cli_context(), platform, PlatformClient(platform))
            click.echo(f"{platform.id}: {dict(outcomes)}")


@sync_cli.command("status")
def sync_status() -> None:
    """Per platform: pending, dead letters, quarantine, last success."""
    for row in sync_services.sync_status(cli_context(), _platforms()):
        click.echo(row)


@sync_cli.command("unlisted")
def sync_unlisted() -> None:
    """What is kept for platforms the platforms file no longer pushes to: each holds the
    outbox's retention back until it is retired (flask sync retire)."""
    try:
        kept = retire.unlisted(cli_context())
    except CreditServiceError as exc:
        fail(exc)
    for platform in kept:
        click.echo(_described(platform))
    if not kept:
        click.echo("none: every platform kept is in the platforms file")


@sync_cli.command("retire")
@click.argument("platform")
@click.option("--confirm", is_flag=True, help="Required: delete for real.")
def sync_retire(platform: str, confirm: bool) -> None:
    """Delete what is kept for pushing to PLATFORM (taken out of the platforms file for
    good): its outbox position, batch in flight, re-queued events and dead letters."""
    if not confirm:
        click.echo("error: nothing deleted; add --confirm to retire the platform", err=True)
        sys.exit(2)
    try:
        kept = retire.retire(cli_context(), cli_actor(), platform)
    except CreditServiceError as exc:
        fail(exc)
    click.echo(f"retired: {_described(kept)}")


def _described(kept: retire.Kept) -> str:
    return (
        f"{kept.platform}: outbox position {kept.last_event_id}, "
        f"batch in flight {'yes' if kept.batch_in_flight else 'no'}, "
        f"re-queued {kept.requeued}, dead letters {kept.dead_letters}"
    )


@sync_cli.command("demo-platform")
@click.option("--port", type=int, default=8700, show_default=True)
def sync_demo_platform(port: int) -> None:
    """Write a platforms file for the local simulator (once; a random shared secret)."""
    path = cli_context().settings.sync_platforms_file
    if not path.exists():
        secret = secrets.token_urlsafe(24)
        write_private(path, demo_seed.platforms_file(port, secret).encode("utf-8"))
    click.echo(f"platforms file: {path}")


@sync_cli.command("demo-feed")
def sync_demo_feed() -> None:
    """Give the simulator changes to serve: penalties decided elsewhere about demo
    entities, and one about an unknown entity (it will be quarantined)."""
    for platform in _platforms().values():
        changes = demo_seed.provincial_changes(cli_context())
        total = SimulatorControl(platform.base_url).add_changes(changes)
        click.echo(f"{platform.id}: {total} changes to serve")

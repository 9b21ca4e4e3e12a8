"""Console commands for data: entity and record imports from CSV, the nightly end of
records' publication, and the synthetic demonstration data set."""

from __future__ import annotations

import os
from pathlib import Path

import click
from tqdm import tqdm

from credit_service.access import Actor
from credit_service.auth import tokens
from credit_service.context import Context
from credit_service.demo import seed as demo_seed
from credit_service.demo import stories
from credit_service.entities import importer as entity_importer
from credit_service.errors import CreditServiceError
from credit_service.files import private_dir, private_file
from credit_service.records import importer as record_importer
from credit_service.records import services as record_services
from credit_service.sync.incoming import platform_actor
from credit_service.sync.platforms import load_platforms
from credit_service.web.cli_common import ServiceGroup, cli_actor, cli_context, fail

entities_cli = ServiceGroup("entities", help="Entity registry.")
records_cli = ServiceGroup("records", help="Credit records.")
demo_cli = ServiceGroup("demo", help="Synthetic demonstration data.")


def _import(path: Path, run) -> None:  # type: ignore[no-untyped-def]
    with (
        open(path, encoding="utf-8-sig", newline="") as stream,
        tqdm(total=os.path.getsize(path), unit="B", unit_scale=True, disable=None) as bar,
    ):
        try:
            report = run(cli_context(), cli_actor(), stream, progress=bar.update)
        except CreditServiceError as exc:
            fail(exc)
    summary = report.as_dict()
    click.echo(
        f"rows {report.rows}: created {report.created}, updated {report.updated}, "
        f"unchanged {report.unchanged}, invalid {report.invalid}"
    )
    for error in summary["errors"][:50]:
        click.echo(f"  line {error['line']}, {error['column']}: {error['reason']}")
    if report.invalid > 50:
        click.echo(f"  … {report.invalid - 50} more invalid rows")


@entities_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def entities_import(path: Path) -> None:
    """Import entities from a CSV file (see docs/import-formats.md)."""
    workers = cli_context().settings.import_workers
    _import(
        path,
        lambda ctx, actor, stream, **kw: entity_importer.import_entities(
            ctx, actor, stream, **kw, workers=workers
        ),
    )


@records_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--from-platform",
    "platform_id",
    help="The file came from this provincial platform (an initial load): its records are "
    "filed as the platform's sync actor and not pushed back to the platforms.",
)
def records_import(path: Path, platform_id: str | None) -> None:
    """Import records from a CSV file (双公示 current/older layout, or ours)."""
    ctx = cli_context()
    actor = cli_actor() if platform_id is None else _platform_actor(ctx, platform_id)
    workers = ctx.settings.import_workers
    _import(
        path,
        lambda ctx, _actor, stream, **kw: record_importer.import_records(
            ctx, actor, stream, **kw, workers=workers
        ),
    )


def _platform_actor(ctx: Context, platform_id: str) -> Actor:
    """The sync actor of a configured platform (``platform_actor``): what it files is the
    platform's, so the outbox leaves it out (``outbox.leaves_the_city``)."""
    known = load_platforms(ctx.settings.sync_platforms_file)
    if platform_id not in known:
        raise click.BadParameter(
            f"not a configured platform; known: {', '.join(sorted(known)) or 'none'}",
            param_hint="--from-platform",
        )
    return platform_actor(platform_id)


@records_cli.command("end-publications")
def records_end_publications() -> None:
    """End the publication of records whose publicity period is over (the daily job)."""
    ended = record_services.end_publications(cli_context(), cli_actor())
    click.echo(f"{ended} records' publication ended")


@demo_cli.command("seed")
@click.option("--entities", "entity_count", type=int, default=2_000, show_default=True)
@click.option("--seed", type=int, default=20261125, show_default=True)
def demo_seed_command(entity_count: int, seed: int) -> None:
    """Seed the deterministic demo data set once (a second run adds nothing)."""
    result = demo_seed.seed(cli_context(), cli_actor(), entities=entity_count, seed=seed)
    click.echo(result)


@demo_cli.command("stories")
def demo_stories() -> None:
    """Play a year of listings, repairs and inspections through the services, once, and
    create the demo administrator and enterprise accounts."""
    ctx = cli_context()
    regulator = Actor(
        role="regulator",
        username=demo_seed.DEMO_REGULATOR,
        region_code=ctx.catalogs.city.code,
        city_code=ctx.catalogs.city.code,
    )
    try:
        accounts = stories.seed_stories(ctx, regulator)
    except CreditServiceError as exc:
        fail(exc)
    if accounts is None:
        click.echo("demo stories: already played")
        return
    _remember(ctx, [f"{name} password: {secret}" for name, secret in accounts.items()])
    click.echo(f"demo stories played; accounts {', '.join(accounts)} created")


@demo_cli.command("account")
def demo_account() -> None:
    """Create the demo regulator once, then print every demo credential (kept in instance/)."""
    ctx = cli_context()
    password = stories.password()
    if demo_seed.ensure_demo_regulator(ctx, cli_actor(), password):
        token = tokens.create_token(
            ctx, cli_actor(), username=demo_seed.DEMO_REGULATOR, name="demo", days=365
        )
        _remember(
            ctx,
            [
                f"{demo_seed.DEMO_REGULATOR} password: {password}",
                f"{demo_seed.DEMO_REGULATOR} API token: {token.secret}",
            ],
        )
    path = _credentials_file(ctx)
    click.echo(f"Demo accounts (sign in at /sign-in), from {path}:")
    click.echo(path.read_text(encoding="utf-8") if path.exists() else "(none)")


def _credentials_file(ctx: Context) -> Path:
    return ctx.settings.data_dir.parent / "demo-credentials.txt"


def _remember(ctx: Context, lines: list[str]) -> None:
    """Add demo credentials to the file only its owner can read."""
    path = _credentials_file(ctx)
    private_dir(path.parent)
    with private_file(path).open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")

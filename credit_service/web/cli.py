"""Command-line entry points (`flask …`): the same services the API calls.

The commands live by area in ``cli_accounts`` (users, tokens), ``cli_data`` (imports,
demo data), ``cli_supervision`` (audit, tiers, the list, inspectors), ``cli_sync``
(provincial platforms), ``cli_backup`` (backups) and ``cli_retention`` (what is past
retention); the catalog commands are here.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask

from credit_service.bootstrap import load_rules, rules_key_reports
from credit_service.catalogs import coverage
from credit_service.catalogs import services as catalog_services
from credit_service.catalogs.loader import load_catalog_set
from credit_service.errors import CreditServiceError
from credit_service.web.cli_accounts import tokens_cli, users_cli
from credit_service.web.cli_audit import audit_cli
from credit_service.web.cli_backup import backup_cli
from credit_service.web.cli_common import ServiceGroup, cli_context, fail
from credit_service.web.cli_data import demo_cli, entities_cli, records_cli
from credit_service.web.cli_retention import retention_cli
from credit_service.web.cli_supervision import dishonesty_cli, inspectors_cli, tiers_cli
from credit_service.web.cli_sync import sync_cli

catalogs_cli = ServiceGroup("catalogs", help="Check and load the catalog files.")


@catalogs_cli.command("check")
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder to check (default: CATALOGS_DIR).",
)
def catalogs_check(directory: Path | None) -> None:
    """Validate the catalog and rule files without loading them into the database; list
    every key of a rules file the service does not know, and every known key that no code
    reads (either way, editing it would change nothing)."""
    directory = directory or cli_context().settings.catalogs_dir
    faults = 0
    for name, report in rules_key_reports(directory).items():
        for key in report.unknown:
            click.echo(f"error: {name}: unknown key '{key}'", err=True)
        for key in report.unused:
            click.echo(f"error: {name}: unused key '{key}': no code reads it", err=True)
        faults += len(report.unknown) + len(report.unused)
    if faults:
        sys.exit(1)
    try:
        catalog_set = load_catalog_set(directory)
        rules = load_rules(directory, catalog_set)
    except CreditServiceError as exc:
        fail(exc)
    uncovered = coverage.uncovered_categories(catalog_set)
    for category in uncovered:
        click.echo(f"error: no catalog item carries CNIPA category '{category}' (D9)", err=True)
    if uncovered:
        sys.exit(1)
    for catalog in catalog_set.catalogs.values():
        click.echo(
            f"{catalog.domain}: {len(catalog.items)} items, edition {catalog.edition}, "
            f"hash {catalog.content_hash[:12]}"
        )
    click.echo(f"tiers: rule set {rules['tier_rules'].label}")
    click.echo(f"dishonesty: edition {rules['list_rules'].edition}")
    click.echo(f"repair: edition {rules['repair_rules'].edition}")
    click.echo(f"objections: edition {rules['objection_rules'].edition}")


@catalogs_cli.command("load")
def catalogs_load() -> None:
    """Register changed catalog files as new current versions."""
    for result in catalog_services.register_catalogs(cli_context()):
        click.echo(f"{result.domain}: {result.outcome} ({result.label})")


def register_cli(app: Flask) -> None:
    for group in (
        catalogs_cli,
        users_cli,
        tokens_cli,
        entities_cli,
        records_cli,
        demo_cli,
        audit_cli,
        backup_cli,
        tiers_cli,
        sync_cli,
        dishonesty_cli,
        inspectors_cli,
        retention_cli,
    ):
        app.cli.add_command(group)

"""Console commands for retention (docs/retention.md): the dry-run report and the purge
by hand, whatever RETENTION_PURGE says (the operator's own decision, confirmed)."""

from __future__ import annotations

import sys
from datetime import date, datetime
from typing import Any

import click

from credit_service.errors import CreditServiceError
from credit_service.retention import reports
from credit_service.retention import services as retention_services
from credit_service.web.cli_common import ServiceGroup, cli_actor, cli_context, fail

retention_cli = ServiceGroup(
    "retention", help="What is past its retention (D16, PIPL art. 47): report, then purge."
)
ON = click.option(
    "--on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The day retention is judged on (default: today).",
)


def _day(on: datetime | None) -> date | None:
    return on.date() if on else None


@retention_cli.command("report")
@ON
def retention_report(on: datetime | None) -> None:
    """Write the dry-run report (DATA_DIR/retention/DAY.json, ids only) and print its
    counts; nothing is deleted."""
    ctx = cli_context()
    summary = retention_services.report(ctx, cli_actor(), _day(on))
    click.echo(f"report {reports.folder(ctx) / (summary['day'] + '.json')}")
    _show(summary, ("records", "entities", "repair_evidence", "objection_evidence", "held"))
    click.echo(
        f"  audit rows past AUDIT_RETENTION_DAYS (flask audit purge): {summary['audit_rows']}"
    )


@retention_cli.command("purge")
@click.option("--confirm", is_flag=True, help="Required: delete for real.")
@ON
def retention_purge(confirm: bool, on: datetime | None) -> None:
    """Delete what a report written at least RETENTION_GRACE_DAYS ago listed and is still
    past retention (the audit trail keeps its own purge: flask audit purge)."""
    if not confirm:
        click.echo("error: nothing deleted; add --confirm to purge", err=True)
        sys.exit(2)
    ctx = cli_context()
    try:
        done = retention_services.purge(ctx, cli_actor(), _day(on))
    except CreditServiceError as exc:
        fail(exc)
    if done["code"] == "retention-no-report":
        click.echo(f"nothing purged: no report written {done['grace_days']} or more days ago")
        return
    click.echo(f"purged what the report of {done['report']} listed:")
    _show(done, ("purged_records", "purged_entities", "purged_evidence"))


def _show(summary: dict[str, Any], keys: tuple[str, ...]) -> None:
    for key in keys:
        click.echo(f"  {key.replace('_', ' ')}: {summary[key]}")

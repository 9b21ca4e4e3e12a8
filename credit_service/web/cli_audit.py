"""Console commands for the audit log: seal, verify (with who looked up whom), purge,
and a new signing key."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import click

from credit_service.audit import sealing, verification
from credit_service.audit import services as audit_services
from credit_service.context import Context
from credit_service.entities.lookups import LOOKUP_ACTIONS
from credit_service.errors import CreditServiceError
from credit_service.signing_keys import new_seed
from credit_service.web.cli_common import (
    CONSOLE_LANGUAGE,
    ServiceGroup,
    cli_actor,
    cli_context,
    fail,
)
from credit_service.web.i18n import translate

audit_cli = ServiceGroup("audit", help="The audit log (sealed, signed, verifiable).")


@audit_cli.command("seal")
def audit_seal() -> None:
    """Seal the rows committed since the last seal and sign a checkpoint now (the
    scheduler does it every AUDIT_SEAL_SECONDS)."""
    sealed = sealing.seal_log(cli_context())
    click.echo(f"sealed {sealed.rows} audit rows; log size {sealed.size}, head {sealed.head}")


@audit_cli.command("verify")
@click.option(
    "--checkpoints",
    "copies",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Another copy of the signed checkpoints (a JSON-lines file or a folder of them).",
)
@click.option("--lookups-days", default=30, show_default=True, help="Who looked up whom: days.")
def audit_verify(copies: tuple[Path, ...], lookups_days: int) -> None:
    """Check every row against the signed checkpoints; exit 1 naming each row that was
    altered, inserted, deleted or re-hashed. Then show who looked up whom."""
    ctx = cli_context()
    result = verification.verify_log(ctx, copies)
    for finding in result.findings:
        words = translate(f"error.{finding.problem}", CONSOLE_LANGUAGE, **finding.params)
        where = f"row {finding.seq}" + (f" (id {finding.id})" if finding.id else "")
        click.echo(f"AUDIT LOG BROKEN at {where}: {finding.problem}: {words}", err=True)
    summary = (
        f"{result.checked} rows verified against {result.checkpoints} signed checkpoints "
        f"and {result.witnessed} copies; {result.unsealed} rows await their seal"
    )
    click.echo(("audit log intact: " if result.ok else "audit log NOT intact: ") + summary)
    _show_lookups(ctx, lookups_days)
    if not result.ok:
        sys.exit(1)


def _show_lookups(ctx: Context, days: int) -> None:
    until = ctx.now()
    with ctx.read_session_factory() as session:
        rows = audit_services.who_looked_up(
            session, LOOKUP_ACTIONS, since=until - timedelta(days=days), until=until
        )
    click.echo(f"who looked up whom, last {days} days (resident IDs masked):")
    for row in rows:
        click.echo(
            f"  {row.actor:<30} {row.action:<28} {row.count:>7} acts {row.subjects:>7} subjects"
        )
    if not rows:
        click.echo("  none")


@audit_cli.command("purge")
def audit_purge() -> None:
    """Delete audit rows older than AUDIT_RETENTION_DAYS (never younger than 180 days),
    under a signed purge statement; the purge is itself audited and the rest verifies."""
    ctx = cli_context()
    days = ctx.settings.audit_retention_days
    try:
        deleted = sealing.purge_log(ctx, cli_actor())
    except CreditServiceError as exc:
        fail(exc)
    click.echo(f"purged {deleted} audit rows older than {days} days")


@audit_cli.command("keygen")
def audit_keygen() -> None:
    """Print a new signing key for AUDIT_SIGNING_KEY (keep it out of the database; move
    the old one to AUDIT_RETIRED_KEYS so what it signed still verifies)."""
    click.echo(new_seed())

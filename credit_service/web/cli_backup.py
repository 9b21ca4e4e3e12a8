"""Console commands for backups: create, verify, restore (docs/backup.md).

Each prints how long its phases took, for the operator and for the benchmarks."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from credit_service.backup import manifest as manifests
from credit_service.backup import operations
from credit_service.errors import CreditServiceError
from credit_service.web.cli_common import CONSOLE_LANGUAGE, cli_actor, cli_context, fail
from credit_service.web.i18n import translate

# A plain group: the database a restore writes into is meant to be empty, so "not ready"
# (what ServiceGroup would answer) is no fault here.
backup_cli = AppGroup("backup", help="Back up and restore the database and the data folder.")


FILE_STATES = {
    "intact": "intact",
    "missing": "missing",
    "corrupt": "damaged or altered (size or SHA-256 differ from the manifest)",
}
NOTES = {
    "migrate": "the restored schema is at revision {revision}, this release at {head}: "
    "run `make migrate` before starting the service",
    "signing-key-missing": "the audit checkpoints of this backup were signed with key(s) "
    "{keys}, which this service is not configured with: set the AUDIT_SIGNING_KEY (and "
    "AUDIT_RETIRED_KEYS) of the time of the backup, then run `flask audit verify`",
    "data-folder-moved": "the data folder moved from {before} to {after}: generated "
    "documents are still addressed under the old folder",
}


def _times(timings: dict[str, float]) -> str:
    return ", ".join(f"{phase} {seconds:.2f} s" for phase, seconds in timings.items())


@backup_cli.command("create")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def backup_create(directory: Path) -> None:
    """Back up the database and the data folder into DIRECTORY (new or empty), with a
    manifest of every table's row count and digest and every file's SHA-256. Safe while
    the service runs. The audit signing key is never in a backup: keep it apart."""
    try:
        created = operations.create_backup(cli_context(), cli_actor(), directory)
    except CreditServiceError as exc:
        fail(exc)
    manifest = created.manifest
    click.echo(
        f"backup of the {manifest.engine} database (revision {manifest.alembic_revision}) "
        f"in {directory}: {len(manifest.tables)} tables, {manifest.rows} rows; "
        f"{manifest.data['files']} data files, {manifest.data['bytes']} bytes"
    )
    for name in manifest.data["left_out"]:
        click.echo(f"  left out of the data folder: {name}")
    click.echo(f"manifest SHA-256 {created.manifest_sha256} (keep it apart from the backup)")
    click.echo(f"elapsed: {_times(manifest.timings)}")


@backup_cli.command("verify")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
def backup_verify(directory: Path) -> None:
    """Check every file of the backup in DIRECTORY against its manifest; exit 1 if any
    is missing or altered."""
    try:
        manifest = manifests.read(directory)
    except CreditServiceError as exc:
        fail(exc)
    found = manifests.check_files(directory, manifest)
    for name, state in found.items():
        click.echo(f"  {name}: {FILE_STATES[state]}")
    try:
        manifests.refuse_if_damaged(directory, manifest)
    except CreditServiceError as exc:
        fail(exc)
    click.echo(
        f"backup intact: {manifest.engine}, made {manifest.created_at}, "
        f"revision {manifest.alembic_revision}, {manifest.rows} rows"
    )


@backup_cli.command("restore")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--database-url",
    default=None,
    help="Database to restore into (default: DATABASE_URL). It must be empty.",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Data folder to restore into (default: DATA_DIR). It must be empty.",
)
@click.option(
    "--force",
    "--clean",
    "force",
    is_flag=True,
    help="Write over a database and data folder that hold something (PostgreSQL: drop "
    "the backup's objects first).",
)
def backup_restore(
    directory: Path, database_url: str | None, data_dir: Path | None, force: bool
) -> None:
    """Restore the backup in DIRECTORY, after checking its files; then compare every
    table's row count and digest with the manifest and exit 1 on any difference."""
    ctx = cli_context()
    ctx.close()  # the app's own connections: none may hold the target meanwhile
    try:
        restored = operations.restore_backup(
            ctx,
            cli_actor(),
            directory,
            database_url=database_url or ctx.settings.database_url,
            data_dir=data_dir or ctx.settings.data_dir,
            force=force,
        )
    except CreditServiceError as exc:
        fail(exc)
    manifest = restored.manifest
    for mismatch in restored.mismatches:
        words = translate(f"error.{mismatch.problem}", CONSOLE_LANGUAGE, **mismatch.params)
        click.echo(f"MISMATCH {mismatch.params['table']}: {words}", err=True)
    for note in restored.notes:
        params = {k: ", ".join(v) if isinstance(v, list) else v for k, v in note.params.items()}
        click.echo(f"note: {NOTES[note.kind].format(**params)}")
    verdict = "match" if restored.ok else "DO NOT match"
    click.echo(
        f"restored {len(manifest.tables)} tables, {manifest.rows} rows and "
        f"{manifest.data['files']} data files of the backup made {manifest.created_at}: "
        f"row counts and digests {verdict} the manifest"
    )
    click.echo(f"elapsed: {_times(restored.timings)}")
    if not restored.ok:
        sys.exit(1)

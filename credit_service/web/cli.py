"""Command-line entry points (`flask …`): the same services the API calls."""

from __future__ import annotations

import getpass
import os
import secrets
import sys
from collections.abc import Callable
from pathlib import Path

import click
import marshmallow as ma
from flask import Flask, current_app
from flask.cli import AppGroup, ScriptInfo
from sqlalchemy.exc import SQLAlchemyError
from tqdm import tqdm

from credit_service.access import Actor
from credit_service.audit import services as audit_services
from credit_service.auth import accounts as account_services
from credit_service.auth import services as auth_services
from credit_service.auth import tokens
from credit_service.bootstrap import load_rules, rules_key_reports
from credit_service.catalogs import coverage
from credit_service.catalogs import services as catalog_services
from credit_service.catalogs.loader import load_catalog_set
from credit_service.context import Context
from credit_service.demo import seed as demo_seed
from credit_service.demo import stories
from credit_service.dishonesty import services as dishonesty_services
from credit_service.entities import importer as entity_importer
from credit_service.errors import CreditServiceError, InvalidInput
from credit_service.files import private_dir, private_file, write_private
from credit_service.health import readiness
from credit_service.inspections import services as inspection_services
from credit_service.records import importer as record_importer
from credit_service.records import services as record_services
from credit_service.sync import push
from credit_service.sync import services as sync_services
from credit_service.sync.client import PlatformClient, SimulatorControl
from credit_service.sync.platforms import load_platforms
from credit_service.tiers import services as tier_services
from credit_service.web.api import inspections as inspection_api


class ServiceGroup(AppGroup):
    """A command group whose commands, on a database that is not ready (unreachable, or
    not migrated to the head revision), end with the reason and what to run instead of
    a traceback. Any other database error is a fault and keeps its traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except SQLAlchemyError:
            app = ctx.ensure_object(ScriptInfo).load_app()  # its context has ended
            checks = readiness(app.extensions["credit_service"])
            problems = [f"{name} {state}" for name, state in checks.items() if state != "ok"]
            if not problems:
                raise
            click.echo(f"error: the database is not ready: {'; '.join(problems)}", err=True)
            sys.exit(1)


catalogs_cli = ServiceGroup("catalogs", help="Check and load the catalog files.")
users_cli = ServiceGroup("users", help="Manage accounts.")
tokens_cli = ServiceGroup("tokens", help="Manage API tokens.")
entities_cli = ServiceGroup("entities", help="Entity registry.")
records_cli = ServiceGroup("records", help="Credit records.")
demo_cli = ServiceGroup("demo", help="Synthetic demonstration data.")
audit_cli = ServiceGroup("audit", help="The audit trail.")
tiers_cli = ServiceGroup("tiers", help="Graded supervision tiers (分级分类监管).")
sync_cli = ServiceGroup("sync", help="Provincial platform sync.")
dishonesty_cli = ServiceGroup("dishonesty", help="The severe-dishonesty list (严重失信主体名单).")
inspectors_cli = ServiceGroup(
    "inspectors", help="The inspector roster and conflicts of interest (双随机 执法人员名录)."
)


def _ctx() -> Context:
    return current_app.extensions["credit_service"]


def _cli_actor() -> Actor:
    """The operator at the console: audited as cli:<login name>."""
    return Actor(role="admin", username=f"cli:{getpass.getuser()}"[:100], via="cli")


def _fail(exc: CreditServiceError) -> None:
    click.echo(f"error: {exc.detail}", err=True)
    for field, messages in (exc.errors or {}).items():
        click.echo(f"  {field}: {messages}", err=True)
    sys.exit(1)


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
    directory = directory or _ctx().settings.catalogs_dir
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
        _fail(exc)
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


@catalogs_cli.command("load")
def catalogs_load() -> None:
    """Register changed catalog files as new current versions."""
    for result in catalog_services.register_catalogs(_ctx()):
        click.echo(f"{result.domain}: {result.outcome} ({result.label})")


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
            _ctx(),
            _cli_actor(),
            username=username,
            display_name=display_name or username,
            role=role,
            region_code=region_code,
            uscc=uscc,
            password=password,
        )
    except CreditServiceError as exc:
        _fail(exc)
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
        act(_ctx(), _cli_actor(), username, **options)
    except CreditServiceError as exc:
        _fail(exc)
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
            _ctx(),
            _cli_actor(),
            username=username,
            name=name,
            scopes=list(scopes) or None,
            days=days,
        )
    except CreditServiceError as exc:
        _fail(exc)
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
        tokens.revoke_token(_ctx(), _cli_actor(), token_id)
    except CreditServiceError as exc:
        _fail(exc)
    click.echo(f"revoked token {token_id}")


def _import(path: Path, run) -> None:  # type: ignore[no-untyped-def]
    with (
        open(path, encoding="utf-8-sig", newline="") as stream,
        tqdm(total=os.path.getsize(path), unit="B", unit_scale=True, disable=None) as bar,
    ):
        try:
            report = run(_ctx(), _cli_actor(), stream, progress=bar.update)
        except CreditServiceError as exc:
            _fail(exc)
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
    _import(path, entity_importer.import_entities)


@records_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def records_import(path: Path) -> None:
    """Import records from a CSV file (双公示 current/older layout, or ours)."""
    workers = _ctx().settings.import_workers
    _import(path, lambda *args, **kw: record_importer.import_records(*args, **kw, workers=workers))


@demo_cli.command("seed")
@click.option("--entities", "entity_count", type=int, default=2_000, show_default=True)
@click.option("--seed", type=int, default=20261125, show_default=True)
def demo_seed_command(entity_count: int, seed: int) -> None:
    """Seed the deterministic demo data set once (a second run adds nothing)."""
    result = demo_seed.seed(_ctx(), _cli_actor(), entities=entity_count, seed=seed)
    click.echo(result)


@demo_cli.command("stories")
def demo_stories() -> None:
    """Play a year of listings, repairs and inspections through the services, once, and
    create the demo administrator and enterprise accounts."""
    ctx = _ctx()
    regulator = Actor(
        role="regulator",
        username=demo_seed.DEMO_REGULATOR,
        region_code=ctx.catalogs.city.code,
        city_code=ctx.catalogs.city.code,
    )
    try:
        accounts = stories.seed_stories(ctx, regulator)
    except CreditServiceError as exc:
        _fail(exc)
    if accounts is None:
        click.echo("demo stories: already played")
        return
    _remember(ctx, [f"{name} password: {secret}" for name, secret in accounts.items()])
    click.echo(f"demo stories played; accounts {', '.join(accounts)} created")


@demo_cli.command("account")
def demo_account() -> None:
    """Create the demo regulator once, then print every demo credential (kept in instance/)."""
    ctx = _ctx()
    password = stories.password()
    if demo_seed.ensure_demo_regulator(ctx, _cli_actor(), password):
        token = tokens.create_token(
            ctx, _cli_actor(), username=demo_seed.DEMO_REGULATOR, name="demo", days=365
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


@audit_cli.command("verify")
def audit_verify() -> None:
    """Check the audit trail's hash chain; exit 1 and name the row if it was altered."""
    report = audit_services.verify_chain(_ctx().read_session_factory)
    if report.ok:
        click.echo(f"audit chain intact: {report.checked} rows verified")
        return
    click.echo(
        f"AUDIT CHAIN BROKEN at seq {report.bad_seq} (id {report.bad_id}): {report.problem}",
        err=True,
    )
    sys.exit(1)


@audit_cli.command("purge")
def audit_purge() -> None:
    """Delete audit rows older than AUDIT_RETENTION_DAYS (never younger than 180 days);
    the purge is itself audited and the rest of the chain still verifies."""
    ctx = _ctx()
    days = ctx.settings.audit_retention_days
    try:
        deleted = audit_services.purge(
            ctx.session_factory, now=ctx.now(), retention_days=days, actor=_cli_actor()
        )
    except CreditServiceError as exc:
        _fail(exc)
    click.echo(f"purged {deleted} audit rows older than {days} days")


@tiers_cli.command("preview")
def tiers_preview() -> None:
    """Show who would move between tiers under catalogs/tiers.yaml, without writing."""
    try:
        preview = tier_services.preview_rule_set(_ctx())
    except CreditServiceError as exc:
        _fail(exc)
    click.echo(
        f"rule set {preview.rule_set} as of {preview.as_of}: "
        f"{preview.total_moving} entities would change tier"
    )
    for move in preview.moves:
        click.echo(
            f"  {move['region_code']} {move['industry'] or '-'}: "
            f"{move['old']} -> {move['new']}: {move['count']}"
        )


@tiers_cli.command("apply")
def tiers_apply() -> None:
    """Make catalogs/tiers.yaml the current rule set and recompute every tier."""
    try:
        result = tier_services.apply_rule_set(_ctx(), _cli_actor())
    except CreditServiceError as exc:
        _fail(exc)
    click.echo(f"rule set {result.rule_set} applied: {result.changed} tiers changed")


@tiers_cli.command("recompute")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Only entities whose time-based inputs changed after this date.",
)
def tiers_recompute(since) -> None:  # type: ignore[no-untyped-def]
    """Recompute tiers with the current rule set (all entities, or --since a date)."""
    try:
        result = tier_services.recompute_tiers(
            _ctx(), _cli_actor(), since=since.date() if since else None
        )
    except CreditServiceError as exc:
        _fail(exc)
    click.echo(f"{result.changed} tiers changed as of {result.as_of} ({result.rule_set})")


@dishonesty_cli.command("expire")
def dishonesty_expire() -> None:
    """Remove the listings whose term ended before today (what the daily job does, D6;
    run by hand it catches up after downtime: every listing already due goes)."""
    removed = dishonesty_services.expire_listings(_ctx(), _cli_actor())
    click.echo(f"{removed} listings removed: term ended")


@records_cli.command("end-publications")
def records_end_publications() -> None:
    """End the publication of records whose publicity period is over (the daily job)."""
    ended = record_services.end_publications(_ctx(), _cli_actor())
    click.echo(f"{ended} records' publication ended")


def _validated(schema: ma.Schema, data: dict) -> dict:
    """The arguments checked by the API's own schema, so the console and the API refuse
    the same input (lengths, the six-digit region) before any service runs."""
    try:
        return schema.load(data)
    except ma.ValidationError as exc:
        _fail(InvalidInput("invalid arguments; 参数有误", errors=exc.messages))


def _inspector_line(inspector: dict) -> str:
    state = "active" if inspector["active"] else "inactive"
    return (
        f"{inspector['id']}\t{inspector['badge_no']}\t{inspector['name']}\t"
        f"{inspector['office_region']}\t{state}"
    )


@inspectors_cli.command("list")
def inspectors_list() -> None:
    """List the roster: id, badge number, name, office region, active or not."""
    roster = inspection_services.list_inspectors(_ctx(), _cli_actor())
    for inspector in roster:
        click.echo(_inspector_line(inspector))
    click.echo(f"{len(roster)} inspectors", err=True)


@inspectors_cli.command("add")
@click.argument("badge_no")
@click.option("--name", required=True, help="The inspector's name.")
@click.option("--office", "office_region", required=True, help="Office region code (6 digits).")
def inspectors_add(badge_no: str, name: str, office_region: str) -> None:
    """Add an inspector to the roster (as POST /api/v1/inspectors does)."""
    data = _validated(
        inspection_api.InspectorCreateSchema(),
        {"badge_no": badge_no, "name": name, "office_region": office_region},
    )
    try:
        made = inspection_services.add_inspector(_ctx(), _cli_actor(), **data)
    except CreditServiceError as exc:
        _fail(exc)
    click.echo(f"added inspector {_inspector_line(made)}")


def _set_active(inspector_id: int, active: bool) -> None:
    try:
        inspector = inspection_services.set_inspector_active(
            _ctx(), _cli_actor(), inspector_id, active=active
        )
    except CreditServiceError as exc:
        _fail(exc)
    click.echo(f"inspector {_inspector_line(inspector)}")


@inspectors_cli.command("deactivate")
@click.argument("inspector_id", type=int)
def inspectors_deactivate(inspector_id: int) -> None:
    """Take an inspector off future draws (kept on the roster and in past plans)."""
    _set_active(inspector_id, False)


@inspectors_cli.command("activate")
@click.argument("inspector_id", type=int)
def inspectors_activate(inspector_id: int) -> None:
    """Put a deactivated inspector back into the draw."""
    _set_active(inspector_id, True)


@inspectors_cli.command("conflict")
@click.argument("inspector_id", type=int)
@click.argument("entity")
@click.option("--reason", required=True, help="Why the inspector must not inspect the entity.")
def inspectors_conflict(inspector_id: int, entity: str, reason: str) -> None:
    """Declare a conflict of interest: never draw the inspector for the entity."""
    data = _validated(inspection_api.ConflictCreateSchema(), {"entity": entity, "reason": reason})
    try:
        made = inspection_services.add_conflict(_ctx(), _cli_actor(), inspector_id, **data)
    except CreditServiceError as exc:
        _fail(exc)
    click.echo(f"inspector {made['inspector_id']} is never drawn for {made['entity']}")


def _platforms() -> dict:
    return load_platforms(_ctx().settings.sync_platforms_file)


@sync_cli.command("push")
def sync_push() -> None:
    """Push pending outbox events to every push platform now."""
    for platform in _platforms().values():
        if platform.pushes:
            summary = push.push_pending(_ctx(), platform, PlatformClient(platform))
            click.echo(f"{platform.id}: {summary.__dict__}")


@sync_cli.command("pull")
def sync_pull() -> None:
    """Pull changes from every pull platform now."""
    for platform in _platforms().values():
        if platform.pulls:
            outcomes = sync_services.pull_changes(_ctx(), platform, PlatformClient(platform))
            click.echo(f"{platform.id}: {dict(outcomes)}")


@sync_cli.command("status")
def sync_status() -> None:
    """Per platform: pending, dead letters, quarantine, last success."""
    for row in sync_services.sync_status(_ctx(), _platforms()):
        click.echo(row)


@sync_cli.command("demo-platform")
@click.option("--port", type=int, default=8700, show_default=True)
def sync_demo_platform(port: int) -> None:
    """Write a platforms file for the local simulator (once; a random shared secret)."""
    path = _ctx().settings.sync_platforms_file
    if not path.exists():
        secret = secrets.token_urlsafe(24)
        write_private(path, demo_seed.platforms_file(port, secret).encode("utf-8"))
    click.echo(f"platforms file: {path}")


@sync_cli.command("demo-feed")
def sync_demo_feed() -> None:
    """Give the simulator changes to serve: penalties decided elsewhere about demo
    entities, and one about an unknown entity (it will be quarantined)."""
    for platform in _platforms().values():
        changes = demo_seed.provincial_changes(_ctx())
        total = SimulatorControl(platform.base_url).add_changes(changes)
        click.echo(f"{platform.id}: {total} changes to serve")


def register_cli(app: Flask) -> None:
    for group in (
        catalogs_cli,
        users_cli,
        tokens_cli,
        entities_cli,
        records_cli,
        demo_cli,
        audit_cli,
        tiers_cli,
        sync_cli,
        dishonesty_cli,
        inspectors_cli,
    ):
        app.cli.add_command(group)

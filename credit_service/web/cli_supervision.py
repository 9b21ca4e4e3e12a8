"""Console commands for supervision: the tier rules, the list's expiry and the inspector
roster (the same services as the API and the scheduler)."""

from __future__ import annotations

import click
import marshmallow as ma

from credit_service.dishonesty import services as dishonesty_services
from credit_service.errors import CreditServiceError, InvalidInput
from credit_service.inspections import services as inspection_services
from credit_service.tiers import services as tier_services
from credit_service.web.api import inspections as inspection_api
from credit_service.web.cli_common import ServiceGroup, cli_actor, cli_context, fail

tiers_cli = ServiceGroup("tiers", help="Graded supervision tiers (分级分类监管).")
dishonesty_cli = ServiceGroup("dishonesty", help="The severe-dishonesty list (严重失信主体名单).")
inspectors_cli = ServiceGroup(
    "inspectors", help="The inspector roster and conflicts of interest (双随机 执法人员名录)."
)


@tiers_cli.command("preview")
def tiers_preview() -> None:
    """Show who would move between tiers under catalogs/tiers.yaml, without writing."""
    try:
        preview = tier_services.preview_rule_set(cli_context())
    except CreditServiceError as exc:
        fail(exc)
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
        result = tier_services.apply_rule_set(cli_context(), cli_actor())
    except CreditServiceError as exc:
        fail(exc)
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
            cli_context(), cli_actor(), since=since.date() if since else None
        )
    except CreditServiceError as exc:
        fail(exc)
    click.echo(f"{result.changed} tiers changed as of {result.as_of} ({result.rule_set})")


@dishonesty_cli.command("expire")
def dishonesty_expire() -> None:
    """Remove the listings whose term ended before today (what the daily job does, D6;
    run by hand it catches up after downtime: every listing already due goes)."""
    removed = dishonesty_services.expire_listings(cli_context(), cli_actor())
    click.echo(f"{removed} listings removed: term ended")


def _validated(schema: ma.Schema, data: dict) -> dict:
    """The arguments checked by the API's own schema, so the console and the API refuse
    the same input (lengths, the six-digit region) before any service runs."""
    try:
        return schema.load(data)
    except ma.ValidationError as exc:
        fail(InvalidInput("invalid-arguments", errors=exc.messages))


def _inspector_line(inspector: dict) -> str:
    state = "active" if inspector["active"] else "inactive"
    return (
        f"{inspector['id']}\t{inspector['badge_no']}\t{inspector['name']}\t"
        f"{inspector['office_region']}\t{state}"
    )


@inspectors_cli.command("list")
def inspectors_list() -> None:
    """List the roster: id, badge number, name, office region, active or not."""
    roster = inspection_services.list_inspectors(cli_context(), cli_actor())
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
        made = inspection_services.add_inspector(cli_context(), cli_actor(), **data)
    except CreditServiceError as exc:
        fail(exc)
    click.echo(f"added inspector {_inspector_line(made)}")


def _set_active(inspector_id: int, active: bool) -> None:
    try:
        inspector = inspection_services.set_inspector_active(
            cli_context(), cli_actor(), inspector_id, active=active
        )
    except CreditServiceError as exc:
        fail(exc)
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
        made = inspection_services.add_conflict(cli_context(), cli_actor(), inspector_id, **data)
    except CreditServiceError as exc:
        fail(exc)
    click.echo(f"inspector {made['inspector_id']} is never drawn for {made['entity']}")

"""Objections a provincial platform forwards (D19): the pull's changes of kind
``objection``, filed by the platform's sync actor with the platform's own reference.

A forward names its target the way the city publishes it: a record by its authority and
document number (as a revocation or repair does), a list entry by the city's case id
(the ``listing.*`` events' ``case_id``). The objection procedure files it in a
transaction of its own, so the pull files forwards after the page's other changes have
committed and moves its cursor only after them (docs/sync-protocol.md): a repeated
page, or a forward sent twice, files nothing new (the platform's reference returns the
first objection). What cannot be filed is quarantined with its code, like any other
pulled row.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from sqlalchemy import func, select

from credit_service.bounds import MAX_ID, date_error
from credit_service.context import Context
from credit_service.errors import CreditServiceError
from credit_service.objections import services as objection_services
from credit_service.objections.models import Objection
from credit_service.records import services as record_services
from credit_service.sync.incoming import Refused, platform_actor

KIND = "objection"
TARGET_TYPES = ("record", "listing")
UNPUBLISHED = "target-not-found"  # the objection area's code for a target not published


class ForwardSchema(Schema):
    """A forwarded objection as the platform sends it (lengths as the objection keeps them)."""

    class Meta:
        unknown = EXCLUDE

    platform_ref = fields.String(required=True, validate=validate.Length(min=1, max=100))
    target_type = fields.String(required=True, validate=validate.OneOf(TARGET_TYPES))
    source_authority = fields.String(load_default="", validate=validate.Length(max=200))
    source_ref = fields.String(load_default="", validate=validate.Length(max=200))
    case_id = fields.Integer(
        load_default=None, strict=True, validate=validate.Range(min=1, max=MAX_ID)
    )
    field = fields.String(load_default="", validate=validate.Length(max=64))
    value_claimed = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=2000)
    )
    reasons = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    contact = fields.String(required=True, validate=validate.Length(min=1, max=200))
    received_on = fields.Date(load_default=None)


def is_forward(change: dict[str, Any]) -> bool:
    return change.get("kind") == KIND


def file_forward(
    ctx: Context, platform_id: str, change: dict[str, Any]
) -> tuple[str, CreditServiceError | None]:
    """File one forwarded objection; returns (outcome, refusal): ``objection_filed``,
    ``objection_repeated`` (its reference was filed before) or ``quarantined`` with
    the refusal to keep (the caller quarantines it with the page's cursor)."""
    try:
        item = _read(change, ctx.today())
        _, created = objection_services.file_objection(
            ctx,
            platform_actor(platform_id),
            target=_target(ctx, item),
            reasons=item["reasons"],
            contact=item["contact"],
            field=item["field"],
            value_claimed=item["value_claimed"],
            platform_ref=item["platform_ref"],
        )
    except CreditServiceError as exc:
        if exc.code == UNPUBLISHED:
            exc = Refused("objection-target-unknown", target=_named(change))
        return "quarantined", exc
    return ("objection_filed" if created else "objection_repeated"), None


def _read(change: dict[str, Any], today: date) -> dict[str, Any]:
    """The forward's values.

    :raises Refused: a value missing or malformed (each such field named).
    """
    try:
        item = ForwardSchema().load(change)
    except ValidationError as exc:
        invalid = {name: ["forward-value-invalid"] for name in exc.messages_dict}
        raise Refused("objection-forward-invalid", errors=invalid) from None
    problem = item["received_on"] and date_error(item["received_on"], today, past_only=True)
    if problem:
        raise Refused("objection-forward-invalid", errors={"received_on": [problem]})
    return item


def _target(ctx: Context, item: dict[str, Any]) -> str:
    """The city's own target ("record:12", "listing:3") for the forward's keys.

    :raises Refused: ``objection-target-unknown`` when the city holds no such record.
    """
    if item["target_type"] == "listing":
        if item["case_id"] is None:
            raise Refused("objection-forward-invalid", errors={"case_id": ["required"]})
        return f"listing:{item['case_id']}"
    with ctx.read_session_factory() as session:
        record = record_services.find_record(session, item["source_authority"], item["source_ref"])
    if record is None:
        raise Refused("objection-target-unknown", target=_named(item))
    return f"record:{record.id}"


def _named(change: dict[str, Any]) -> str:
    """The target as the platform named it (for the quarantine's reason)."""
    if change.get("target_type") == "listing":
        return f"listing:{change.get('case_id')}"
    return f"record:{change.get('source_authority')} {change.get('source_ref')}"[:300]


def counts(ctx: Context, platform_id: str) -> dict[str, int]:
    """The platform's forwarded objections as the city holds them, for reconciliation:
    received (filed), answered (refused or decided) and outstanding (still open)."""
    with ctx.read_session_factory() as session:
        received, answered = session.execute(
            select(func.count(), func.count(Objection.decided_on)).where(
                Objection.platform == platform_actor(platform_id).username
            )
        ).one()
    return {"received": received, "answered": answered, "outstanding": received - answered}

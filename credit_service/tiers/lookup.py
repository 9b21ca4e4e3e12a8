"""Tier lookups: the tiers of up to 1,000 entities in one call (the hottest read of the tier
API), with natural persons found as the lookup rules allow (D12).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select

from credit_service.access import Actor
from credit_service.bulk import keys_in, keys_value
from credit_service.context import Context
from credit_service.entities import lookups
from credit_service.entities import rules as entity_rules
from credit_service.entities.models import Entity
from credit_service.errors import InvalidInput
from credit_service.held_connections import reading
from credit_service.tiers.models import TierAssignment
from credit_service.tiers.services import entity_ref

LOOKUP_LIMIT = 1_000


@functools.cache
def lookup_query(dialect: str) -> Select:
    """The lookup's statement, built once per database kind and run at the Core level
    (lookups are the hottest read of the tier API): the identifiers go in one parameter,
    so the statement is the same for one identifier or a thousand."""
    return (
        select(
            Entity.id,
            Entity.identifier,
            Entity.name,
            Entity.kind,
            Entity.region_code,
            Entity.industry,
            TierAssignment.tier,
            TierAssignment.since,
            TierAssignment.rule_id,
        )
        .outerjoin(TierAssignment, TierAssignment.entity_id == Entity.id)
        .where(keys_in(dialect, Entity.identifier))
    )


def lookup(
    ctx: Context, actor: Actor, wanted: Sequence[str], purpose: str | None = None
) -> list[dict[str, Any]]:
    """Tiers of up to 1,000 entities; unknown or out-of-scope ones are reported per item.

    Natural persons are found as ``lookups`` allows (D12): by a role that sees them
    masked, only with a purpose and within its daily limit, each lookup audited; by
    the others, each one found audited.

    :raises InvalidInput: a masking role's resident IDs without a purpose;
    :raises LimitExceeded: beyond its daily lookups.
    """
    if len(wanted) > LOOKUP_LIMIT:
        raise InvalidInput(
            "too-many-identifiers",
            errors={"identifiers": [{"code": "items-at-most", "max": LOOKUP_LIMIT}]},
            limit=LOOKUP_LIMIT,
        )
    keys = [entity_rules.lookup_key(i) for i in wanted]
    persons = set() if lookups.may_unmask(actor) else {k for k in keys if lookups.is_person_key(k)}
    if persons:
        found = _person_lookups(ctx, actor, keys, persons, purpose)
    else:
        with reading(ctx.read_session_factory) as connection:
            found = _lookup_rows(connection, keys)
        _record_persons_found(ctx, actor, found.values())
    return [_lookup_item(actor, raw, found.get(key)) for raw, key in zip(wanted, keys, strict=True)]


def _lookup_rows(connection: Any, keys: list[str]) -> dict[str, Any]:
    dialect = connection.dialect.name
    rows = connection.execute(lookup_query(dialect), {"keys": keys_value(dialect, set(keys))})
    return {row.identifier: row for row in rows}


def _person_lookups(
    ctx: Context, actor: Actor, keys: list[str], persons: set[str], purpose: str | None
) -> dict[str, Any]:
    """A masking role's lookup naming resident IDs: admitted before the read, each
    resident ID recorded after it, found or not."""
    with ctx.session_factory.begin() as session:
        lookups.admit(session, ctx, actor, persons, purpose)
        found = _lookup_rows(session.connection(), keys)
        for key in sorted(persons):
            person = lookups.visible(actor, found.get(key))
            lookups.record_lookup(
                session, ctx, actor, key, person, purpose=purpose, channel="tiers.lookup"
            )
    return found


def _record_persons_found(ctx: Context, actor: Actor, rows: Any) -> None:
    """Audit the natural persons a lookup by an unmasking role returns."""
    shown = [
        row
        for row in rows
        if row.kind == lookups.NATURAL_PERSON and actor.covers_region(row.region_code)
    ]
    if shown:
        with ctx.session_factory.begin() as session:
            lookups.record_returned(session, ctx, actor, shown, action="tiers.lookup", details={})


def _lookup_item(actor: Actor, raw: str, row: Any) -> dict[str, Any]:
    row = lookups.visible(actor, row)
    if row is None:
        return {"identifier": raw, "found": False, "error": "entity-not-found"}
    if not actor.covers_region(row.region_code):
        return {"identifier": raw, "found": False, "error": "outside-region"}
    return {
        "identifier": raw,
        "found": True,
        "entity": entity_ref(row),
        "tier": row.tier,
        "since": row.since,
        "rule_id": row.rule_id,
    }

"""Credit checks for other departments: is the entity listed or under measures, and what
does that mean for the purpose at hand ("strict review" or "not eligible"), until when.

Every check is audited with who asked, about whom and for what purpose.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from functools import partial
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session, sessionmaker

from credit_service import objection_marks
from credit_service.access import Actor
from credit_service.audit import services as audit
from credit_service.catalogs import services as catalog_services
from credit_service.context import Context
from credit_service.dishonesty import check_audit
from credit_service.dishonesty.check_assessment import Facts, assess, in_publicity
from credit_service.dishonesty.check_audit import shown
from credit_service.dishonesty.check_reads import CheckReads, read_for_checks
from credit_service.entities import lookups
from credit_service.entities import services as entity_services
from credit_service.entities.rules import lookup_key
from credit_service.errors import Forbidden, InvalidInput, NotFound
from credit_service.held_connections import reading, writing
from credit_service.identifiers import (
    InvalidIdentifier,
    identifier_problem,
)

BATCH_LIMIT = 1_000


def _validate_purpose(ctx: Context, purpose: str) -> None:
    if purpose not in ctx.catalogs.purposes:
        allowed = ", ".join(ctx.catalogs.purposes)
        raise InvalidInput(
            "purpose-unknown", errors={"purpose": [{"code": "not-one-of", "allowed": allowed}]}
        )


def credit_check(ctx: Context, actor: Actor, identifier: str, purpose: str) -> dict[str, Any]:
    """Check one entity for a purpose (audited).

    :raises InvalidInput: unknown purpose; :raises InvalidIdentifier: a number that is
        neither a valid USCC nor a valid resident ID (with the reason: not "not found");
    :raises NotFound, Forbidden:
    """
    try:
        return credit_check_batch(ctx, actor, [identifier], purpose, single=True)[0]
    except (NotFound, Forbidden, InvalidIdentifier) as exc:
        # A check that finds nothing (or is refused) is still a check someone made.
        audit.append_alone(
            ctx.session_factory,
            actor=actor,
            action="credit.check",
            now=ctx.now(),
            object_type="entity",
            outcome="denied",
            details={
                "purpose": purpose,
                "identifier": shown(identifier),
                "conclusion": exc.code,
                **lookups.person_marker(lookup_key(identifier)),
            },
        )
        raise


def credit_check_answer(
    ctx: Context, actor: Actor, wanted: Sequence[str], purpose: str
) -> dict[str, Any]:
    """A batch's answer under a reference number of the office's yearly sequence
    (宣市监信核〔2026〕12号), which every line's audit row names: a downloaded or printed
    answer can be traced to who checked what, when and for which purpose."""
    reference, items = _batch(ctx, actor, wanted, purpose, single=False, numbered=True)
    return {"reference": reference, "purpose": purpose, "checked_on": ctx.today(), "items": items}


def credit_check_batch(
    ctx: Context, actor: Actor, wanted: Sequence[str], purpose: str, *, single: bool = False
) -> list[dict[str, Any]]:
    """Check up to 1,000 entities; unknown or out-of-scope ones are reported per item
    (``_batch``; ``credit_check_answer`` numbers the answer)."""
    return _batch(ctx, actor, wanted, purpose, single=single, numbered=False)[1]


def _batch(
    ctx: Context,
    actor: Actor,
    wanted: Sequence[str],
    purpose: str,
    *,
    single: bool,
    numbered: bool,
) -> tuple[str | None, list[dict[str, Any]]]:
    """Check up to 1,000 entities; unknown or out-of-scope ones are reported per item,
    and so is a number that breaks its standard (with the reason).

    Checks by full resident ID are lookups of natural persons (``lookups``): for a role
    that sees them masked they count against its daily limit, checked before any read,
    in the transaction that records them. Other checks read first, on the thread's
    connection, then record themselves in a short write transaction.

    Whatever the number of identifiers, a batch reads in one query (``check_reads``) and
    records its audit rows in one call (``audit.append_many``).

    :raises LimitExceeded: the batch would pass the caller's daily limit.
    """
    _validate_purpose(ctx, purpose)
    if len(wanted) > BATCH_LIMIT:
        raise InvalidInput(
            "too-many-identifiers",
            errors={"identifiers": [{"code": "items-at-most", "max": BATCH_LIMIT}]},
            limit=BATCH_LIMIT,
        )
    keys = [lookup_key(raw) for raw in wanted]
    persons = set() if lookups.may_unmask(actor) else {k for k in keys if lookups.is_person_key(k)}
    check = partial(_check_all, ctx=ctx, actor=actor, purpose=purpose, single=single)
    entries = partial(check_audit.audit_entries, ctx, actor, purpose, wanted, keys)
    if persons:
        with ctx.session_factory.begin() as session:
            lookups.admit(session, ctx, actor, persons, purpose)
            results = check(session.connection(), wanted, keys)
            reference = check_audit.reference(session, ctx) if numbered else None
            audit.append_many(session, entries(results, reference))
        return reference, results
    results = check(ctx.read_session_factory, wanted, keys)
    if single:  # one row, written and committed on the thread's connection
        audit.append_alone(ctx.session_factory, **entries(results)[0])
        return None, results
    if not numbered:
        with writing(ctx.session_factory) as connection:
            audit.append_many(connection, entries(results))
        return None, results
    with ctx.session_factory.begin() as session:
        reference = check_audit.reference(session, ctx)
        audit.append_many(session, entries(results, reference))
    return reference, results


def _check_all(
    source: Connection | sessionmaker[Session],
    wanted: Sequence[str],
    keys: list[str],
    *,
    ctx: Context,
    actor: Actor,
    purpose: str,
    single: bool,
) -> list[dict[str, Any]]:
    """Each identifier's result, from what one query read for the whole batch, on
    ``source``: a connection, or a session factory whose thread connection reads.

    :raises NotFound, Forbidden: (``single``) the one entity is not there for the actor.
    """
    today = ctx.today()
    problems = {raw: identifier_problem(raw) for raw in wanted}
    if single and problems[wanted[0]] is not None:
        raise problems[wanted[0]]  # type: ignore[misc]
    read = read_for_checks(source, keys, today)
    if single:
        entity_services.looked_up_in_scope(actor, read.entities.get(keys[0]))
    visible = {key: lookups.visible(actor, read.entities.get(key)) for key in keys}
    shown = {
        k: e for k, e in visible.items() if e is not None and actor.covers_region(e.region_code)
    }
    records = {e.id: read.records.get(e.id, []) for e in shown.values()}
    with _connection(source) as connection:
        items = catalog_services.item_definitions(
            connection, ctx, {r.catalog_item_id for rows in records.values() for r in rows}
        )
    marks = _marks(ctx, source, read, records, today)
    results: list[dict[str, Any]] = []
    for raw, key in zip(wanted, keys, strict=True):
        entity, problem = shown.get(key), problems[raw]
        if entity is None and problem is not None:  # not a valid number: say why
            results.append(check_audit.invalid(raw, problem))
            continue
        if entity is None:
            error = "entity-not-found" if visible[key] is None else "outside-region"
            results.append({"identifier": raw, "found": False, "error": error})
            continue
        facts = Facts(read.listings.get(entity.id), records[entity.id], items, today, marks)
        results.append(
            {
                "identifier": raw,
                "found": True,
                "_entity_id": entity.id,
                **assess(ctx, entity, facts, purpose),
            }
        )
    return results


@contextmanager
def _connection(source: Connection | sessionmaker[Session]) -> Iterator[Connection]:
    """``source`` if a connection, else its factory's thread connection (``reading``)."""
    if isinstance(source, Connection):
        yield source
        return
    with reading(source) as connection:
        yield connection


def assessment(
    ctx: Context, connection: Connection, identifier: str, purpose: str | None
) -> dict[str, Any] | None:
    """One entity's check as ``credit_check`` answers it, without its access rules or its
    audit row: for a caller that has made both (a credit report, D21). Without a purpose,
    the measures for every purpose. None: no such entity."""
    today, key = ctx.today(), lookup_key(identifier)
    read = read_for_checks(connection, [key], today)
    entity = read.entities.get(key)
    if entity is None:
        return None
    records = {entity.id: read.records.get(entity.id, [])}
    items = catalog_services.item_definitions(
        connection, ctx, {r.catalog_item_id for r in records[entity.id]}
    )
    marks = _marks(ctx, connection, read, records, today)
    facts = Facts(read.listings.get(entity.id), records[entity.id], items, today, marks)
    return assess(ctx, entity, facts, purpose)


def _marks(
    ctx: Context,
    source: Connection | sessionmaker[Session],
    read: CheckReads,
    records: dict[int, list[Any]],
    today: date,
) -> dict[tuple[str, int], int]:
    """The marks 异议处理中 of the listings and records the batch reports: as the worker
    keeps them on PostgreSQL (``read_kept``: no round trip while no objection changes),
    else in one query for the whole batch (none when it reports neither)."""
    listings = [read.listings[e].case_id for e in records if e in read.listings]
    reported = [r.record_id for rows in records.values() for r in in_publicity(rows, today)]
    return objection_marks.read_kept(ctx, source, {"listing": listings, "record": reported})

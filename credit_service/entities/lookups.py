"""Finding a natural person without learning more than the role may see (D12).

A masked resident ID (``341882********3401``) hides only the birth date, and a check
character cuts the candidates for a given decade to about 300: a search or read that
answers exactly when a typed candidate is registered gives the full number back in a
few hundred requests. Likewise a name search that matches masked names (``欧阳**``)
confirms them one character at a time.

Admins and regulators may unmask any natural person of their region (audited), so no
answer tells them more than they may see; their searches and reads of natural persons
are audited all the same. Every other role (viewer, checker, enterprise) sees natural
persons masked, and so:

- finds them by the masked form it sees (``341882********3401``), which reveals nothing
  new, but never by a substring of their names;
- looks one up by full resident ID only with a stated purpose, each such lookup, found
  or not, audited (``entity.lookup``, or ``credit.check`` for credit checks) and counted
  against ``NATURAL_PERSON_LOOKUPS_PER_DAY``; the refusals (no purpose: 422, over the
  limit: 429) come before anything is read, so they are the same for every number;
- addresses a natural person by resident ID elsewhere (paths, filters, the console's
  entity page) only once such a lookup has found it: the audit row of that lookup is
  the grant, and every other number, registered or not, gets the same 403.

A natural person outside the caller's region is answered as one that is not registered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from credit_service.access import Actor
from credit_service.audit import services as audit
from credit_service.audit.models import AuditEvent
from credit_service.context import Context
from credit_service.entities.models import Entity, PersonLookupCount
from credit_service.entities.repository import entity_not_found
from credit_service.errors import Forbidden, InvalidInput, LimitExceeded
from credit_service.identifiers import is_valid_resident_id, mask_resident_id

UNMASK_ROLES = frozenset({"admin", "regulator"})
NATURAL_PERSON = "natural_person"
LOOKUP = "entity.lookup"
# What "who looked up whom" reports (``flask audit verify``): checks, lookups, reads.
LOOKUP_ACTIONS = (
    "credit.check",
    "credit_report.issue",  # a report names the entity it is about (D21)
    LOOKUP,
    "entity.read",
    "entity.read_personal_data",
    "entity.search",
    "tiers.lookup",
)
PURPOSE_LENGTH = (4, 200)
_MASKED_FORM = re.compile(r"([0-9]{6})\*{8}([0-9]{3}[0-9X])")


def may_unmask(actor: Actor) -> bool:
    """Whether the actor may see natural persons in full (and so learns nothing from a
    search by full number that it could not see anyway)."""
    return actor.role in UNMASK_ROLES


def is_person_key(key: str) -> bool:
    """Whether a normalised lookup key is a resident ID, i.e. names a natural person."""
    return is_valid_resident_id(key)


def masked_pattern(q: str) -> str | None:
    """A SQL LIKE pattern for a query typed in the masked form (``341882********3401``),
    matching the registered numbers that mask to it; None for any other query."""
    match = _MASKED_FORM.fullmatch(q.strip().upper())
    return None if match is None else match.group(1) + "_" * 8 + match.group(2)


def person_marker(key: str) -> dict[str, str]:
    """For the details of an audit row about a lookup: the number as the caller may see
    it, if the key is a resident ID. Its presence is what counts the row against the
    daily limit."""
    return {"resident_id": mask_resident_id(key)} if is_person_key(key) else {}


def admit(
    session: Session, ctx: Context, actor: Actor, keys: Iterable[str], purpose: str | None
) -> None:
    """Let a masking role look up these resident IDs, or refuse before anything is read.

    Call it in the write transaction that then records the lookups: it counts them on the
    user's row for today (``PersonLookupCount``), which concurrent requests of the same
    user take in turn, so two cannot both pass the last free lookup; a refusal rolls the
    count back with the transaction.

    :raises InvalidInput: no purpose stated; :raises LimitExceeded: over today's limit.
    """
    if may_unmask(actor):
        return
    wanted = len({key for key in keys if is_person_key(key)})
    if wanted == 0:
        return
    _check_purpose(purpose)
    limit = ctx.settings.natural_person_lookups_per_day
    if _count(session, audit.scrub(actor.username), ctx.today(), wanted) > limit:
        raise LimitExceeded("lookup-limit", limit=limit)


def _check_purpose(purpose: str | None) -> None:
    shortest, longest = PURPOSE_LENGTH
    if not purpose or not shortest <= len(purpose.strip()) <= longest:
        raise InvalidInput(
            "purpose-required",
            errors={"purpose": [{"code": "length-between", "min": shortest, "max": longest}]},
        )


def _count(session: Session, username: str, day: date, wanted: int) -> int:
    """Add ``wanted`` to the user's lookups of ``day``; the total, in one statement."""
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(PersonLookupCount).values(actor=username, day=day, used=wanted)
    statement = statement.on_conflict_do_update(
        index_elements=["actor", "day"],
        set_={"used": PersonLookupCount.used + statement.excluded.used},
    ).returning(PersonLookupCount.used)
    return session.execute(statement).scalar_one()


def record_lookup(
    session: Session,
    ctx: Context,
    actor: Actor,
    key: str,
    found: Any | None,
    *,
    purpose: str | None,
    channel: str,
) -> None:
    """Audit one lookup by full resident ID; when it found the person, the row is also the
    actor's grant to address that person by number (``ensure_addressable``)."""
    _entity_event(
        session,
        ctx,
        actor,
        LOOKUP,
        None if found is None else found.id,
        {**person_marker(key), "purpose": purpose, "channel": channel},
        outcome="success" if found is not None else "not_found",
    )


def record_returned(
    session: Session,
    ctx: Context,
    actor: Actor,
    entities: Iterable[Any],
    *,
    action: str,
    details: dict[str, Any],
) -> None:
    """Audit each natural person among what a search or read returns (one row per
    person, so the trail answers "who saw this person" by entity id)."""
    for entity in entities:
        if entity.kind == NATURAL_PERSON:
            _entity_event(session, ctx, actor, action, entity.id, details)


def _entity_event(
    session: Session,
    ctx: Context,
    actor: Actor,
    action: str,
    entity_id: int | None,
    details: dict[str, Any],
    *,
    outcome: str = "success",
) -> None:
    """One audit row about an entity (none: a number that found nobody)."""
    audit.append(
        session,
        actor=actor,
        action=action,
        now=ctx.now(),
        object_type="entity",
        object_id=entity_id,
        outcome=outcome,
        details=details,
    )


def visible(actor: Actor, entity: Any | None) -> Any | None:
    """The entity, or None for a natural person outside the actor's region: to the
    caller it is not registered (a 403 there would confirm the number)."""
    if entity is not None and entity.kind == NATURAL_PERSON:
        return entity if actor.covers_region(entity.region_code) else None
    return entity


def ensure_addressable(session: Session, actor: Actor, key: str, entity: Entity | None) -> None:
    """Refuse a resident ID typed into a path or filter unless the actor may see that
    person: one answer for every number the actor has not found by a lookup, whether it
    is registered, elsewhere or not at all.

    :raises NotFound: (unmasking roles) unknown or outside the region;
    :raises Forbidden: (masking roles) not found by a lookup of the actor's first.
    """
    if not is_person_key(key) or (entity is not None and entity.kind != NATURAL_PERSON):
        return
    person = visible(actor, entity)
    if may_unmask(actor):
        if person is None:
            raise entity_not_found()
        return
    if person is None or not _granted(session, actor, person.id):
        raise Forbidden("lookup-required")


def _granted(session: Session, actor: Actor, entity_id: int) -> bool:
    """Whether a lookup of the actor's (audited, with a purpose) found this person."""
    return (
        session.execute(
            select(AuditEvent.id)
            .where(
                AuditEvent.object_type == "entity",
                AuditEvent.object_id == str(entity_id),
                AuditEvent.actor == audit.scrub(actor.username),
                AuditEvent.action == LOOKUP,
                AuditEvent.outcome == "success",
            )
            .limit(1)
        ).first()
        is not None
    )

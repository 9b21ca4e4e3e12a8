"""Entity queries: keyword-only helpers taking a session."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from credit_service.entities.models import Entity
from credit_service.errors import NotFound


def find_entity(*, session: Session, identifier: str) -> Entity | None:
    return session.execute(
        select(Entity).where(Entity.identifier == identifier)
    ).scalar_one_or_none()


def get_entity(*, session: Session, identifier: str) -> Entity:
    """:raises NotFound: when no entity has this identifier."""
    entity = find_entity(session=session, identifier=identifier)
    if entity is None:
        raise entity_not_found()
    return entity


def entity_not_found() -> NotFound:
    """The one answer for an identifier the caller cannot reach (none registered, or a
    natural person it may not confirm)."""
    return NotFound("entity-not-found")


def map_ids_by_identifier(*, session: Session, identifiers: Iterable[str]) -> dict[str, int]:
    wanted = list(set(identifiers))
    if not wanted:
        return {}
    rows = session.execute(
        select(Entity.identifier, Entity.id).where(Entity.identifier.in_(wanted))
    ).all()
    return {identifier: entity_id for identifier, entity_id in rows}


def list_entities(
    *,
    session: Session,
    q: str | None,
    identifier: str | None,
    regions: list[str] | None,
    kind: str | None,
    after: int | None,
    limit: int,
    masked: str | None = None,
    person_names: bool = True,
) -> list[Entity]:
    """Entities matching a name substring or an exact identifier, or natural persons whose
    number matches the LIKE pattern ``masked``, in id order after ``after``; without
    ``person_names`` a name substring matches no natural person."""
    query = select(Entity).order_by(Entity.id).limit(limit + 1)
    if masked:
        query = query.where(Entity.kind == "natural_person", Entity.identifier.like(masked))
    elif q:
        by_name = Entity.name.contains(q, autoescape=True)
        if not person_names:
            by_name = and_(by_name, Entity.kind != "natural_person")
        conditions = [by_name]
        if identifier:
            conditions.append(Entity.identifier == identifier)
        query = query.where(or_(*conditions))
    if regions is not None:
        query = query.where(Entity.region_code.in_(regions))
    if kind:
        query = query.where(Entity.kind == kind)
    if after is not None:
        query = query.where(Entity.id > after)
    return list(session.execute(query).scalars())

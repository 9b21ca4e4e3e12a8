"""Entity queries: keyword-only helpers taking a session."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import or_, select
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
        raise NotFound("no entity with this identifier; 未找到该主体", code="entity-not-found")
    return entity


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
) -> list[Entity]:
    """Entities matching a name substring or an exact identifier, in id order after ``after``."""
    query = select(Entity).order_by(Entity.id).limit(limit + 1)
    if q:
        conditions = [Entity.name.contains(q, autoescape=True)]
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

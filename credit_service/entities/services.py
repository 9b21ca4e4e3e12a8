"""Entity registry use cases: register, update, read, search."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from credit_service import identifiers
from credit_service.access import Actor
from credit_service.audit import services as audit
from credit_service.changes import EntitiesChanged, EntitiesRenamed, record
from credit_service.context import Context
from credit_service.entities import lookups, repository, rules
from credit_service.entities.models import Entity
from credit_service.errors import Conflict, Forbidden, InvalidInput
from credit_service.pagination import Page, cursor_int, page_by_id

UNMASK_ROLES = lookups.UNMASK_ROLES


def entity_view(entity: Entity, *, unmask: bool) -> dict[str, Any]:
    """The API view of an entity; a natural person's data is masked unless ``unmask``."""
    view = {
        "id": entity.id,
        "kind": entity.kind,
        "identifier": entity.identifier,
        "name": entity.name,
        "former_names": list(entity.former_names or []),
        "region_code": entity.region_code,
        "industry": entity.industry,
        "address": entity.address,
        "legal_representative": entity.legal_representative,
        "phone": entity.phone,
        "agency_type": entity.agency_type,
        "agency_licence_no": entity.agency_licence_no,
        "status": entity.status,
        "created_at": entity.created_at,
        "updated_at": entity.updated_at,
        "masked": False,
    }
    if entity.is_natural_person and not unmask:
        view = {**rules.masked_view(view), "masked": True}
    return view


def register_entity(ctx: Context, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """Add an entity to the registry.

    :raises InvalidInput: for invalid data; :raises Conflict: if the identifier exists.
    """
    values = rules.validate_entity(data, ctx.catalogs, today=ctx.today())
    actor.ensure_region(values["region_code"])
    with ctx.session_factory.begin() as session:
        if repository.find_entity(session=session, identifier=values["identifier"]):
            raise Conflict("entity-exists", identifier=values["identifier"])
        now = ctx.now()
        entity = Entity(
            **values, content_hash=rules.content_hash(values), created_at=now, updated_at=now
        )
        session.add(entity)
        session.flush()
        record(session, EntitiesChanged((entity.id,), "entity registered"))
        audit.append(
            session,
            actor=actor,
            action="entity.create",
            now=now,
            object_type="entity",
            object_id=entity.id,
        )
        return entity_view(entity, unmask=actor.role in UNMASK_ROLES)


def update_entity(
    ctx: Context, actor: Actor, identifier: str, changes: dict[str, Any]
) -> dict[str, Any]:
    """Change registry fields; a changed name is kept among the former names.

    :raises NotFound, Forbidden, InvalidInput:
    """
    forbidden = set(changes) - set(rules.EDITABLE)
    if forbidden:
        raise InvalidInput(
            "fields-not-editable",
            errors={name: ["not-editable"] for name in sorted(forbidden)},
        )
    with ctx.session_factory.begin() as session:
        entity = entity_in_scope(session, actor, identifier)
        current = {k: getattr(entity, k) for k in rules.HASHED}
        values = rules.apply_changes(current, changes, ctx.catalogs, today=ctx.today())
        actor.ensure_region(values["region_code"])
        changed = sorted(k for k in rules.HASHED if values[k] != current[k])
        for key in changed:
            setattr(entity, key, values[key])
        if changed:
            entity.content_hash = rules.content_hash(values)
            entity.updated_at = ctx.now()
            audit.append(
                session,
                actor=actor,
                action="entity.update",
                now=ctx.now(),
                object_type="entity",
                object_id=entity.id,
                details={"changed": changed},
            )
        if set(changed) & set(rules.NAMING):
            record(session, EntitiesRenamed((entity.id,)))
        session.flush()
        return entity_view(entity, unmask=actor.role in UNMASK_ROLES)


def read_entity(
    ctx: Context, actor: Actor, identifier: str, *, unmask: bool = False
) -> dict[str, Any]:
    """One entity; unmasked personal data only for roles allowed it, and audited (D12).

    :raises NotFound, Forbidden:
    """
    if unmask and actor.role not in UNMASK_ROLES:
        raise Forbidden("unmask-forbidden")
    with ctx.session_factory.begin() as session:
        entity = entity_in_scope(session, actor, identifier)
        if entity.is_natural_person:
            audit.append(
                session,
                actor=actor,
                action="entity.read_personal_data" if unmask else "entity.read",
                now=ctx.now(),
                object_type="entity",
                object_id=entity.id,
            )
        return entity_view(entity, unmask=unmask)


def search_entities(
    ctx: Context,
    actor: Actor,
    *,
    q: str | None = None,
    region: str | None = None,
    kind: str | None = None,
    purpose: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[dict[str, Any]]:
    """Entities by name substring, exact identifier or a natural person's masked number,
    within the caller's region scope; natural persons only as ``lookups`` allows (D12),
    each one returned audited.

    :raises InvalidInput: a masking role's full resident ID without a purpose;
    :raises LimitExceeded: beyond its daily lookups.
    """
    text = q.strip() if q else None
    key = rules.lookup_key(text) if text else None
    query = {
        "q": text,
        "identifier": key,
        "masked": lookups.masked_pattern(text) if text else None,
        "person_names": lookups.may_unmask(actor),
        "regions": scope_regions(ctx, actor, region),
        "kind": kind,
        "after": cursor_int(cursor),
        "limit": limit,
    }
    if key and lookups.is_person_key(key) and not lookups.may_unmask(actor):
        return _person_lookup(ctx, actor, key, purpose, query)
    with ctx.read_session_factory() as session:
        page = _matching(session, query)
    if any(e.is_natural_person for e in page.items):
        with ctx.session_factory.begin() as session:
            lookups.record_returned(
                session,
                ctx,
                actor,
                page.items,
                action="entity.search",
                details={"q": text, "purpose": purpose},
            )
    return _masked_page(page)


def _person_lookup(
    ctx: Context, actor: Actor, key: str, purpose: str | None, query: dict[str, Any]
) -> Page[dict[str, Any]]:
    """A masking role's search by full resident ID: admitted (purpose, daily limit) before
    the read, recorded after it whether it found the person or not."""
    with ctx.session_factory.begin() as session:
        lookups.admit(session, ctx, actor, [key], purpose)
        page = _matching(session, query)
        found = next((e for e in page.items if e.identifier == key), None)
        lookups.record_lookup(
            session, ctx, actor, key, found, purpose=purpose, channel="entity.search"
        )
        return _masked_page(page)


def _matching(session: Session, query: dict[str, Any]) -> Page[Entity]:
    rows = repository.list_entities(session=session, **query)
    return page_by_id(rows, query["limit"], lambda e: e.id)


def _masked_page(page: Page[Entity]) -> Page[dict[str, Any]]:
    return Page([entity_view(e, unmask=False) for e in page.items], page.next_cursor)


def scope_regions(ctx: Context, actor: Actor, region: str | None) -> list[str] | None:
    """The regions a query may cover (None: all): the requested one, if the caller's scope
    allows it, else the caller's own scope.

    :raises Forbidden: a requested region outside the caller's scope.
    """
    if region is not None:
        actor.ensure_region(region)
        if region == ctx.catalogs.city.code:
            return None
        return [region]
    if actor.covers_region(ctx.catalogs.city.code):
        return None
    return [actor.region_code] if actor.region_code else []


def entity_in_scope(session: Session, actor: Actor, identifier: str) -> Entity:
    """Load an entity the actor may touch: in its region scope, or its own (enterprise).

    A natural person addressed by resident ID must be one the actor may confirm
    (``lookups.ensure_addressable``).

    :raises NotFound, Forbidden:
    """
    key = rules.lookup_key(identifier)
    entity = repository.find_entity(session=session, identifier=key)
    lookups.ensure_addressable(session, actor, key, entity)
    return _in_scope(actor, entity)


def looked_up_in_scope(actor: Actor, entity: Any | None) -> Any:
    """``entity_in_scope`` for an entity already read by an admitted and audited lookup
    (a credit check): a natural person outside the region is not there (``lookups.visible``).

    :raises NotFound, Forbidden:
    """
    return _in_scope(actor, lookups.visible(actor, entity))


def _in_scope(actor: Actor, entity: Any | None) -> Any:
    if entity is None:
        raise repository.entity_not_found()
    actor.ensure_region(entity.region_code)
    actor.ensure_own_entity(entity.identifier)
    return entity


def find_entity(session: Session, identifier: str) -> Entity | None:
    """An entity by identifier as a user typed it (no scope check: callers decide)."""
    return repository.find_entity(session=session, identifier=rules.lookup_key(identifier))


def entity_summary(entity: Entity) -> dict[str, Any]:
    """Identifier, name (a natural person masked), kind and region: for other areas' views."""
    return {**rules.masked_identity(entity), "kind": entity.kind, "region_code": entity.region_code}


def public_name_search(q: str | None, uscc: str | None, names: Any = Entity.name) -> list[Any]:
    """SQL conditions of a public search by name (a part of it, in the column ``names``:
    the registry's, or a copy kept by the list searched) or by USCC. Natural persons are
    never found either way: a hit would confirm a full name or an ID number (D12). A USCC
    is compared in the registry's form (``identifiers.canonical``: a code typed in lower case
    or in full-width characters finds it)."""
    conditions: list[Any] = []
    if q:
        conditions += [Entity.kind != "natural_person", names.contains(q, autoescape=True)]
    if uscc:
        conditions += [
            Entity.identifier == identifiers.canonical(uscc),
            Entity.kind != "natural_person",
        ]
    return conditions


def purge_entities(session: Session, ctx: Context, actor: Actor, entity_ids: list[int]) -> None:
    """Delete natural persons' registry entries whose retention ended (PIPL art. 47; the
    retention job chose them: nothing about them is left), inside the caller's
    transaction, audited as one row naming their ids (never a name or an ID number).

    :raises Conflict: one of them is not a natural person (an organisation's registry
        entry is not personal data, and is never purged).
    """
    persons = (
        session.execute(
            select(Entity.id)
            .where(Entity.id.in_(entity_ids), Entity.kind == "natural_person")
            .with_for_update()
        )
        .scalars()
        .all()
    )
    others = sorted(set(entity_ids) - set(persons))
    if others:
        raise Conflict("not-natural-persons", ids=others)
    session.execute(delete(Entity).where(Entity.id.in_(entity_ids)))
    audit.append(
        session,
        actor=actor,
        action="entity.purge",
        now=ctx.now(),
        object_type="entity",
        details={"count": len(entity_ids), "ids": sorted(entity_ids)},
    )

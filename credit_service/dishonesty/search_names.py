"""The name a listing is found by in the public search (``DishonestyCase.search_name``).

A public search by a part of a name must only find listed organisations. Filtering the
registry's names first reads every entity whose name holds the fragment: at province scale
(7,000,000 entities) about 3,400 rows for a common two-word fragment, 97 % of them never
listed, 44 ms of the database per search and a p99 of 1.4 s at 32 connections
(docs/performance.md). Each listing therefore keeps its organisation's current name, with
its own trigram index (PostgreSQL) over the list alone. A natural person's listing keeps
none: no search by name finds a person (D12), and the list holds no second copy of a
person's name for retention to chase.

The name is written when a case is opened (the entity's row held until the case
commits, so a rename meanwhile waits and then finds the case) and follows every rename
through the handler table (``EntitiesRenamed``), in the transaction of the rename.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Integer, select, update
from sqlalchemy.orm import Session

from credit_service.bulk import keys_in, keys_value
from credit_service.dishonesty.models import DishonestyCase
from credit_service.entities.models import Entity

if TYPE_CHECKING:
    from credit_service.context import Context


def search_name(kind: str, name: str) -> str | None:
    """What a listing of an entity of ``kind`` named ``name`` is found by: nothing for a
    natural person (D12)."""
    return None if kind == "natural_person" else name


def follow_renames(session: Session, ctx: Context, changes: list[Any]) -> None:
    """The listings of renamed entities take their new names (handler of
    ``EntitiesRenamed``): one read of the renamed entities that have a case, one update
    per such entity (a rename of a listed entity is rare; a bulk import's renames of
    unlisted ones cost the one read)."""
    ids = sorted({entity_id for change in changes for entity_id in change.entity_ids})
    if not ids:
        return
    dialect = session.connection().dialect.name
    listed = session.execute(
        select(Entity.id, Entity.kind, Entity.name)
        .where(keys_in(dialect, Entity.id, keys_value(dialect, ids), item_type=Integer))
        .where(select(DishonestyCase.id).where(DishonestyCase.entity_id == Entity.id).exists())
    ).all()
    for entity_id, kind, name in listed:
        session.execute(
            update(DishonestyCase)
            .where(DishonestyCase.entity_id == entity_id)
            .values(search_name=search_name(kind, name))
        )

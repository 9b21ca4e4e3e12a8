"""The public search of the published list (by name, USCC, region, domain, ground),
newest publication first, in keyset pages.

After the 304s it is the public's most frequent read, and the most varied: a part of a
name, a different one each time, which no kept answer serves. Its statement is
therefore built and compiled once per *shape* (which filters a request has, whether it
continues after a cursor), with every value a bound parameter, and run on the thread's
own connection through its driver (``held_connections.read_rows``), as a single credit
check is: building the statement, the ORM's execution and a pooled session's BEGIN and
ROLLBACK had been most of a search's cost (docs/performance.md, eighth session). The
entries are ``public.entry_views``'s.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Date, Integer, String, Text, bindparam, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import aliased

from credit_service import identifiers
from credit_service.context import Context
from credit_service.dishonesty import removals
from credit_service.dishonesty.models import DishonestyCase
from credit_service.dishonesty.public import (
    CASE_COLUMNS,
    ENTITY_COLUMNS,
    Filters,
    entry_views,
    in_force,
    listing_filters,
    refs_column,
)
from credit_service.entities.models import Entity
from credit_service.held_connections import StatementSource, dialect_name, read_rows
from credit_service.pagination import NewestFirst, Page

# the newest entry first; the cursor names its date "p" (published)
NEWEST = NewestFirst(DishonestyCase.published_on, DishonestyCase.id, key="p")
LIKE_ESCAPE = "/"
# a fragment this short has no trigram: PostgreSQL finds it through the names' single
# characters and pairs (migration d4f6a8c0e2b4)
GRAM_LENGTH = 2


@dataclass(frozen=True)
class Shape:
    """What a search's statement holds besides its values: the database kind, the
    filters asked for, whether a name's fragment is short enough for the index of
    characters and pairs (PostgreSQL), whether it starts after a cursor, whether it also
    finds the entries removed within the period their address says so (a search by name
    or USCC, ``Filters.names_one``, D22), and whether it may find a natural person's case."""

    dialect: str
    q: bool = False
    gram: bool = False
    uscc: bool = False
    region: bool = False
    domain: bool = False
    ground: bool = False
    after: bool = False
    removed: bool = False
    persons: bool = True


def search(
    ctx: Context, filters: Filters, *, cursor: str | None = None, limit: int = 20
) -> Page[dict[str, Any]]:
    """Entries in force, newest publication first (keyset pages); a name or USCC search
    also finds the entries removed within the period their address says so, marked
    ``status: removed`` and without their facts (``Filters.names_one``, D22).

    :raises InvalidInput: a cursor this service did not issue.
    """
    factory = ctx.replica_session_factory
    values = page_values(ctx, filters, cursor, limit)
    shape = shape_of(dialect_name(factory), filters, values)
    rows = read_rows(factory, page_source(shape), values, prepare=False)
    if filters.q and any(row.kind == "natural_person" for row in rows):
        # a person's case with a copy of a name (a defect): chosen again without persons,
        # so that neither the page nor its cursor names one (D12)
        shape = replace(shape, persons=False)
        rows = read_rows(factory, page_source(shape), values, prepare=False)
    rows, next_cursor = NEWEST.cut(rows, limit, lambda row: (row.published_on, row.id))
    return Page(entry_views(ctx, rows), next_cursor)


def shape_of(dialect: str, filters: Filters, values: dict[str, Any]) -> Shape:
    """The shape of the statement that takes ``values`` (``page_values``)."""
    return Shape(
        dialect,
        q="pattern" in values,
        gram=dialect == "postgresql" and "gram" in values,
        uscc="uscc" in values,
        region="region" in values,
        domain="domain" in values,
        ground="ground" in values,
        after="after_id" in values,
        removed=filters.names_one,
    )


def page_values(ctx: Context, filters: Filters, cursor: str | None, limit: int) -> dict[str, Any]:
    """The values of the page's statement: today, the filters asked for, the position
    of ``cursor``, and ``limit + 1`` rows (the one more tells that a next page exists).

    :raises InvalidInput: a cursor this service did not issue.
    """
    today = ctx.today()
    values: dict[str, Any] = {"as_of": today, "limit": limit + 1}
    if filters.names_one:
        values |= removals.answered_bounds(ctx, today)
    if filters.q:
        values["pattern"] = contains_pattern(filters.q)
        if len(filters.q) <= GRAM_LENGTH:
            values["gram"] = [filters.q]
    if filters.uscc:
        values["uscc"] = identifiers.canonical(filters.uscc)
    for name in ("region", "domain", "ground"):
        if getattr(filters, name):
            values[name] = getattr(filters, name)
    position = NEWEST.position(cursor)
    if position is not None:
        values["after_day"], values["after_id"] = position
    return values


def contains_pattern(text: str) -> str:
    """The LIKE pattern of a name containing ``text`` as typed (its ``%`` and ``_`` are
    characters, escaped by ``LIKE_ESCAPE``)."""
    escaped = text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
    escaped = escaped.replace("%", f"{LIKE_ESCAPE}%").replace("_", f"{LIKE_ESCAPE}_")
    return f"%{escaped}%"


@functools.cache
def page_source(shape: Shape) -> StatementSource:
    """The statement of a shape (one source per shape: compiled once per database)."""
    return functools.partial(page_statement, shape)


def page_statement(shape: Shape) -> Any:
    """A page of ``:limit`` rows of ``public.COLUMNS`` and ``public.refs_column``. The
    page is chosen, ordered and cut on the cases alone before an entity is read: a
    search by a part of a name matches about 120 of a province's 200,000 listings, and
    joining each to its entity first was half the query (sixth session); the page's
    penalties' references are read with it (tenth session); a fragment of one or two
    characters is also looked up in the index of each name's characters and pairs
    (twelfth session), which has it where the trigram index cannot. The choice reads
    only what the page-order index holds (its id and date, the columns it tests), so
    that walk reads the index alone, and the page's rows are then read by their ids
    (thirteenth session: 23 ms to 3.5 ms for a fragment some hundreds hold). A
    name is matched in the case's copy, which no natural person's case has
    (``search_names``); a search by USCC finds no natural person's number; should a
    person's case ever hold a copy of a name, ``search`` chooses again without persons
    (D12)."""
    chosen = select(DishonestyCase.id, DishonestyCase.published_on).where(_shown(shape))
    if shape.q:
        pattern = bindparam("pattern", type_=String)
        chosen = chosen.where(DishonestyCase.search_name.like(pattern, escape=LIKE_ESCAPE))
    if shape.gram:  # beside the LIKE, so that a common fragment keeps the page's order
        gram = bindparam("gram", type_=ARRAY(Text))
        grams = func.search_grams(DishonestyCase.search_name, type_=ARRAY(Text))
        chosen = chosen.where(grams.contains(gram))
    if shape.uscc:
        owner = select(Entity.id).where(
            Entity.identifier == bindparam("uscc", type_=String), Entity.kind != "natural_person"
        )
        chosen = chosen.where(DishonestyCase.entity_id.in_(owner))
    if not shape.persons:
        person = select(Entity.id).where(
            Entity.id == DishonestyCase.entity_id, Entity.kind == "natural_person"
        )
        chosen = chosen.where(~person.exists())
    chosen = listing_filters(
        shape.dialect, chosen, *(_bound(shape, name) for name in ("region", "domain", "ground"))
    )
    if shape.after:
        after = bindparam("after_day", type_=Date), bindparam("after_id", type_=Integer)
        chosen = chosen.where(NEWEST.after(*after))
    page = NEWEST.ordered(chosen).limit(bindparam("limit", type_=Integer)).subquery()
    case = aliased(DishonestyCase)
    return (
        select(
            *(getattr(case, column.key) for column in CASE_COLUMNS),
            *ENTITY_COLUMNS,
            refs_column(shape.dialect, case.record_ids),
        )
        .join_from(page, case, case.id == page.c.id)
        .join(Entity, Entity.id == case.entity_id)
        .order_by(page.c.published_on.desc(), page.c.id.desc())
    )


def _shown(shape: Shape) -> Any:
    """SQL condition: in force on ``:as_of``, or (a search by name or USCC) removed
    within the period its address says so (``removals.answered``, D22)."""
    as_of = bindparam("as_of", type_=Date)
    if not shape.removed:
        return in_force(as_of)
    bounds = bindparam("removed_from", type_=Date), bindparam("ended_from", type_=Date)
    return or_(in_force(as_of), removals.answered(as_of, *bounds))


def _bound(shape: Shape, name: str) -> Any:
    """The bind parameter of the filter ``name`` when the shape has it, else None."""
    return bindparam(name, type_=String) if getattr(shape, name) else None

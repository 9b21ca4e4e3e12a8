"""The published list as the public sees it: search, entries, downloads.

An entry is shown from its publication day through the last day of its term and not a
day longer, whether or not the expiry job has run; a removal hides its facts at once, and
its address and the name and USCC searches then say only that it was removed, for the
period of ``removals`` (D22). A natural person appears as surname plus '*', with no
identifier and no other personal data (D12).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Integer, and_, exists, func, or_, select
from sqlalchemy.orm import Bundle, Session

from credit_service import objection_marks
from credit_service.bulk import in_list
from credit_service.catalogs.definitions import citations
from credit_service.context import Context
from credit_service.dishonesty import list_version, removals
from credit_service.dishonesty.models import DishonestyCase
from credit_service.entities import services as entity_services
from credit_service.entities.models import Entity
from credit_service.entities.rules import masked_identity
from credit_service.errors import NotFound
from credit_service.pagination import NewestFirst, Page
from credit_service.records.models import CreditRecord

DOWNLOAD_COLUMNS = (
    "id",
    "name",
    "uscc",
    "region",
    "grounds",
    "decision_no",
    "authority",
    "decided_on",
    "published_on",
    "term_ends_on",
    "measures",
    "penalty_refs",
    "objection_pending",
    "objection_id",
)

# the newest entry first; the cursor names its date "p" (published)
NEWEST = NewestFirst(DishonestyCase.published_on, DishonestyCase.id, key="p")

# What an entry (``entry_view``, ``removals.removed_view``) reads of its case and entity:
# these columns, not the whole rows (a page of full ORM objects decoded and tracked a
# dozen columns no visitor sees; docs/performance.md, sixth session).
CASE = Bundle(
    "case",
    *(
        getattr(DishonestyCase, name)
        for name in (
            "id",
            "state",
            "region_code",
            "grounds",
            "record_ids",
            "decision_no",
            "decided_on",
            "published_on",
            "term_ends_on",
            "removed_on",
            "removal_reason",
            "measures",
        )
    ),
)
ENTITY = Bundle("entity", Entity.kind, Entity.identifier, Entity.name)


@functools.lru_cache(maxsize=64)
def in_force(as_of: date) -> Any:
    """SQL condition: the case is on the public list on ``as_of`` (``is_in_force``), built
    once a day (as ``removals.answered``: an expression is never changed once built)."""
    return and_(
        DishonestyCase.state == "published",
        DishonestyCase.published_on <= as_of,
        DishonestyCase.term_ends_on >= as_of,
        DishonestyCase.removed_on.is_(None),
    )


def is_in_force(case: Any, as_of: date) -> bool:
    """``in_force`` for a case already read (its state and dates), as SQL would answer it."""
    return (
        case.state == "published"
        and case.published_on is not None
        and case.published_on <= as_of
        and case.term_ends_on is not None
        and case.term_ends_on >= as_of
        and case.removed_on is None
    )


@dataclass(frozen=True)
class Filters:
    q: str | None = None
    uscc: str | None = None
    region: str | None = None
    domain: str | None = None
    ground: str | None = None

    @property
    def names_one(self) -> bool:
        """A search for a name or USCC, nothing of a listing's facts: it also finds the
        entries removed within the period their address says so (D22); a search by
        ground or domain would tell a removed listing's facts, and finds none."""
        return bool(self.q or self.uscc) and not (self.domain or self.ground)


def _filtered(session: Session, filters: Filters, as_of: date, removed: Any = None) -> Any:
    """The search's query; ``removed`` (``removals.answered``) adds the removed entries
    a name or USCC search finds."""
    query = (
        select(CASE, ENTITY)
        .join(Entity, Entity.id == DishonestyCase.entity_id)
        .where(_shown(as_of, removed))
    )
    named = entity_services.public_name_search(filters.q, filters.uscc, DishonestyCase.search_name)
    if named:
        query = query.where(*named)
    return _listing_filters(session, query, filters)


@functools.lru_cache(maxsize=64)
def _shown(as_of: date, removed: Any) -> Any:
    """SQL condition: in force on ``as_of``, or (``removed``, ``removals.answered``)
    removed within the period a name or USCC search still finds it (D22)."""
    return in_force(as_of) if removed is None else or_(in_force(as_of), removed)


def _listing_filters(session: Session, query: Any, filters: Filters) -> Any:
    """``query`` narrowed by the listing's own facts: region, domain, ground."""
    if filters.region:
        query = query.where(DishonestyCase.region_code == filters.region)
    if filters.domain:
        query = query.where(DishonestyCase.domain == filters.domain)
    if filters.ground:
        query = query.where(_has_ground(session, filters.ground))
    return query


def _has_ground(session: Session, ground: str) -> Any:
    if session.connection().dialect.name == "postgresql":
        return DishonestyCase.grounds.op("@>")(func.jsonb_build_array(ground))
    values = func.json_each(DishonestyCase.grounds).table_valued("value")
    return exists(select(values.c.value).where(values.c.value == ground))


def search(
    ctx: Context, filters: Filters, *, cursor: str | None = None, limit: int = 20
) -> Page[dict[str, Any]]:
    """Entries in force, newest publication first (keyset pages); a name or USCC search
    also finds the entries removed within the period their address says so, marked
    ``status: removed`` and without their facts (``Filters.names_one``, D22)."""
    today = ctx.today()
    removed = removals.answered(ctx, today) if filters.names_one else None
    with ctx.replica_session_factory() as session:
        rows = session.execute(search_query(session, filters, today, removed, cursor, limit)).all()
        if filters.q and any(entity.kind == "natural_person" for _, entity in rows):
            # a person's case with a copy of a name (a defect): chosen again without persons,
            # so that neither the page nor its cursor names one (D12)
            query = search_query(session, filters, today, removed, cursor, limit, persons=False)
            rows = session.execute(query).all()
        rows, next_cursor = NEWEST.cut(rows, limit, lambda row: (row[0].published_on, row[0].id))
        return Page(entry_views(ctx, session, rows), next_cursor)


def search_query(
    session: Session,
    filters: Filters,
    as_of: date,
    removed: Any,
    cursor: str | None,
    limit: int,
    *,
    persons: bool = True,
) -> Any:
    """The search's statement: a page of ``limit + 1`` (case, entity) rows after
    ``cursor``, chosen by ``_chosen``; with ``persons`` off, none of a natural person
    (``search`` asks so when a page found by name would show one)."""
    chosen = _chosen(session, filters, as_of, removed)
    if not persons:
        person = select(Entity.id).where(
            Entity.id == DishonestyCase.entity_id, Entity.kind == "natural_person"
        )
        chosen = chosen.where(~person.exists())
    page = NEWEST.select(chosen, cursor, limit).subquery()
    query = (
        select(CASE, ENTITY)
        .join(page, page.c.id == DishonestyCase.id)
        .join(Entity, Entity.id == DishonestyCase.entity_id)
    )
    return NEWEST.ordered(query)


def _chosen(session: Session, filters: Filters, as_of: date, removed: Any) -> Any:
    """The ids of the cases ``_filtered`` finds, chosen on the cases alone, so that the
    database orders and cuts the page before it reads an entity: a search by a part of
    a name matches about 120 of a province's 200,000 listings, and joining each to its
    entity first was half the query (docs/performance.md, sixth session). A name is
    matched in the case's copy, which no natural person's case has (``search_names``); a
    search by USCC finds no natural person's number; should a person's case ever hold a
    copy of a name, ``search`` chooses again without persons (D12)."""
    query = select(DishonestyCase.id).where(_shown(as_of, removed))
    if filters.q:
        query = query.where(DishonestyCase.search_name.contains(filters.q, autoescape=True))
    if filters.uscc:
        owner = select(Entity.id).where(*entity_services.public_name_search(None, filters.uscc))
        query = query.where(DishonestyCase.entity_id.in_(owner))
    return _listing_filters(session, query, filters)


def get_entry(ctx: Context, case_id: int) -> dict[str, Any]:
    """One entry in force (``status: listed``), or removed within the period its address
    says so (``status: removed``, ``removals.removed_view``).

    :raises NotFound: never on the list (unknown, not yet published, withdrawn).
    :raises Gone: removed longer ago than that period (D22).
    """
    today = ctx.today()
    with ctx.replica_session_factory() as session:
        row = session.execute(
            select(CASE, ENTITY)
            .join(Entity, Entity.id == DishonestyCase.entity_id)
            .where(DishonestyCase.id == case_id)
        ).first()
        if row is not None and is_in_force(row[0], today):
            return entry_views(ctx, session, [row])[0]
        if row is not None and removals.removal_of(row[0], today) is not None:
            return removals.removed_view(ctx, *row)
        raise NotFound("entry-not-found", id=case_id)


def entry_views(ctx: Context, session: Session, rows: Sequence[Any]) -> list[dict[str, Any]]:
    """The entries of (case, entity) rows, with their penalties' document numbers and
    their marks 异议处理中 read for all of them at once (two queries a page); a removed
    entry's row (a name search's) says only that (``removals.removed_view``)."""
    today = ctx.today()
    cases = [case for case, _ in rows if is_in_force(case, today)]
    refs = penalty_refs(session, cases)
    marks = listing_marks(ctx) if cases else {}
    basis = legal_basis(ctx)
    return [
        entry_view(ctx, case, entity, refs[case.id], basis, mark=marks.get(case.id))
        if case.id in refs
        else removals.removed_view(ctx, case, entity)
        for case, entity in rows
    ]


def listing_marks(ctx: Context) -> dict[int, int]:
    """The entries marked 异议处理中 (case id -> objection id), read once per version of
    the list and kept by the worker: a mark put on or taken off writes a list change in
    its transaction (``feed.write_mark_feed``), which moves the version, as the
    validators of every public answer already rely on. The marks are read in a session
    of their own, begun after the version was read: the caller's session may hold a
    snapshot older than that version (SQLite's begins at its first read), and marks
    read through it would be kept under the newer version until the next list change."""
    version = list_version.newest_list_change(ctx)
    kept = ctx.extras.get("listing_marks")
    if kept is None or kept[0] != version:
        with ctx.replica_session_factory() as session:
            kept = (version, objection_marks.every_of_kind(ctx, session, "listing"))
        ctx.extras["listing_marks"] = kept
    marks: dict[int, int] = kept[1]
    return marks


def penalty_refs(session: Session, cases: list[Any]) -> dict[int, list[str]]:
    """The document numbers of the penalties each case rests on (revoked ones left out),
    for a whole page of cases in one query, its ids in one parameter (``in_list``): the
    same statement for every page, which the driver prepares once per connection."""
    owner = {record_id: case.id for case in cases for record_id in case.record_ids}
    refs: dict[int, list[str]] = {case.id: [] for case in cases}
    if owner:
        for record_id, ref in session.execute(
            select(CreditRecord.id, CreditRecord.source_ref)
            .where(
                in_list(session, CreditRecord.id, list(owner), item_type=Integer),
                CreditRecord.status != "revoked",
            )
            .order_by(CreditRecord.id)
        ):
            refs[owner[record_id]].append(ref)
    return refs


def legal_basis(ctx: Context) -> list[str]:
    """The provisions every entry is listed under (the list rules' ``basis``), cited."""
    return [citations([b]) for b in ctx.list_rules.basis]


def entry_view(
    ctx: Context,
    case: Any,
    entity: Any,
    refs: list[str],
    basis: list[str],
    *,
    mark: int | None = None,
) -> dict[str, Any]:
    """The public fields of an entry (nothing of a natural person but the masked name),
    with the mark 异议处理中 while an accepted objection to it is open (``mark``); the
    case and entity as ``CASE`` and ``ENTITY`` read them, or whole rows."""
    identity = masked_identity(entity)
    person = entity.kind == "natural_person"
    measures = [ctx.catalogs.measures[m] for m in case.measures if m in ctx.catalogs.measures]
    return {
        "id": case.id,
        "status": "listed",
        "name": identity["name"],
        "kind": entity.kind,
        "uscc": None if person else entity.identifier,
        "region_code": case.region_code,
        "region": ctx.catalogs.region_name(case.region_code),
        "grounds": [{"code": g, "name": ctx.list_rules.grounds.get(g, g)} for g in case.grounds],
        "basis": list(basis),
        "decision_no": case.decision_no,
        "authority": ctx.list_rules.office_name,
        "decided_on": case.decided_on,
        "published_on": case.published_on,
        "term_ends_on": case.term_ends_on,
        "measures": [{"code": m.code, "name": m.name, "effect": m.effect} for m in measures],
        "penalty_refs": list(refs),
        **objection_marks.fields(mark),
    }


def download_rows(
    ctx: Context, filters: Filters, *, batch: int = 1_000
) -> Iterator[dict[str, Any]]:
    """Every entry in force, in id order, read in batches (streamed downloads)."""
    today, after = ctx.today(), 0
    while True:
        with ctx.replica_session_factory() as session:
            rows = session.execute(
                _filtered(session, filters, today)
                .where(DishonestyCase.id > after)
                .order_by(DishonestyCase.id)
                .limit(batch)
            ).all()
            entries = entry_views(ctx, session, rows)
        if not entries:
            return
        yield from entries
        after = entries[-1]["id"]


def csv_row(entry: dict[str, Any]) -> list[Any]:
    return [
        entry["id"],
        entry["name"],
        entry["uscc"] or "",
        entry["region"] or "",
        "；".join(g["name"] for g in entry["grounds"]),
        entry["decision_no"],
        entry["authority"],
        entry["decided_on"],
        entry["published_on"],
        entry["term_ends_on"],
        "；".join(m["name"] for m in entry["measures"]),
        "；".join(entry["penalty_refs"]),
        "true" if entry["objection_pending"] else "false",
        entry["objection_id"] or "",
    ]

"""The published list as the public sees it: search, entries, downloads.

An entry is shown from its publication day through the last day of its term and not a
day longer, whether or not the expiry job has run; a removal hides its facts at once, and
its address and the name and USCC searches then say only that it was removed, for the
period of ``removals`` (D22). A natural person appears as surname plus '*', with no
identifier and no other personal data (D12).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Integer, and_, cast, exists, func, select, type_coerce
from sqlalchemy.dialects.postgresql import aggregate_order_by

from credit_service import objection_marks
from credit_service.catalogs.definitions import citations
from credit_service.context import Context
from credit_service.db import JSONType
from credit_service.dishonesty import list_version, removals
from credit_service.dishonesty.models import DishonestyCase
from credit_service.entities import services as entity_services
from credit_service.entities.models import Entity
from credit_service.entities.rules import masked_identity
from credit_service.errors import NotFound
from credit_service.held_connections import dialect_name
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

# What an entry (``entry_view``, ``removals.removed_view``) reads of its case and entity,
# in one flat row (no name is in both): these columns, not the whole rows (a page of full
# ORM objects decoded and tracked a dozen columns no visitor sees; docs/performance.md,
# sixth session).
CASE_COLUMNS = tuple(
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
)
ENTITY_COLUMNS = (Entity.kind, Entity.identifier, Entity.name)
COLUMNS = CASE_COLUMNS + ENTITY_COLUMNS


def in_force(as_of: Any) -> Any:
    """SQL condition: the case is on the public list on ``as_of`` (``is_in_force``): a
    date, or the bind parameter of a statement built once (``public_search``)."""
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


def _filtered(dialect: str, filters: Filters, as_of: date) -> Any:
    """The entries in force that ``filters`` choose, as ``COLUMNS`` and ``refs_column``
    (the download's)."""
    query = entries_query(dialect).where(in_force(as_of))
    named = entity_services.public_name_search(filters.q, filters.uscc, DishonestyCase.search_name)
    if named:
        query = query.where(*named)
    return listing_filters(dialect, query, filters.region, filters.domain, filters.ground)


def entries_query(dialect: str) -> Any:
    """Cases with their entities, as ``COLUMNS`` and ``refs_column``."""
    return select(*COLUMNS, refs_column(dialect, DishonestyCase.record_ids)).join(
        Entity, Entity.id == DishonestyCase.entity_id
    )


def listing_filters(dialect: str, query: Any, region: Any, domain: Any, ground: Any) -> Any:
    """``query`` narrowed by the listing's own facts (each None, a value, or the bind
    parameter of a statement built once): its region, its domain, one of its grounds."""
    if region is not None:
        query = query.where(DishonestyCase.region_code == region)
    if domain is not None:
        query = query.where(DishonestyCase.domain == domain)
    if ground is not None:
        query = query.where(_has_ground(dialect, ground))
    return query


def _has_ground(dialect: str, ground: Any) -> Any:
    if dialect == "postgresql":
        return DishonestyCase.grounds.op("@>")(func.jsonb_build_array(ground))
    values = func.json_each(DishonestyCase.grounds).table_valued("value")
    return exists(select(values.c.value).where(values.c.value == ground))


def get_entry(ctx: Context, case_id: int) -> dict[str, Any]:
    """One entry in force (``status: listed``), or removed within the period its address
    says so (``status: removed``, ``removals.removed_view``).

    :raises NotFound: never on the list (unknown, not yet published, withdrawn).
    :raises Gone: removed longer ago than that period (D22).
    """
    today = ctx.today()
    factory = ctx.replica_session_factory
    with factory() as session:
        row = session.execute(
            entries_query(dialect_name(factory)).where(DishonestyCase.id == case_id)
        ).first()
    if row is not None and is_in_force(row, today):
        return entry_views(ctx, [row])[0]
    if row is not None and removals.removal_of(row, today) is not None:
        return removals.removed_view(ctx, row, row)
    raise NotFound("entry-not-found", id=case_id)


def entry_views(ctx: Context, rows: Sequence[Any]) -> list[dict[str, Any]]:
    """The entries of rows of ``COLUMNS`` and ``refs_column``, with their marks
    异议处理中; a removed entry's row (a name search's) says only that
    (``removals.removed_view``)."""
    today = ctx.today()
    in_force_ids = {row.id for row in rows if is_in_force(row, today)}
    marks = listing_marks(ctx) if in_force_ids else {}
    basis = legal_basis(ctx)
    return [
        entry_view(ctx, row, row, row.penalty_refs, basis, mark=marks.get(row.id))
        if row.id in in_force_ids
        else removals.removed_view(ctx, row, row)
        for row in rows
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


def refs_column(dialect: str, record_ids: Any) -> Any:
    """SQL, a column ``penalty_refs``: the document numbers of the penalties a case rests
    on (``record_ids``, its JSON list of record ids, of the statement's own row), revoked
    ones left out, in filing order, as a JSON list. Read in the statement that reads
    the entries, not in a second one after it: a second statement a page was an eighth
    of a name search's cost (docs/performance.md, tenth session)."""
    if dialect == "postgresql":
        ids = func.jsonb_array_elements_text(record_ids).table_valued("value")
        refs = func.coalesce(
            func.jsonb_agg(aggregate_order_by(CreditRecord.source_ref, CreditRecord.id)),
            func.jsonb_build_array(),
        )
        chosen = select(refs).join_from(
            CreditRecord, ids, CreditRecord.id == cast(ids.c.value, Integer)
        )
    else:  # SQLite before 3.44 has no ORDER BY in an aggregate: its json_group_array
        # takes the rows in the order of the subquery it reads (run as a co-routine)
        ids = func.json_each(record_ids).table_valued("value")
        ordered = (
            select(CreditRecord.source_ref)
            .join_from(CreditRecord, ids, CreditRecord.id == ids.c.value)
            .where(CreditRecord.status != "revoked")
            .order_by(CreditRecord.id)
            .subquery()
        )
        return _json_label(select(func.json_group_array(ordered.c.source_ref)))
    return _json_label(chosen.where(CreditRecord.status != "revoked"))


def _json_label(chosen: Any) -> Any:
    """``chosen``'s one value as the column ``penalty_refs``, decoded as JSON."""
    return type_coerce(chosen.scalar_subquery(), JSONType).label("penalty_refs")


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
    case and entity as whole rows, or both one row of ``COLUMNS``."""
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
        factory = ctx.replica_session_factory
        with factory() as session:
            rows = session.execute(
                _filtered(dialect_name(factory), filters, today)
                .where(DishonestyCase.id > after)
                .order_by(DishonestyCase.id)
                .limit(batch)
            ).all()
        entries = entry_views(ctx, rows)
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

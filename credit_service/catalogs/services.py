"""Catalog use cases: register file versions, read current and historic items."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from credit_service.catalogs.definitions import Catalog, CatalogItem
from credit_service.catalogs.models import CatalogItemRow, CatalogVersion
from credit_service.context import Context
from credit_service.errors import InvalidInput, NotFound


@dataclass(frozen=True)
class RegisterResult:
    """What loading one domain file did: nothing, a new version, or a return to an old one."""

    domain: str
    version_id: int
    label: str
    outcome: str  # unchanged | created | reactivated


def register_catalogs(ctx: Context) -> list[RegisterResult]:
    """Make the loaded files the current versions; unchanged files change nothing."""
    results = []
    for catalog in ctx.catalogs.catalogs.values():
        try:
            with ctx.session_factory.begin() as session:
                results.append(_register_one(session, catalog, ctx))
        except IntegrityError:
            # Another process registered the same content first: read what it wrote.
            with ctx.session_factory.begin() as session:
                results.append(_register_one(session, catalog, ctx))
    return results


def _register_one(session: Session, catalog: Catalog, ctx: Context) -> RegisterResult:
    digest = catalog.content_hash
    version = session.execute(
        select(CatalogVersion).where(
            CatalogVersion.domain == catalog.domain, CatalogVersion.content_hash == digest
        )
    ).scalar_one_or_none()
    if version is not None and version.is_current:
        return RegisterResult(catalog.domain, version.id, version.label, "unchanged")
    outcome = "reactivated" if version is not None else "created"
    if version is None:
        version = _insert_version(session, catalog, ctx)
    session.execute(
        update(CatalogVersion)
        .where(CatalogVersion.domain == catalog.domain)
        .values(is_current=False)
    )
    version.is_current = True
    session.flush()
    return RegisterResult(catalog.domain, version.id, version.label, outcome)


def _insert_version(session: Session, catalog: Catalog, ctx: Context) -> CatalogVersion:
    version = CatalogVersion(
        domain=catalog.domain,
        edition=catalog.edition,
        content_hash=catalog.content_hash,
        source=catalog.source,
        loaded_at=ctx.now(),
        is_current=False,
        document=catalog.document(),
    )
    session.add(version)
    session.flush()
    session.add_all(
        CatalogItemRow(
            version_id=version.id,
            domain=item.domain,
            code=item.code,
            name=item.name,
            category=item.category,
            severity=item.severity,
            record_type=item.record_type,
            disclosure=item.disclosure,
            repairable=item.repairable,
            heavier_penalty=item.heavier_penalty,
            definition=item.to_document(),
        )
        for item in catalog.items
    )
    session.flush()
    return version


def current_versions(session: Session) -> dict[str, CatalogVersion]:
    rows = session.execute(select(CatalogVersion).where(CatalogVersion.is_current)).scalars()
    return {row.domain: row for row in rows}


def find_current_item(session: Session, code: str) -> CatalogItemRow | None:
    """The row of item ``code`` in the current version of its domain, if any."""
    return session.execute(
        select(CatalogItemRow)
        .join(CatalogVersion, CatalogVersion.id == CatalogItemRow.version_id)
        .where(CatalogItemRow.code == code, CatalogVersion.is_current)
    ).scalar_one_or_none()


def current_item(session: Session, ctx: Context, code: str) -> tuple[int, CatalogItem]:
    """(item row id, definition) of a current item; the catalog gate (D16).

    :raises InvalidInput: when no loaded catalog has the item.
    """
    row = find_current_item(session, code)
    if row is None:
        raise InvalidInput(
            "unknown-catalog-item", errors={"item_code": ["not-in-catalogs"]}, item_code=code
        )
    return row.id, item_definition(session, ctx, row.id)


def item_definition(session: Session, ctx: Context, item_row_id: int) -> CatalogItem:
    """The definition an item row was loaded with (cached: rows never change)."""
    cached = ctx.item_cache.get(item_row_id)
    if cached is None:
        row = session.get(CatalogItemRow, item_row_id)
        if row is None:
            raise NotFound("catalog-item-row-not-found", item_row_id=item_row_id)
        cached = ctx.item_cache[item_row_id] = CatalogItem.from_document(row.definition)
    return cached


def item_definitions(
    bind: Any, ctx: Context, item_row_ids: Iterable[int]
) -> dict[int, CatalogItem]:
    """``item_definition`` of several item rows, the ones not cached yet read in one query
    (``bind``: a session or connection)."""
    wanted = set(item_row_ids)
    missing = wanted - ctx.item_cache.keys()
    if missing:
        rows = bind.execute(
            select(CatalogItemRow.id, CatalogItemRow.definition).where(
                CatalogItemRow.id.in_(sorted(missing))
            )
        )
        for row_id, definition in rows:
            ctx.item_cache[row_id] = CatalogItem.from_document(definition)
    absent = missing - ctx.item_cache.keys()
    if absent:
        raise NotFound("catalog-item-row-not-found", item_row_id=min(absent))
    return {row_id: ctx.item_cache[row_id] for row_id in wanted}


def list_catalogs(ctx: Context) -> list[dict[str, Any]]:
    """The current version of each domain, with item counts (public)."""
    with ctx.read_session_factory() as session:
        versions = current_versions(session)
        return [_version_summary(v) for v in sorted(versions.values(), key=lambda v: v.domain)]


def get_catalog(ctx: Context, domain: str) -> dict[str, Any]:
    """One domain's current version with all its items (public).

    :raises NotFound: for an unknown domain.
    """
    with ctx.read_session_factory() as session:
        version = current_versions(session).get(domain)
        if version is None:
            raise NotFound("catalog-not-found", domain=domain)
        return {**_version_summary(version), "items": version.document["items"]}


def get_item(ctx: Context, domain: str, code: str) -> dict[str, Any]:
    """One item of a domain's current version (public).

    :raises NotFound: for an unknown domain or item.
    """
    catalog = get_catalog(ctx, domain)
    for item in catalog["items"]:
        if item["code"] == code:
            return {
                **item,
                "version": catalog["version"],
                "can_ground_listing": CatalogItem.from_document(item).can_ground_listing,
            }
    raise NotFound("catalog-item-not-found", domain=domain, item_code=code)


def _version_summary(version: CatalogVersion) -> dict[str, Any]:
    doc = version.document
    return {
        "domain": version.domain,
        "title": doc["title"],
        "edition": version.edition,
        "version": version.label,
        "content_hash": version.content_hash,
        "issuer": doc["issuer"],
        "effective_from": doc["effective_from"],
        "loaded_at": version.loaded_at,
        "item_count": len(doc["items"]),
    }


def unloaded_domains(session: Session, ctx: Context) -> list[str]:
    """Domains whose file content is not the current stored version (for /readyz)."""
    versions = current_versions(session)
    return [
        domain
        for domain, catalog in ctx.catalogs.catalogs.items()
        if domain not in versions or versions[domain].content_hash != catalog.content_hash
    ]


def version_label_of_item(session: Session, item_row_id: int) -> str:
    """The catalog version an item row belongs to: records show what they were filed under."""
    version = session.execute(
        select(CatalogVersion)
        .join(CatalogItemRow, CatalogItemRow.version_id == CatalogVersion.id)
        .where(CatalogItemRow.id == item_row_id)
    ).scalar_one()
    return version.label


def current_item_map(session: Session, ctx: Context) -> dict[str, tuple[int, CatalogItem]]:
    """Every current item by code: (row id, definition). Bulk importers resolve once."""
    rows = session.execute(
        select(CatalogItemRow.id, CatalogItemRow.code)
        .join(CatalogVersion, CatalogVersion.id == CatalogItemRow.version_id)
        .where(CatalogVersion.is_current)
    ).all()
    return {code: (row_id, item_definition(session, ctx, row_id)) for row_id, code in rows}

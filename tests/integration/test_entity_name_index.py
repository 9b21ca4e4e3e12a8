"""An entity import into an empty registry builds the name's trigram index once, at its
end (PostgreSQL): dropped while the rows go in, there again afterwards in the very form
the migrations made, even when the import fails; an import into a registry that has
entities keeps the index throughout, and one finding it missing builds it, unless an
initial load elsewhere holds the index (that load builds it)."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select, text

from credit_service.access import SYSTEM
from credit_service.entities import importer
from credit_service.entities.models import Entity
from credit_service.entities.name_index import INDEX
from tests.factories import XUANZHOU, create_entity, unique_uscc

HEADER = "kind,identifier,name,region_code\n"


@pytest.fixture
def pg_ctx(live_ctx, db_kind):
    if db_kind != "postgresql":
        pytest.skip("the trigram index is PostgreSQL's (pg_trgm); SQLite has none")
    return live_ctx


def definition(ctx) -> str | None:  # type: ignore[no-untyped-def]
    with ctx.session_factory() as session:
        return session.execute(
            text(
                "SELECT indexdef FROM pg_indexes"
                " WHERE schemaname = current_schema() AND indexname = :name"
            ),
            {"name": INDEX},
        ).scalar()


def entities_file(count: int) -> io.StringIO:
    rows = [
        f"organisation,{unique_uscc(XUANZHOU)},宣城名称索引{n}有限公司,{XUANZHOU}\n"
        for n in range(count)
    ]
    return io.StringIO(HEADER + "".join(rows))


def import_watching(ctx, stream: io.StringIO, seen: list[str | None]):  # type: ignore[no-untyped-def]
    """Import with a batch size of 2, noting the index's definition after each batch."""
    ctx.settings = ctx.settings.replace(import_batch_size=2)
    return importer.import_entities(
        ctx, SYSTEM, stream, on_batch=lambda _: seen.append(definition(ctx))
    )


def test_an_initial_load_writes_without_the_index_and_builds_it_as_the_migrations_did(pg_ctx):
    migrated = definition(pg_ctx)
    assert migrated is not None and "gin_pending_list_limit='256'" in migrated
    seen: list[str | None] = []

    report = import_watching(pg_ctx, entities_file(5), seen)

    assert report.created == 5
    assert seen == [None, None, None]  # three batches, none of them with the index
    assert definition(pg_ctx) == migrated


def test_an_import_into_a_registry_with_entities_keeps_the_index_throughout(pg_ctx):
    create_entity(pg_ctx)
    migrated = definition(pg_ctx)
    seen: list[str | None] = []

    import_watching(pg_ctx, entities_file(4), seen)

    assert seen == [migrated, migrated]


def test_a_failed_initial_load_still_leaves_the_index(pg_ctx):
    migrated = definition(pg_ctx)

    def fail(_report) -> None:  # type: ignore[no-untyped-def]
        raise RuntimeError("the import stops here")

    with pytest.raises(RuntimeError):
        importer.import_entities(pg_ctx, SYSTEM, entities_file(3), on_batch=fail)

    assert definition(pg_ctx) == migrated


def test_an_import_builds_the_index_a_killed_load_left_missing(pg_ctx):
    create_entity(pg_ctx)
    migrated = definition(pg_ctx)
    with pg_ctx.session_factory.begin() as session:
        session.execute(text(f"DROP INDEX {INDEX}"))
    assert definition(pg_ctx) is None

    report = importer.import_entities(pg_ctx, SYSTEM, io.StringIO(HEADER))

    assert report.rows == 0
    assert definition(pg_ctx) == migrated


def hold_the_index(ctx):  # type: ignore[no-untyped-def]
    """A connection holding the index's lock, as an initial load elsewhere holds it."""
    holder = ctx.engine.connect()
    schema = holder.execute(text("SELECT current_schema()")).scalar()
    holder.execute(text("SELECT pg_advisory_lock(hashtext(:k))"), {"k": f"{schema}.{INDEX}"})
    holder.commit()
    return holder


def test_an_import_leaves_a_missing_index_to_the_initial_load_under_way(pg_ctx):
    create_entity(pg_ctx)
    migrated = definition(pg_ctx)
    with pg_ctx.session_factory.begin() as session:
        session.execute(text(f"DROP INDEX {INDEX}"))
    holder = hold_the_index(pg_ctx)
    try:
        importer.import_entities(pg_ctx, SYSTEM, entities_file(2))
        assert definition(pg_ctx) is None  # not built over a half-loaded registry
    finally:
        holder.close()  # the load ends: its session, and the lock, with it

    importer.import_entities(pg_ctx, SYSTEM, io.StringIO(HEADER))
    assert definition(pg_ctx) == migrated


def test_an_empty_registry_is_not_loaded_without_the_index_while_another_load_holds_it(pg_ctx):
    migrated = definition(pg_ctx)
    seen: list[str | None] = []
    holder = hold_the_index(pg_ctx)
    try:
        report = import_watching(pg_ctx, entities_file(4), seen)
    finally:
        holder.close()

    assert report.created == 4
    assert seen == [migrated, migrated]
    with pg_ctx.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Entity)) == 4

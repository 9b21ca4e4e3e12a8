"""`flask entities import`, `flask records import` and `flask demo seed` through Flask's
CLI runner (both databases): a file with a bad row imports its good rows, counts them and
names the bad one by line and column; the demo seed runs once and spreads its entities over
every district and county and its records over several catalog items."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sqlalchemy import func, select

from credit_service.demo.seed import platforms_file
from credit_service.entities.models import Entity
from credit_service.records.models import CreditRecord
from credit_service.sync.models import OutboxEvent
from tests.factories import LANGXI, create_entity
from tests.integration.test_imports import (
    ENTITY_COLUMNS,
    csv_text,
    dsgs_csv,
    dsgs_row,
    entity_row,
)


def written(tmp_path: Path, name: str, stream) -> Path:  # type: ignore[no-untyped-def]
    """The CSV text saved as a UTF-8 file with a byte-order mark, as spreadsheets save it."""
    path = tmp_path / name
    path.write_text("\ufeff" + stream.getvalue(), encoding="utf-8")
    return path


def invoke(app, *args: str):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=list(args))


def scalar(ctx, query):  # type: ignore[no-untyped-def]
    with ctx.session_factory() as session:
        return session.execute(query).scalar_one()


def test_entities_import_counts_the_rows_and_names_the_bad_line(ctx, app, tmp_path):
    good, other = entity_row(), entity_row(LANGXI)
    bad = entity_row(identifier="91341802MA00000000")  # wrong check character
    path = written(tmp_path, "entities.csv", csv_text(ENTITY_COLUMNS, [good, bad, other]))

    result = invoke(app, "entities", "import", str(path))

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "rows 3: created 2, updated 0, unchanged 0, invalid 1"
    assert lines[1] == "  line 3, identifier: identifier-check-character"
    assert len(lines) == 2
    imported = select(func.count()).select_from(Entity)
    both = [good["identifier"], other["identifier"]]
    assert scalar(ctx, imported.where(Entity.identifier.in_(both))) == 2
    assert scalar(ctx, imported.where(Entity.identifier == bad["identifier"])) == 0

    again = invoke(app, "entities", "import", str(path))
    assert again.stdout.splitlines()[0] == "rows 3: created 0, updated 0, unchanged 2, invalid 1"


def test_records_import_counts_the_rows_and_names_the_bad_line(ctx, app, tmp_path):
    entity = create_entity(ctx)
    rows = [dsgs_row(entity), dsgs_row(entity, CF_SY=""), dsgs_row(entity)]
    path = written(tmp_path, "records.csv", dsgs_csv(rows))

    result = invoke(app, "records", "import", str(path))

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "rows 3: created 2, updated 0, unchanged 0, invalid 1"
    assert lines[1].startswith("  line 3, CF_SY: ")
    assert len(lines) == 2
    filed = select(func.count()).select_from(CreditRecord)
    assert scalar(ctx, filed.where(CreditRecord.entity_id == entity["id"])) == 2
    assert scalar(ctx, filed.where(CreditRecord.source_ref == rows[1]["CF_WSH"])) == 0


def test_demo_seed_runs_once_over_every_district_and_several_items(ctx, app):
    first = invoke(app, "demo", "seed", "--entities", "60", "--seed", "7")
    assert first.exit_code == 0, first.output
    entities = scalar(ctx, select(func.count()).select_from(Entity))
    records = scalar(ctx, select(func.count()).select_from(CreditRecord))
    assert entities == 60 and records > 0
    assert first.stdout.strip() == (
        f"entities: {entities} created, 0 unchanged; "
        f"records: {records} created, 0 unchanged, 0 invalid"
    )

    second = invoke(app, "demo", "seed", "--entities", "60", "--seed", "7")

    assert second.exit_code == 0, second.output
    assert second.stdout.strip() == (
        f"entities: 0 created, {entities} unchanged; "
        f"records: 0 created, {records} unchanged, 0 invalid"
    )
    assert scalar(ctx, select(func.count()).select_from(Entity)) == entities
    assert scalar(ctx, select(func.count()).select_from(CreditRecord)) == records
    with ctx.session_factory() as session:
        regions = set(session.execute(select(Entity.region_code).distinct()).scalars())
        items = set(session.execute(select(CreditRecord.item_code).distinct()).scalars())
    assert {r.code for r in ctx.catalogs.regions} <= regions
    assert len(ctx.catalogs.regions) == 7
    assert len(items) > 1


def test_records_from_the_provincial_platform_are_not_pushed_back(ctx, app, tmp_path, monkeypatch):
    """An initial load of the platform's own records (``--from-platform``) files them as
    the platform's sync actor: no record.filed event waits in the outbox for them, where
    the same rows imported as the office's own wait once each."""
    platforms = tmp_path / "platforms.yaml"
    platforms.write_text(platforms_file(8799, "s" * 24), encoding="utf-8")
    monkeypatch.setattr(ctx, "settings", replace(ctx.settings, sync_platforms_file=platforms))
    entity = create_entity(ctx)
    platform_rows, own_rows = [dsgs_row(entity), dsgs_row(entity)], [dsgs_row(entity)]
    events = select(func.count()).select_from(OutboxEvent)
    before = scalar(ctx, events)

    loaded = invoke(
        app, "records", "import", "--from-platform", "anhui",
        str(written(tmp_path, "province.csv", dsgs_csv(platform_rows))),
    )  # fmt: skip
    assert loaded.exit_code == 0, loaded.output
    assert loaded.stdout.splitlines()[0] == "rows 2: created 2, updated 0, unchanged 0, invalid 0"
    assert scalar(ctx, events) == before
    filed_by = select(CreditRecord.filed_by).where(CreditRecord.entity_id == entity["id"])
    with ctx.session_factory() as session:
        assert set(session.execute(filed_by).scalars()) == {"sync:anhui"}

    own = invoke(app, "records", "import", str(written(tmp_path, "own.csv", dsgs_csv(own_rows))))
    assert own.exit_code == 0, own.output
    assert scalar(ctx, events) == before + 1

    unknown = invoke(
        app, "records", "import", "--from-platform", "nowhere", str(tmp_path / "own.csv")
    )
    assert unknown.exit_code != 0 and "anhui" in unknown.output

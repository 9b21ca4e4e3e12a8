"""Fixtures: both databases, a settable clock, the app, clients and role tokens.

Every database test runs on SQLite, and again on PostgreSQL when TEST_DATABASE_URL is
set. PostgreSQL tests run in a schema of their own that is dropped at the end, and each
test runs inside a transaction that is rolled back (services commit to savepoints), so
nothing is left behind however often the suite runs.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from credit_service.access import SYSTEM
from credit_service.bootstrap import build_context
from credit_service.catalogs import services as catalog_services
from credit_service.catalogs.definitions import CatalogSet
from credit_service.catalogs.loader import load_catalog_set
from credit_service.clock import SHANGHAI, FixedClock
from credit_service.config import PROJECT_ROOT, Settings
from credit_service.context import Context
from credit_service.db import make_engine
from credit_service.health import alembic_config
from credit_service.held_connections import dispose
from credit_service.tiers import services as tier_services
from tests.audit_scan import resident_ids_in_audit

TEST_START = datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)  # a Wednesday
SCHEMA_PREFIX = "cs_test_"
STALE_SCHEMA_SECONDS = 6 * 3600


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--sqlite-only", action="store_true", help="skip PostgreSQL runs")


def database_kinds(config: pytest.Config) -> list[str]:
    kinds = ["sqlite"]
    if os.environ.get("TEST_DATABASE_URL") and not config.getoption("--sqlite-only"):
        kinds.append("postgresql")
    return kinds


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "db_kind" in metafunc.fixturenames:
        metafunc.parametrize("db_kind", database_kinds(metafunc.config), scope="session")


@pytest.fixture(scope="session")
def catalog_set() -> CatalogSet:
    return load_catalog_set(PROJECT_ROOT / "catalogs")


@pytest.fixture(scope="session")
def migrated_url(db_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated to head, holding nothing else; removed at the end."""
    if db_kind == "sqlite":
        path = tmp_path_factory.mktemp("db") / "test.db"
        url = f"sqlite:///{path}"
        _migrate(url)
        yield url
        return
    base = os.environ["TEST_DATABASE_URL"]
    schema = f"{SCHEMA_PREFIX}{int(time.time())}_{secrets.token_hex(3)}"
    admin = make_engine(base)
    with admin.begin() as conn:
        _drop_stale_schemas(conn)
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = with_search_path(base, schema)
    try:
        _migrate(url)
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def with_search_path(url: str, schema: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


def _drop_stale_schemas(conn) -> None:  # type: ignore[no-untyped-def]
    """Schemas left by a run that was killed: older than six hours, by their name."""
    rows = conn.execute(
        text("SELECT nspname FROM pg_namespace WHERE nspname LIKE :prefix"),
        {"prefix": SCHEMA_PREFIX + "%"},
    ).scalars()
    for name in rows:
        started = name[len(SCHEMA_PREFIX) :].split("_")[0]
        if started.isdigit() and time.time() - int(started) > STALE_SCHEMA_SECONDS:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))


def _migrate(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    dispose(engine)


def make_settings(url: str, tmp_path: Path, **overrides: object) -> Settings:
    return Settings(
        database_url=url,
        secret_key="test-secret",
        catalogs_autoload=False,
        data_dir=tmp_path / "data",
        catalogs_dir=PROJECT_ROOT / "catalogs",
        **overrides,
    )


@pytest.fixture(scope="session")
def engine(migrated_url: str, catalog_set: CatalogSet, tmp_path_factory) -> Iterator[Engine]:
    """The session's engine, with the project catalogs registered (committed once)."""
    engine = make_engine(migrated_url)
    settings = make_settings(migrated_url, tmp_path_factory.mktemp("base"))
    ctx = build_context(settings, catalogs=catalog_set)
    catalog_services.register_catalogs(ctx)
    ctx.close()
    yield engine
    dispose(engine)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(TEST_START)


@pytest.fixture
def session_factory(engine: Engine) -> Iterator[sessionmaker]:
    """Sessions joined to an outer transaction that is rolled back after the test."""
    connection = engine.connect()
    outer = connection.begin()
    factory = sessionmaker(
        bind=connection,
        class_=Session,
        expire_on_commit=False,
        join_transaction_mode="create_savepoint",
    )
    yield factory
    try:
        _assert_audit_masked(connection)
    finally:
        outer.rollback()
        connection.close()


def _assert_audit_masked(connection: Connection) -> None:
    """No test leaves a full resident ID in the audit trail (docs/security.md): the rows
    every test wrote, through the API or the services, are scanned before its
    transaction is rolled back, so the whole suite is the workload of this check."""
    try:
        leaks = resident_ids_in_audit(connection)
    except DBAPIError:  # the test left its transaction aborted: there is nothing to read
        return
    assert leaks == [], f"full resident IDs in the audit trail (seq, column, number): {leaks}"


@pytest.fixture
def ctx(
    engine: Engine,
    session_factory: sessionmaker,
    clock: FixedClock,
    catalog_set: CatalogSet,
    tmp_path: Path,
) -> Context:
    settings = make_settings(str(engine.url.render_as_string(hide_password=False)), tmp_path)
    context = build_context(
        settings,
        clock=clock,
        session_factory=session_factory,
        catalogs=catalog_set,
    )
    context.engine = engine
    return context


@pytest.fixture
def app(ctx: Context):  # type: ignore[no-untyped-def]
    from credit_service.web import create_app

    application = create_app(context=ctx)
    application.testing = True
    return application


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def auth(ctx: Context):  # type: ignore[no-untyped-def]
    """auth(role, region=…, uscc=…) -> Authorization header of a fresh user of that role."""
    from tests.factories import bearer_for

    def make(role: str, **kwargs: object) -> dict[str, str]:
        return bearer_for(ctx, role, **kwargs)

    return make


# --- a committed database per test ------------------------------------------------------------


@pytest.fixture
def live_ctx(db_kind: str, catalog_set: CatalogSet, tmp_path: Path) -> Iterator[Context]:
    """A context on a fresh, migrated database whose commits are real (no savepoints).

    The clock is a FixedClock (``live_ctx.clock``) starting at the suite's TEST_START;
    ``live_ctx.settings.database_url`` is the URL a subprocess must use (on PostgreSQL it
    carries the schema's search_path).
    """
    admin, schema = None, None
    if db_kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'live.db'}"
    else:
        base = os.environ["TEST_DATABASE_URL"]
        # The name starts with the time, so conftest's stale-schema cleanup removes the
        # schema of a run that was killed before its teardown.
        schema = f"{SCHEMA_PREFIX}{int(time.time())}_{secrets.token_hex(3)}"
        admin = make_engine(base)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = with_search_path(base, schema)
    context = None
    try:
        _migrate(url)
        settings = make_settings(url, tmp_path, sync_platforms_file=tmp_path / "platforms.yaml")
        context = build_context(settings, clock=FixedClock(TEST_START), catalogs=catalog_set)
        catalog_services.register_catalogs(context)
        tier_services.apply_rule_set(context, SYSTEM)
        yield context
        with context.session_factory() as session:
            _assert_audit_masked(session.connection())
    finally:
        if context is not None:
            context.close()
        if admin is not None:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            admin.dispose()


@pytest.fixture
def edited_rules(ctx, tmp_path):  # type: ignore[no-untyped-def]
    """catalogs/ copied, with tiers.yaml giving D (not C) for an active dishonest record."""
    catalogs = tmp_path / "catalogs"
    shutil.copytree(PROJECT_ROOT / "catalogs", catalogs)
    path = catalogs / "tiers.yaml"
    text = path.read_text(encoding="utf-8")
    old = "  - id: dishonest-record\n    tier: C\n"
    assert old in text
    path.write_text(text.replace(old, "  - id: dishonest-record\n    tier: D\n"), "utf-8")
    ctx.settings = ctx.settings.replace(catalogs_dir=catalogs)
    return path

"""``DB_PARALLEL_WORKERS``: how many parallel workers one query of the service may start
on PostgreSQL, set as each session starts, beside the URL's own libpq options (a
schema's search_path). Unset, the server's setting holds. At 32 concurrent requests on
two cores, a common two-character search planned in parallel took 17-23 ms in the
database against 2.3-3.9 ms without (docs/performance.md, thirteenth session)."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from credit_service.bootstrap import build_context
from credit_service.db import make_engine
from credit_service.held_connections import dispose


@pytest.fixture
def pg_url(db_kind):  # type: ignore[no-untyped-def]
    if db_kind == "sqlite":
        pytest.skip("SQLite plans no parallel queries")
    return os.environ["TEST_DATABASE_URL"]


def shown(engine, name: str) -> str:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return str(connection.execute(text(f"SHOW {name}")).scalar_one())


def test_the_setting_is_each_sessions_beside_the_urls_options(live_ctx, pg_url):
    """The test's URL already holds an option (its schema's search_path): both hold."""
    url = live_ctx.settings.database_url
    assert "options=" in url
    server = int(shown(live_ctx.engine, "max_parallel_workers_per_gather"))
    chosen = make_engine(url, parallel_workers=server + 1)
    try:
        assert shown(chosen, "max_parallel_workers_per_gather") == str(server + 1)
        assert shown(chosen, "search_path") == shown(live_ctx.engine, "search_path")
    finally:
        dispose(chosen)


def test_the_context_sets_it_and_unset_leaves_the_servers(live_ctx, pg_url):
    assert live_ctx.settings.db_parallel_workers is None
    plain = make_engine(pg_url)
    try:
        server = shown(plain, "max_parallel_workers_per_gather")
    finally:
        dispose(plain)
    assert shown(live_ctx.engine, "max_parallel_workers_per_gather") == server
    ctx = build_context(
        live_ctx.settings.replace(db_parallel_workers=0), catalogs=live_ctx.catalogs
    )
    try:
        assert shown(ctx.engine, "max_parallel_workers_per_gather") == "0"
    finally:
        ctx.close()

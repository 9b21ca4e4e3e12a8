"""``DB_PARALLEL_WORKERS``: how many parallel workers one query of the service may start
on PostgreSQL, set as each session starts. None by default: at 32 concurrent requests on
two cores, a common two-character search planned in parallel took 17-23 ms in the
database against 2.3-3.9 ms without (docs/performance.md, thirteenth session)."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from credit_service.db import make_engine
from credit_service.held_connections import dispose


@pytest.fixture
def pg_url(db_kind):  # type: ignore[no-untyped-def]
    if db_kind == "sqlite":
        pytest.skip("SQLite plans no parallel queries")
    return os.environ["TEST_DATABASE_URL"]


def workers_of(engine) -> str:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return str(connection.execute(text("SHOW max_parallel_workers_per_gather")).scalar_one())


def test_the_service_sessions_start_no_parallel_workers(live_ctx, pg_url):
    assert live_ctx.settings.db_parallel_workers == 0
    assert workers_of(live_ctx.engine) == "0"


def test_the_setting_is_each_sessions_and_none_leaves_the_servers(pg_url):
    server = workers_of(admin := make_engine(pg_url))
    chosen = make_engine(pg_url, parallel_workers=int(server) + 1)
    try:
        assert workers_of(chosen) == str(int(server) + 1)
    finally:
        dispose(chosen)
        dispose(admin)

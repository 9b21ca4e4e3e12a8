"""Rate limits hold as configured however many workers serve (issue 14): `make run` served
two gunicorn workers each counting in its own memory, so sign-in allowed 20 tries a
minute against a setting of 10. The counts now live in a table every worker shares (by
default a SQLite file in DATA_DIR; a PostgreSQL database for several hosts).
"""

from __future__ import annotations

import os
import re
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import text

from credit_service.config import Settings
from credit_service.db import make_engine
from credit_service.web import ratelimit_storage
from tests.conftest import SCHEMA_PREFIX, with_search_path
from tests.integration.test_access_log import gunicorn

SIGN_IN_LIMIT = 10  # RATELIMIT_SIGNIN's default: "10 per minute"
WORKER = re.compile(r"^<(\d+)> (\d{3}) POST /sign-in$")


@pytest.fixture
def storage_uri(db_kind, tmp_path):  # type: ignore[no-untyped-def]
    """A storage URI on this run's database kind: a SQLite file, or a PostgreSQL schema."""
    if db_kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'ratelimits.db'}"
        return
    base = os.environ["TEST_DATABASE_URL"]
    schema = f"{SCHEMA_PREFIX}{int(time.time())}_{secrets.token_hex(3)}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield with_search_path(base, schema)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def test_two_workers_on_one_storage_share_the_count(storage_uri):
    """Two storages on one URI stand for two workers: 3 per minute is 3 in all."""
    workers = [FixedWindowRateLimiter(storage_from_string(storage_uri)) for _ in range(2)]
    limit = parse("3 per minute")

    answers = [workers[n % 2].hit(limit, "10.0.0.1") for n in range(5)]

    assert answers == [True, True, True, False, False]
    assert workers[1].hit(limit, "10.0.0.2")  # another client counts apart
    stats = workers[0].get_window_stats(limit, "10.0.0.1")
    assert stats.remaining == 0 and stats.reset_time > time.time()
    assert workers[1].get_window_stats(limit, "10.0.0.1") == stats  # read from the table


def test_a_passed_window_starts_again(storage_uri, monkeypatch):
    storage = storage_from_string(storage_uri)
    clock = [1_000_000.0]
    fake = SimpleNamespace(time=lambda: clock[0], monotonic=time.monotonic)
    monkeypatch.setattr(ratelimit_storage, "time", fake)

    assert [storage.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.get_expiry("k") == 1_000_060.0
    clock[0] += 60
    assert storage.get("k") == 0
    assert storage.incr("k", 60) == 1
    assert storage.get_expiry("k") == 1_000_120.0


def test_concurrent_hits_are_all_counted(storage_uri):
    storages = [storage_from_string(storage_uri) for _ in range(4)]
    storages[0].incr("warm-up", 60)  # the table exists before the race starts

    def hit(storage) -> None:  # type: ignore[no-untyped-def]
        for _ in range(25):
            storage.incr("shared", 60)

    threads = [threading.Thread(target=hit, args=(s,)) for s in storages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert storages[0].get("shared") == 100


def test_the_default_storage_is_a_file_in_the_data_folder(tmp_path):
    settings = Settings(database_url="sqlite://", data_dir=tmp_path / "data")
    assert settings.ratelimit_storage == f"sqlite:///{tmp_path / 'data' / 'ratelimits.db'}"
    assert settings.replace(ratelimit_storage_uri="memory://").ratelimit_storage == "memory://"


def post_sign_in(base: str) -> int:
    request = Request(f"{base}/sign-in", data=b"username=nobody&password=x", method="POST")
    try:
        with urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
            return response.status
    except HTTPError as exc:
        return exc.code


def test_the_sign_in_limit_holds_across_two_gunicorn_workers(live_ctx, tmp_path):
    """`make run`'s serving: two workers, the default storage. Posts go eight at a time,
    three times the limit at least and until both workers have answered some; exactly
    the configured number get through."""
    log = tmp_path / "access.log"
    options = ("--access-logfile", str(log), "--access-logformat", "%(p)s %(s)s %(m)s %(U)s")
    settings = {"LOG_FORMAT": "text"}  # the access log format applies to text lines
    with gunicorn(
        live_ctx.settings.database_url, tmp_path, *options, workers=2, **settings
    ) as base:
        answers: list[int] = []
        with ThreadPoolExecutor(max_workers=8) as pool:
            while len(answers) < 3 * SIGN_IN_LIMIT or (
                len(served_by(log)) < 2 and len(answers) < 12 * SIGN_IN_LIMIT
            ):
                answers += pool.map(post_sign_in, [base] * 8)

    workers = served_by(log)
    assert len(workers) == 2, f"one worker answered every post: {workers}"
    assert sum(code != 429 for code in answers) == SIGN_IN_LIMIT, answers
    assert answers.count(429) == len(answers) - SIGN_IN_LIMIT


def served_by(log) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Sign-in posts answered per worker process, from the access log."""
    counts: dict[str, int] = {}
    for line in log.read_text().splitlines() if log.exists() else ():
        found = WORKER.match(line)
        if found:
            counts[found.group(1)] = counts.get(found.group(1), 0) + 1
    return counts

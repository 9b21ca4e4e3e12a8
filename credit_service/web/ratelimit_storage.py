"""Rate-limit counts in a SQL table, so that every worker that points at it shares them.

flask-limiter's in-process storage (``memory://``) counts per worker: ``make run`` serves
with two gunicorn workers, which let a client sign in twice as often as configured. Its
shared storages need a server (Redis, Memcached, MongoDB) that a fresh machine may not
run. This one keeps the counts in a SQLite file (by default ``ratelimits.db`` in
``DATA_DIR``: every worker of the machine), or in a PostgreSQL database (every host), in a
table of its own that it creates on first use. Each hit is one atomic upsert, so the
limits hold exactly however many workers count.

Registered with ``limits`` for the ``sqlite://`` and ``postgresql://`` schemes; the
fixed-window strategy only (the one the service uses).
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from limits.storage import Storage
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from credit_service.db import make_engine
from credit_service.files import private_dir
from credit_service.held_connections import HeldQuery

CREATE = text(
    "CREATE TABLE IF NOT EXISTS rate_limit_counters ("
    " limit_key VARCHAR(500) PRIMARY KEY,"
    " hits INTEGER NOT NULL,"
    " expires_at FLOAT NOT NULL)"  # seconds since the epoch
)
# One statement, atomic on both databases: a new window, or one more hit in the current.
HIT = (
    "INSERT INTO rate_limit_counters (limit_key, hits, expires_at)"
    " VALUES ({key}, {amount}, {renewed})"
    " ON CONFLICT (limit_key) DO UPDATE SET"
    " hits = CASE WHEN rate_limit_counters.expires_at > {now}"
    "  THEN rate_limit_counters.hits + {amount} ELSE {amount} END,"
    " expires_at = CASE WHEN rate_limit_counters.expires_at > {now}"
    "  THEN rate_limit_counters.expires_at ELSE {renewed} END"
    " RETURNING hits, expires_at"
)
WINDOW = (
    "SELECT hits, expires_at FROM rate_limit_counters"
    " WHERE limit_key = {key} AND expires_at > {now}"
)
PURGE = "DELETE FROM rate_limit_counters WHERE expires_at <= {now} RETURNING 1"
CLEAR = "DELETE FROM rate_limit_counters WHERE limit_key = {key} RETURNING 1"
PLACEHOLDERS = {"sqlite": ":{}", "postgresql": "%({})s"}  # the drivers' parameter styles
PURGE_EVERY_S = 60.0  # passed windows are deleted at most this often per process
FRESH_S = 1.0  # how long a window this thread has just counted answers its reads


@dataclass(frozen=True)
class Statements:
    """The storage's statements, each run on the thread's own connection (HeldQuery:
    tens of microseconds instead of a pooled transaction's hundreds)."""

    hit: HeldQuery
    window: HeldQuery
    purge: HeldQuery
    clear: HeldQuery


class SqlStorage(Storage):
    """A ``limits`` storage on a SQLAlchemy URL (SQLite or PostgreSQL).

    flask-limiter reads a window back right after counting a hit in it (for the
    X-RateLimit headers and Retry-After): the window the hit returned answers those reads,
    so a request costs one statement.
    """

    STORAGE_SCHEME = ["sqlite", "postgresql", "postgresql+psycopg"]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options: float | str | bool):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.uri = uri
        self._statements: Statements | None = None
        self._lock = threading.Lock()
        self._counted = threading.local()  # the window this thread counted last
        self._purged_at = 0.0

    @property
    def base_exceptions(self) -> tuple[type[Exception], ...]:
        return (SQLAlchemyError,)  # HeldQuery raises the driver's errors as SQLAlchemy's

    @property
    def statements(self) -> Statements:
        """Made on first use (in the worker, not in a process that forks it), the table
        created if it is missing."""
        with self._lock:
            if self._statements is None:
                engine = make_engine(_opened(self.uri))
                try:
                    with engine.begin() as connection:
                        connection.execute(CREATE)
                except IntegrityError:  # PostgreSQL: another worker created it just now
                    pass
                self._statements = Statements(
                    *(_held(engine, sql) for sql in (HIT, WINDOW, PURGE, CLEAR))
                )
            return self._statements

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Count ``amount`` hits in the key's window (a new window of ``expiry`` seconds
        when there is none or it has passed) and return the window's count."""
        now = time.time()
        values = {"key": key, "amount": amount, "now": now, "renewed": now + expiry}
        hits, expires_at = self.statements.hit.first(values)  # type: ignore[misc]
        self._counted.window = (key, int(hits), float(expires_at), time.monotonic())
        self._purge_passed(now)
        return int(hits)

    def get(self, key: str) -> int:
        window = self._window(key)
        return window[0] if window else 0

    def get_expiry(self, key: str) -> float:
        window = self._window(key)
        return window[1] if window else time.time()

    def check(self) -> bool:
        try:
            self.get("check")
        except self.base_exceptions:
            return False
        return True

    def reset(self) -> int | None:
        """Delete every window (``limits``' reset); the count is not known here."""
        self._counted.window = None
        self.statements.purge.first({"now": float("inf")})
        return None

    def clear(self, key: str) -> None:
        self._counted.window = None
        self.statements.clear.first({"key": key})

    def _window(self, key: str) -> tuple[int, float] | None:
        """The key's current window (hits, expiry), or None when it has passed: the one
        this thread has just counted, else as stored."""
        counted = getattr(self._counted, "window", None)
        if counted and counted[0] == key and time.monotonic() - counted[3] < FRESH_S:
            return (counted[1], counted[2]) if counted[2] > time.time() else None
        row = self.statements.window.first({"key": key, "now": time.time()})
        return (int(row[0]), float(row[1])) if row else None

    def _purge_passed(self, now: float) -> None:
        """Delete passed windows now and then, so that the table holds the clients of the
        last minutes rather than every client ever seen."""
        if now - self._purged_at >= PURGE_EVERY_S:
            self._purged_at = now
            self.statements.purge.first({"now": now})


def _held(engine: Engine, template: str) -> HeldQuery:
    """``template`` with its {name} placeholders in the engine's driver style."""
    style = PLACEHOLDERS[engine.dialect.name]
    return HeldQuery(engine, re.sub(r"\{(\w+)\}", lambda m: style.format(m.group(1)), template))


def _opened(uri: str) -> str:
    """The URI to open: a SQLite file's folder is made (0700) if missing; on PostgreSQL,
    commits do not wait for the disk (a count or two lost in a crash does no harm; waiting
    on every hit would, a few milliseconds each)."""
    url = make_url(uri)
    if url.get_backend_name() == "sqlite" and url.database:
        private_dir(Path(url.database).parent)
    if url.get_backend_name() != "postgresql":
        return uri
    options = " ".join(filter(None, (url.query.get("options"), "-c synchronous_commit=off")))
    return url.update_query_dict({"options": options}).render_as_string(hide_password=False)

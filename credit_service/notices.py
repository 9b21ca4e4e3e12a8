"""Change notices from PostgreSQL (LISTEN/NOTIFY): which hot data changed since a worker
last read it.

Three reads run on every request of their kind although their data changes a few times
a day: the public list's version (every answer and every 304), the token behind a
bearer header (every API call) and the marks 异议处理中 (every credit check of an entity
with records). Each was a database round trip, a third of such a request's cost. On
PostgreSQL, triggers (migrations ``a6c1e0d2b7f3``, ``e5a7c9b1d3f6``) send a notice on
``CHANNEL`` from the transaction that changes that data (the list's change feed; tokens
and users; objections); PostgreSQL delivers it when the transaction commits. Each worker process
keeps one listening connection and, before it uses a value it keeps, drains what has
arrived: one non-blocking read of the socket, no round trip.

A topic's generation moves on each of its notices, and every topic's moves when the
listener (re)connects (notices sent while it was away are lost), so a kept value is used
only while the generation it was read under is current. When notices cannot be
received (the setting ``CHANGE_NOTICES`` off, the listener down) ``generation`` answers
None and callers read the database every time, as they would without this. SQLite has no
notices: there triggers count the changes of tokens and users (``SqliteGenerations``). The
listener has TCP keepalives (a connection cut silently fails within seconds instead of
looking healthy while no notice comes) and is replaced every ``LISTENER_MAX_AGE_S``.

Delivery takes a fraction of a millisecond after the commit: a request another worker
answers inside that window may still use the value from before, as it would had it
arrived a moment earlier. The worker that wrote the change does not wait for its own
notice: a session of its context that wrote to a table of ``ANNOUNCED_TABLES`` moves
that topic's generation when it commits (``ChangeNotices.follow``), so the next read in
that worker (the regulator's own next page) sees the change.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from itertools import chain
from typing import Any

import psycopg
from sqlalchemy import Connection, event
from sqlalchemy.orm import Session, sessionmaker

from credit_service.context import Context
from credit_service.db import is_sqlite
from credit_service.held_connections import HeldQuery

logger = logging.getLogger(__name__)

CHANNEL = "credit_service_changes"
TOPICS = ("list", "auth", "marks")
# The tables whose triggers announce a topic (migrations a6c1e0d2b7f3, b7e2c4d9a1f0,
# e5a7c9b1d3f6): a write to one through the ORM moves the topic in the writing worker at
# its commit. Any write counts, not only of the triggers' columns: an extra move costs
# one re-read.
ANNOUNCED_TABLES = {
    "dishonesty_list_changes": "list",
    "api_tokens": "auth",
    "users": "auth",
    "objections": "marks",
}
WRITTEN_TOPICS = "notices_written_topics"  # the key in a session's ``info``
RECONNECT_AFTER_S = 1.0  # a listener that failed is tried again at most this often
LISTENER_MAX_AGE_S = 1800.0  # replaced as the pool's connections are (and all kept reads)
# A listener only receives, so a connection cut silently (a NAT or firewall dropping it)
# would show no error and keep stale values: TCP keepalives make the socket fail within
# about 11 s of the peer going silent, and the drain then raises.
LISTENER_CONNECT_ARGS = {
    "connect_timeout": 5,
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
    "tcp_user_timeout": 11_000,
}


class ChangeNotices:
    """One listening connection per process, and a generation per topic."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._connection: Any = None
        self._pid = 0
        self._retry_at = self._opened_at = 0.0
        self._generations = dict.fromkeys(TOPICS, 0)
        # the moves of this process's own commits, counted apart (``_moved_by``) so that
        # a commit never waits for the lock a reconnecting listener holds
        self._own_moves = dict.fromkeys(TOPICS, 0)
        self._own_lock = threading.Lock()

    def generation(self, topic: str) -> int | None:
        """The topic's generation now, or None when notices are not being received (the
        caller must then read the database)."""
        with self._lock:
            if not self._listening():
                return None
            try:
                self._drain()
            except Exception:  # a lost connection: read the database until it is back
                logger.warning("change notices: listener lost; reconnecting", exc_info=True)
                self._close()
                return None
            return self._generations[topic] + self._own_moves[topic]

    def close(self) -> None:
        with self._lock:
            self._close()

    def follow(self, factory: sessionmaker[Session]) -> None:
        """Move a topic when a session of ``factory`` that wrote to one of its tables
        commits: the writing worker need not wait for the notice of its own change.
        Called as the context is built (``follow_commits``), before any thread commits:
        adding a listener while another thread runs the same event would fail it."""
        event.listen(factory, "after_flush", _note_written_topics)
        event.listen(factory, "after_commit", self._moved_by)
        event.listen(factory, "after_transaction_end", _forget_written_topics)

    def _moved_by(self, session: Session) -> None:
        topics = session.info.get(WRITTEN_TOPICS, ())
        if topics:
            with self._own_lock:
                for topic in topics:
                    self._own_moves[topic] += 1

    def _listening(self) -> bool:
        if self._pid != os.getpid():  # a forked child: the parent's socket is not ours
            self._connection, self._pid = None, os.getpid()
        if self._connection is not None:
            if time.monotonic() - self._opened_at < LISTENER_MAX_AGE_S:
                return True
            self._close(retry_after=0.0)
        if time.monotonic() < self._retry_at:
            return False
        try:
            args, kwargs = self.engine.dialect.create_connect_args(self.engine.url)
            connection = psycopg.connect(*args, **kwargs, **LISTENER_CONNECT_ARGS, autocommit=True)
            connection.execute(f"LISTEN {CHANNEL}")
        except Exception:
            logger.warning("change notices: cannot listen; reading the database", exc_info=True)
            self._retry_at = time.monotonic() + RECONNECT_AFTER_S
            return False
        self._connection, self._opened_at = connection, time.monotonic()
        for topic in self._generations:  # whatever was sent while away is lost
            self._generations[topic] += 1
        return True

    def _drain(self) -> None:
        pgconn = self._connection.pgconn
        pgconn.consume_input()  # raises when the server has gone
        while (notice := pgconn.notifies()) is not None:
            topic = notice.extra.decode()
            if topic in self._generations:
                self._generations[topic] += 1

    def _close(self, retry_after: float | None = None) -> None:
        connection, self._connection = self._connection, None
        wait = RECONNECT_AFTER_S if retry_after is None else retry_after
        self._retry_at = time.monotonic() + wait
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()


def _note_written_topics(session: Session, _flush_context: Any) -> None:
    written = chain(session.new, session.dirty, session.deleted)
    topics = {ANNOUNCED_TABLES.get(getattr(row, "__tablename__", "")) for row in written}
    topics.discard(None)
    if topics:  # most flushes touch no announced table: leave the session's info alone
        session.info.setdefault(WRITTEN_TOPICS, set()).update(topics)


def _forget_written_topics(session: Session, transaction: Any) -> None:
    """Forget the topics when the outermost transaction ends, after ``after_commit``
    (committed or not): every follower of the factory has read them by then."""
    if transaction.parent is None:
        session.info.pop(WRITTEN_TOPICS, None)


class SqliteGenerations:
    """SQLite's stand-in for the listener: triggers count each change of tokens and users
    in ``change_generations`` (migration ``b5d7f9a1c3e5``), and the count is the topic's
    generation. Reading it is one primary-key lookup on the thread's connection
    (``HeldQuery``, a few µs), where the token's row is a join through SQLAlchemy; and
    it is read on every use, so a revoked token is refused by the next request, as with
    notices. Topics without a counter (the list's: its newest change is as cheap to
    read) answer None."""

    def __init__(self, engine: Any) -> None:
        self._probe = HeldQuery(
            engine, "SELECT generation FROM change_generations WHERE topic = :topic"
        )

    def generation(self, topic: str) -> int | None:
        try:
            row = self._probe.first({"topic": topic})
        except Exception:  # no counter readable: read the database, as without one
            logger.warning("change generations: cannot read; reading the database", exc_info=True)
            return None
        return None if row is None else int(row[0])

    def close(self) -> None:
        """Nothing to close: the probe reads on the thread's own connection."""


def follow_commits(ctx: Context) -> None:
    """Let ``ctx``'s own commits move its topics (``ChangeNotices.follow``); the
    composition calls this once, as it builds the context."""
    notices = change_notices(ctx)
    if isinstance(notices, ChangeNotices):
        notices.follow(ctx.session_factory)


def change_notices(ctx: Context) -> ChangeNotices | SqliteGenerations | None:
    """The process's source of generations for ``ctx``'s database: PostgreSQL's listener,
    SQLite's counters, or None with ``CHANGE_NOTICES`` off or in a test's single shared
    transaction (whose writes never commit, so they would never be announced)."""
    notices = ctx.extras.get("change_notices")
    if notices is None:  # decided once per context: this runs on every request
        bind = ctx.session_factory.kw["bind"]
        usable = ctx.settings.change_notices and not isinstance(bind, Connection)
        source = (SqliteGenerations if is_sqlite(bind) else ChangeNotices) if usable else None
        notices = ctx.extras.setdefault("change_notices", source and source(bind))
    return notices or None

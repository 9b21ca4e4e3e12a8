"""The read replica: which database answers a public read that may lag, and how stale
that answer may be.

Public reads (the lists, their feeds and downloads, the inspection results) may come from
a PostgreSQL streaming replica (``DATABASE_REPLICA_URL``) to take load off the primary,
but never from one that is more than ``REPLICA_MAX_LAG_SECONDS`` behind: a removal from
the severe-dishonesty list must leave every public answer within a stated time. Each
worker process measures the replica's lag at most every ``REPLICA_CHECK_SECONDS`` and
uses its last measurement in between, adding the time since it was taken (a replica that
stopped replaying falls behind by that much). A replica that cannot be reached, that is
no replica (not in recovery), or whose lag is unknown or too great is not used: the
primary answers.

How the lag is measured. ``now() - pg_last_xact_replay_timestamp()`` alone misleads: it
grows while the primary is idle, though the replica then lacks nothing. So the router
reads the primary's position in the WAL (``pg_current_wal_lsn()``) and then the
replica's replayed position (``pg_last_wal_replay_lsn()``). A replica that has replayed
up to where the primary was when asked lacks nothing committed before that moment.
Otherwise the newest of the router's recent readings of the primary that the replica has
replayed says the same for the moment of that reading. The replay timestamp is an upper
bound too (what the replica lacks was committed after the last transaction it
replayed). The lag is the least of these bounds, each an upper bound of how stale the
replica's answer is.

Within a web request the choice is made once, at the request's first read that may lag,
and kept (``begin_request``), so that one answer never mixes the two databases and the
response can say which one answered (``X-Read-Source``); a request whose replica read
fails is run once more on the primary (``failed_over``, the web layer). Times here are
measured on the monotonic clock, not the context's clock: they are about the database's
replication, not the office's calendar.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy import Engine, exc
from sqlalchemy.orm import sessionmaker

logger = logging.getLogger(__name__)

REPLICA, PRIMARY = "replica", "primary"
CONNECT_TIMEOUT_S = 2  # a replica that does not answer must not hold public reads long
CHECK_TIMEOUT = "2s"
REREAD_AFTER_S = 0.005
PRIMARY_POSITION = "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn"
REPLICA_POSITION = (
    "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() - '0/0'::pg_lsn, "
    "extract(epoch FROM now() - pg_last_xact_replay_timestamp())"
)


@dataclass(frozen=True)
class ReplicaReading:
    """What the replica says of itself: in recovery (a replica at all), the WAL position
    it has replayed to, and seconds since the commit of the last transaction it replayed
    (None until it has replayed one)."""

    in_recovery: bool
    replay_lsn: int | None
    replay_age_s: float | None


@dataclass(frozen=True)
class Lag:
    """A measurement: when it was taken (monotonic seconds) and the bound it found on
    the replica's staleness (None: the replica may not be used)."""

    at: float
    seconds: float | None


class _Pin:
    """The source one request chose (None until its first read that may lag)."""

    source: str | None = None


class ReplicaRouter:
    """Chooses the replica or the primary for reads that may lag, by measured lag."""

    def __init__(
        self,
        replica: sessionmaker,
        primary: sessionmaker,
        *,
        max_lag_s: float,
        check_every_s: float,
        read_primary: Callable[[], int] | None = None,
        read_replica: Callable[[], ReplicaReading] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        pause: Callable[[float], None] = time.sleep,
    ) -> None:
        self.replica, self.primary = replica, primary
        self.max_lag_s, self.check_every_s = max_lag_s, check_every_s
        self._read_primary = read_primary or (lambda: primary_position(primary.kw["bind"]))
        self._read_replica = read_replica or (lambda: replica_position(replica.kw["bind"]))
        self._monotonic, self._pause = monotonic, pause
        self.reread_after_s = REREAD_AFTER_S
        self._problem: str | None = None
        self._lag: Lag | None = None
        self._lock = threading.Lock()
        # (when, primary position): the readings a lagging replica's position is found in
        self._history: deque[tuple[float, int]] = deque(maxlen=1024)
        self._pin: ContextVar[_Pin | None] = ContextVar(f"replica_pin_{id(self)}", default=None)
        self._last_source: str | None = None

    @property
    def lag(self) -> Lag | None:
        """The last measurement (None before the first)."""
        return self._lag

    def begin_request(self) -> None:
        """Start a request: its first read that may lag chooses, its later ones follow."""
        self._pin.set(_Pin())

    def source(self) -> str | None:
        """What the current request's reads that may lag came from (None: it made none)."""
        pin = self._pin.get()
        return pin.source if pin is not None else None

    def choose(self) -> sessionmaker:
        """The session factory for a read that may lag (the request's, once chosen)."""
        pin = self._pin.get()
        source = pin.source if pin is not None else None
        if source is None:
            self._check_if_due()
            source = REPLICA if self.usable() else PRIMARY
            if pin is not None:
                pin.source = source
            self._note(source)
        return self.replica if source == REPLICA else self.primary

    def usable(self) -> bool:
        """The replica is known to lag no more than the bound, now: its last measured
        lag plus the time since."""
        lag = self._lag
        if lag is None or lag.seconds is None:
            return False
        return lag.seconds + (self._monotonic() - lag.at) <= self.max_lag_s

    def failed_over(self, error: BaseException) -> bool:
        """After ``error`` ended a request: if its reads went to the replica and this is
        a connection's failure (or a read cancelled by replay), the replica is not used
        until the next check and the request's reads go to the primary. True when the
        request should be run once more."""
        pin = self._pin.get()
        if pin is None or pin.source != REPLICA or not self._is_read_failure(error):
            return False
        self._unusable(f"failed a read ({type(error).__name__})")
        self._lag = Lag(self._monotonic(), None)
        pin.source = PRIMARY
        self._note(PRIMARY)
        return True

    def measure(self) -> Lag:
        """Measure the lag now (whatever the last measurement's age). The primary's
        position is kept even when the replica cannot be read, so that a replica back
        from a stop finds the readings it has replayed. A replica that seems behind
        beyond the bound is read once more a moment later: WAL the primary has just
        written (a checkpoint record while idle) is a few milliseconds from replayed, and
        the first measurement has no earlier reading to go by."""
        started = self._monotonic()
        try:
            self._history.append((started, self._read_primary()))
            lag = self._bound(self._read_replica(), started)
            if lag is None or lag > self.max_lag_s:
                self._pause(self.reread_after_s)
                lag = self._bound(self._read_replica(), started)
        except exc.SQLAlchemyError as error:
            lag = self._unusable(f"cannot be read ({type(error).__name__})")
        now = self._monotonic()
        horizon = now - (self.max_lag_s + self.check_every_s)
        while self._history and self._history[0][0] < horizon:
            self._history.popleft()
        self._lag = Lag(now, lag)
        return self._lag

    def _bound(self, reading: ReplicaReading, started: float) -> float | None:
        """The least upper bound on the replica's staleness that ``reading`` gives (None:
        not a replica, or no bound known)."""
        if not reading.in_recovery or reading.replay_lsn is None:
            return self._unusable("is not a replica in recovery")
        now = self._monotonic()
        bounds = [now - at for at, position in self._history if position <= reading.replay_lsn]
        if reading.replay_age_s is not None:  # as of the replica's reading, before now
            bounds.append(max(reading.replay_age_s, 0.0) + (now - started))
        self._problem = None
        return min(bounds, default=None)

    def _unusable(self, problem: str) -> None:
        """Say once (not at every check) why the replica is not used; its lag is then
        unknown (None)."""
        if problem != self._problem:
            self._problem = problem
            logger.warning("DATABASE_REPLICA_URL %s: public reads go to the primary", problem)

    def _check_if_due(self) -> None:
        """Measure when the last measurement is older than the check interval; one
        thread measures while the others go on with the last one."""
        lag = self._lag
        if lag is not None and self._monotonic() - lag.at < self.check_every_s:
            return
        if self._lock.acquire(blocking=False):
            try:
                lag = self._lag
                if lag is None or self._monotonic() - lag.at >= self.check_every_s:
                    self.measure()
            finally:
                self._lock.release()

    def _note(self, source: str) -> None:
        """Log when this process's public reads change database (not every read)."""
        if source != self._last_source:
            self._last_source = source
            lag = self._lag
            seconds = None if lag is None or lag.seconds is None else round(lag.seconds, 3)
            logger.info("public reads now from the %s (replica lag %s s)", source, seconds)

    def _is_read_failure(self, error: BaseException) -> bool:
        """Whether ``error`` is the database's failing, not the statement's: every read
        raises SQLAlchemy's errors, the held ones too (``ThreadConnections.run``)."""
        return isinstance(error, exc.OperationalError | exc.InterfaceError)


def primary_position(engine: Engine) -> int:
    """The primary's WAL write position, in bytes."""
    with engine.connect() as connection:
        return int(connection.exec_driver_sql(PRIMARY_POSITION).scalar_one())


def replica_position(engine: Engine) -> ReplicaReading:
    """The replica's recovery state, replayed position and replay age, read under a
    short statement timeout (a replica that hangs is a replica that is down)."""
    with engine.connect() as connection:
        connection.exec_driver_sql(f"SET LOCAL statement_timeout = '{CHECK_TIMEOUT}'")
        in_recovery, position, age = connection.exec_driver_sql(REPLICA_POSITION).one()
    return ReplicaReading(
        bool(in_recovery),
        None if position is None else int(position),
        None if age is None else float(age),
    )

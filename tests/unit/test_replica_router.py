"""The replica router's choice, on a fake replica and a fake clock: the lag it measures
from WAL positions and replay times, when it measures, and what a request keeps.

The real replica (a second PostgreSQL cluster) is in tests/integration/test_read_replica.py.
"""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import sessionmaker

from credit_service.replica import PRIMARY, REPLICA, ReplicaReading, ReplicaRouter


class FakeReplication:
    """The primary's WAL position, the replica's state and a monotonic clock, all set by
    the test; counts the measurements."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.primary = 100
        self.replica: ReplicaReading | Exception = ReplicaReading(True, 100, None)
        self.next_read: ReplicaReading | None = None  # what the replica says the time after
        self.reads = 0
        self.pauses: list[float] = []

    def read_primary(self) -> int:
        return self.primary

    def read_replica(self) -> ReplicaReading:
        self.reads += 1
        reading = self.replica
        if self.next_read is not None:
            self.replica, self.next_read = self.next_read, None
        if isinstance(reading, Exception):
            raise reading
        return reading

    def replay(self, position: int, age: float | None = None) -> None:
        self.replica = ReplicaReading(True, position, age)


@pytest.fixture
def fake() -> FakeReplication:
    return FakeReplication()


@pytest.fixture
def router(fake: FakeReplication) -> ReplicaRouter:
    return ReplicaRouter(
        sessionmaker(bind=create_engine("sqlite://")),
        sessionmaker(bind=create_engine("sqlite://")),
        max_lag_s=5,
        check_every_s=1,
        read_primary=fake.read_primary,
        read_replica=fake.read_replica,
        monotonic=lambda: fake.now,
        pause=fake.pauses.append,
    )


def source(router: ReplicaRouter) -> str:
    return REPLICA if router.choose() is router.replica else PRIMARY


def test_an_idle_primary_does_not_make_a_caught_up_replica_lag(router, fake):
    fake.replay(100, age=3600.0)  # nothing committed for an hour: the replay time is old
    assert source(router) == REPLICA
    assert router.lag.seconds == 0.0


def test_a_replica_behind_lags_since_the_last_reading_it_has_replayed(router, fake):
    assert source(router) == REPLICA  # t=1000: primary at 100, replica at 100
    fake.now, fake.primary = 1001.5, 200
    assert source(router) == REPLICA
    assert router.lag.seconds == 1.5  # it lacks nothing committed before t=1000
    fake.now, fake.primary = 1005.5, 300
    assert source(router) == PRIMARY  # 5.5 s since the last reading it has replayed
    fake.now = 1006.5
    fake.replay(200)
    assert source(router) == REPLICA  # it has replayed t=1001.5's position: 5 s, the bound
    assert router.lag.seconds == 5.0
    fake.now = 1007.0
    assert source(router) == PRIMARY  # 5 s then, 5.5 s now
    fake.now = 1007.5
    fake.replay(300)
    assert source(router) == REPLICA
    assert router.lag.seconds == 0.0  # where the primary is now: nothing lacking


def test_a_replica_a_moment_behind_with_no_reading_to_go_by_is_read_once_more(router, fake):
    fake.primary = 200  # a checkpoint record, on its way to a replica idle for an hour
    fake.replay(100, age=3600.0)
    fake.next_read = ReplicaReading(True, 200, 3600.0)
    assert source(router) == REPLICA
    assert (fake.reads, len(fake.pauses), router.lag.seconds) == (2, 1, 0.0)
    fake.now += 1
    assert source(router) == REPLICA  # within the bound at the first read: read once
    assert (fake.reads, len(fake.pauses)) == (3, 1)


def test_the_replay_time_bounds_the_lag_when_no_reading_is_replayed(router, fake):
    fake.primary = 500
    fake.replay(400, age=0.5)
    assert source(router) == REPLICA
    assert router.lag.seconds == 0.5
    fake.now += 1
    fake.replay(450, age=None)  # no transaction replayed: no bound but the readings
    assert source(router) == PRIMARY
    assert router.lag.seconds is None


@pytest.mark.parametrize(
    "state",
    [
        ReplicaReading(False, None, None),  # promoted, or the primary itself
        OperationalError("SELECT 1", {}, sqlite3.OperationalError("connection refused")),
    ],
)
def test_a_replica_down_or_not_in_recovery_is_not_used_until_a_check_finds_it_back(
    router, fake, state
):
    fake.replica = state
    assert source(router) == PRIMARY
    assert router.lag.seconds is None
    fake.replay(100)
    fake.now += 0.5
    assert source(router) == PRIMARY  # not checked again within the interval
    fake.now += 0.5
    assert source(router) == REPLICA


def test_between_checks_the_lag_grows_with_the_time_since_the_last(router, fake):
    fake.primary = 500
    fake.replay(400, age=4.5)
    assert source(router) == REPLICA
    reads = fake.reads
    fake.now += 0.4
    assert source(router) == REPLICA  # 4.9 s: still within 5
    fake.now += 0.2
    assert source(router) == PRIMARY  # 5.1 s, and no new measurement yet
    assert fake.reads == reads
    fake.now += 0.4
    fake.replay(500, age=4.0)
    assert source(router) == REPLICA  # measured again: caught up
    assert fake.reads == reads + 1


def test_a_request_keeps_its_choice_and_the_next_one_chooses_again(router, fake):
    router.begin_request()
    assert router.source() is None
    assert source(router) == REPLICA
    fake.now, fake.primary = 1010.0, 900  # the replica falls far behind mid-request
    assert source(router) == REPLICA
    assert router.source() == REPLICA
    router.begin_request()
    assert source(router) == PRIMARY
    assert router.source() == PRIMARY


def test_a_connection_failure_on_the_replica_moves_the_request_to_the_primary(router, fake):
    router.begin_request()
    assert source(router) == REPLICA
    assert not router.failed_over(ValueError("not a database error"))
    lost = OperationalError("SELECT 1", {}, sqlite3.OperationalError("server closed"))
    assert router.failed_over(lost)
    assert router.source() == PRIMARY
    assert not router.failed_over(lost)  # once: the primary's own failure is an error
    router.begin_request()
    assert source(router) == PRIMARY  # not used until the next check
    fake.now += 1
    router.begin_request()
    assert source(router) == REPLICA

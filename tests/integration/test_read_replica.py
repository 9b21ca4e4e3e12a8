"""A real read replica: a second PostgreSQL cluster of this machine streaming from the
first (``.ci/replica-cluster``), behind ``DATABASE_REPLICA_URL``.

Public reads go to it; a removal from the list reaches it within the measured lag; and
when it is down or lags past ``REPLICA_MAX_LAG_SECONDS`` (its replay paused) the primary
answers, never the stale replica. Each response says which database answered
(``X-Read-Source``). Run with ``-s`` to see the lags measured (docs/replica.md).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import text

from credit_service.access import SYSTEM
from credit_service.bootstrap import build_context
from credit_service.catalogs import services as catalog_services
from credit_service.clock import FixedClock
from credit_service.dishonesty import services as dishonesty
from credit_service.replica import PRIMARY, REPLICA
from credit_service.tiers import services as tier_services
from credit_service.web import create_app
from credit_service.web.read_source import HEADER
from tests import replica_cluster
from tests.conftest import TEST_START, make_settings
from tests.factories import LISTING_REGULATOR, XUANZHOU, bearer_for, listed_on

UNAVAILABLE = replica_cluster.unavailable()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(UNAVAILABLE is not None, reason=f"no replica: {UNAVAILABLE}"),
]
MAX_LAG, CHECK = 2.0, 0.2  # REPLICA_MAX_LAG_SECONDS, REPLICA_CHECK_SECONDS
ENTRY = "/api/v1/public/dishonesty-list/{}"


@pytest.fixture(scope="module")
def replica(request) -> Iterator[replica_cluster.ReplicaCluster]:  # type: ignore[no-untyped-def]
    if request.config.getoption("--sqlite-only"):
        pytest.skip("--sqlite-only: no PostgreSQL, so no replica")
    with replica_cluster.replica_cluster() as cluster:
        yield cluster


@pytest.fixture
def service(replica, schema_url, catalog_set, tmp_path):  # type: ignore[no-untyped-def]
    """service(check_seconds=CHECK, max_lag=MAX_LAG) -> (context, client): the service on a
    fresh schema of the primary, with the replica; several share the database, as workers
    do."""
    made = []

    def make(check_seconds: float = CHECK, max_lag: float = MAX_LAG):  # type: ignore
        settings = make_settings(
            schema_url,
            tmp_path,
            database_replica_url=replica.url(schema_url),
            replica_max_lag_seconds=max_lag,
            replica_check_seconds=check_seconds,
            ratelimit_public="100000 per minute",
        )
        ctx = build_context(settings, clock=FixedClock(TEST_START), catalogs=catalog_set)
        if not made:
            catalog_services.register_catalogs(ctx)
            tier_services.apply_rule_set(ctx, SYSTEM)
        made.append(ctx)
        app = create_app(context=ctx)
        app.testing = True
        return ctx, app.test_client()

    yield make
    for ctx in made:
        ctx.close()


@pytest.fixture
def schema_url(replica) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with replica_cluster.fresh_schema() as url:
        yield url


def listed(ctx, name: str) -> dict:  # type: ignore[no-untyped-def]
    return listed_on(ctx, name, XUANZHOU, date(2026, 11, 2))[1]


def remove(ctx, case_id: int) -> float:  # type: ignore[no-untyped-def]
    """Remove an entry (corrected); the monotonic time its commit returned."""
    dishonesty.advance(
        ctx,
        LISTING_REGULATOR,
        case_id,
        "remove",
        reason="主体认定有误，予以更正",
        removal_reason="corrected",
    )
    return time.monotonic()


def entry(client, case_id: int) -> tuple[str, str | None]:  # type: ignore[no-untyped-def]
    """The public status of an entry, and the database that answered."""
    response = client.get(ENTRY.format(case_id))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json["status"], response.headers.get(HEADER)


def answered_by_replica(client, case_id: int, status: str) -> None:  # type: ignore
    """Wait until the replica answers (a worker's first measurement, or its first after
    the replica came back, may find it a moment behind: the next one, CHECK later, uses
    it)."""
    deadline = time.monotonic() + MAX_LAG
    while (answer := entry(client, case_id)) != (status, REPLICA):
        assert time.monotonic() < deadline, f"still {answer} after {MAX_LAG} s"
        time.sleep(CHECK / 2)


def test_public_reads_go_to_the_replica_and_no_other_read_says_so(service, replica, schema_url):
    ctx, client = service()
    case = listed(ctx, "宣城副本读取科技有限公司")
    replica.wait_caught_up(schema_url)
    answered_by_replica(client, case["id"], "listed")
    uscc = client.get(ENTRY.format(case["id"])).json["uscc"]
    public = [
        ENTRY.format(case["id"]),
        f"/api/v1/public/dishonesty-list?uscc={uscc}",
        "/api/v1/public/dishonesty-list/changes",
        "/api/v1/public/dishonesty-list/notices",
        "/api/v1/public/dishonesty-list/export.csv",
        "/api/v1/public/trustworthy-list/export.csv",  # streamed: chosen before it streams
        "/api/v1/public/inspection-results",
        "/list",
        f"/list/{case['id']}",
    ]
    for path in public:
        response = client.get(path)
        assert response.status_code == 200, path
        response.get_data()  # the streamed ones read as they are sent
        assert response.headers.get(HEADER) == REPLICA, path
    etag = client.get(ENTRY.format(case["id"])).headers["ETag"]
    fresh = client.get(ENTRY.format(case["id"]), headers={"If-None-Match": etag})
    assert (fresh.status_code, fresh.headers.get(HEADER)) == (304, REPLICA)

    regulator = bearer_for(ctx, "regulator")
    own = client.get(f"/api/v1/dishonesty-cases/{case['id']}", headers=regulator)
    assert own.status_code == 200
    assert HEADER not in own.headers  # the console reads the primary, and says nothing


def test_a_removal_reaches_the_replica_within_the_measured_lag(service, replica, schema_url):
    ctx, client = service()
    cases = [listed(ctx, f"宣城副本延迟{n}号科技有限公司") for n in range(8)]
    replica.wait_caught_up(schema_url)
    for case in cases:
        answered_by_replica(client, case["id"], "listed")

    lags, measured = [], []
    watcher = replica_cluster.admin_engine(replica.url(schema_url))
    try:
        with watcher.connect().execution_options(isolation_level="AUTOCOMMIT") as watching:
            state = text("SELECT state FROM dishonesty_cases WHERE id = :id")
            for case in cases:
                committed = remove(ctx, case["id"])
                while watching.execute(state, {"id": case["id"]}).scalar() != "removed":
                    assert time.monotonic() - committed < MAX_LAG, "not on the replica in time"
                    time.sleep(0.0005)
                lags.append(time.monotonic() - committed)
                assert entry(client, case["id"]) == ("removed", REPLICA)
                measured.append(ctx.replica.lag.seconds)
    finally:
        watcher.dispose()

    assert max(lags) <= MAX_LAG
    assert all(m is not None and m <= MAX_LAG for m in measured)
    print(
        f"\nremoval visible on the replica after its commit returned, over {len(lags)}: "
        f"median {statistics.median(lags) * 1000:.1f} ms, max {max(lags) * 1000:.1f} ms; "
        f"the service's lag bound then: median {statistics.median(measured) * 1000:.1f} ms, "
        f"max {max(measured) * 1000:.1f} ms"
    )


def test_a_replica_lagging_past_the_bound_is_not_used(service, replica, schema_url):
    ctx, client = service()
    case = listed(ctx, "宣城副本暂停科技有限公司")
    replica.wait_caught_up(schema_url)
    answered_by_replica(client, case["id"], "listed")

    replica.sql("SELECT pg_wal_replay_pause()", schema_url)
    try:
        committed = remove(ctx, case["id"])
        answers = []
        while (elapsed := time.monotonic() - committed) < MAX_LAG + 1.0:
            answers.append((elapsed, *entry(client, case["id"])))
            time.sleep(0.05)
        stale_there = replica.sql(
            f"SELECT state FROM dishonesty_cases WHERE id = {int(case['id'])}", schema_url
        )
    finally:
        replica.sql("SELECT pg_wal_replay_resume()", schema_url)

    assert stale_there == "published"  # the replica still lacks the removal
    stale = [(e, source) for e, status, source in answers if status == "listed"]
    assert stale, "the replica was never asked: the test shows nothing"
    assert {source for _, source in stale} == {REPLICA}
    assert max(e for e, _ in stale) <= MAX_LAG  # never staler than the bound
    after = [(status, source) for e, status, source in answers if e > MAX_LAG]
    assert after and set(after) == {("removed", PRIMARY)}
    print(
        f"\nreplay paused: the replica answered (stale) for {max(e for e, _ in stale):.2f} s "
        f"after the removal, the primary from then on (bound {MAX_LAG} s)"
    )

    replica.wait_caught_up(schema_url)
    answered_by_replica(client, case["id"], "removed")


def test_a_replica_that_is_down_leaves_the_answers_to_the_primary(service, replica, schema_url):
    # measures once a minute (and trusts that for two): finds the replica down by reading
    trusting, trusting_client = service(check_seconds=60, max_lag=120)
    ctx, client = service()
    case = listed(ctx, "宣城副本停机科技有限公司")
    replica.wait_caught_up(schema_url)
    answered_by_replica(client, case["id"], "listed")
    for _ in range(3):  # its one measurement for the test: within the bound
        if trusting.replica.measure().seconds is not None:
            break
        time.sleep(CHECK)
    assert entry(trusting_client, case["id"]) == ("listed", REPLICA)

    remove(ctx, case["id"])
    replica.stop()
    try:
        # its last check found the replica well: the read fails there and is run again
        assert entry(trusting_client, case["id"]) == ("removed", PRIMARY)
        assert trusting.replica.lag.seconds is None  # not used until its next check
        assert entry(trusting_client, case["id"]) == ("removed", PRIMARY)
        time.sleep(CHECK)
        assert entry(client, case["id"]) == ("removed", PRIMARY)  # its check found it down
        listing = client.get("/api/v1/public/dishonesty-list/export.csv")
        assert (listing.status_code, listing.headers.get(HEADER)) == (200, PRIMARY)
    finally:
        replica.start()
        replica.wait_caught_up(schema_url)

    answered_by_replica(client, case["id"], "removed")

"""Several platforms at once, each a simulator process of its own: events are routed by
each platform's event types and direction, every platform keeps its own outbox position
and health, and a pull-only platform is never pushed to (nor a push-only one pulled)."""

from __future__ import annotations

import time

import pytest
import requests
from sqlalchemy import select

from credit_service.errors import read_stored
from credit_service.sync import services as sync_services
from credit_service.sync.client import CHANGES_PATH, EVENTS_PATH
from credit_service.sync.models import OutboxEvent, QuarantinedRow, SyncPosition
from credit_service.sync.platforms import load_platforms
from schedulers import jobs
from tests.sync.test_pull import record_change

pytestmark = pytest.mark.slow
LISTING_TYPES = ["listing.published", "listing.removed"]
STRANGER = {"name": "外地未登记企业", "identifier": "91340100MA0000000G"}


def received(platform) -> list[str]:
    response = requests.get(f"{platform.base_url}/sim/events", timeout=10)
    response.raise_for_status()
    return response.json()


def positions(ctx) -> dict[str, int]:
    with ctx.read_session_factory() as session:
        return {
            p.platform_id: p.last_event_id for p in session.execute(select(SyncPosition)).scalars()
        }


def last_outbox_id(ctx) -> int:
    with ctx.read_session_factory() as session:
        return session.execute(select(OutboxEvent.id).order_by(OutboxEvent.id.desc())).scalar()


def status(ctx, platforms_path) -> dict[str, dict]:
    rows = sync_services.sync_status(ctx, load_platforms(platforms_path))
    return {row["platform"]: row for row in rows}


def test_each_platform_gets_its_own_event_types_position_and_health(
    live_ctx, simulators, add_events, platforms_path, count_rows
):
    sims = simulators(
        {"id": "listings", "direction": "push", "event_types": LISTING_TYPES},
        {"id": "everything", "direction": "both"},
        {"id": "inbound", "direction": "pull"},
    )
    (listings, listings_sim), (everything, everything_sim), (inbound, inbound_sim) = (
        sims[p] for p in ("listings", "everything", "inbound")
    )
    records = add_events(3, "record.filed")
    published = add_events(2, "listing.published")
    repaired = add_events(1, "repair.granted")
    removed = add_events(1, "listing.removed")
    everything_sim.set_faults(outage_until=time.time() + 600, retry_after_seconds=30)

    result = jobs.push_job(live_ctx)

    assert set(result) == {"listings", "everything"}  # inbound only pulls
    assert result["listings"]["accepted"] == 3 and result["everything"]["deferred"] is True
    assert received(listings) == sorted(published + removed)
    assert received(everything) == []
    assert EVENTS_PATH not in inbound_sim.stats()["requests"]
    assert positions(live_ctx) == {"listings": last_outbox_id(live_ctx), "everything": 0}
    health = status(live_ctx, platforms_path)
    assert {p: (h["pending"], h["consecutive_failures"]) for p, h in health.items()} == {
        "listings": (0, 0),
        "everything": (7, 1),
        "inbound": (0, 0),  # nothing waits for a platform never pushed to
    }
    assert health["listings"]["last_push_error"] is None
    assert health["listings"]["last_push_success_at"] == live_ctx.now()
    assert read_stored(health["everything"]["last_push_error"])["upstream_status"] == 503
    assert health["everything"]["last_push_success_at"] is None
    assert health["everything"]["in_flight_attempts"] == 1
    assert health["inbound"]["last_push_success_at"] is None

    everything_sim.set_faults()  # the outage is over
    live_ctx.clock.advance(minutes=1)  # the next tick: past the Retry-After, and due
    assert health["everything"]["next_attempt_at"] < live_ctx.now()
    result = jobs.push_job(live_ctx)

    assert result["everything"]["accepted"] == 7 and result["listings"]["batches"] == 0
    assert received(everything) == sorted(records + published + repaired + removed)
    assert received(listings) == sorted(published + removed)  # nothing more for it
    assert listings_sim.stats()["batches"] == 1
    assert EVENTS_PATH not in inbound_sim.stats()["requests"]
    assert set(positions(live_ctx).values()) == {last_outbox_id(live_ctx)}
    health = status(live_ctx, platforms_path)
    assert {p: (h["pending"], h["consecutive_failures"]) for p, h in health.items()} == {
        "listings": (0, 0),
        "everything": (0, 0),
        "inbound": (0, 0),
    }

    inbound_sim.add_changes([record_change(STRANGER, 1, "2026-11-01T09:00:00")])
    pulled = jobs.pull_job(live_ctx)

    assert pulled == {"everything": {}, "inbound": {"quarantined": 1}}
    assert CHANGES_PATH not in listings_sim.stats()["requests"]  # push-only: never pulled
    assert count_rows(QuarantinedRow, QuarantinedRow.platform_id == "inbound") == 1
    health = status(live_ctx, platforms_path)
    assert {p: h["quarantined"] for p, h in health.items()} == {
        "listings": 0,
        "everything": 0,
        "inbound": 1,
    }
    assert health["inbound"]["last_pull_success_at"] == live_ctx.now()
    assert health["listings"]["last_pull_success_at"] is None
    assert positions(live_ctx).keys() == {"listings", "everything"}  # none for inbound

"""`flask sync status|push|pull` through Flask's CLI runner against the simulated
platform (both databases): what each prints, and what it did to the outbox position,
the platform and the city's records."""

from __future__ import annotations

import time

import pytest
import requests

from credit_service.records.models import CreditRecord
from credit_service.sync.models import SyncPosition
from credit_service.web import create_app
from tests.factories import create_entity
from tests.sync.test_pull import record_change

pytestmark = pytest.mark.slow


@pytest.fixture
def runner(live_ctx):  # type: ignore[no-untyped-def]
    return create_app(context=live_ctx).test_cli_runner()


def invoke_ok(runner, *args: str) -> str:  # type: ignore[no-untyped-def]
    result = runner.invoke(args=["sync", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_status_push_and_pull_from_the_command_line(
    live_ctx, simulator, runner, add_events, count_rows
):
    platform, control, _ = simulator
    produced = add_events(5)

    before = invoke_ok(runner, "status")
    assert before.count("\n") == 1  # one line per platform
    assert "'platform': 'anhui'" in before and "'pending': 5" in before
    assert "'last_push_success_at': None" in before

    pushed = invoke_ok(runner, "push")
    assert pushed.startswith("anhui: {'batches': 1, 'accepted': 5, 'duplicates': 0")
    response = requests.get(f"{platform.base_url}/sim/events", timeout=10)
    assert response.json() == sorted(produced)
    assert count_rows(SyncPosition, SyncPosition.last_event_id == 5) == 1
    after = invoke_ok(runner, "status")
    assert "'pending': 0" in after and "'consecutive_failures': 0" in after
    assert "'last_push_success_at': None" not in after

    owner = create_entity(live_ctx)
    control.add_changes([record_change(owner, 1, "2026-11-01T09:00:00")])
    assert invoke_ok(runner, "pull") == "anhui: {'filed': 1}\n"
    assert count_rows(CreditRecord, CreditRecord.entity_id == owner["id"]) == 1
    assert invoke_ok(runner, "pull") == "anhui: {}\n"  # nothing new after the cursor

    add_events(2)
    control.set_faults(outage_until=time.time() + 600, retry_after_seconds=30)
    deferred = invoke_ok(runner, "push")
    assert "'accepted': 0" in deferred and "'deferred': True" in deferred
    assert "503" in deferred
    failing = invoke_ok(runner, "status")
    assert "'pending': 2" in failing and "'consecutive_failures': 1" in failing
    assert "'in_flight_attempts': 1" in failing
    assert control.stats()["distinct_events"] == len(produced)  # the two wait for the retry

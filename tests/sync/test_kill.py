"""Crash safety of the push: the real job (``python -m schedulers run sync.push``) is
killed with SIGKILL at random moments while it sends a backlog to a slow platform; after
one run to completion the platform holds every event exactly once, on both databases."""

from __future__ import annotations

import dataclasses
import random
import signal
import subprocess
import sys
import time

import pytest
import requests
from sqlalchemy import func, select

from credit_service.config import PROJECT_ROOT
from credit_service.jobs.models import JobRun
from credit_service.sync.models import DeadLetter, OutboxEvent, SyncBatch, SyncPosition

pytestmark = pytest.mark.slow

EVENTS = 10_000
BATCH = 25
KILLS = 20
PUSH = [sys.executable, "-m", "schedulers", "run", "sync.push"]


def _pushes(control) -> int:
    return control.stats()["requests"].get("/exchange/v1/events", 0)


def test_a_pusher_killed_twenty_times_loses_nothing_and_duplicates_nothing(
    live_ctx, simulator, add_events, save_platform, subprocess_env, count_rows, tmp_path
):
    platform, control, _ = simulator
    save_platform(dataclasses.replace(platform, batch_size=BATCH))
    produced = add_events(EVENTS)
    control.set_faults(latency_ms=20)  # so that kills land while a batch is on the wire
    rng = random.Random()  # nosec B311
    log = (tmp_path / "push.log").open("ab")
    killed_at_work = 0

    for _ in range(KILLS):
        before = _pushes(control)
        process = subprocess.Popen(
            PUSH, cwd=PROJECT_ROOT, env=subprocess_env, stdout=log, stderr=log
        )
        deadline = time.monotonic() + 15
        # the random lifetime counts from the first push, not from interpreter start-up
        while process.poll() is None and _pushes(control) == before:
            assert time.monotonic() < deadline, "the push job never started pushing"
            time.sleep(0.02)
        time.sleep(rng.uniform(0.05, 1.0))
        if process.poll() is None:
            killed_at_work += 1
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    for _ in range(3):  # a run by hand in the same second as the last one is a no-op
        finished = subprocess.run(
            PUSH, cwd=PROJECT_ROOT, env=subprocess_env, stdout=log, stderr=log, timeout=120
        )
        if finished.returncode == 0:
            break
        time.sleep(1.1)
    log.close()
    assert finished.returncode == 0, (tmp_path / "push.log").read_text()[-3000:]

    assert killed_at_work >= KILLS // 2, killed_at_work
    stats = control.stats()
    assert stats["distinct_events"] == EVENTS
    # every event travelled in exactly one batch (a batch re-sent after a kill keeps its
    # key); re-sent batches show as extra deliveries, absorbed by the platform
    assert stats["batches"] == EVENTS // BATCH
    response = requests.get(f"{platform.base_url}/sim/events", timeout=10)
    assert response.json() == sorted(produced)
    with live_ctx.read_session_factory() as session:
        last_event = session.execute(select(func.max(OutboxEvent.id))).scalar_one()
        assert session.get(SyncPosition, platform.id).last_event_id == last_event
        outcomes = dict(
            session.execute(select(JobRun.outcome, func.count()).group_by(JobRun.outcome)).all()
        )
    assert count_rows(SyncBatch) == 0
    assert count_rows(DeadLetter) == 0
    assert outcomes.get("succeeded", 0) >= 1
    assert outcomes.get("failed", 0) == 0
    print(  # shown with -s: how hard the kills hit
        f"\nkilled at work {killed_at_work}/{KILLS}; extra deliveries "
        f"{stats['extra_deliveries']}; runs {outcomes}"
    )

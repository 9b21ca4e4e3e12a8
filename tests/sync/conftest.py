"""Fixtures for the provincial sync tests: committed data other processes can see, and
the simulated platform as a real HTTP server in its own process.

``live_ctx`` is a fresh database per test (a migrated SQLite file, or a PostgreSQL schema
of its own, dropped at the end) whose services really commit, so the simulator-facing
code, scheduler subprocesses and the test all see the same rows. ``simulator`` starts
``python -m credit_service.simulator`` on a free loopback port.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from sqlalchemy import func, select

from credit_service.bulk import bulk_insert
from credit_service.clock import FixedClock
from credit_service.config import PROJECT_ROOT
from credit_service.context import Context
from credit_service.demo.seed import platforms_file
from credit_service.sync.client import PlatformClient, SimulatorControl
from credit_service.sync.models import OutboxEvent
from credit_service.sync.platforms import Platform, load_platforms

SIMULATOR_START_SECONDS = 20.0


@pytest.fixture
def add_events(live_ctx: Context) -> Callable[..., list[str]]:
    """add_events(n, event_type='record.filed') -> the new events' ids, inserted in bulk
    (committed at once, as a backlog produced by the city)."""

    def add(n: int, event_type: str = "record.filed") -> list[str]:
        ids = [str(uuid.uuid4()) for _ in range(n)]
        rows = [
            {
                "event_id": event_id,
                "subject": "91341802MA0000001X",
                "aggregate_id": str(i),
                "payload": {"n": i, "record_key": event_id},
            }
            for i, event_id in enumerate(ids)
        ]
        with live_ctx.session_factory.begin() as session:
            for start in range(0, n, 5_000):
                bulk_insert(
                    session,
                    OutboxEvent.__table__,
                    rows[start : start + 5_000],
                    constants={
                        "event_type": event_type,
                        "aggregate_type": "record",
                        "occurred_at": live_ctx.now(),
                    },
                )
        return ids

    return add


@pytest.fixture
def count_rows(live_ctx: Context) -> Callable[..., int]:
    """count_rows(Model, *conditions) -> committed rows matching the conditions."""

    def count(model: Any, *conditions: Any) -> int:
        with live_ctx.read_session_factory() as session:
            return session.execute(
                select(func.count()).select_from(model).where(*conditions)
            ).scalar_one()

    return count


@pytest.fixture
def subprocess_env(live_ctx: Context, platforms_path: Path, tmp_path: Path) -> dict[str, str]:
    """The environment that points a service subprocess at this test's database and
    platforms file."""
    return {
        **os.environ,
        "DATABASE_URL": live_ctx.settings.database_url,
        "SYNC_PLATFORMS_FILE": str(platforms_path),
        "DATA_DIR": str(tmp_path / "data"),
        "CATALOGS_DIR": str(PROJECT_ROOT / "catalogs"),
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(PROJECT_ROOT),
    }


# --- the simulated platform -------------------------------------------------------------------


@pytest.fixture
def platforms_path(tmp_path: Path) -> Path:
    return tmp_path / "platforms.yaml"


@pytest.fixture
def save_platform(platforms_path: Path) -> Callable[[Platform], None]:
    """save_platform(platform): rewrite the platforms file with this platform's settings
    (for subprocesses; the running simulator keeps its port, key and secret)."""

    def save(platform: Platform) -> None:
        entry = {
            "id": platform.id,
            "name": platform.name,
            "base_url": platform.base_url,
            "app_key": platform.app_key,
            "secret": platform.secret,
            "direction": platform.direction,
            "event_types": sorted(platform.event_types),
            "push_every_seconds": platform.push_every_seconds,
            "pull_every_seconds": platform.pull_every_seconds,
            "batch_size": platform.batch_size,
            "timeout_seconds": platform.timeout_seconds,
        }
        platforms_path.write_text(
            yaml.safe_dump({"platforms": [entry]}, allow_unicode=True), encoding="utf-8"
        )

    return save


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(process: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + SIMULATOR_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the simulator exited with {process.returncode}: {log.read_text()}")
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.05)
    pytest.fail(f"the simulator did not answer {url}: {log.read_text()}")


@contextmanager
def running_simulator(platforms_path: Path, platform_id: str, log: Path) -> Iterator[Platform]:
    """``python -m credit_service.simulator`` for one platform of the file, until exit."""
    platform = load_platforms(platforms_path)[platform_id]
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "credit_service.simulator",
                "--platforms-file",
                platforms_path,
                "--platform",
                platform_id,
            ],
            cwd=PROJECT_ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(process, f"{platform.base_url}/sim/stats", log)
        yield platform
    finally:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture
def simulator(
    platforms_path: Path, tmp_path: Path
) -> Iterator[tuple[Platform, SimulatorControl, PlatformClient]]:
    """The simulated provincial platform in its own process: (platform, control, client).

    The platforms file (``platforms_path``) is the demo's, on a free port with a random
    secret; tests change batch size or timeout with ``dataclasses.replace`` (in process)
    or ``save_platform`` (for subprocesses).
    """
    platforms_path.write_text(
        platforms_file(_free_port(), secrets.token_urlsafe(24)), encoding="utf-8"
    )
    with running_simulator(platforms_path, "anhui", tmp_path / "simulator.log") as platform:
        yield platform, SimulatorControl(platform.base_url), PlatformClient(platform)


@pytest.fixture
def simulators(
    platforms_path: Path, tmp_path: Path
) -> Iterator[Callable[..., dict[str, tuple[Platform, SimulatorControl]]]]:
    """simulators(*entries) -> {id: (platform, control)}: a platforms file with these
    entries (id, direction, event_types, intervals…; name, key, secret and a free port
    are filled in) and one simulator process per platform, each its own province."""
    stack = ExitStack()

    def start(*entries: dict[str, Any]) -> dict[str, tuple[Platform, SimulatorControl]]:
        full = [
            {
                "name": f"省级平台 {entry['id']}",
                "base_url": f"http://127.0.0.1:{_free_port()}",
                "app_key": "xuancheng",
                "secret": secrets.token_urlsafe(24),
                **entry,
            }
            for entry in entries
        ]
        platforms_path.write_text(
            yaml.safe_dump({"platforms": full}, allow_unicode=True), encoding="utf-8"
        )
        started = {}
        for entry in full:
            log = tmp_path / f"simulator-{entry['id']}.log"
            platform = stack.enter_context(running_simulator(platforms_path, entry["id"], log))
            started[platform.id] = (platform, SimulatorControl(platform.base_url))
        return started

    with stack:
        yield start


# --- small helpers shared by the tests --------------------------------------------------------


@pytest.fixture
def tuned() -> Callable[..., tuple[Platform, PlatformClient]]:
    """tuned(platform, batch_size=…, timeout_seconds=…) -> (platform, client)."""

    def tune(platform: Platform, **changes: Any) -> tuple[Platform, PlatformClient]:
        changed = dataclasses.replace(platform, **changes)
        return changed, PlatformClient(changed)

    return tune


@pytest.fixture
def past(live_ctx: Context) -> Callable[[Any], None]:
    """past(moment): move the test clock just after ``moment`` (a next_attempt_at)."""

    def move(moment: Any) -> None:
        clock = live_ctx.clock
        assert isinstance(clock, FixedClock)
        if moment is not None and moment >= clock.now():
            clock.set(moment + timedelta(milliseconds=1))

    return move

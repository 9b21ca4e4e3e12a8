"""gunicorn as `make run` starts it (``-c python:credit_service.web.gunicorn_conf``, whose
logger class is ``credit_service.logmask.GunicornLogger``):
its access log never holds a resident ID number, even of a request that names one."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import urlopen

import pytest

from tests.factories import unique_resident_id, unique_uscc

GUNICORN = Path(sys.executable).parent / "gunicorn"
ROOT = Path(__file__).resolve().parents[2]
CONFIG = "python:credit_service.web.gunicorn_conf"  # as the Makefile's serve target


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> int:
    try:
        with urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
            return response.status
    except HTTPError as exc:
        return exc.code


@contextlib.contextmanager
def gunicorn(
    database_url: str, tmp_path: Path, *options: str, workers: int = 1, **settings: str
) -> Iterator[str]:
    """gunicorn serving ``wsgi:app`` as `make run` starts it, on a free loopback port,
    on ``database_url`` with its data in ``tmp_path`` (and any further ``settings`` in its
    environment); yields the base URL once /healthz answers, and stops the server (and
    its workers) at the end."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": "test-secret",
        **settings,
    }
    command = [str(GUNICORN), "-c", CONFIG, "--workers", str(workers),
               "--bind", f"127.0.0.1:{port}", *options, "wsgi:app"]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if get(f"{base}/healthz") == 200:
                    break
            except OSError:
                time.sleep(0.2)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


@pytest.fixture
def served(live_ctx, db_kind, tmp_path):  # type: ignore[no-untyped-def]
    if db_kind != "sqlite":
        pytest.skip("the log is the same whatever the database")
    log = tmp_path / "access.log"
    with gunicorn(live_ctx.settings.database_url, tmp_path, "--access-logfile", str(log)) as base:
        yield base, log


def test_the_access_log_masks_resident_ids_and_keeps_the_rest(served):
    base, log = served
    person, uscc = unique_resident_id(), unique_uscc()
    assert get(f"{base}/api/v1/entities/{person}") == 401
    assert get(f"{base}/api/v1/entities/{uscc}") == 401
    deadline = time.monotonic() + 5
    while log.read_text().count("/api/v1/entities/") < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    written = log.read_text()
    assert person not in written
    assert f"/api/v1/entities/{person[:6]}************ " in written
    assert f"/api/v1/entities/{uscc} " in written  # not a person's number: kept

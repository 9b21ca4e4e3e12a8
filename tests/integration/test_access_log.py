"""gunicorn as `make run` starts it (``-c python:credit_service.web.gunicorn_conf``, whose
logger class is ``credit_service.web.gunicorn_logger.GunicornLogger``): its access log
never holds a resident ID number, even of a request that names one, and in JSON (the
default ``LOG_FORMAT``) names the request id the answer carried."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import Request, urlopen

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


def get_with_id(url: str, request_id: str | None = None) -> tuple[int, str]:
    """The status of a GET and the X-Request-ID of its answer."""
    request = Request(url, headers={"X-Request-ID": request_id} if request_id else {})
    try:
        with urlopen(request, timeout=5) as response:  # noqa: S310 - loopback
            return response.status, response.headers["X-Request-ID"]
    except HTTPError as exc:
        return exc.code, exc.headers["X-Request-ID"]


def written(log: Path, lines: int) -> list[str]:
    """The log's lines about entities once there are ``lines`` of them (gunicorn writes
    after answering; the start's probes of /healthz are left out)."""
    deadline = time.monotonic() + 5
    while True:
        about = [line for line in log.read_text().splitlines() if "/api/v1/entities/" in line]
        if len(about) >= lines or time.monotonic() > deadline:
            return about
        time.sleep(0.1)


@pytest.fixture
def served(live_ctx, db_kind, tmp_path, request):  # type: ignore[no-untyped-def]
    if db_kind != "sqlite":
        pytest.skip("the log is the same whatever the database")
    log = tmp_path / "access.log"
    options = ("--access-logfile", str(log))
    with gunicorn(live_ctx.settings.database_url, tmp_path, *options, **request.param) as base:
        yield base, log


@pytest.mark.parametrize("served", [{"LOG_FORMAT": "text"}], indirect=True)
def test_the_access_log_masks_resident_ids_and_keeps_the_rest(served):
    base, log = served
    person, uscc = unique_resident_id(), unique_uscc()
    assert get(f"{base}/api/v1/entities/{person}") == 401
    assert get(f"{base}/api/v1/entities/{uscc}") == 401
    text = "\n".join(written(log, 2))
    assert person not in text
    assert f"/api/v1/entities/{person[:6]}************ " in text
    assert f"/api/v1/entities/{uscc} " in text  # not a person's number: kept


@pytest.mark.parametrize("served", [{}], indirect=True)  # LOG_FORMAT=json, the default
def test_the_json_access_log_names_the_request_and_masks_resident_ids(served):
    """One JSON object a line, with the request id the answer gave, the endpoint that
    answered, and every resident ID masked: in the path, the query and the request line."""
    base, log = served
    person, uscc = unique_resident_id(), unique_uscc()
    status, generated = get_with_id(f"{base}/api/v1/entities/{person}?q={person}")
    assert status == 401 and len(generated) == 36
    assert get_with_id(f"{base}/api/v1/entities/{uscc}", "trace-1234.abcd") == (
        401,
        "trace-1234.abcd",
    )
    lines = written(log, 2)
    assert person not in "\n".join(lines)
    first, second = (json.loads(line) for line in lines)
    masked = f"{person[:6]}************"
    assert first["request_id"] == generated
    assert (first["method"], first["status"]) == ("GET", 401)
    assert first["path"] == f"/api/v1/entities/{masked}"
    assert first["query"] == f"q={masked}"
    assert first["message"] == f"GET /api/v1/entities/{masked}?q={masked} HTTP/1.1"
    assert first["endpoint"] == "entities.EntityByIdentifier"
    assert first["logger"] == "gunicorn.access" and first["level"] == "INFO"
    assert first["duration_ms"] >= 0 and first["time"].endswith("+00:00")
    assert second["request_id"] == "trace-1234.abcd"
    assert second["path"] == f"/api/v1/entities/{uscc}"

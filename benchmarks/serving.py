"""Serving benchmarks: the app under gunicorn, driven by wrk from a second process.

Every measurement runs next to a constant endpoint of the same app in the same run (the
framework limit), so the ratio says how much of the framework's capacity the endpoint
keeps. Needs Debian's ``wrk`` (apt-get install wrk).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.request import urlopen

from common import ROOT

WRK_LATENCY = re.compile(r"^\s+(50|75|90|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", re.M)
UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass(frozen=True)
class Load:
    """What wrk measured for one endpoint."""

    requests_per_s: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    requests: int


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(
    env: dict[str, str], *, workers: int = 2, app: str = "wsgi:app", log: Path | None = None
):
    """An app under gunicorn on a free loopback port (the service, or ``bare_app:app``
    from this folder with the same settings), started with the service's gunicorn
    settings as ``make run`` and docs/deploy.md start it (``gunicorn_conf``: its logger,
    request limits, the 120 s timeout a province's CSV download needs, and the metrics of
    every worker in files; the master imports the service with it, so even a bare app's
    workers start with the service in memory, which their peak RSS counts); yields its
    base URL. ``workers_peak_rss_mb`` reads the
    workers' peak memory while it runs. With ``log``, what gunicorn and the app
    write (errors and warnings) goes to that file instead of this process's output."""
    port = free_port()
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "-c",
        "python:credit_service.web.gunicorn_conf",
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "--pythonpath",
        str(ROOT / "benchmarks"),
        app,
    ]
    output = open(log, "ab") if log else None  # closed after gunicorn stops
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **env},
        start_new_session=True,
        stdout=output,
        stderr=output,
    )
    base = f"http://127.0.0.1:{port}"
    _MASTERS[base] = process.pid
    try:
        _wait_until_up(base, process)
        yield base
    finally:
        del _MASTERS[base]
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        if output:
            output.close()


_MASTERS: dict[str, int] = {}  # base URL -> gunicorn's master process


def workers_peak_rss_mb(base: str) -> float:
    """The largest peak resident memory (VmHWM) among the workers serving ``base``."""
    master = _MASTERS[base]
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    peaks = [0.0]
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
    return max(peaks)


def _wait_until_up(base: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited during start-up")
        try:
            with urlopen(f"{base}/healthz", timeout=2) as response:  # nosec B310: loopback
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not come up within 60 s")


def wrk(
    url: str,
    *,
    seconds: int = 15,
    connections: int = 16,
    threads: int = 2,
    script: str | None = None,
    headers: dict[str, str] | None = None,
) -> Load:
    """Run wrk against ``url`` and parse throughput and latency percentiles."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    script_file = None
    if script:
        script_file = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
        script_file.write(script)
        script_file.close()
        command += ["-s", script_file.name]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    if script_file:
        os.unlink(script_file.name)
    return _parse(output)


def _parse(output: str) -> Load:
    latencies = {p: float(v) * UNIT_MS[u] for p, v, u in WRK_LATENCY.findall(output)}
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    total = int(re.search(r"(\d+) requests in", output).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return Load(
        rate,
        latencies.get("50", 0.0),
        latencies.get("99", 0.0),
        int(bad.group(1)) if bad else 0,
        total,
    )


def lua_cycle(
    method: str, paths: list[str], body_template: str | None = None, values: list[str] | None = None
) -> str:
    """A wrk script that walks through ``paths`` (or bodies built from ``values``)."""
    items = json.dumps(values if values is not None else paths, ensure_ascii=False)
    items = "{" + items[1:-1] + "}"
    if body_template is None:
        return (
            f"local items = {items}\nlocal n = 0\n"
            f"request = function()\n  n = n % #items + 1\n"
            f"  return wrk.format('{method}', items[n])\nend\n"
        )
    return (
        f"local items = {items}\nlocal n = 0\n"
        f"wrk.headers['Content-Type'] = 'application/json'\n"
        f"request = function()\n  n = n % #items + 1\n"
        f"  return wrk.format('{method}', '{paths[0]}', nil, "
        f"string.format('{body_template}', items[n]))\nend\n"
    )


def describe(label: str, load: Load, baseline: Load | None = None) -> str:
    ratio = (
        f", {load.requests_per_s / baseline.requests_per_s:.0%} of the constant endpoint"
        if baseline
        else ""
    )
    errors = f", {load.non_2xx} non-2xx" if load.non_2xx else ""
    return (
        f"  {label:<32} {load.requests_per_s:>8,.0f} req/s  p50 {load.p50_ms:6.2f} ms  "
        f"p99 {load.p99_ms:6.2f} ms{ratio}{errors}"
    )

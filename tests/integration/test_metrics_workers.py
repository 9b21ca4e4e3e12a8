"""/metrics under gunicorn as `make run` starts it (``-c python:credit_service.web.gunicorn_conf``)
with two workers: whichever worker answers the scrape, it counts the requests of both
(prometheus-client's multiprocess mode, its folder set up by gunicorn_conf)."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from urllib.request import Request, urlopen

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.factories import bearer_for
from tests.integration.test_access_log import gunicorn

PROBES = 40
WORKER = re.compile(r"^<(\d+)> 200 GET /readyz$")


def probe(base: str) -> int:
    with urlopen(f"{base}/readyz", timeout=10) as response:  # noqa: S310 - loopback
        return response.status


def scrape(base: str, token: dict[str, str]) -> str:
    request = Request(f"{base}/metrics", headers=token)
    with urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
        return response.read().decode()


def test_a_scrape_counts_the_requests_of_every_worker(live_ctx, db_kind, tmp_path):
    if db_kind != "sqlite":
        pytest.skip("the counting is the same whatever the database")
    token = bearer_for(live_ctx, "admin", scopes=["metrics"])
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_1.db").write_bytes(b"a former run's file")  # removed at start
    log = tmp_path / "access.log"
    options = ("--access-logfile", str(log), "--access-logformat", "%(p)s %(s)s %(m)s %(U)s")
    with gunicorn(
        live_ctx.settings.database_url,
        tmp_path,
        *options,
        workers=2,
        PROMETHEUS_MULTIPROC_DIR=str(folder),
        LOG_FORMAT="text",  # the access-log format below applies to text lines
    ) as base:
        answered: list[int] = []
        with ThreadPoolExecutor(max_workers=8) as pool:  # until both workers answered some
            while len(answered) < PROBES or (
                len(served_by(log)) < 2 and len(answered) < 10 * PROBES
            ):
                answered += pool.map(probe, [base] * 8)
        texts = [scrape(base, token) for _ in range(4)]
        assert not (folder / "counter_1.db").exists()

    assert set(answered) == {200}
    probes_by_worker = served_by(log)
    assert len(probes_by_worker) == 2, f"one worker answered every probe: {probes_by_worker}"
    for text in texts:  # every scrape, whichever worker answered it, sees them all
        assert readiness_count(text) == sum(probes_by_worker.values())
    pools = [labels for name, labels in samples(texts[-1]) if name == "credit_db_pool_size"]
    assert pools and all("pid" in labels for labels in pools)  # one series per worker


def served_by(log) -> dict[str, int]:  # type: ignore[no-untyped-def]
    counts: dict[str, int] = {}
    for line in log.read_text().splitlines():
        found = WORKER.match(line)
        if found:
            counts[found.group(1)] = counts.get(found.group(1), 0) + 1
    return counts


def samples(text: str) -> list[tuple[str, dict[str, str]]]:
    return [
        (s.name, s.labels)
        for family in text_string_to_metric_families(text)
        for s in family.samples
    ]


def readiness_count(text: str) -> float:
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "credit_http_requests_total" and s.labels["endpoint"] == "health.Readiness"
    )

"""Public list benchmark: search, conditional requests and full downloads under gunicorn.

    .venv/bin/python benchmarks/public_list.py           # 6,000 published among 300,000
    .venv/bin/python benchmarks/public_list.py --entities 30000 --published 1000 --db sqlite

For each database: import the entities (and penalty records for the listings to rest on),
publish one listing per chosen organisation (written in bulk: the benchmark measures the
read path, not the procedure), then serve with gunicorn (2 workers) and drive it with wrk
at 16 connections: the constant endpoint /healthz (the framework limit), the search API
and the search page over a cycle of filters, and the list answered 304 to a conditional
request; then time full CSV and JSON downloads. Targets: search page >= 40 % of the
constant endpoint, 304 answers >= 80 %.
"""

from __future__ import annotations

import argparse
import statistics
import time
from urllib.parse import quote
from urllib.request import Request, urlopen

from common import ACTOR, Timer, context_for, fresh_database, publish_listings, write_dataset
from serving import describe, gunicorn, lua_cycle, wrk

from credit_service.entities.importer import import_entities
from credit_service.records.importer import import_records

TARGET_PAGE = 0.40
TARGET_304 = 0.80
DOWNLOADS = 5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=300_000)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--published", type=int, default=6_000)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--seconds", type=int, default=15)
    args = parser.parse_args()
    entity_csv, record_csv = write_dataset(args.entities, args.records)
    print(f"data set: {args.entities:,} entities, {args.published:,} published listings")
    for kind in args.db.split(","):
        with fresh_database(kind) as url:
            _run(kind, url, entity_csv, record_csv, args.published, args.seconds)


def _run(kind: str, url: str, entity_csv, record_csv, published: int, seconds: int) -> None:
    ctx = context_for(url)
    with open(entity_csv, encoding="utf-8", newline="") as stream:
        import_entities(ctx, ACTOR, stream, workers=ctx.settings.import_workers)
    with open(record_csv, encoding="utf-8", newline="") as stream:
        import_records(ctx, ACTOR, stream, workers=ctx.settings.import_workers)
    listed = publish_listings(ctx, published)
    ctx.engine.dispose()
    print(f"\n[{kind}] {len(listed):,} listings published")
    env = {"DATABASE_URL": url, "RATELIMIT_PUBLIC": "100000000 per minute", "LOG_LEVEL": "WARNING"}
    filters = _filters(listed)
    with gunicorn(env) as base:
        wrk(f"{base}/healthz", seconds=3)  # warm-up
        constant = wrk(f"{base}/healthz", seconds=seconds)
        api = wrk(
            base,
            seconds=seconds,
            script=lua_cycle("GET", [f"/api/v1/public/dishonesty-list{f}" for f in filters]),
        )
        page = wrk(base, seconds=seconds, script=lua_cycle("GET", [f"/list{f}" for f in filters]))
        etag = _etag(f"{base}/api/v1/public/dishonesty-list")
        conditional = wrk(
            f"{base}/api/v1/public/dishonesty-list",
            seconds=seconds,
            headers={"If-None-Match": etag},
        )
        csv_times, csv_size = _downloads(f"{base}/api/v1/public/dishonesty-list/export.csv")
        json_times, json_size = _downloads(f"{base}/api/v1/public/dishonesty-list/export.json")
    print(describe("constant endpoint /healthz", constant))
    print(describe("search API (5 filters)", api, constant))
    print(describe("search page /list (5 filters)", page, constant))
    print(describe("conditional request (304)", conditional, constant))
    print(
        f"  full CSV download ({csv_size / 1e6:.1f} MB): {download_text(csv_times)}; "
        f"JSON ({json_size / 1e6:.1f} MB): {download_text(json_times)}; a constant "
        f"request takes {constant.p50_ms:.2f} ms (p50)"
    )
    page_ratio = page.requests_per_s / constant.requests_per_s
    ratio_304 = conditional.requests_per_s / constant.requests_per_s
    print(
        f"  search page: {page_ratio:.0%} of the constant endpoint (target >= "
        f"{TARGET_PAGE:.0%}: {page_ratio / TARGET_PAGE:.2f}x); 304: {ratio_304:.0%} "
        f"(target >= {TARGET_304:.0%}: {ratio_304 / TARGET_304:.2f}x)"
    )


def _filters(listed: list[tuple[str, str, str]]) -> list[str]:
    """A cycle of searches the public makes: the first page, by district, by domain, by a
    name fragment and by an exact code."""
    identifier, name, region = listed[len(listed) // 2]
    return [
        "",
        f"?region={region}",
        "?domain=patent",
        f"?q={quote(name[2:5])}",
        f"?uscc={identifier}",
    ]


def _etag(url: str) -> str:
    with urlopen(url, timeout=30) as response:  # nosec B310: loopback
        return response.headers["ETag"]


def download_text(times: list[float]) -> str:
    """The first download renders the list and writes its file; the others are sent the
    file (web/kept_downloads.py)."""
    return (
        f"first {times[0]:.0f} ms (rendered), then median {statistics.median(times[1:]):.0f} ms "
        f"of {len(times) - 1} (from the file)"
    )


def _downloads(url: str) -> tuple[list[float], int]:
    times, size = [], 0
    for _ in range(DOWNLOADS):
        with Timer() as timer, urlopen(Request(url), timeout=120) as response:  # nosec B310
            size = len(response.read())
        times.append(timer.seconds * 1000)
        time.sleep(0.2)
    return times, size


if __name__ == "__main__":
    main()

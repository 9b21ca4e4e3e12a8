"""The query plans behind each kind of request, as PostgreSQL ran them for the service.

    .venv/bin/python benchmarks/plans.py --database-url postgresql://postgres@127.0.0.1:5432/province_7000000_20000000

For a database a benchmark has loaded (``province.py``'s, after its ``serve`` stage made
the tokens and listings), the database is set to load ``auto_explain`` in each new
session and log every statement's plan with its actual times and buffers
(``ALTER DATABASE … SET``; reset when the script ends). Each kind of request then runs
twice through the app in this process (Flask's test client), and the plans the server
logged during the second run (warm caches, as under load; the first run's where the
second ran no statement) are written under the request's name to
``benchmarks/out/plans-<database>.txt``, with a summary of each statement's time and its
plan's top node printed. What is logged is what the service
sent, the statements of its kept connections included, not a transcription of them.

The server's log is read from where it ends before each request: the Debian default
``/var/log/postgresql/postgresql-<major>-main.log`` unless ``--server-log`` names it.
"""

from __future__ import annotations

import argparse
import os
import random
import re
from pathlib import Path

from checks import PURPOSE, _identifiers
from common import OUT, context_for
from province_serve import LIST, _listed, _token_again
from public_list import _filters
from sqlalchemy import text
from sqlalchemy.engine import make_url

from credit_service.db import make_engine
from credit_service.web import create_app

SETTINGS = {
    "session_preload_libraries": "auto_explain",
    "auto_explain.log_min_duration": "0",
    "auto_explain.log_analyze": "on",
    "auto_explain.log_buffers": "on",
    "auto_explain.log_timing": "on",
}
_ENTRY = re.compile(r"LOG:  duration: ([\d.]+) ms  plan:\n((?:\t.*\n?)+)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--entity-csv", help="identifiers to look up (default: the listed)")
    parser.add_argument("--server-log", type=Path)
    args = parser.parse_args()
    database = make_url(args.database_url).database
    ctx = context_for(args.database_url)
    listed = _listed(ctx)
    if not listed:
        raise SystemExit("no published listings: run province.py's serve stage first")
    tokens = {role: _token_again(ctx, role) for role in ("regulator", "checker")}
    identifiers = _identifiers(args.entity_csv) if args.entity_csv else [i for i, _, _ in listed]
    log = args.server_log or _server_log(ctx)
    ctx.close()
    requests = _requests(listed, identifiers, tokens)
    _set(args.database_url, database, on=True)
    try:
        plans = _run(args.database_url, requests, log)
    finally:
        _set(args.database_url, database, on=False)
    out = OUT / f"plans-{database}.txt"
    with out.open("w", encoding="utf-8") as stream:
        for name, entries in plans.items():
            stream.write(f"==== {name}\n")
            for duration, plan in entries:
                stream.write(f"---- {duration} ms\n{plan}\n")
    for name, entries in plans.items():
        print(f"{name}: {len(entries)} statements, {sum(d for d, _ in entries):.2f} ms")
        for duration, plan in sorted(entries, reverse=True)[:3]:
            print(f"    {duration:8.2f} ms  {_top_node(plan)}")
    print(f"plans written to {out}")


def _requests(listed, identifiers: list[str], tokens: dict[str, str]) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    """Each kind of request of the province benchmark's ``serve`` stage, by name."""
    rng = random.Random(3)  # nosec B311
    one = rng.choice(identifiers)
    regulator = {"Authorization": f"Bearer {tokens['regulator']}"}
    checker = {"Authorization": f"Bearer {tokens['checker']}"}
    found = {
        "tier lookup": {
            "method": "POST",
            "path": "/api/v1/tiers/lookup",
            "json": {"identifiers": [one]},
            "headers": regulator,
        },
        "single credit check": {
            "method": "GET",
            "path": f"/api/v1/credit-checks/{one}?purpose={PURPOSE}",
            "headers": checker,
        },
        "batch credit check of 1,000": {
            "method": "POST",
            "path": "/api/v1/credit-checks",
            "json": {"identifiers": rng.sample(identifiers, 1_000), "purpose": PURPOSE},
            "headers": checker,
        },
        "full CSV download": {"method": "GET", "path": f"{LIST}/export.csv"},
    }
    for search in _filters(listed):
        found[f"public search {search or '(first page)'}"] = {
            "method": "GET",
            "path": f"{LIST}{search}",
        }
    return found


def _run(url: str, requests: dict[str, dict], log: Path) -> dict[str, list[tuple[float, str]]]:
    """Each request twice; the plans logged during its second run."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("RATELIMIT_PUBLIC", "100000000 per minute")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    client = create_app().test_client()
    plans = {}
    for name, request in requests.items():
        logged = []
        for _ in range(2):
            start = log.stat().st_size
            response = client.open(
                request["path"],
                method=request["method"],
                json=request.get("json"),
                headers=request.get("headers", {}),
            )
            response.get_data()  # a streamed download runs its statements as it is read
            response.close()
            if response.status_code != 200:
                raise SystemExit(f"{name}: HTTP {response.status_code} {response.text[:300]}")
            logged.append(_logged(log, start))
        # the second run's, unless the service answered it from what the first one read
        plans[name if logged[1] else f"{name} (first run; the second ran no statement)"] = (
            logged[1] or logged[0]
        )
    return plans


def _logged(log: Path, start: int) -> list[tuple[float, str]]:
    """The plans the server logged after byte ``start`` of its log."""
    with log.open("rb") as stream:
        stream.seek(start)
        written = stream.read().decode("utf-8", "replace")
    return [(float(m.group(1)), m.group(2).rstrip()) for m in _ENTRY.finditer(written)]


def _top_node(plan: str) -> str:
    """The plan's first node (what the statement mostly did), after its query text."""
    lines = [line.strip() for line in plan.splitlines()]
    nodes = [line for line in lines if line and not line.startswith(("Query Text", "Buffers"))]
    query = next((line for line in lines if line.startswith("Query Text")), "")
    return f"{nodes[0] if nodes else '?'}   [{query[12:90]}]"


def _server_log(ctx) -> Path:  # type: ignore[no-untyped-def]
    with ctx.engine.connect() as connection:
        number = int(connection.exec_driver_sql("SHOW server_version_num").scalar_one())
    return Path(f"/var/log/postgresql/postgresql-{number // 10000}-main.log")


def _set(url: str, database: str, *, on: bool) -> None:
    """Turn the plan logging on or off for new sessions of ``database``."""
    engine = make_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        for name, value in SETTINGS.items():
            if on:
                connection.execute(text(f"ALTER DATABASE \"{database}\" SET {name} = '{value}'"))
            else:
                connection.execute(text(f'ALTER DATABASE "{database}" RESET {name}'))
    engine.dispose()


if __name__ == "__main__":
    main()

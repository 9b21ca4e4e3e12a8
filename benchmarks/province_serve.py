"""The ``serve`` stage of ``province.py``: what the public, regulators and other
departments ask of a province-sized database (vacuumed first, as deploy.md has it),
under gunicorn (``--workers``: 2) and wrk at 32 connections, each beside the constant
endpoint (``/healthz``) of the same run, and the lookup of one entity by identifier in
bare SQL (psycopg, this process) as the database's own floor."""

from __future__ import annotations

import random
import statistics
from urllib.parse import quote

import psycopg
from checks import PURPOSE, _batches, _identifiers, _token
from common import Timer, context_for, publish_listings
from public_list import _downloads, _filters
from serving import gunicorn, lua_cycle, workers_peak_rss_mb, wrk

CONNECTIONS = 32
LIST = "/api/v1/public/dishonesty-list"


def measure(url: str, files: dict, args) -> dict:  # type: ignore[no-untyped-def]
    ctx = context_for(url, data_dir=args.data_dir)
    listed = publish_listings(ctx, args.published) if _published(ctx) == 0 else None
    listed = listed or _listed(ctx)
    regulator, checker = _token_again(ctx, "regulator"), _token_again(ctx, "checker")
    ctx.close()
    vacuum = _vacuumed_as_deployed(url)
    rng = random.Random(7)  # nosec B311
    pool = rng.sample(_identifiers(files["entity_csv"]), 5_000)
    batches = [rng.sample(pool, 1_000) for _ in range(30)]
    bare_sql = _bare_lookup(url, pool[:2_000])
    env = {
        "DATABASE_URL": url,
        "DATA_DIR": str(args.data_dir),
        "RATELIMIT_PUBLIC": "100000000 per minute",
        "LOG_LEVEL": "WARNING",
        "DB_PARALLEL_WORKERS": "0",  # as docs/deploy.md sets the server, whatever this one's
    }
    seconds = args.seconds
    with gunicorn(env, workers=args.workers) as base:
        wrk(f"{base}/healthz", seconds=3, connections=CONNECTIONS)  # warm-up
        constant = wrk(f"{base}/healthz", seconds=seconds, connections=CONNECTIONS)
        lookup = wrk(
            f"{base}/api/v1/tiers/lookup",
            seconds=seconds,
            connections=CONNECTIONS,
            headers={"Authorization": f"Bearer {regulator}"},
            script=lua_cycle("POST", ["/api/v1/tiers/lookup"], '{"identifiers": ["%s"]}', pool),
        )
        check = wrk(
            base,
            seconds=seconds,
            connections=CONNECTIONS,
            headers={"Authorization": f"Bearer {checker}"},
            script=lua_cycle("GET", [f"/api/v1/credit-checks/{i}?purpose={PURPOSE}" for i in pool]),
        )
        search = wrk(
            base,
            seconds=seconds,
            connections=CONNECTIONS,
            script=lua_cycle("GET", [f"{LIST}{f}" for f in _filters(listed)]),
        )
        names = wrk(
            base,
            seconds=seconds,
            connections=CONNECTIONS,
            script=lua_cycle("GET", _name_searches(listed)),
        )
        short = wrk(
            base,
            seconds=seconds,
            connections=CONNECTIONS,
            script=lua_cycle("GET", _short_name_searches(listed, rng)),
        )
        batch_ms = _batches(base, checker, batches)
        csv_times, csv_size = _downloads(f"{base}{LIST}/export.csv")
        rss = workers_peak_rss_mb(base)
    loads = {
        "constant": constant,
        "lookup": lookup,
        "check": check,
        "search": search,
        "name_search_uncached": names,
        "name_search_short": short,
    }
    return {
        **{
            name: {
                "requests_per_s": round(load.requests_per_s),
                "p50_ms": load.p50_ms,
                "p99_ms": load.p99_ms,
                "of_constant": round(load.requests_per_s / constant.requests_per_s, 2),
                "non_2xx": load.non_2xx,
            }
            for name, load in loads.items()
        },
        "bare_sql_lookup": bare_sql,
        "batch_ms": round(statistics.median(batch_ms)),
        "csv_download": {
            "mb": round(csv_size / 1e6, 1),
            "first_ms": round(csv_times[0]),  # rendered and written (web/kept_downloads.py)
            "kept_median_ms": round(statistics.median(csv_times[1:])),  # sent from the file
        },
        "published": len(listed),
        "vacuum": vacuum,
        "workers": args.workers,
        "worker_peak_rss_mb": round(rss),
    }


def _token_again(ctx, role: str) -> str:  # type: ignore[no-untyped-def]
    """``checks._token``, for a stage that may run again on the same database."""
    from common import ACTOR

    from credit_service.auth import tokens
    from credit_service.errors import Conflict

    try:
        return _token(ctx, role)
    except Conflict:
        return tokens.create_token(ctx, ACTOR, username=f"bench-{role}", name="again").secret


def _published(ctx) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from credit_service.dishonesty.models import DishonestyCase

    with ctx.read_session_factory() as session:
        return session.execute(select(func.count()).select_from(DishonestyCase)).scalar_one()


def _name_searches(listed: list[tuple[str, str, str]]) -> list[str]:
    """4,000 searches by a different fragment of a listed name each (three characters,
    as ``_filters``'s): more than the 512 answers a worker keeps, so that none is
    answered from memory and each reads the database, as the public's varied searches
    do."""
    step = max(1, len(listed) // 4_000)
    fragments = dict.fromkeys(name[2:5] for _, name, _ in listed[::step])
    return [f"{LIST}?q={quote(fragment)}" for fragment in fragments]


def _short_name_searches(listed: list[tuple[str, str, str]], rng: random.Random) -> list[str]:
    """2,000 searches by two characters, as most searches in Chinese are, each different
    (more than a worker keeps): half a pair some listed name holds, half a pair none holds
    (a visitor looking up a name that is not on the list), which no trigram can find and
    the page's order does not end early for (migration d4f6a8c0e2b4)."""
    held = {name[i : i + 2] for _, name, _ in listed for i in range(len(name) - 1)}
    pairs = rng.sample(sorted(held), min(1_000, len(held)))
    absent: set[str] = set()
    while len(absent) < 1_000:
        pair = "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(2))
        if pair not in held:
            absent.add(pair)
    fragments = pairs + sorted(absent)
    rng.shuffle(fragments)
    return [f"{LIST}?q={quote(fragment)}" for fragment in fragments]


def _listed(ctx) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    """The listed entities of an earlier ``serve`` run (the stage can run again)."""
    from sqlalchemy import select

    from credit_service.dishonesty.models import DishonestyCase
    from credit_service.entities.models import Entity

    with ctx.read_session_factory() as session:
        rows = session.execute(
            select(Entity.identifier, Entity.name, Entity.region_code)
            .join(DishonestyCase, DishonestyCase.entity_id == Entity.id)
            .order_by(DishonestyCase.id)
        ).all()
    return [tuple(row) for row in rows]


def _vacuumed_as_deployed(url: str) -> dict:
    """``VACUUM (ANALYZE)`` of the whole database before it is served, as ``deploy.md``
    has an operator run ``vacuumdb --analyze`` after a bulk load or a restore; reports
    the server's autovacuum setting and the seconds the vacuum took. A database loaded
    and published in bulk and never vacuumed has no visibility map, and the list's page
    walk, an index-only scan, then reads the table's row of each listing it passes
    (13,740 rows for one name search; docs/performance.md, fourteenth session). This
    project's CI machines run PostgreSQL with ``autovacuum = off``, so nothing else
    would vacuum it; where autovacuum is on, it may not yet have come to a table."""
    with psycopg.connect(url, autocommit=True) as connection:
        autovacuum = connection.execute("SHOW autovacuum").fetchone()[0]  # type: ignore[index]
        with Timer() as timer:
            connection.execute("VACUUM (ANALYZE)")
    return {"autovacuum": autovacuum, "vacuumed_s": round(timer.seconds, 1)}


def _bare_lookup(url: str, identifiers: list[str]) -> dict:
    """One entity and its tier by identifier, straight on psycopg with a prepared
    statement, one connection: what the database itself takes per lookup."""
    times = []
    with psycopg.connect(url, autocommit=True) as connection:
        sql = (
            "SELECT e.id, e.name, t.tier FROM entities e "
            "LEFT JOIN tier_assignments t ON t.entity_id = e.id WHERE e.identifier = %s"
        )
        for identifier in identifiers:
            with Timer() as timer:
                connection.execute(sql, (identifier,), prepare=True).fetchall()
            times.append(timer.seconds * 1000)
    times.sort()
    return {
        "p50_ms": round(times[len(times) // 2], 3),
        "p99_ms": round(times[int(len(times) * 0.99)], 3),
    }

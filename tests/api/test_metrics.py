"""``GET /metrics`` (docs/operations.md, *Metrics*): who may read it, and what it says
about requests, the exchange's backlog, the jobs, the deadlines and the tiers, as of the
context's clock. Request counts live in the process's registry, shared by every test:
they are compared before and after."""

from __future__ import annotations

from datetime import date

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.exc import OperationalError

from credit_service import monitoring
from credit_service.access import ROLES, SYSTEM
from credit_service.clock import local_noon
from credit_service.demo.seed import platforms_file
from credit_service.jobs import services as job_services
from credit_service.sync.models import QuarantinedRow, SyncPosition
from credit_service.tiers import services as tier_services
from tests.api.test_rate_limits import app_with
from tests.api.test_sync_admin_api import dead_letter, emit
from tests.factories import XUANZHOU, create_entity, create_person, unique_resident_id
from tests.integration.test_console_statistics import case_for
from tests.integration.test_repair import apply, enterprise_of, general_penalty

METRICS_TEXT = "text/plain; version=0.0.4; charset=utf-8"
HOST = "test-host"


@pytest.fixture(autouse=True)
def platforms(ctx, tmp_path):
    """One platform, ``anhui``, pushed to and pulled from (the demo's file)."""
    path = tmp_path / "platforms.yaml"
    path.write_text(platforms_file(9, "test-secret"), encoding="utf-8")
    ctx.settings = ctx.settings.replace(sync_platforms_file=path)
    return path


@pytest.fixture
def scrape(client, auth):  # type: ignore[no-untyped-def]
    """scrape() -> {(sample name, ((label, value), ...)): value} of one /metrics answer."""
    token = auth("admin", scopes=["metrics"])

    def read() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        response = client.get("/metrics", headers=token)
        assert response.status_code == 200, response.get_data(as_text=True)
        return samples(response.get_data(as_text=True))

    return read


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(read: dict, name: str, **labels: str) -> float | None:
    return read.get((name, tuple(sorted(labels.items()))))


# --- who may read it --------------------------------------------------------------------------


def test_a_token_with_the_metrics_scope_alone_reads_the_metrics(client, auth):
    response = client.get("/metrics", headers=auth("admin", scopes=["metrics"]))

    assert response.status_code == 200
    assert response.headers["Content-Type"] == METRICS_TEXT
    assert response.headers["Cache-Control"] == "no-store"
    assert "# TYPE credit_http_requests_total counter" in response.get_data(as_text=True)


def test_an_admins_default_token_reads_them_and_a_token_without_the_scope_does_not(client, auth):
    assert client.get("/metrics", headers=auth("admin")).status_code == 200
    narrowed = client.get("/metrics", headers=auth("admin", scopes=["read", "write", "admin"]))
    assert narrowed.status_code == 403
    assert narrowed.get_json()["code"] == "scope-forbidden"


def test_no_one_else_reads_them(ctx, client, auth):
    assert client.get("/metrics").status_code == 401
    for role in sorted(set(ROLES) - {"admin"}):
        uscc = create_entity(ctx)["identifier"] if role == "enterprise" else None
        response = client.get("/metrics", headers=auth(role, uscc=uscc))
        assert response.status_code == 403, role
        assert response.get_json()["code"] == "role-forbidden"


def test_scraping_is_never_rate_limited(ctx, auth):
    limited = app_with(ctx, ratelimit_public="1/minute").test_client()
    token = auth("admin", scopes=["metrics"])
    assert [limited.get("/metrics", headers=token).status_code for _ in range(4)] == [200] * 4
    assert [limited.get("/catalogs").status_code for _ in range(2)][-1] == 429


# --- requests ---------------------------------------------------------------------------------


def test_requests_are_counted_and_timed_by_endpoint_method_and_status(client, scrape):
    before = scrape()
    for _ in range(3):
        assert client.get("/readyz").status_code == 200
    assert client.get("/healthz").status_code == 200  # the liveness probe: not counted
    assert client.get("/api/v1/catalogs").status_code == 200
    assert client.post("/api/v1/entities", json={}).status_code == 401
    after = scrape()

    def grew(name: str, **labels: str) -> float:
        return (value(after, name, **labels) or 0) - (value(before, name, **labels) or 0)

    counted = "credit_http_requests_total"
    assert grew(counted, endpoint="health.Readiness", method="GET", status="200") == 3
    assert grew(counted, endpoint="health.Liveness", method="GET", status="200") == 0
    assert grew(counted, endpoint="catalogs.Catalogs", method="GET", status="200") == 1
    assert grew(counted, endpoint="entities.Entities", method="POST", status="401") == 1
    timed = "credit_http_request_duration_seconds"
    assert grew(f"{timed}_count", endpoint="health.Readiness", method="GET") == 3
    assert grew(f"{timed}_bucket", endpoint="health.Readiness", method="GET", le="+Inf") == 3
    assert grew(f"{timed}_sum", endpoint="health.Readiness", method="GET") > 0


def test_no_resident_id_and_no_path_appears_in_the_metrics(ctx, client, auth, scrape):
    number = unique_resident_id(XUANZHOU)
    create_person(ctx, identifier=number)
    regulator = auth("regulator")
    client.get(f"/api/v1/entities/{number}", headers=regulator)
    client.get(f"/api/v1/entities/{number}/records", headers=regulator)
    assert client.get(f"/no-such-page/{number}").status_code == 404

    text = client.get("/metrics", headers=auth("admin", scopes=["metrics"])).get_data(True)

    assert number not in text
    endpoints = {
        dict(labels)["endpoint"] for name, labels in samples(text) if name.startswith("credit_http")
    }
    assert {"unmatched", "entities.EntityByIdentifier", "records.EntityRecords"} <= endpoints
    # endpoint names, never paths (the registry is the process's: other tests' apps, some
    # with routes of their own, have counted their requests in it too)
    assert not [endpoint for endpoint in endpoints if "/" in endpoint]


# --- pools ------------------------------------------------------------------------------------


def test_the_pools_of_the_engines_are_gauged(scrape):
    read = scrape()
    assert value(read, "credit_db_pool_size", pool="write") == 5
    assert value(read, "credit_db_pool_max_overflow", pool="write") == 10
    assert value(read, "credit_db_pool_overflow", pool="write") == 0
    assert value(read, "credit_db_pool_checked_out", pool="write") >= 0


# --- the exchange -----------------------------------------------------------------------------


def test_the_outbox_backlog_and_its_oldest_age_follow_the_clock(ctx, clock, scrape):
    assert value(scrape(), "credit_outbox_pending_events", platform="anhui") == 0
    assert value(scrape(), "credit_outbox_oldest_pending_age_seconds", platform="anhui") == 0
    first = emit(ctx)
    clock.advance(minutes=5)
    emit(ctx)
    clock.advance(minutes=10)

    read = scrape()

    assert value(read, "credit_outbox_pending_events", platform="anhui") == 2
    assert value(read, "credit_outbox_oldest_pending_age_seconds", platform="anhui") == 900
    with ctx.session_factory.begin() as session:  # the first pushed and confirmed
        session.add(SyncPosition(platform_id="anhui", last_event_id=first))
    read = scrape()
    assert value(read, "credit_outbox_pending_events", platform="anhui") == 1
    assert value(read, "credit_outbox_oldest_pending_age_seconds", platform="anhui") == 600


def test_dead_letters_and_quarantined_rows_are_counted(ctx, client, auth, scrape):
    refused = emit(ctx)
    letter = dead_letter(ctx, refused)
    with ctx.session_factory.begin() as session:
        session.add(SyncPosition(platform_id="anhui", last_event_id=refused))
        for n in range(2):
            session.add(
                QuarantinedRow(
                    platform_id="anhui",
                    change_id=f"c-{n}",
                    reason='{"code": "unknown-entity"}',
                    row={"n": n},
                    received_at=ctx.now(),
                )
            )

    read = scrape()

    assert value(read, "credit_sync_dead_letters", platform="anhui") == 1
    assert value(read, "credit_sync_quarantined_rows", platform="anhui") == 2
    assert value(read, "credit_outbox_pending_events", platform="anhui") == 0
    # re-queued: no longer a dead letter, pending again although behind the position
    admin = auth("admin")
    requeue = client.post(f"/api/v1/admin/sync/dead-letters/{letter}/requeue", headers=admin)
    assert requeue.status_code == 204
    read = scrape()
    assert value(read, "credit_sync_dead_letters", platform="anhui") == 0
    assert value(read, "credit_outbox_pending_events", platform="anhui") == 1


# --- jobs -------------------------------------------------------------------------------------


def run(ctx, job_id: str, *, fail: bool = False) -> str:  # type: ignore[no-untyped-def]
    def work() -> str:
        if fail:
            raise RuntimeError("boom")
        return "done"

    return job_services.run_recorded(ctx, job_id, ctx.now(), HOST, work)


def test_each_jobs_last_success_and_recent_outcomes_are_shown(ctx, clock, scrape):
    assert run(ctx, "audit.seal") == "succeeded"
    sealed_at = ctx.now()
    clock.advance(seconds=10)
    assert run(ctx, "audit.seal", fail=True) == "failed"
    clock.advance(days=2)
    assert run(ctx, "sync.push", fail=True) == "failed"
    assert run(ctx, "dishonesty.expire") == "succeeded"
    expired_at = ctx.now()

    read = scrape()

    last = "credit_job_last_success_timestamp_seconds"
    assert value(read, last, job_id="audit.seal") == sealed_at.timestamp()
    assert value(read, last, job_id="dishonesty.expire") == expired_at.timestamp()
    assert value(read, last, job_id="sync.push") is None  # never succeeded
    runs = "credit_job_recent_runs"
    assert value(read, runs, job_id="sync.push", outcome="failed") == 1
    assert value(read, runs, job_id="sync.push", outcome="succeeded") == 0
    # the seal's runs are two days old: out of the last 24 hours
    assert value(read, runs, job_id="audit.seal", outcome="failed") == 0
    assert value(read, runs, job_id="dishonesty.expire", outcome="succeeded") == 1


# --- deadlines and tiers ----------------------------------------------------------------------


def test_deadlines_due_today_and_overdue_follow_the_clock(ctx, clock, scrape):
    tier_services.apply_rule_set(ctx, SYSTEM)
    served = case_for(ctx, XUANZHOU, "serve_notice")
    assert served["statement_deadline"] == date(2026, 12, 2)
    owner, record = general_penalty(ctx)
    applied = apply(ctx, enterprise_of(ctx, owner), f"record:{record['id']}")
    assert applied["acceptance_due"] == date(2026, 11, 30)

    def deadlines() -> dict[str, tuple[float, float]]:
        read = scrape()
        return {
            p: (
                value(read, "credit_deadlines_due_today", procedure=p),
                value(read, "credit_deadlines_overdue", procedure=p),
            )
            for p in ("listing", "repair", "objection")
        }

    assert deadlines() == {"listing": (0, 0), "repair": (0, 0), "objection": (0, 0)}
    clock.set(local_noon(date(2026, 11, 30)))
    assert deadlines() == {"listing": (0, 0), "repair": (1, 0), "objection": (0, 0)}
    clock.set(local_noon(date(2026, 12, 2)))
    assert deadlines() == {"listing": (1, 0), "repair": (0, 1), "objection": (0, 0)}
    clock.set(local_noon(date(2026, 12, 3)))
    assert deadlines() == {"listing": (0, 1), "repair": (0, 1), "objection": (0, 0)}


def test_entities_are_counted_by_tier(ctx, scrape):
    tier_services.apply_rule_set(ctx, SYSTEM)
    before = scrape()
    create_entity(ctx)
    create_entity(ctx)
    read = scrape()
    for tier in "ACD":
        assert value(read, "credit_entities_by_tier", tier=tier) == value(
            before, "credit_entities_by_tier", tier=tier
        )
    grown = value(read, "credit_entities_by_tier", tier="B") - value(
        before, "credit_entities_by_tier", tier="B"
    )
    assert grown == 2


# --- when the database cannot be read ---------------------------------------------------------


def test_a_database_failure_still_answers_with_the_request_metrics(monkeypatch, scrape):
    assert value(scrape(), "credit_database_up") == 1

    def unreachable(ctx):  # type: ignore[no-untyped-def]
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(monitoring, "read", unreachable)
    read = scrape()
    assert value(read, "credit_database_up") == 0
    assert value(read, "credit_outbox_pending_events", platform="anhui") is None
    assert any(name == "credit_http_requests_total" for name, _ in read)

"""The console's queued CSV imports (credit_service/jobs/import_queue.py, run by
credit_service/import_runs.py as the scheduler's ``imports.run`` job): the upload keeps
the file and counts its rows; the job runner runs it as its uploader, with the counts
moving after each committed batch; a failure keeps the batches committed before it and
says why by a code; a dead process's import is closed; each officer sees the imports of
their region scope."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from credit_service import import_runs
from credit_service.access import SYSTEM, Actor
from credit_service.audit import services as audit
from credit_service.auth import accounts
from credit_service.auth import services as auth_services
from credit_service.entities import importer as entity_importer
from credit_service.entities.models import Entity
from credit_service.errors import Forbidden, InvalidInput, NotFound, read_stored
from credit_service.imports import ImportReport
from credit_service.jobs import import_queue
from credit_service.jobs.models import ImportJob, JobRun
from schedulers import jobs
from schedulers.__main__ import run_job
from tests.factories import CITY, LANGXI, XUANZHOU
from tests.integration.test_imports import ENTITY_COLUMNS, csv_text, entity_row

_numbers = iter(range(1, 1_000_000))
SPECS = {spec.id: spec for spec in jobs.JOBS}


def officer(ctx, role: str = "regulator", region: str | None = XUANZHOU) -> Actor:  # type: ignore[no-untyped-def]
    """A real account (the import acts as it when it runs) and the Actor it signs in as."""
    username = f"importer-{role}-{next(_numbers)}"
    user = auth_services.create_user(
        ctx, SYSTEM, username=username, display_name=username, role=role, region_code=region
    )
    return auth_services.actor_for(ctx, user, scopes=frozenset(), via="session", source_ip=None)


def entities_file(rows: list[dict[str, str]], columns=ENTITY_COLUMNS) -> bytes:  # type: ignore[no-untyped-def]
    return csv_text(columns, rows).getvalue().encode("utf-8")


def queue(ctx, actor: Actor, data: bytes, kind: str = "entities") -> dict:  # type: ignore[no-untyped-def]
    return import_queue.queue_import(ctx, actor, kind=kind, file_name="主体.csv", data=data)


def job_row(ctx, job_id: int) -> ImportJob:  # type: ignore[no-untyped-def]
    with ctx.session_factory() as session:
        return session.get(ImportJob, job_id)


def entities_count(ctx) -> int:  # type: ignore[no-untyped-def]
    with ctx.session_factory() as session:
        return session.execute(select(func.count()).select_from(Entity)).scalar_one()


# --- queueing ---------------------------------------------------------------------------------


def test_an_upload_keeps_the_file_privately_counts_its_rows_and_is_audited(ctx):
    actor = officer(ctx)
    data = entities_file([entity_row() for _ in range(3)])

    job = queue(ctx, actor, data)

    stored = import_queue.stored_file(ctx, job)
    assert stored.read_bytes() == data and stored.stat().st_mode & 0o777 == 0o600
    assert stored.is_relative_to(ctx.settings.data_dir)
    assert (job["state"], job["rows_total"], job["rows_processed"]) == ("queued", 3, 0)
    assert (job["username"], job["region_code"], job["file_name"]) == (
        actor.username,
        XUANZHOU,
        "主体.csv",
    )
    with ctx.session_factory() as session:
        (event,) = audit.query_events(session, action="import.queue")
    assert (event.object_id, event.actor, event.details["rows"]) == (
        str(job["id"]),
        actor.username,
        3,
    )
    assert entities_count(ctx) == 0  # nothing imported in the request


def test_a_file_that_is_not_utf8_is_refused_at_upload_with_nothing_kept(ctx):
    actor = officer(ctx)
    with pytest.raises(InvalidInput) as refused:
        queue(ctx, actor, "kind,identifier\n组织,甲\n".encode("gbk"))
    assert [e["code"] for e in refused.value.errors["file"]] == ["not-utf8-after-line"]
    assert import_queue.recent_jobs(ctx, SYSTEM) == []
    folder = ctx.settings.data_dir / import_queue.FOLDER
    assert not folder.exists() or list(folder.iterdir()) == []


def test_an_administrators_import_is_of_the_whole_service(ctx):
    job = queue(ctx, officer(ctx, "admin", None), entities_file([entity_row()]))
    assert job["region_code"] is None


# --- running ----------------------------------------------------------------------------------


def test_the_job_runner_runs_a_queued_import_with_its_counts_moving_per_batch(ctx, monkeypatch):
    ctx.settings = ctx.settings.replace(import_batch_size=2)
    actor = officer(ctx)
    rows = [entity_row() for _ in range(4)] + [entity_row(LANGXI)]  # the last: not theirs
    job = queue(ctx, actor, entities_file(rows))
    seen: list[tuple[str, int, int, int]] = []
    record = import_queue.record_progress

    def watched(ctx, job_id, report):  # type: ignore[no-untyped-def]
        record(ctx, job_id, report)
        row = job_row(ctx, job_id)  # as the page's poll reads it, between batches
        seen.append((row.state, row.rows_processed, row.rows_accepted, row.rows_rejected))
        seen_entities.append(entities_count(ctx))

    seen_entities: list[int] = []
    monkeypatch.setattr(import_queue, "record_progress", watched)

    assert run_job(ctx, SPECS["imports.run"], by_hand=True) == "succeeded"

    assert seen == [("running", 2, 2, 0), ("running", 4, 4, 0), ("running", 5, 4, 1)]
    assert seen_entities == [2, 4, 4]  # each count follows a committed batch
    done = job_row(ctx, job["id"])
    assert (done.state, done.rows_total, done.rows_processed) == ("done", 5, 5)
    assert (done.rows_accepted, done.rows_rejected, done.error) == (4, 1, None)
    assert done.started_at == done.finished_at == ctx.now()
    assert done.report["created"] == 4
    assert [(e["line"], e["column"], e["reason"]) for e in done.report["errors"]] == [
        (6, "region_code", "region-scope")
    ]
    assert not import_queue.stored_file(ctx, job).exists()  # the file goes when it ends
    with ctx.session_factory() as session:
        run = session.execute(select(JobRun).where(JobRun.job_id == "imports.run")).scalar_one()
        events = audit.query_events(session, action="entity.import")
    assert (run.outcome, run.detail) == ("succeeded", "{'done': 1}")
    assert {e.actor for e in events} == {actor.username}  # written as the uploader


def test_queued_imports_run_oldest_first_and_each_is_taken_once(ctx):
    actor = officer(ctx)
    first = queue(ctx, actor, entities_file([entity_row()]))
    second = queue(ctx, actor, entities_file([entity_row()]))

    taken = import_queue.claim_next(ctx)
    assert taken and taken["id"] == first["id"] and taken["state"] == "running"
    assert import_queue.claim_next(ctx)["id"] == second["id"]
    assert import_queue.claim_next(ctx) is None
    assert import_runs.run_queued(ctx) == {}  # both taken: nothing waits


# --- failures ---------------------------------------------------------------------------------


def test_a_header_that_is_not_ours_fails_the_import_with_its_reasons(ctx):
    job = queue(ctx, officer(ctx), b"nonsense,identifier\n1,2\n")

    assert import_runs.run_queued(ctx) == {"failed": 1}

    failed = job_row(ctx, job["id"])
    assert (failed.state, failed.rows_processed, failed.finished_at) == ("failed", 0, ctx.now())
    assert read_stored(failed.error) == {
        "code": "header-mismatch",
        "errors": {
            "header": [
                {"code": "unknown-columns", "columns": "nonsense"},
                {"code": "missing-columns", "columns": "kind, name, region_code"},
            ]
        },
    }
    assert not import_queue.stored_file(ctx, job).exists()


def test_a_failure_keeps_the_batches_committed_before_it_and_shows_no_traceback(ctx, monkeypatch):
    ctx.settings = ctx.settings.replace(import_batch_size=2)
    job = queue(ctx, officer(ctx), entities_file([entity_row() for _ in range(5)]))
    write = entity_importer._write_batch
    calls = iter(range(1, 10))

    def failing(*args, **kwargs):  # type: ignore[no-untyped-def]
        if next(calls) == 2:
            raise RuntimeError("connection reset by peer: SELECT secret FROM users")
        return write(*args, **kwargs)

    monkeypatch.setattr(entity_importer, "_write_batch", failing)

    assert import_runs.run_queued(ctx) == {"failed": 1}

    failed = job_row(ctx, job["id"])
    assert failed.state == "failed" and read_stored(failed.error) == {"code": "import-failed"}
    assert (failed.rows_processed, failed.rows_accepted) == (2, 2)  # the first batch only
    assert failed.report["created"] == 2 and entities_count(ctx) == 2
    assert "secret" not in failed.error and "RuntimeError" not in failed.error


def test_an_uploader_disabled_before_the_run_imports_nothing(ctx):
    actor = officer(ctx)
    job = queue(ctx, actor, entities_file([entity_row()]))
    accounts.set_active(ctx, SYSTEM, actor.username, active=False)

    assert import_runs.run_queued(ctx) == {"failed": 1}

    failed = job_row(ctx, job["id"])
    assert read_stored(failed.error) == {"code": "import-uploader-changed"}
    assert entities_count(ctx) == 0


def test_an_import_a_dead_process_left_running_is_closed_after_a_lease_period(ctx, clock):
    job = queue(ctx, officer(ctx), entities_file([entity_row()]))
    assert import_queue.claim_next(ctx)["id"] == job["id"]  # and then the process died
    clock.advance(seconds=ctx.settings.scheduler_lease_seconds - 1)
    assert import_runs.run_queued(ctx) == {}  # it may still be working

    clock.advance(seconds=2)
    assert import_runs.run_queued(ctx) == {"interrupted": 1}

    closed = job_row(ctx, job["id"])
    assert (closed.state, read_stored(closed.error)) == ("failed", {"code": "import-interrupted"})
    assert not import_queue.stored_file(ctx, job).exists()
    import_queue.record_progress(ctx, job["id"], ImportReport(rows=1))
    assert job_row(ctx, job["id"]).rows_processed == 0  # a late report changes nothing


# --- who sees what ----------------------------------------------------------------------------


def test_each_officer_sees_the_imports_of_their_region_scope(ctx):
    xuanzhou, langxi = officer(ctx, region=XUANZHOU), officer(ctx, region=LANGXI)
    city, admin = officer(ctx, region=CITY), officer(ctx, "admin", None)
    ids = {
        who: queue(ctx, actor, entities_file([entity_row()]))["id"]
        for who, actor in (("xuanzhou", xuanzhou), ("city", city), ("admin", admin))
    }

    def listed(actor: Actor) -> set[str]:
        shown = {job["id"] for job in import_queue.recent_jobs(ctx, actor)}
        return {who for who, job_id in ids.items() if job_id in shown}

    assert listed(admin) == {"xuanzhou", "city", "admin"}
    assert listed(city) == {"xuanzhou", "city"}
    assert listed(xuanzhou) == {"xuanzhou"}
    assert listed(langxi) == set()
    assert import_queue.get_job(ctx, xuanzhou, ids["xuanzhou"])["id"] == ids["xuanzhou"]
    for actor, who in ((langxi, "xuanzhou"), (xuanzhou, "city"), (city, "admin")):
        with pytest.raises(Forbidden):
            import_queue.get_job(ctx, actor, ids[who])
    with pytest.raises(NotFound):
        import_queue.get_job(ctx, admin, 999_999)


def test_the_queue_and_the_runner_know_the_same_kinds():
    assert set(import_runs.IMPORTERS) == set(import_queue.KINDS)

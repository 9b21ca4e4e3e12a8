"""Request ids outside web requests, and in the signed audit log (issue #21): a job run's
rows carry ``job-<job>-<run>``, a command's ``cli-…``; a request id is hashed into its
row's leaf when set, so rows sealed before request ids existed verify as before, and a
request id changed after the seal is caught like any other change."""

from __future__ import annotations

import hashlib
from datetime import date

from sqlalchemy import select, update

from credit_service import request_ids
from credit_service.access import SYSTEM
from credit_service.audit import rules, sealing, verification
from credit_service.audit import services as audit
from credit_service.audit.models import AuditEvent
from credit_service.clock import local_noon
from credit_service.jobs.models import JobRun
from credit_service.sync.models import OutboxEvent
from schedulers import jobs
from schedulers.__main__ import run_job
from tests.factories import create_entity, file_penalty

END_PUBLICATION = next(spec for spec in jobs.JOBS if spec.id == "records.end_publication")


def ended_publication_trail(ctx, record_id: int) -> tuple[list[str | None], list[str | None]]:
    """The request ids of the audit rows and outbox events that ended ``record_id``'s
    publication."""
    with ctx.read_session_factory() as session:
        audited = session.scalars(
            select(AuditEvent.request_id).where(AuditEvent.action == "record.end_publication")
        ).all()
        events = session.scalars(
            select(OutboxEvent.request_id).where(
                OutboxEvent.event_type == "record.publication_ended",
                OutboxEvent.aggregate_id == str(record_id),
            )
        ).all()
    return list(audited), list(events)


def test_a_job_run_s_rows_carry_the_job_s_request_id(ctx, clock, client, auth):
    record = file_penalty(ctx, create_entity(ctx)["identifier"])
    clock.set(local_noon(date(2030, 1, 10)))  # the penalty's publicity ended meanwhile

    assert run_job(ctx, END_PUBLICATION, by_hand=True) == "succeeded"

    with ctx.read_session_factory() as session:
        run_id = session.scalar(
            select(JobRun.id).where(JobRun.job_id == END_PUBLICATION.id).order_by(JobRun.id.desc())
        )
    expected = f"job-records.end_publication-{run_id}"
    assert ended_publication_trail(ctx, record["id"]) == ([expected], [expected])
    assert request_ids.current() is None  # the run's id ends with the run
    runs = client.get("/api/v1/admin/jobs", headers=auth("admin")).get_json()
    assert runs[0]["request_id"] == expected  # the administrators' list of runs names it


def test_a_command_s_rows_carry_a_cli_request_id(app, ctx, clock):
    record = file_penalty(ctx, create_entity(ctx)["identifier"])
    clock.set(local_noon(date(2030, 1, 10)))

    result = app.test_cli_runner().invoke(args=["records", "end-publications"])

    assert result.exit_code == 0, result.output
    (audited,), (evented,) = ended_publication_trail(ctx, record["id"])
    assert audited == evented and audited.startswith("cli-")
    assert request_ids.WELL_FORMED.fullmatch(audited)


def test_a_job_request_id_keeps_its_run_when_the_name_is_long():
    made = request_ids.job_request_id("x" * 60, 1234567)
    assert len(made) == request_ids.MAX_LENGTH and made.endswith("-1234567")


def appended(ctx, request_id: str | None) -> int:
    def write() -> int:
        with ctx.session_factory.begin() as session:
            return audit.append(session, actor=SYSTEM, action="test.act", now=ctx.now()).id

    if request_id is None:
        return write()
    with request_ids.bound(request_id):
        return write()


def stored(ctx, event_id: int) -> AuditEvent:
    with ctx.read_session_factory() as session:
        return session.get(AuditEvent, event_id)


def test_rows_with_and_without_request_ids_seal_and_verify(app, ctx):
    old, new = appended(ctx, None), appended(ctx, "sealed-request-1")
    sealing.seal_log(ctx)

    result = app.test_cli_runner().invoke(args=["audit", "verify"])

    assert result.exit_code == 0, result.output
    assert "audit log intact:" in result.stdout
    assert stored(ctx, old).request_id is None
    assert stored(ctx, new).request_id == "sealed-request-1"


def test_a_row_without_a_request_id_hashes_as_before_request_ids_existed(ctx):
    """The leaf of a row with no request id is the one the previous release computed (its
    formula written out here), so a log sealed before the upgrade verifies after it."""
    row = stored(ctx, appended(ctx, None))
    content = {c: getattr(row, c) for c in rules.CONTENT_COLUMNS}
    content["occurred_at"] = rules.timestamp(content["occurred_at"])
    before = hashlib.sha256(b"\x00" + rules.canonical({"seq": 7, **content})).hexdigest()

    assert rules.leaf_hash(7, rules.content_of(row)) == before
    assert rules.leaf_hash(7, {**rules.content_of(row), "request_id": "any-request-1"}) != before


def test_a_request_id_changed_after_the_seal_is_caught(ctx):
    tagged, untagged = appended(ctx, "sealed-request-2"), appended(ctx, None)
    sealing.seal_log(ctx)
    assert verification.verify_log(ctx).ok
    changes = {tagged: "other-request-9", untagged: "added-request-9"}
    with ctx.session_factory.begin() as session:
        for event_id, value in changes.items():
            session.execute(
                update(AuditEvent).where(AuditEvent.id == event_id).values(request_id=value)
            )

    result = verification.verify_log(ctx)

    forged = {
        seq
        for f in result.findings
        if f.problem == "audit-row-forged"
        for seq in range(f.params["seq"], f.params["through"] + 1)
    }
    assert forged == {stored(ctx, tagged).seq, stored(ctx, untagged).seq}

"""Retention use cases: the dry-run report, the purge after the grace period, and the
nightly run of both (the ``retention.run`` job).

A purge deletes through each area's own service, in batches of ``BATCH``, each in its
own transaction: a record's revisions, its ``record.purged`` event and its owner's tier
commit with it or not at all (the handler table, ``RecordPurged``), and each batch is
one audit row naming its ids. Evidence files leave the disk only after their rows'
transaction committed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credit_service.access import Actor
from credit_service.audit import services as audit
from credit_service.context import Context
from credit_service.entities import services as entity_services
from credit_service.errors import InvalidInput
from credit_service.jobs import services as job_services
from credit_service.objections import services as objection_services
from credit_service.procedures.evidence import remove_files
from credit_service.records import services as record_services
from credit_service.records.models import CreditRecord
from credit_service.repair import services as repair_services
from credit_service.retention import reports
from credit_service.retention.plan import (
    KINDS,
    Plan,
    job_runs_cutoff,
    plan_for,
    record_holds,
)
from credit_service.sync import delivered
from credit_service.tiers import services as tier_services

BATCH = 500  # ids per transaction


def report(ctx: Context, actor: Actor, on: date | None = None) -> dict[str, Any]:
    """Write the dry-run report of what is past retention on ``on`` (default today) and
    audit its counts; the counts, as a job's detail shows them (``retention-report-written``)."""
    plan = _plan(ctx, on or ctx.today())
    written = reports.content(
        plan,
        generated_at=ctx.now(),
        written_on=ctx.today(),
        purge=ctx.settings.retention_purge,
    )
    reports.write(ctx, written)
    summary = _counts(plan)
    audit.append_alone(
        ctx.session_factory,
        actor=actor,
        action="retention.report",
        now=ctx.now(),
        object_type="retention-report",
        object_id=plan.on.isoformat(),
        details=summary,
    )
    return {"code": "retention-report-written", **summary}


def purge(ctx: Context, actor: Actor, on: date | None = None) -> dict[str, Any]:
    """Delete what the standing report (``reports.standing``: written at least
    RETENTION_GRACE_DAYS ago) listed and is still past retention on ``on`` (default
    today; never a later day: what is not past retention yet is never deleted).

    :raises InvalidInput: ``on`` after today.
    """
    today = ctx.today()
    on = on or today
    if on > today:
        raise InvalidInput(
            "retention-day-after-today", errors={"on": ["retention-day-after-today"]}
        )
    plan = _plan(ctx, on)
    counts = _counts(plan)
    grace_days = ctx.settings.retention_grace_days
    standing = reports.standing(ctx, today, grace_days)
    if standing is None:
        return {"code": "retention-no-report", **counts, "grace_days": grace_days}
    listed = reports.listed(standing)
    purged = {
        f"purged_{kind}": _in_batches(ctx, [i for i in plan.due[kind] if i in listed[kind]], step)
        for kind, step in _steps(ctx, actor, on).items()
    }
    evidence = purged["purged_repair_evidence"] + purged["purged_objection_evidence"]
    through = reports.outbox_through(standing)
    moment = plan.moment  # the plan's, not now's: the steps above may take minutes
    return {
        "code": "retention-purge-done",
        **counts,
        "report": standing["day"],
        **purged,
        "purged_evidence": evidence,
        "purged_outbox": _drain(
            ctx,
            actor,
            "outbox.purge",
            partial(delivered.purge_step, ctx=ctx, through_id=through, now=moment),
        )
        if through
        else 0,
        "purged_job_runs": _drain(
            ctx,
            actor,
            "job_runs.prune",
            partial(_job_runs_step, job_runs_cutoff(ctx, moment)),
        ),
    }


def nightly(ctx: Context, actor: Actor) -> dict[str, Any]:
    """The ``retention.run`` job: today's report, then, with RETENTION_PURGE on, the
    purge; what a job run's detail says of it."""
    reported = report(ctx, actor)
    return purge(ctx, actor) if ctx.settings.retention_purge else reported


def _plan(ctx: Context, on: date) -> Plan:
    with ctx.read_session_factory() as session:
        return plan_for(session, ctx, on)


def _counts(plan: Plan) -> dict[str, Any]:
    return {
        "day": plan.on.isoformat(),
        **{kind: len(plan.due[kind]) for kind in KINDS},
        "evidence": len(plan.due["repair_evidence"]) + len(plan.due["objection_evidence"]),
        "held": sum(len(ids) for ids in plan.held.values()),
        "audit_rows": plan.audit.rows,
        "outbox_rows": plan.outbox.rows,
        "job_runs": plan.job_runs,
    }


# One batch of rows deleted in its transaction: how many went, and its audit row's details.
Drained = Callable[[Session], tuple[int, dict[str, Any]]]


def _drain(ctx: Context, actor: Actor, action: str, step: Drained) -> int:
    """Run ``step`` until it deletes nothing, each batch its own transaction with its
    audit row (for the tables that are not listed by id: the outbox, the job runs); how
    many went."""
    done = 0
    while True:
        with ctx.session_factory.begin() as session:
            gone, details = step(session)
            if gone:
                audit.append(
                    session,
                    actor=actor,
                    action=action,
                    now=ctx.now(),
                    object_type="retention",
                    object_id=action,
                    details={"count": gone, **details},
                )
        if not gone:
            return done
        done += gone


def _job_runs_step(before: datetime, session: Session) -> tuple[int, dict[str, Any]]:
    """One batch of the job runs scheduled ``before`` (past JOB_RUNS_RETENTION_DAYS on the
    purge's day; a run holds nobody's data: no report needs to list it first)."""
    return job_services.prune_runs(session, before), {"before": before.isoformat()}


# One batch of one kind, in its transaction: how many went, and the files to remove once
# it commits.
Step = Callable[[Session, list[int]], tuple[int, list[Path]]]


def _steps(ctx: Context, actor: Actor, on: date) -> dict[str, Step]:
    """How each kind is purged (``Step``), in ``KINDS`` order. Records and persons are
    checked again in the batch's transaction: a hold begun since the plan keeps its
    record, and a person one of whose records was not listed long enough stays."""

    def evidence(discard: Callable[..., list[Path]]) -> Step:
        def step(session: Session, ids: list[int]) -> tuple[int, list[Path]]:
            files = discard(session, ctx, actor, ids)
            return len(files), files

        return step

    def records(session: Session, ids: list[int]) -> tuple[int, list[Path]]:
        holds = set().union(*record_holds(session).values())
        free = [i for i in ids if i not in holds]
        return len(record_services.purge_records(session, ctx, actor, free, on=on)), []

    def entities(session: Session, ids: list[int]) -> tuple[int, list[Path]]:
        owning = set(
            session.execute(
                select(CreditRecord.entity_id).where(CreditRecord.entity_id.in_(ids))
            ).scalars()
        )
        free = [i for i in ids if i not in owning]
        if free:
            tier_services.forget_entities(session, free)
            entity_services.purge_entities(session, ctx, actor, free)
        return len(free), []

    return {  # in KINDS order
        "repair_evidence": evidence(repair_services.discard_evidence),
        "objection_evidence": evidence(objection_services.discard_evidence),
        "records": records,
        "entities": entities,
    }


def _in_batches(ctx: Context, ids: Sequence[int], step: Step) -> int:
    """Run ``step`` on ``ids`` ``BATCH`` at a time, each batch its own transaction; how
    many went."""
    done = 0
    for start in range(0, len(ids), BATCH):
        with ctx.session_factory.begin() as session:
            gone, files = step(session, list(ids[start : start + BATCH]))
        remove_files(files)
        done += gone
    return done

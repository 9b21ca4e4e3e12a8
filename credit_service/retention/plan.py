"""What is past its retention on a day, and what of it must still wait.

- **Credit records** (D16): those whose ``retention_end`` (records/rules.py: the item's
  retention, at most 5 years from the end of the conduct, never before the publicity
  ends) is before the day. A record is *held* while something still rests on it: an open
  repair application or objection about it, a listing case not closed that names it, an
  inspection result that filed it (inspections have no retention rule yet).
- **Natural persons** (PIPL art. 47; their identity is personal data): an entity of kind
  ``natural_person`` with nothing left about it once its records past retention go (no
  record still kept or held, no listing case, repair application, objection, credit
  report, inspection item or declared conflict, no unexpired tier override, no account
  bound to its number). One that never had a record goes once its registry entry has
  not changed for the default retention (``default_retention`` in catalogs/records.yaml).
- **Evidence files** of natural persons' *closed* repair applications and objections
  about a record, once that record goes (or is gone): they prove what was decided about
  it, and go with it. Evidence about a listing stays (listings have no retention rule).
- **The audit trail** keeps its own rule (AUDIT_RETENTION_DAYS): the plan only says what
  the ``audit.purge`` job will delete (``audit.sealing.purge_plan``).
- **The outbox** (OUTBOX_RETENTION_DAYS): events every pushing platform has taken, that
  none may be sent again (``sync.delivered``); a record event's payload names its party.
- **Job runs** (JOB_RUNS_RETENTION_DAYS): runs of scheduled jobs, each job's last
  success kept (``jobs.services.prune_runs``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from credit_service.audit.sealing import PurgePlan, purge_plan
from credit_service.auth.models import User
from credit_service.context import Context
from credit_service.dishonesty.models import DishonestyCase
from credit_service.dishonesty.rules import CLOSED_STATES
from credit_service.entities.models import Entity
from credit_service.inspections.models import InspectionItem, InspectorConflict
from credit_service.jobs import services as job_services
from credit_service.objections.models import OPEN_STATES as OPEN_OBJECTION
from credit_service.objections.models import Objection, ObjectionEvidence
from credit_service.records.models import CreditRecord
from credit_service.repair.models import OPEN_STATES as OPEN_REPAIR
from credit_service.repair.models import RepairApplication, RepairEvidence
from credit_service.reports.models import CreditReport
from credit_service.sync.delivered import OutboxPurgePlan
from credit_service.sync.delivered import plan_of as outbox_plan
from credit_service.tiers.models import TierOverride
from credit_service.workdays import add_months

NATURAL_PERSON = "natural_person"
# What the report lists and the purge deletes, in the order it deletes them: evidence
# before the records it is about, records before their owners.
KINDS = ("repair_evidence", "objection_evidence", "records", "entities")
HOLDS = ("repair_open", "objection_open", "listing", "inspection")


@dataclass(frozen=True)
class Plan:
    """What is past retention on ``on``: ``due`` ids per kind (``KINDS``), the records
    past retention that must still wait (``held``, per reason: ``HOLDS``), what the
    audit purge will take, the outbox events that may go and the job runs that will,
    counted back from ``moment`` (``moment_of``)."""

    on: date
    due: dict[str, list[int]]
    held: dict[str, list[int]]
    audit: PurgePlan
    outbox: OutboxPurgePlan
    job_runs: int
    moment: datetime


def plan_for(session: Session, ctx: Context, on: date) -> Plan:
    past = dict(
        session.execute(
            select(CreditRecord.id, CreditRecord.entity_id).where(CreditRecord.retention_end < on)
        ).all()
    )
    holds = record_holds(session)
    held = {reason: sorted(ids & past.keys()) for reason, ids in holds.items()}
    kept = set().union(*held.values())
    records = sorted(past.keys() - kept)
    kept_owners = {past[record_id] for record_id in kept}
    due = {
        "repair_evidence": _evidence(
            session, RepairEvidence.application_id, RepairApplication, OPEN_REPAIR, set(records)
        ),
        "objection_evidence": _evidence(
            session, ObjectionEvidence.objection_id, Objection, OPEN_OBJECTION, set(records)
        ),
        "records": records,
        "entities": sorted(set(_persons(session, ctx, on)) - kept_owners),
    }
    moment = moment_of(ctx, on)
    audit = purge_plan(session, now=moment, retention_days=ctx.settings.audit_retention_days)
    runs = job_services.runs_before(session, job_runs_cutoff(ctx, moment))
    return Plan(on, due, held, audit, outbox_plan(session, ctx, moment), runs, moment)


def moment_of(ctx: Context, on: date) -> datetime:
    """This time of day on ``on``: the instant the cutoffs kept in instants (the audit
    trail, the outbox, the job runs) are counted back from for a purge of that day."""
    return ctx.now() + (on - ctx.today())


def job_runs_cutoff(ctx: Context, now: datetime) -> datetime:
    """Runs scheduled before this instant are past JOB_RUNS_RETENTION_DAYS."""
    return now - timedelta(days=ctx.settings.job_runs_retention_days)


def record_holds(session: Session) -> dict[str, set[int]]:
    """The records something still rests on, per reason (``HOLDS``), past retention or
    not: read again in each purge's transaction, so a hold that began after the plan
    still keeps its record."""
    listed: set[int] = set()
    for ids in session.execute(
        select(DishonestyCase.record_ids).where(DishonestyCase.state.not_in(CLOSED_STATES))
    ).scalars():
        listed.update(ids)
    return {
        "repair_open": _open_targets(session, RepairApplication, OPEN_REPAIR),
        "objection_open": _open_targets(session, Objection, OPEN_OBJECTION),
        "listing": listed,
        "inspection": set(
            session.execute(
                select(InspectionItem.record_id).where(InspectionItem.record_id.is_not(None))
            ).scalars()
        ),
    }


def _open_targets(session: Session, model: Any, open_states: tuple[str, ...]) -> set[int]:
    return set(
        session.execute(
            select(model.target_id).where(
                model.target_type == "record", model.state.in_(open_states)
            )
        ).scalars()
    )


def _persons(session: Session, ctx: Context, on: date) -> list[int]:
    """Natural persons with nothing left about them once their records past retention go
    (the module's rule); the owners of held records are taken out by the caller."""
    owned = Entity.id
    kept_record = exists().where(
        CreditRecord.entity_id == owned,
        or_(CreditRecord.retention_end.is_(None), CreditRecord.retention_end >= on),
    )
    blockers = [
        exists().where(model.entity_id == owned)
        for model in (
            DishonestyCase,
            RepairApplication,
            Objection,
            CreditReport,
            InspectionItem,
            InspectorConflict,
        )
    ]
    override = exists().where(
        TierOverride.entity_id == owned,
        TierOverride.revoked_at.is_(None),
        TierOverride.expires_on >= on,
    )
    bound = exists().where(User.uscc == Entity.identifier)
    months = ctx.catalogs.publicity.default_retention_months
    unchanged_since = datetime.combine(add_months(on, -months), time(0), tzinfo=ctx.tz)
    had_records = exists().where(CreditRecord.entity_id == owned)
    return list(
        session.execute(
            select(Entity.id)
            .where(
                Entity.kind == NATURAL_PERSON,
                ~kept_record,
                *(~blocker for blocker in blockers),
                ~override,
                ~bound,
                or_(had_records, Entity.updated_at < unchanged_since),
            )
            .order_by(Entity.id)
        ).scalars()
    )


def _evidence(
    session: Session, parent_key: Any, parent: Any, open_states: tuple[str, ...], going: set[int]
) -> list[int]:
    """Evidence of natural persons' closed procedures about a record that goes now
    (``going``) or is gone already."""
    model = parent_key.class_
    rows = session.execute(
        select(model.id, parent.target_id)
        .join(parent, parent.id == parent_key)
        .join(Entity, Entity.id == parent.entity_id)
        .where(
            Entity.kind == NATURAL_PERSON,
            parent.target_type == "record",
            parent.state.not_in(open_states),
        )
        .order_by(model.id)
    ).all()
    targets = {target for _, target in rows} - going
    existing = set(
        session.execute(select(CreditRecord.id).where(CreditRecord.id.in_(targets))).scalars()
        if targets
        else ()
    )
    return [evidence_id for evidence_id, target in rows if target not in existing]

"""Credit-repair use cases: eligibility, applications, evidence, review, grant, revocation.

A grant takes effect everywhere in one transaction: the record leaves publication (or the
listing is removed), the public list and change feed show it, the tier is recomputed and
the outbox event for the provincial platforms is written.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date
from pathlib import Path
from typing import IO, Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from credit_service import changes
from credit_service.access import Actor
from credit_service.audit import services as audit
from credit_service.bounds import MAX_ID, id_in_range
from credit_service.catalogs import services as catalog_services
from credit_service.context import Context
from credit_service.dishonesty import services as dishonesty_services
from credit_service.dishonesty.models import DishonestyCase
from credit_service.dishonesty.public import in_force
from credit_service.entities import services as entity_services
from credit_service.entities.models import Entity
from credit_service.errors import Conflict, Forbidden, InvalidInput, NotFound
from credit_service.files import write_private
from credit_service.records import services as record_services
from credit_service.records.models import CreditRecord
from credit_service.repair import pdf_content, rules
from credit_service.repair.models import OPEN_STATES, RepairApplication, RepairEvidence, RepairStep
from credit_service.step_dates import ensure_step_date
from credit_service.workdays import period_passed_on

TARGET_KINDS = ("record", "listing")


def parse_target(target: str) -> tuple[str, int]:
    """'record:12' or 'listing:3' → (kind, id).

    :raises InvalidInput:
    """
    kind, _, raw_id = (target or "").partition(":")
    if kind not in TARGET_KINDS or not (raw_id.isascii() and raw_id.isdigit()):
        raise InvalidInput(
            "target must be record:<id> or listing:<id>; 修复对象格式有误",
            errors={"target": ["record:<id> or listing:<id>"]},
        )
    if not id_in_range(int(raw_id)):
        raise InvalidInput(
            "the target's id is out of range; 修复对象编号超出范围",
            errors={"target": [f"the id must be at most {MAX_ID}"]},
        )
    return kind, int(raw_id)


def _target(
    session: Session, ctx: Context, actor: Actor, kind: str, target_id: int
) -> tuple[Entity, rules.TargetFacts]:
    """The target's entity (scope-checked) and its facts.

    :raises NotFound, Forbidden:
    """
    if kind == "record":
        record = session.get(CreditRecord, target_id)
        if record is None or record.category != "dishonest":
            raise NotFound("no such dishonest record; 未找到该失信信息", code="target-not-found")
        entity = _entity_for(session, actor, record.entity_id)
        return entity, _record_facts(session, ctx, record)
    case = session.get(DishonestyCase, target_id)
    if case is None or case.published_on is None:
        raise NotFound("no such listing; 未找到该名单信息", code="target-not-found")
    entity = _entity_for(session, actor, case.entity_id)
    return entity, _listing_facts(session, ctx, case)


def _entity_for(session: Session, actor: Actor, entity_id: int) -> Entity:
    entity = session.get(Entity, entity_id)
    return entity_services.entity_in_scope(session, actor, entity.identifier)


def _record_facts(session: Session, ctx: Context, record: CreditRecord) -> rules.TargetFacts:
    item = catalog_services.item_definition(session, ctx, record.catalog_item_id)
    today = ctx.today()
    in_publicity = (
        record.status == "active" and bool(record.publicity_end) and record.publicity_end >= today
    )
    restricting = ctx.catalogs.publicity.no_early_stop_penalty_types
    return rules.TargetFacts(
        kind="record",
        in_force=in_publicity,
        repairable=item.repairable and record.early_stop_allowed,
        decided_on=record.decision_date,
        minimum_passes_on=record.repair_from,
        restriction_until=rules.restriction_end([record.fields], restricting),
    )


def _listing_facts(session: Session, ctx: Context, case: DishonestyCase) -> rules.TargetFacts:
    today = ctx.today()
    fields = (
        session.execute(select(CreditRecord.fields).where(CreditRecord.id.in_(case.record_ids)))
        .scalars()
        .all()
    )
    return rules.TargetFacts(
        kind="listing",
        in_force=bool(
            session.execute(
                select(DishonestyCase.id).where(DishonestyCase.id == case.id, in_force(today))
            ).first()
        ),
        repairable=True,
        decided_on=case.decided_on,
        minimum_passes_on=period_passed_on(
            _term_started(session, case), ctx.list_rules.early_removal_months
        ),
        restriction_until=rules.restriction_end(
            list(fields), ctx.catalogs.publicity.no_early_stop_penalty_types
        ),
    )


def _term_started(session: Session, case: DishonestyCase) -> date:
    """The listing decision, or the day a repair obtained with false materials was
    revoked: the term, and with it the year before early removal, restarts then (D7)."""
    restarted = session.execute(
        select(func.max(RepairApplication.revoked_on)).where(
            RepairApplication.target_type == "listing",
            RepairApplication.target_id == case.id,
            RepairApplication.state == "revoked",
        )
    ).scalar_one()
    return max(d for d in (case.decided_on, restarted) if d is not None)


def _applicant_facts(
    session: Session, entity_id: int, exclude_record: int | None
) -> rules.ApplicantFacts:
    penalties = session.execute(
        select(CreditRecord.decision_date).where(
            CreditRecord.entity_id == entity_id,
            CreditRecord.heavier_penalty,
            CreditRecord.status != "revoked",
            CreditRecord.id != (exclude_record or 0),
        )
    ).scalars()
    # a repair later revoked for false materials was completed too: it starts the cooldown
    last = session.execute(
        select(func.max(RepairApplication.decided_on)).where(
            RepairApplication.entity_id == entity_id,
            RepairApplication.state.in_(("granted", "revoked")),
        )
    ).scalar_one()
    return rules.ApplicantFacts(tuple(penalties), last)


def check_eligibility(ctx: Context, actor: Actor, target: str) -> dict[str, Any]:
    """Whether a repair of the target could succeed today, condition by condition."""
    kind, target_id = parse_target(target)
    with ctx.read_session_factory() as session:
        entity, facts = _target(session, ctx, actor, kind, target_id)
        result = rules.eligibility(
            facts,
            _applicant_facts(session, entity.id, target_id if kind == "record" else None),
            ctx.repair_rules,
            ctx.today(),
        )
    return _eligibility_view(target, result, ctx)


def _eligibility_view(target: str, result: rules.Eligibility, ctx: Context) -> dict[str, Any]:
    return {
        "target": target,
        "eligible": result.eligible,
        "earliest": result.earliest,
        "conditions": [c.__dict__ for c in result.conditions],
        "materials": list(result.materials),
        "commitment": {
            "version": ctx.repair_rules.commitment_version,
            "text": ctx.repair_rules.commitment_text,
        },
    }


def apply(
    ctx: Context,
    actor: Actor,
    *,
    target: str,
    reason: str,
    measures_taken: str,
    obligations_performed: bool,
    commitment_version: str,
    contact: str,
    idempotency_key: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """Submit an application (an enterprise, for its own entity).

    :returns: (application, created?) — the same Idempotency-Key returns the first one.
    :raises InvalidInput: ineligible (listing unmet conditions and the earliest date), or
        a commitment to another text version.
    :raises Conflict: an open application for the same target exists (named).
    """
    kind, target_id = parse_target(target)
    if idempotency_key:
        existing = _by_key(ctx, actor, idempotency_key)
        if existing is not None:
            return _same_target(existing, f"{kind}:{target_id}"), False
    _check_commitment(ctx, commitment_version, obligations_performed)
    try:
        with ctx.session_factory.begin() as session:
            application = _submit(
                session,
                ctx,
                actor,
                kind,
                target_id,
                reason=reason,
                measures_taken=measures_taken,
                contact=contact,
                idempotency_key=idempotency_key,
            )
            return application_view(session, ctx, application), True
    except IntegrityError:
        # Lost a race: a double click, or another open application for the target.
        existing = _by_key(ctx, actor, idempotency_key) if idempotency_key else None
        if existing is not None:
            return _same_target(existing, f"{kind}:{target_id}"), False
        raise _open_conflict(ctx, kind, target_id) from None


def _same_target(existing: dict[str, Any], target: str) -> dict[str, Any]:
    """A repeated Idempotency-Key must repeat the same application, not start another."""
    if existing["target"] != target:
        raise InvalidInput(
            f"this Idempotency-Key was used for application {existing['id']} "
            f"({existing['target']}); 该幂等键已用于另一申请",
            code="idempotency-key-reused",
            errors={"Idempotency-Key": ["already used for another target"]},
        )
    return existing


def _check_commitment(ctx: Context, version: str, obligations_performed: bool) -> None:
    errors = {}
    if version != ctx.repair_rules.commitment_version:
        errors["commitment_version"] = [
            f"sign the current commitment, version {ctx.repair_rules.commitment_version}"
        ]
    if not obligations_performed:
        errors["obligations_performed"] = ["declare that the obligations were performed"]
    if errors:
        raise InvalidInput("the credit commitment is incomplete; 信用承诺不完整", errors=errors)


def _submit(
    session: Session, ctx: Context, actor: Actor, kind: str, target_id: int, **values: Any
) -> RepairApplication:
    entity, facts = _target(session, ctx, actor, kind, target_id)
    if actor.role != "enterprise":
        raise Forbidden(
            "only the enterprise itself applies; 须由主体本身申请", code="not-applicant"
        )
    result = rules.eligibility(
        facts,
        _applicant_facts(session, entity.id, target_id if kind == "record" else None),
        ctx.repair_rules,
        ctx.today(),
    )
    if not result.eligible:
        unmet = [
            f"{c.label}" + (f"（{c.passes_on}起）" if c.passes_on else "")
            for c in result.conditions
            if c.state == "not_met"
        ]
        raise InvalidInput(
            "the repair cannot be granted yet; 暂不符合信用修复条件",
            code="not-eligible",
            errors={"target": unmet},
            earliest=result.earliest,
        )
    if _open_for(session, kind, target_id) is not None:
        raise _open_conflict(ctx, kind, target_id)
    today, now = ctx.today(), ctx.now()
    due = rules.acceptance_due(ctx.repair_rules, ctx.calendar, today)
    application = RepairApplication(
        target_type=kind,
        target_id=target_id,
        entity_id=entity.id,
        region_code=entity.region_code,
        state="submitted",
        obligations_performed=True,
        commitment_version=ctx.repair_rules.commitment_version,
        commitment_text=ctx.repair_rules.commitment_text,
        committed_at=now,
        applicant=actor.username,
        submitted_on=today,
        acceptance_due=due.due,
        due_provisional=due.provisional,
        clock_from=today,
        clock_workdays=ctx.repair_rules.acceptance_workdays,
        created_at=now,
        updated_at=now,
        **values,
    )
    session.add(application)
    session.flush()
    _log(session, ctx, actor, application, "submit", values["reason"], today)
    return application


def _open_for(session: Session, kind: str, target_id: int) -> RepairApplication | None:
    return session.execute(
        select(RepairApplication).where(
            RepairApplication.target_type == kind,
            RepairApplication.target_id == target_id,
            RepairApplication.state.in_(OPEN_STATES),
        )
    ).scalar_one_or_none()


def _open_conflict(ctx: Context, kind: str, target_id: int) -> Conflict:
    with ctx.read_session_factory() as session:
        open_one = _open_for(session, kind, target_id)
    return Conflict(
        f"application {open_one.id if open_one else '?'} for this target is still "
        f"open; 该对象已有未办结的申请",
        code="application-open",
        application_id=open_one.id if open_one else None,
    )


def _by_key(ctx: Context, actor: Actor, key: str) -> dict[str, Any] | None:
    with ctx.read_session_factory() as session:
        found = session.execute(
            select(RepairApplication).where(
                RepairApplication.applicant == actor.username,
                RepairApplication.idempotency_key == key,
            )
        ).scalar_one_or_none()
        return application_view(session, ctx, found) if found else None


def add_evidence(
    ctx: Context, actor: Actor, application_id: int, *, filename: str, stream: IO[bytes]
) -> dict[str, Any]:
    """Store one evidence file: PDF, JPEG or PNG judged by content (an extension in the
    name must agree with it), a PDF without active content, within the size and count
    limits, under a generated name outside any served folder, with its SHA-256.

    :raises InvalidInput: the file is refused (nothing is stored).
    """
    problem = rules.name_problem(filename)
    if problem:
        raise InvalidInput(problem, code="bad-file-name", errors={"file": [problem]})
    data = stream.read(ctx.repair_rules.max_bytes + 1)
    if len(data) > ctx.repair_rules.max_bytes:
        raise InvalidInput(
            "the file exceeds 10 MiB; 单个文件不得超过10MB",
            code="file-too-large",
            errors={"file": [f"at most {ctx.repair_rules.max_bytes} bytes"]},
        )
    kind = rules.sniff(data[:16])
    if kind not in ctx.repair_rules.evidence_types:
        raise InvalidInput(
            "only PDF, JPEG or PNG files, judged by their content; 仅接受PDF、JPEG、PNG文件",
            code="file-type",
            errors={"file": ["not a PDF, JPEG or PNG file"]},
        )
    mismatch = rules.extension_problem(filename, kind)
    if mismatch:
        raise InvalidInput(mismatch, code="file-name-mismatch", errors={"file": [mismatch]})
    if kind == "application/pdf":
        _refuse_active_content(data)
    stored = secrets.token_hex(16)
    path = _evidence_folder(ctx) / stored
    try:
        with ctx.session_factory.begin() as session:
            application = _application_for_update(session, actor, application_id)
            _ensure_applicant(actor, application)
            _ensure_open(application)
            _check_count(ctx, session, application)
            evidence = _store(session, ctx, actor, application, filename, kind, data, path)
            return _evidence_view(evidence)
    except BaseException:
        path.unlink(missing_ok=True)  # the row was rolled back: leave no orphan file
        raise


PDF_REFUSALS = {
    "pdf-active-content": "the PDF carries active content ({reason}: scripts, actions run "
    "on opening, launching or submitting); send it without, e.g. printed again to PDF; "
    "PDF含有脚本或自动执行的动作，请去除后（如重新打印为PDF）再上传",
    "pdf-unreadable": "the PDF cannot be checked for active content ({reason}); send it "
    "printed again to PDF; 无法检查该PDF是否含有脚本，请重新打印为PDF后上传",
}


def _refuse_active_content(data: bytes) -> None:
    """A PDF that would run something when the reviewer opens it is refused, as is one
    that cannot be checked (``pdf_content``).

    :raises InvalidInput: ``pdf-active-content`` or ``pdf-unreadable`` on the file field.
    """
    finding = pdf_content.check(data)
    if finding is not None:
        detail = PDF_REFUSALS[finding.code].format(reason=finding.reason)
        raise InvalidInput(detail, code=finding.code, errors={"file": [detail]})


def _ensure_open(application: RepairApplication) -> None:
    if application.state not in OPEN_STATES:
        raise Conflict(
            f"the application is '{application.state}': no more evidence; 申请已办结",
            code="application-closed",
            state=application.state,
        )


def _check_count(ctx: Context, session: Session, application: RepairApplication) -> None:
    count = session.execute(
        select(func.count()).where(RepairEvidence.application_id == application.id)
    ).scalar_one()
    if count >= ctx.repair_rules.max_files:
        raise InvalidInput(
            f"at most {ctx.repair_rules.max_files} files; 最多上传10个文件",
            code="too-many-files",
            errors={"file": ["too many files"]},
        )


def _evidence_folder(ctx: Context) -> Path:
    return ctx.settings.data_dir / "evidence"


def _store(
    session: Session,
    ctx: Context,
    actor: Actor,
    application: RepairApplication,
    filename: str,
    kind: str,
    data: bytes,
    path: Path,
) -> RepairEvidence:
    evidence = RepairEvidence(
        application_id=application.id,
        original_name=filename,
        stored_name=path.name,
        content_type=kind,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=actor.username,
        uploaded_at=ctx.now(),
    )
    session.add(evidence)
    session.flush()
    write_private(path, data)
    audit.append(
        session,
        actor=actor,
        action="repair.evidence",
        now=ctx.now(),
        object_type="repair_application",
        object_id=application.id,
        details={"sha256": evidence.sha256, "size": evidence.size},
    )
    return evidence


def get_evidence(
    ctx: Context, actor: Actor, application_id: int, evidence_id: int
) -> tuple[RepairEvidence, bytes]:
    """An evidence file, for the applicant and the reviewing regulators only."""
    with ctx.read_session_factory() as session:
        application = _application(session, actor, application_id)
        _ensure_applicant_or_reviewer(actor, application)
        if actor.role not in ("enterprise", "admin", "regulator"):  # e.g. a viewer
            raise Forbidden("only the applicant and the reviewers; 仅限申请人和审核人员")
        evidence = session.get(RepairEvidence, evidence_id)
        if evidence is None or evidence.application_id != application.id:
            raise NotFound("no such evidence file", code="evidence-not-found")
    return evidence, (_evidence_folder(ctx) / evidence.stored_name).read_bytes()


def _ensure_applicant(actor: Actor, application: RepairApplication) -> None:
    if actor.role != "enterprise" or actor.username != application.applicant:
        raise Forbidden("only the applicant may do this; 仅限申请人", code="not-applicant")


def _ensure_applicant_or_reviewer(actor: Actor, application: RepairApplication) -> None:
    if actor.role == "enterprise" and actor.username != application.applicant:
        raise Forbidden("only the applicant may see this; 仅限申请人", code="not-applicant")


def _application(session: Session, actor: Actor, application_id: int) -> RepairApplication:
    application = session.get(RepairApplication, application_id)
    if application is None:
        raise NotFound(f"no application {application_id}", code="application-not-found")
    entity = session.get(Entity, application.entity_id)
    entity_services.entity_in_scope(session, actor, entity.identifier)
    return application


def _application_for_update(
    session: Session, actor: Actor, application_id: int
) -> RepairApplication:
    application = session.execute(
        select(RepairApplication).where(RepairApplication.id == application_id).with_for_update()
    ).scalar_one_or_none()
    if application is None:
        raise NotFound(f"no application {application_id}", code="application-not-found")
    entity = session.get(Entity, application.entity_id)
    entity_services.entity_in_scope(session, actor, entity.identifier)
    return application


def get_application(ctx: Context, actor: Actor, application_id: int) -> dict[str, Any]:
    with ctx.read_session_factory() as session:
        application = _application(session, actor, application_id)
        _ensure_applicant_or_reviewer(actor, application)
        return application_view(session, ctx, application)


def list_applications(ctx: Context, actor: Actor) -> list[dict[str, Any]]:
    """An enterprise's own applications, or the regulator's review queue sorted by the
    nearest deadline (overdue first)."""
    with ctx.read_session_factory() as session:
        query = select(RepairApplication)
        if actor.role == "enterprise":
            query = query.where(RepairApplication.applicant == actor.username)
        else:
            regions = entity_services.scope_regions(ctx, actor, None)
            query = query.where(RepairApplication.state.in_(OPEN_STATES))
            if regions is not None:
                query = query.where(RepairApplication.region_code.in_(regions))
        rows = session.execute(query).scalars().all()
        views = [application_view(session, ctx, a, with_history=False) for a in rows]
    return sorted(views, key=lambda v: (v["current_due"] or date.max, v["id"]))


def review(
    ctx: Context,
    actor: Actor,
    application_id: int,
    step: str,
    *,
    reason: str = "",
    on: date | None = None,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """A reviewer's step: accept, not_accept, request_supplement, grant, refuse, revoke.

    Two reviewers deciding at once: the application row is locked and its state and
    version checked, so exactly one decision wins and the other gets 409.
    """
    on = on or ctx.today()
    if step not in REVIEW_STEPS:
        raise NotFound(f"no review step '{step}'", code="step-not-found")
    with ctx.session_factory.begin() as session:
        application = _application_for_update(session, actor, application_id)
        allowed, handler = REVIEW_STEPS[step]
        if application.state not in allowed or (
            expected_version is not None and expected_version != application.version
        ):
            raise Conflict(
                f"the application is '{application.state}' (version "
                f"{application.version}); 申请状态已变化",
                code="application-changed",
                state=application.state,
                version=application.version,
            )
        _check_step_date(ctx, application, on)
        handler(session, ctx, actor, application, on, reason)
        application.version += 1
        application.updated_at = ctx.now()
        _log(session, ctx, actor, application, step, reason, on)
        return application_view(session, ctx, application)


def _check_step_date(ctx: Context, a: RepairApplication, on: date) -> None:
    """A step is dated between the application's last event and today: deadlines count
    from it, so a mistyped date must not move them.

    :raises InvalidInput: naming ``on``.
    """
    ensure_step_date(
        on,
        today=ctx.today(),
        follows={
            "submission": a.submitted_on,
            "acceptance": a.accepted_on,
            "resumed review": a.clock_from,
            "decision": a.decided_on,
        },
    )


def _accept(
    session: Session, ctx: Context, actor: Actor, a: RepairApplication, on: date, reason: str
) -> None:
    due = rules.decision_due(ctx.repair_rules, ctx.calendar, on, a.target_type)
    a.state, a.accepted_on, a.decision_due, a.due_provisional = (
        "accepted",
        on,
        due.due,
        due.provisional,
    )
    a.clock_from = on
    a.clock_workdays = rules.decision_workdays(ctx.repair_rules, a.target_type)


def _not_accept(
    session: Session, ctx: Context, actor: Actor, a: RepairApplication, on: date, reason: str
) -> None:
    _require_reason(reason)
    a.state, a.decided_on, a.decision_reasons, a.decided_by = (
        "not_accepted",
        on,
        reason,
        actor.username,
    )


def _request_supplement(
    session: Session, ctx: Context, actor: Actor, a: RepairApplication, on: date, reason: str
) -> None:
    _require_reason(reason)
    phase, due = ("decision", a.decision_due) if a.accepted_on else ("acceptance", a.acceptance_due)
    a.paused_phase, a.paused_on = phase, on
    a.paused_remaining = rules.remaining_workdays(ctx.calendar, on, due) if due else 0
    a.state = "supplement_requested"


def supplement_received(ctx: Context, actor: Actor, application_id: int) -> dict[str, Any]:
    """The applicant says the requested materials are uploaded: the clock runs again."""
    today = ctx.today()
    with ctx.session_factory.begin() as session:
        a = _application_for_update(session, actor, application_id)
        _ensure_applicant(actor, a)
        if a.state != "supplement_requested":
            raise Conflict(
                "no supplementary materials were requested; 未要求补正材料",
                code="application-changed",
                state=a.state,
            )
        due = rules.resumed_due(ctx.calendar, today, a.paused_remaining or 0)
        a.clock_from = today
        a.clock_workdays = rules.resumed_workdays(a.paused_remaining or 0)
        if a.paused_phase == "decision":
            a.state, a.decision_due = "accepted", due.due
        else:
            a.state, a.acceptance_due = "submitted", due.due
        a.due_provisional = due.provisional
        a.paused_on = a.paused_remaining = a.paused_phase = None
        a.version += 1
        a.updated_at = ctx.now()
        _log(session, ctx, actor, a, "supplement_received", "", today)
        return application_view(session, ctx, a)


def _grant(
    session: Session, ctx: Context, actor: Actor, a: RepairApplication, on: date, reason: str
) -> None:
    """Everything a grant changes, in this transaction (D11)."""
    _ensure_still_eligible(session, ctx, actor, a, on)
    if a.target_type == "record":
        record_services.change_repair_status(
            session, ctx, actor, a.target_id, "repaired", f"repair application {a.id}"
        )
    else:
        dishonesty_services.remove_for_repair(
            session, ctx, actor, a.target_id, on, f"信用修复申请{a.id}获准，提前移出"
        )
    a.state, a.decided_on, a.decision_reasons, a.decided_by = "granted", on, reason, actor.username
    changes.record(
        session,
        changes.RepairGranted(a.id, a.entity_id, a.target_type, a.target_id, on),
    )


def _ensure_still_eligible(
    session: Session, ctx: Context, actor: Actor, a: RepairApplication, on: date
) -> None:
    """What changed since the application (a new heavier penalty, a restriction, the
    publicity ended) is checked again before the grant: such a case must be refused."""
    _, facts = _target(session, ctx, actor, a.target_type, a.target_id)
    result = rules.eligibility(
        facts,
        _applicant_facts(session, a.entity_id, a.target_id if a.target_type == "record" else None),
        ctx.repair_rules,
        on,
    )
    if not result.eligible:
        raise Conflict(
            "the conditions for repair no longer hold; refuse with reasons instead; "
            "已不符合信用修复条件，请作出不予修复决定",
            code="no-longer-eligible",
            unmet=[c.label for c in result.conditions if c.state == "not_met"],
        )


def _refuse(
    session: Session, ctx: Context, actor: Actor, a: RepairApplication, on: date, reason: str
) -> None:
    _require_reason(reason)
    a.state, a.decided_on, a.decision_reasons, a.decided_by = "refused", on, reason, actor.username


def _revoke(
    session: Session, ctx: Context, actor: Actor, a: RepairApplication, on: date, reason: str
) -> None:
    """Repair obtained with false materials: the listing is restored and its term restarts
    (D7); a repaired record is published again."""
    _require_reason(reason)
    if a.target_type == "record":
        record_services.change_repair_status(
            session, ctx, actor, a.target_id, "active", f"repair {a.id} revoked: {reason}"
        )
    else:
        dishonesty_services.restore_after_revoked_repair(
            session, ctx, actor, a.target_id, on, reason
        )
    a.state, a.revoked_on = "revoked", on


def _require_reason(reason: str) -> None:
    if not reason or len(reason.strip()) < 2:
        raise InvalidInput("give the reasons; 请说明理由", errors={"reason": ["required"]})


REVIEW_STEPS = {
    "accept": (("submitted",), _accept),
    "not_accept": (("submitted",), _not_accept),
    "request_supplement": (("submitted", "accepted"), _request_supplement),
    "grant": (("accepted",), _grant),
    "refuse": (("accepted",), _refuse),
    "revoke": (("granted",), _revoke),
}


def flag_deadlines(ctx: Context) -> dict[str, int]:
    """Mark open applications overdue or due soon (the hourly job)."""
    today = ctx.today()
    counts = {"overdue": 0, "due_soon": 0}
    with ctx.session_factory.begin() as session:
        for a in session.execute(
            select(RepairApplication).where(RepairApplication.state.in_(("submitted", "accepted")))
        ).scalars():
            overdue, soon = rules.due_flags(
                _current_due(a), today, ctx.calendar, ctx.repair_rules.due_soon_workdays
            )
            a.overdue, a.due_soon = overdue, soon
            counts["overdue"] += overdue
            counts["due_soon"] += soon
        # a paused or closed application has no running deadline: clear old flags
        session.execute(
            update(RepairApplication)
            .where(
                RepairApplication.state.not_in(("submitted", "accepted")),
                RepairApplication.overdue | RepairApplication.due_soon,
            )
            .values(overdue=False, due_soon=False)
        )
    return counts


def refresh_provisional_deadlines(ctx: Context) -> int:
    """Recompute provisional deadlines once the year's holiday file exists (D14)."""
    changed = 0
    with ctx.session_factory.begin() as session:
        for a in session.execute(
            select(RepairApplication).where(
                RepairApplication.due_provisional,
                RepairApplication.state.in_(("submitted", "accepted")),
            )
        ).scalars():
            # the phase's own clock, so a resumed pause keeps the days it had left
            due = ctx.calendar.add_workdays(a.clock_from, a.clock_workdays)
            if a.state == "submitted":
                a.acceptance_due = due.due
            else:
                a.decision_due = due.due
            a.due_provisional = due.provisional
            changed += not due.provisional
    return changed


def _current_due(a: RepairApplication) -> date | None:
    if a.state == "submitted":
        return a.acceptance_due
    if a.state == "accepted":
        return a.decision_due
    return None


def _log(
    session: Session,
    ctx: Context,
    actor: Actor,
    a: RepairApplication,
    step: str,
    reason: str,
    on: date,
) -> None:
    session.add(
        RepairStep(
            application_id=a.id,
            step=step,
            state_after=a.state,
            actor=actor.username,
            at=ctx.now(),
            effective_on=on,
            reason=reason,
        )
    )
    audit.append(
        session,
        actor=actor,
        action=f"repair.{step}",
        now=ctx.now(),
        object_type="repair_application",
        object_id=a.id,
        details={"state": a.state},
    )


def application_view(
    session: Session, ctx: Context, a: RepairApplication, *, with_history: bool = True
) -> dict[str, Any]:
    today = ctx.today()
    due = _current_due(a)
    overdue, soon = rules.due_flags(due, today, ctx.calendar, ctx.repair_rules.due_soon_workdays)
    view = {
        "id": a.id,
        "target": f"{a.target_type}:{a.target_id}",
        "state": a.state,
        "entity": entity_services.entity_summary(session.get(Entity, a.entity_id)),
        "reason": a.reason,
        "measures_taken": a.measures_taken,
        "contact": a.contact,
        "commitment_version": a.commitment_version,
        "commitment_text": a.commitment_text,
        "committed_at": a.committed_at,
        "applicant": a.applicant,
        "submitted_on": a.submitted_on,
        "acceptance_due": a.acceptance_due,
        "accepted_on": a.accepted_on,
        "decision_due": a.decision_due,
        "due_provisional": a.due_provisional,
        "paused_on": a.paused_on,
        "paused_remaining": a.paused_remaining,
        "current_due": due,
        "overdue": overdue,
        "due_today": due == today,
        "due_soon": soon,
        "decided_on": a.decided_on,
        "decision_reasons": a.decision_reasons,
        "revoked_on": a.revoked_on,
        "version": a.version,
    }
    if with_history:
        view["steps"] = [
            {
                "step": s.step,
                "state_after": s.state_after,
                "actor": s.actor,
                "at": s.at,
                "effective_on": s.effective_on,
                "reason": s.reason,
            }
            for s in session.execute(
                select(RepairStep).where(RepairStep.application_id == a.id).order_by(RepairStep.id)
            ).scalars()
        ]
        view["evidence"] = [
            _evidence_view(e)
            for e in session.execute(
                select(RepairEvidence)
                .where(RepairEvidence.application_id == a.id)
                .order_by(RepairEvidence.id)
            ).scalars()
        ]
    return view


def _evidence_view(e: RepairEvidence) -> dict[str, Any]:
    return {
        "id": e.id,
        "original_name": e.original_name,
        "content_type": e.content_type,
        "size": e.size,
        "sha256": e.sha256,
        "uploaded_at": e.uploaded_at,
    }

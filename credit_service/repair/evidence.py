"""Evidence files of a repair application: the applicant uploads them while the
application is open, the applicant and the reviewers download them.

A file is judged by its content, never by its name, kept under a generated name outside
any served folder with its SHA-256, and a PDF that would run something when the reviewer
opens it is refused.
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path
from typing import IO, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from credit_service.access import Actor
from credit_service.audit import services as audit
from credit_service.context import Context
from credit_service.errors import Conflict, Forbidden, InvalidInput, NotFound
from credit_service.files import write_private
from credit_service.procedures import engine
from credit_service.repair import pdf_content, rules
from credit_service.repair.models import OPEN_STATES, RepairApplication, RepairEvidence
from credit_service.repair.procedure import REPAIR, ensure_applicant
from credit_service.repair.views import evidence_view, readable

PDF_REFUSALS = {
    "pdf-active-content": "the PDF carries active content ({reason}: scripts, actions run "
    "on opening, launching or submitting); send it without, e.g. printed again to PDF; "
    "PDF含有脚本或自动执行的动作，请去除后（如重新打印为PDF）再上传",
    "pdf-unreadable": "the PDF cannot be checked for active content ({reason}); send it "
    "printed again to PDF; 无法检查该PDF是否含有脚本，请重新打印为PDF后上传",
}


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
    path = _evidence_folder(ctx) / secrets.token_hex(16)
    try:
        with ctx.session_factory.begin() as session:
            # locked: a decision taken meanwhile closes the application to new files
            application = engine.locked(session, actor, REPAIR, application_id)
            ensure_applicant(actor, application)
            _ensure_open(application)
            _check_count(ctx, session, application)
            evidence = _store(session, ctx, actor, application, filename, kind, data, path)
            return evidence_view(evidence)
    except BaseException:
        path.unlink(missing_ok=True)  # the row was rolled back: leave no orphan file
        raise


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
        application = readable(session, actor, application_id)
        if actor.role not in ("enterprise", "admin", "regulator"):  # e.g. a viewer
            raise Forbidden("only the applicant and the reviewers; 仅限申请人和审核人员")
        evidence = session.get(RepairEvidence, evidence_id)
        if evidence is None or evidence.application_id != application.id:
            raise NotFound("no such evidence file", code="evidence-not-found")
    return evidence, (_evidence_folder(ctx) / evidence.stored_name).read_bytes()

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

MIB = 2**20


def add_evidence(
    ctx: Context, actor: Actor, application_id: int, *, filename: str, stream: IO[bytes]
) -> dict[str, Any]:
    """Store one evidence file (judged by ``judge_file``) under a generated name outside
    any served folder, with its SHA-256, while the application is open and within the
    count limit.

    :raises InvalidInput: the file is refused (nothing is stored).
    """
    kind, data = judge_file(ctx, filename, stream)
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


def judge_file(ctx: Context, filename: str, stream: IO[bytes]) -> tuple[str, bytes]:
    """An evidence file's type and bytes, if the repair rules accept it: PDF, JPEG or PNG
    judged by content (an extension in the name must agree with it), a PDF without
    active content, within the size limit. Objections' evidence follows the same rules.

    :raises InvalidInput: the file is refused, naming why on the ``file`` field.
    """
    if not rules.plain_name(filename):
        raise InvalidInput("bad-file-name", errors={"file": ["bad-file-name"]})
    limits = ctx.repair_rules
    data = stream.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        mib = limits.max_bytes / MIB
        raise InvalidInput(
            "file-too-large",
            max_mib=mib,
            errors={"file": [{"code": "file-too-large", "max_mib": mib}]},
        )
    kind = rules.sniff(data[:16])
    if kind not in limits.evidence_types:
        allowed = rules.accepted_extensions(limits.evidence_types)
        raise InvalidInput(
            "file-type",
            allowed=allowed,
            errors={"file": [{"code": "file-type", "allowed": allowed}]},
        )
    mismatch = rules.extension_error(filename, kind)
    if mismatch:
        raise InvalidInput("file-name-mismatch", errors={"file": [mismatch]})
    if kind == "application/pdf":
        _refuse_active_content(data)
    return kind, data


def _refuse_active_content(data: bytes) -> None:
    """A PDF that would run something when the reviewer opens it is refused, as is one
    that cannot be checked (``pdf_content``).

    :raises InvalidInput: ``pdf-active-content`` or ``pdf-unreadable`` on the file field.
    """
    finding = pdf_content.check(data)
    if finding is not None:
        raise InvalidInput(finding.code, errors={"file": [finding.problem]})


def _ensure_open(application: RepairApplication) -> None:
    if application.state not in OPEN_STATES:
        raise Conflict("application-closed", state=application.state)


def _check_count(ctx: Context, session: Session, application: RepairApplication) -> None:
    count = session.execute(
        select(func.count()).where(RepairEvidence.application_id == application.id)
    ).scalar_one()
    if count >= ctx.repair_rules.max_files:
        raise InvalidInput(
            "too-many-files",
            limit=ctx.repair_rules.max_files,
            errors={"file": [{"code": "items-at-most", "max": ctx.repair_rules.max_files}]},
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
            raise Forbidden("evidence-readers-only")
        evidence = session.get(RepairEvidence, evidence_id)
        if evidence is None or evidence.application_id != application.id:
            raise NotFound("evidence-not-found", id=evidence_id)
    return evidence, (_evidence_folder(ctx) / evidence.stored_name).read_bytes()

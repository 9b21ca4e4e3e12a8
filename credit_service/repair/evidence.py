"""Evidence files of a repair application: the applicant uploads them while the
application is open, the applicant and the reviewers download them.

A file is judged by its content, never by its name, kept under a generated name outside
any served folder with its SHA-256, and a PDF that would run something when the reviewer
opens it is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credit_service.access import Actor
from credit_service.context import Context
from credit_service.errors import Conflict, Forbidden, InvalidInput, NotFound
from credit_service.procedures import engine, evidence
from credit_service.repair import pdf_content, rules
from credit_service.repair.models import OPEN_STATES, RepairApplication, RepairEvidence
from credit_service.repair.procedure import REPAIR, ensure_applicant
from credit_service.repair.views import EVIDENCE, readable

MIB = 2**20


def add_evidence(
    ctx: Context, actor: Actor, application_id: int, *, filename: str, stream: IO[bytes]
) -> dict[str, Any]:
    """Store one evidence file (judged by ``judge_file``) while the application is open
    and within the count limit (``procedures.evidence``).

    :raises InvalidInput: the file is refused (nothing is stored).
    """
    kind, data = judge_file(ctx, filename, stream)
    with evidence.new_file(ctx) as path, ctx.session_factory.begin() as session:
        # locked: a decision taken meanwhile closes the application to new files
        application = engine.locked(session, actor, REPAIR, application_id)
        ensure_applicant(actor, application)
        _ensure_open(application)
        stored = evidence.store(
            session,
            ctx,
            actor,
            EVIDENCE,
            application.id,
            filename=filename,
            kind=kind,
            data=data,
            path=path,
            limit=ctx.repair_rules.max_files,
        )
        return evidence.view(stored)


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


def get_evidence(
    ctx: Context, actor: Actor, application_id: int, evidence_id: int
) -> tuple[RepairEvidence, bytes]:
    """An evidence file, for the applicant and the reviewing regulators only."""
    with ctx.read_session_factory() as session:
        application = readable(session, actor, application_id)
        if actor.role not in ("enterprise", "admin", "regulator"):  # e.g. a viewer
            raise Forbidden("evidence-readers-only")
        found = session.get(RepairEvidence, evidence_id)
        if found is None or found.application_id != application.id:
            raise NotFound("evidence-not-found", id=evidence_id)
    return found, evidence.content(ctx, found)


def discard_evidence(
    session: Session, ctx: Context, actor: Actor, evidence_ids: Sequence[int]
) -> list[Path]:
    """Delete evidence rows of closed applications (``evidence.discard``): their files,
    to remove once the caller's transaction commits."""
    closed = RepairEvidence.application_id.in_(
        select(RepairApplication.id).where(RepairApplication.state.not_in(OPEN_STATES))
    )
    return evidence.discard(session, ctx, actor, EVIDENCE, evidence_ids, closed=closed)

"""Evidence of an objection: files the party uploads while it is open, or the scanned
paper application an officer attaches to one brought to the office. The same rules as
repair evidence (repair's ``judge_file``): judged by content, kept under a generated name
outside any served folder with its SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path
from typing import IO, Any

from sqlalchemy import func, select

from credit_service.access import Actor
from credit_service.audit import services as audit
from credit_service.context import Context
from credit_service.errors import Conflict, InvalidInput, NotFound
from credit_service.files import write_private
from credit_service.objections.models import OPEN_STATES, ObjectionEvidence
from credit_service.objections.procedure import OBJECTION, ensure_objector
from credit_service.objections.views import evidence_view, readable
from credit_service.procedures import engine
from credit_service.repair import services as repair_services


def add_evidence(
    ctx: Context, actor: Actor, objection_id: int, *, filename: str, stream: IO[bytes]
) -> dict[str, Any]:
    """Store one file on an open objection: by the enterprise that filed it, or by an
    officer in its region.

    :raises InvalidInput: the file is refused, or the count limit reached (nothing is
        stored). :raises Conflict: the objection is closed.
    """
    kind, data = repair_services.judge_file(ctx, filename, stream)
    path = _folder(ctx) / secrets.token_hex(16)
    try:
        with ctx.session_factory.begin() as session:
            objection = engine.locked(session, actor, OBJECTION, objection_id)
            if actor.role not in ("admin", "regulator"):
                ensure_objector(actor, objection)
            if objection.state not in OPEN_STATES:
                raise Conflict("objection-closed", state=objection.state)
            limit = ctx.repair_rules.max_files
            count = session.execute(
                select(func.count()).where(ObjectionEvidence.objection_id == objection.id)
            ).scalar_one()
            if count >= limit:
                raise InvalidInput(
                    "too-many-files",
                    limit=limit,
                    errors={"file": [{"code": "items-at-most", "max": limit}]},
                )
            evidence = ObjectionEvidence(
                objection_id=objection.id,
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
                action="objection.evidence",
                now=ctx.now(),
                object_type="objection",
                object_id=objection.id,
                details={"sha256": evidence.sha256, "size": evidence.size},
            )
            return evidence_view(evidence)
    except BaseException:
        path.unlink(missing_ok=True)  # the row was rolled back: leave no orphan file
        raise


def get_evidence(
    ctx: Context, actor: Actor, objection_id: int, evidence_id: int
) -> tuple[ObjectionEvidence, bytes]:
    """An evidence file, for the objector and the officers only."""
    with ctx.read_session_factory() as session:
        objection = readable(session, actor, objection_id)
        evidence = session.get(ObjectionEvidence, evidence_id)
        if evidence is None or evidence.objection_id != objection.id:
            raise NotFound("evidence-not-found", id=evidence_id)
    return evidence, (_folder(ctx) / evidence.stored_name).read_bytes()


def _folder(ctx: Context) -> Path:
    return ctx.settings.data_dir / "evidence"

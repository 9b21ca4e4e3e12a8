"""Evidence of an objection: files the party uploads while it is open, or the scanned
paper application an officer attaches to one brought to the office. The same rules as
repair evidence (repair's ``judge_file``): judged by content, kept under a generated name
outside any served folder with its SHA-256."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credit_service.access import Actor
from credit_service.context import Context
from credit_service.errors import Conflict, NotFound
from credit_service.objections.models import OPEN_STATES, Objection, ObjectionEvidence
from credit_service.objections.procedure import OBJECTION, ensure_objector
from credit_service.objections.views import EVIDENCE, readable
from credit_service.procedures import engine, evidence
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
    with evidence.new_file(ctx) as path, ctx.session_factory.begin() as session:
        objection = engine.locked(session, actor, OBJECTION, objection_id)
        if actor.role not in ("admin", "regulator"):
            ensure_objector(actor, objection)
        if objection.state not in OPEN_STATES:
            raise Conflict("objection-closed", state=objection.state)
        stored = evidence.store(
            session,
            ctx,
            actor,
            EVIDENCE,
            objection.id,
            filename=filename,
            kind=kind,
            data=data,
            path=path,
            limit=ctx.repair_rules.max_files,
        )
        return evidence.view(stored)


def get_evidence(
    ctx: Context, actor: Actor, objection_id: int, evidence_id: int
) -> tuple[ObjectionEvidence, bytes]:
    """An evidence file, for the objector and the officers only."""
    with ctx.read_session_factory() as session:
        objection = readable(session, actor, objection_id)
        found = session.get(ObjectionEvidence, evidence_id)
        if found is None or found.objection_id != objection.id:
            raise NotFound("evidence-not-found", id=evidence_id)
    return found, evidence.content(ctx, found)


def discard_evidence(
    session: Session, ctx: Context, actor: Actor, evidence_ids: Sequence[int]
) -> list[Path]:
    """Delete evidence rows of closed objections (``evidence.discard``): their files, to
    remove once the caller's transaction commits."""
    closed = ObjectionEvidence.objection_id.in_(
        select(Objection.id).where(Objection.state.not_in(OPEN_STATES))
    )
    return evidence.discard(session, ctx, actor, EVIDENCE, evidence_ids, closed=closed)

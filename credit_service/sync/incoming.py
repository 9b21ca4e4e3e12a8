"""Applying changes pulled from a platform: records, revocations and repairs decided
elsewhere. What cannot be applied goes to the quarantine with the reason — never dropped.

Everything here runs inside the pull's page transaction and acts as the platform's sync
actor, so nothing it changes is sent back out.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credit_service.access import Actor
from credit_service.bounds import MAX_ID, date_error, id_in_range
from credit_service.catalogs import services as catalog_services
from credit_service.context import Context
from credit_service.dishonesty import services as dishonesty_services
from credit_service.dishonesty.models import DishonestyCase
from credit_service.entities import services as entity_services
from credit_service.entities.models import Entity
from credit_service.errors import CreditServiceError, stored_text
from credit_service.records import services as record_services
from credit_service.records.models import CreditRecord
from credit_service.sync.models import REASON_LENGTH, QuarantinedRow

KINDS = ("record", "revocation", "repair")


class Refused(CreditServiceError):
    """A change this city cannot apply; its record is the quarantine reason."""


SYNC_USER_PREFIX = "sync:"


def platform_actor(platform_id: str) -> Actor:
    """The platform's sync actor: what it changes was decided elsewhere (not sent back),
    and the audit trail and a forwarded objection name the platform."""
    return Actor(role="sync", username=f"{SYNC_USER_PREFIX}{platform_id}", via="sync")


def forwarded_by(username: str | None) -> str | None:
    """The platform id of a sync actor's username (``platform_actor``), else None."""
    if username and username.startswith(SYNC_USER_PREFIX):
        return username.removeprefix(SYNC_USER_PREFIX)
    return None


def apply_change(session: Session, ctx: Context, platform_id: str, change: dict[str, Any]) -> str:
    """Apply one change; returns filed, corrected, unchanged, stale, revoked, repaired or
    quarantined. A refused change is quarantined in a savepoint, so the page goes on."""
    try:
        with session.begin_nested():
            return _apply(session, ctx, platform_actor(platform_id), change)
    except CreditServiceError as exc:
        return quarantine(session, ctx, platform_id, change, exc)


def quarantine(
    session: Session,
    ctx: Context,
    platform_id: str,
    change: dict[str, Any],
    exc: CreditServiceError,
) -> str:
    """Keep a change that could not be applied, with why (once: a page may come again)."""
    change_id = str(change.get("change_id", ""))[:100]
    if not _quarantined_already(session, platform_id, change_id):
        session.add(
            QuarantinedRow(
                platform_id=platform_id,
                reason=stored_text(exc.as_record(), REASON_LENGTH),
                row=change,
                change_id=change_id,
                received_at=ctx.now(),
            )
        )
    return "quarantined"


def _quarantined_already(session: Session, platform_id: str, change_id: str) -> bool:
    if not change_id:
        return False
    found = session.execute(
        select(QuarantinedRow.id).where(
            QuarantinedRow.platform_id == platform_id,
            QuarantinedRow.change_id == change_id,
            QuarantinedRow.resolved_at.is_(None),
        )
    ).first()
    return found is not None


def _apply(session: Session, ctx: Context, actor: Actor, change: dict[str, Any]) -> str:
    kind = change.get("kind")
    if kind not in KINDS:
        raise Refused("change-kind-unknown", kind=str(kind)[:40])
    _check_values(change, ctx.today())
    if kind == "record":
        return _record(session, ctx, actor, change)
    record = _existing(session, change)
    on = date.fromisoformat(str(change.get("decided_on") or ctx.today()))
    if kind == "revocation":
        if record.status == "revoked":
            return "unchanged"
        owner = session.get(Entity, record.entity_id)
        record_services.revoke_in(
            session,
            ctx,
            actor,
            record,
            owner,
            reason=str(change.get("reason") or "revoked elsewhere"),
            on=on,
        )
        return "revoked"
    return _repair(session, ctx, actor, record, change, on)


def _check_values(change: dict[str, Any], today: date) -> None:
    """Refuse malformed values with a reason: an exception would roll the whole page
    back, and every later pull would stop at the same page. That includes values out of
    the domain range (credit_service/bounds.py), which the database or date arithmetic
    would fail on."""
    try:
        revision = int(change.get("revision") or 1)
    except (TypeError, ValueError):
        revision = 0
    if not (revision >= 1 and id_in_range(revision)):
        raise Refused("change-revision-invalid", max=MAX_ID)
    day = change.get("decided_on")
    try:
        decided_on = date.fromisoformat(str(day)) if day else None
    except ValueError:
        raise Refused("change-date-invalid", errors={"decided_on": ["not-a-date"]}) from None
    problem = date_error(decided_on, today) if decided_on else None
    if problem:
        raise Refused("change-date-invalid", errors={"decided_on": [problem]})
    body = change.get("record") or {}
    if change.get("kind") == "record" and not (
        isinstance(body, dict)
        and isinstance(body.get("party") or {}, dict)
        and isinstance(body.get("fields") or {}, dict)
    ):
        raise Refused("change-not-objects")


def _record(session: Session, ctx: Context, actor: Actor, change: dict[str, Any]) -> str:
    body = change.get("record") or {}
    party = body.get("party") or {}
    identifier = party.get("CF_XDR_SHXYM") or party.get("CF_XDR_ZJHM") or ""
    owner = entity_services.find_entity(session, identifier) if identifier else None
    if owner is None:
        raise Refused("party-not-registered")
    revision = int(change.get("revision") or 1)
    record, created = record_services.file_record_for(
        session,
        ctx,
        actor,
        owner,
        str(body.get("item_code", "")),
        dict(body.get("fields") or {}),
        reason="pulled",
        tolerate_changes=True,
    )
    if created:
        record.source_revision = revision
        return "filed"
    if record.source_revision is not None and revision <= record.source_revision:
        return "stale"
    prepared = record_services.prepare_record(
        ctx,
        *catalog_services.current_item(session, ctx, str(body["item_code"])),
        dict(body.get("fields") or {}),
    )
    if prepared.content_hash != record.content_hash:
        record_services.apply_revision(
            session, ctx, actor, record, prepared.columns(), reason="pulled correction"
        )
        record.source_revision = revision
        return "corrected"
    record.source_revision = revision
    return "unchanged"


def _existing(session: Session, change: dict[str, Any]) -> CreditRecord:
    record = record_services.find_record(
        session, str(change.get("source_authority", "")), str(change.get("source_ref", ""))
    )
    if record is None:
        raise Refused("source-record-not-found")
    return record


def _repair(
    session: Session,
    ctx: Context,
    actor: Actor,
    record: CreditRecord,
    change: dict[str, Any],
    on: date,
) -> str:
    """A repair decided elsewhere: the record leaves publication, a listing on it too."""
    if record.status != "active":
        return "unchanged"
    record_services.change_repair_status(
        session, ctx, actor, record.id, "repaired", "repaired elsewhere"
    )
    listings = (
        session.execute(
            select(DishonestyCase).where(
                DishonestyCase.entity_id == record.entity_id, DishonestyCase.state == "published"
            )
        )
        .scalars()
        .all()
    )
    for case in listings:
        if record.id in case.record_ids:
            dishonesty_services.remove_for_repair(
                session, ctx, actor, case.id, on, "经其他部门信用修复，提前移出"
            )
    return "repaired"

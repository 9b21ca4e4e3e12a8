"""Credit reports (D21): issue one, read it, render it, verify it.

A report is issued to the entity itself (an enterprise account, purpose optional) or to
a checker — a checker, regulator or viewer account — for a purpose from the measures
catalog. Its content (``content.build``) is stored as canonical JSON and signed with the
current key; the row names the key, so a report signed before a key rotation verifies
with the retired key (``ctx.key_ring.get``). Anyone may verify a number: authentic or
not, issued when and to whom (masked); the holder of the printed code also learns what
has changed since the report's day. Every issue and every verification is audited.
"""

from __future__ import annotations

import hmac
import json
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credit_service.access import Actor
from credit_service.audit import services as audit
from credit_service.context import Context
from credit_service.entities import lookups
from credit_service.entities import services as entity_services
from credit_service.entities.models import Entity
from credit_service.entities.rules import lookup_key
from credit_service.errors import Forbidden, InvalidInput, NotFound
from credit_service.procedures.documents import next_in_sequence
from credit_service.reports import content, rules
from credit_service.reports.models import CreditReport
from credit_service.signing_keys import verify_signature

CHECKER_ROLES = ("checker", "regulator", "viewer")
SUBJECT_ROLES = ("enterprise",)
OFFICER_ROLES = ("admin", "regulator", "viewer")


def issue_report(
    ctx: Context,
    actor: Actor,
    *,
    identifier: str | None = None,
    purpose: str | None = None,
    idempotency_key: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """Issue a signed report; (its view, whether it is new). The same Idempotency-Key of
    the same account returns the report it issued then.

    :raises InvalidInput: no or unknown purpose, no identifier; :raises Forbidden:
        another role, another entity; :raises NotFound: no such entity.
    """
    kind = _requester_kind(actor)
    purpose = _purpose(ctx, kind, purpose)
    if kind == "subject":
        identifier = identifier or actor.uscc or ""
    if not identifier:
        raise InvalidInput(
            "report-identifier-required", errors={"identifier": [{"code": "required"}]}
        )
    key = lookup_key(identifier)
    with ctx.session_factory.begin() as session:
        if idempotency_key:
            earlier = session.execute(
                select(CreditReport).where(
                    CreditReport.requester == actor.username,
                    CreditReport.idempotency_key == idempotency_key,
                )
            ).scalar_one_or_none()
            if earlier is not None:
                return report_view(ctx, earlier, actor), False
        if lookups.is_person_key(key) and not lookups.may_unmask(actor):
            lookups.admit(session, ctx, actor, {key}, purpose)
        entity = entity_services.looked_up_in_scope(
            actor, entity_services.find_entity(session, key)
        )
        report = _sign(session, ctx, actor, entity, kind, purpose, idempotency_key)
        audit.append(
            session,
            actor=actor,
            action="credit_report.issue",
            now=report.issued_at,
            object_type="credit_report",
            object_id=report.number,
            details={
                "entity_id": entity.id,
                "purpose": purpose,
                "requester_kind": kind,
                **lookups.person_marker(key),
            },
        )
        return report_view(ctx, report, actor), True


def _requester_kind(actor: Actor) -> str:
    if actor.role in SUBJECT_ROLES:
        return "subject"
    if actor.role in CHECKER_ROLES:
        return "checker"
    raise Forbidden("report-role-not-allowed", role=actor.role)


def _purpose(ctx: Context, kind: str, purpose: str | None) -> str | None:
    """A checker states a purpose from the catalog; the subject may."""
    if not purpose:
        if kind == "checker":
            raise InvalidInput(
                "report-purpose-required", errors={"purpose": [{"code": "required"}]}
            )
        return None
    if purpose not in ctx.catalogs.purposes:
        allowed = ", ".join(ctx.catalogs.purposes)
        raise InvalidInput(
            "purpose-unknown", errors={"purpose": [{"code": "not-one-of", "allowed": allowed}]}
        )
    return purpose


def _sign(
    session: Session,
    ctx: Context,
    actor: Actor,
    entity: Entity,
    kind: str,
    purpose: str | None,
    idempotency_key: str | None,
) -> CreditReport:
    """Number, build, sign and store the report (in the caller's transaction)."""
    now, today = ctx.now(), ctx.today()
    number = rules.report_number(
        today.year, next_in_sequence(session, rules.NUMBER_PREFIX, today.year)
    )
    masked = entity.is_natural_person and kind != "subject"
    facts = content.build(session, ctx, entity, purpose=purpose, masked=masked, today=today)
    facts |= {
        "number": number,
        "issued_at": now.isoformat(),
        "as_of": today.isoformat(),
        "requester": {"kind": kind, "role": actor.role, "username": actor.username},
    }
    text = rules.canonical_json(facts)
    key = ctx.key_ring.current
    report = CreditReport(
        number=number,
        entity_id=entity.id,
        requester=actor.username,
        requester_role=actor.role,
        requester_kind=kind,
        purpose=purpose,
        issued_at=now,
        as_of=today,
        content=text,
        content_sha256=rules.content_hash(text),
        key_id=key.key_id,
        signature=key.sign(text.encode("utf-8")),
        holder_code_hash=rules.code_hash(key.mac, rules.holder_code(key.mac, number)),
        masked=masked,
        idempotency_key=idempotency_key,
    )
    session.add(report)
    session.flush()
    return report


def report_view(ctx: Context, report: CreditReport, actor: Actor) -> dict[str, Any]:
    """A report as its reader gets it: its content, and for its requester the holder code
    printed on it."""
    view = {
        "number": report.number,
        "issued_at": report.issued_at,
        "as_of": report.as_of,
        "requester_kind": report.requester_kind,
        "purpose": report.purpose,
        "key_id": report.key_id,
        "signature": report.signature,
        "content_sha256": report.content_sha256,
        "content": json.loads(report.content),
        "holder_code": None,
    }
    if actor.username == report.requester:
        view["holder_code"] = holder_code_of(ctx, report)
    return view


def holder_code_of(ctx: Context, report: CreditReport) -> str | None:
    """The code printed on the report (None if its key is no longer on the ring)."""
    key = ctx.key_ring.get(report.key_id)
    return None if key is None else rules.holder_code(key.mac, report.number)


def get_report(ctx: Context, actor: Actor, number: str) -> tuple[dict[str, Any], CreditReport]:
    """A report for its requester or an officer whose region covers the entity (read
    audited when it names a natural person in full).

    :raises NotFound: no such report, or not the caller's to read (one answer for both).
    """
    with ctx.session_factory.begin() as session:
        row = session.execute(
            select(CreditReport, Entity)
            .join(Entity, Entity.id == CreditReport.entity_id)
            .where(CreditReport.number == number)
        ).first()
        if row is None or not _may_read(actor, *row):
            raise NotFound("credit-report-not-found", number=number)
        report, entity = row
        if entity.is_natural_person and not report.masked:
            audit.append(
                session,
                actor=actor,
                action="entity.read_personal_data",
                now=ctx.now(),
                object_type="credit_report",
                object_id=report.number,
                details={"entity_id": entity.id},
            )
        return report_view(ctx, report, actor), report


def _may_read(actor: Actor, report: CreditReport, entity: Entity) -> bool:
    if actor.username == report.requester:
        return True
    return actor.role in OFFICER_ROLES and actor.covers_region(entity.region_code)


def list_own_reports(ctx: Context, actor: Actor, limit: int = 50) -> list[dict[str, Any]]:
    """The reports the caller requested, newest first (for the portal and console pages)."""
    with ctx.read_session_factory() as session:
        rows = session.execute(
            select(CreditReport)
            .where(CreditReport.requester == actor.username)
            .order_by(CreditReport.id.desc())
            .limit(limit)
        ).scalars()
        return [
            {
                "number": r.number,
                "issued_at": r.issued_at,
                "as_of": r.as_of,
                "purpose": r.purpose,
                "entity": json.loads(r.content)["entity"],
            }
            for r in rows
        ]


def verify(ctx: Context, actor: Actor, number: str, code: str | None = None) -> dict[str, Any]:
    """Anyone's verification of a report number (audited): authentic or not, when and to
    whom (masked); with the holder code, what has changed since the report's day.

    :raises NotFound: no report has this number.
    """
    with ctx.session_factory.begin() as session:
        report = session.execute(
            select(CreditReport).where(CreditReport.number == number)
        ).scalar_one_or_none()
        if report is None:
            audit.append(
                session,
                actor=actor,
                action="credit_report.verify",
                now=ctx.now(),
                object_type="credit_report",
                object_id=number[:40],
                outcome="not_found",
            )
        else:
            result = _verification(session, ctx, report, code)
            audit.append(
                session,
                actor=actor,
                action="credit_report.verify",
                now=ctx.now(),
                object_type="credit_report",
                object_id=report.number,
                details={
                    "authentic": result["authentic"],
                    "code": result["code_accepted"],
                },
            )
            return result
    raise NotFound("credit-report-not-found", number=number)


def authentic(ctx: Context, report: CreditReport) -> bool:
    """Whether the stored content is what the named key signed (and hashes as stored)."""
    key = ctx.key_ring.get(report.key_id)
    if key is None:
        return False
    data = report.content.encode("utf-8")
    return rules.content_hash(report.content) == report.content_sha256 and verify_signature(
        key.public_key, data, report.signature
    )


def _verification(
    session: Session, ctx: Context, report: CreditReport, code: str | None
) -> dict[str, Any]:
    is_authentic = authentic(ctx, report)
    key = ctx.key_ring.get(report.key_id)
    accepted = bool(
        code
        and key is not None
        and hmac.compare_digest(rules.code_hash(key.mac, code), report.holder_code_hash)
    )
    result: dict[str, Any] = {
        "number": report.number,
        "authentic": is_authentic,
        "issued_at": report.issued_at,
        "as_of": report.as_of,
        "key_id": report.key_id,
        "requester": {
            "kind": report.requester_kind,
            "role": report.requester_role,
            "name": rules.masked_requester(report.requester),
        },
        "code_given": bool(code),
        "code_accepted": accepted,
        "checked_at": ctx.now(),
        "changes": None,
        "unchanged": None,
    }
    if accepted and is_authentic:
        stated = json.loads(report.content)
        entity = session.get(Entity, report.entity_id)
        now = content.build(
            session,
            ctx,
            entity,
            purpose=report.purpose,
            masked=report.masked,
            today=ctx.today(),
        )
        result["changes"] = rules.changes(stated, now)
        result["unchanged"] = not result["changes"]
    return result


def monthly_counts(ctx: Context, since: date, until: date) -> dict[str, int]:
    """Reports issued per month (YYYY-MM of the local day), for the statistics."""
    with ctx.read_session_factory() as session:
        days = session.execute(
            select(CreditReport.as_of).where(CreditReport.as_of.between(since, until))
        ).scalars()
        counts: dict[str, int] = {}
        for day in days:
            counts[day.strftime("%Y-%m")] = counts.get(day.strftime("%Y-%m"), 0) + 1
        return counts

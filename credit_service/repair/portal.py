"""What the enterprise portal needs that the API answers do not give: an enterprise's own
records with what can be repaired, its own listings (the public list hides an entry's
history and the case API is for regulators), the open application on a target, and an
evidence upload that a form sent twice does not store twice.

Every function acts for an enterprise on its own entity only (``actor.uscc``): another
entity's data cannot be asked for.
"""

from __future__ import annotations

import hashlib
import io
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credit_service.access import Actor
from credit_service.context import Context
from credit_service.dishonesty.models import DishonestyCase
from credit_service.dishonesty.services import in_force
from credit_service.entities import services as entity_services
from credit_service.entities.models import Entity
from credit_service.errors import Forbidden
from credit_service.pagination import Page
from credit_service.records import services as record_services
from credit_service.repair import services as repair_services
from credit_service.repair.models import OPEN_STATES, RepairApplication


def _own_uscc(actor: Actor) -> str:
    """The USCC of the actor's entity.

    :raises Forbidden: an account that is not an enterprise bound to an entity.
    """
    if actor.role != "enterprise" or not actor.uscc:
        raise Forbidden("not-enterprise")
    return actor.uscc


def _own_entity(session: Session, actor: Actor) -> Entity:
    return entity_services.entity_in_scope(session, actor, _own_uscc(actor))


def own_entity(ctx: Context, actor: Actor) -> dict[str, Any]:
    """The entity itself, as GET /api/v1/entities/<uscc> shows it to its enterprise."""
    return entity_services.read_entity(ctx, actor, _own_uscc(actor))


def own_records(
    ctx: Context, actor: Actor, *, cursor: str | None = None, limit: int = 50
) -> Page[dict[str, Any]]:
    """The entity's records as the API lists them, each with its catalog item's name and,
    when it is a dishonest record still in publicity, the repair target to check
    (``repair_target``, else None)."""
    page = record_services.list_entity_records(
        ctx, actor, _own_uscc(actor), cursor=cursor, limit=limit
    )
    return Page([_with_repair_target(ctx, r) for r in page.items], page.next_cursor)


def _with_repair_target(ctx: Context, record: dict[str, Any]) -> dict[str, Any]:
    item = ctx.catalogs.item(record["item_code"])
    published = record["category"] == "dishonest" and record["status"] == "active"
    return {
        **record,
        "item_name": item.name if item else record["item_code"],
        "repair_target": f"record:{record['id']}" if published else None,
    }


def own_listings(ctx: Context, actor: Actor) -> list[dict[str, Any]]:
    """The entity's listings that were ever published, newest first: whether each is on
    the list today, since and until when, why it left it, and the repair target of one
    still on the list."""
    today = ctx.today()
    with ctx.read_session_factory() as session:
        entity = _own_entity(session, actor)
        cases = (
            session.execute(
                select(DishonestyCase)
                .where(
                    DishonestyCase.entity_id == entity.id,
                    DishonestyCase.published_on.is_not(None),
                )
                .order_by(DishonestyCase.published_on.desc(), DishonestyCase.id.desc())
            )
            .scalars()
            .all()
        )
        listed_today = set(
            session.execute(
                select(DishonestyCase.id).where(
                    DishonestyCase.entity_id == entity.id, in_force(today)
                )
            ).scalars()
        )
    rules = ctx.list_rules
    return [
        {
            "id": case.id,
            "on_list": case.id in listed_today,
            "decision_no": case.decision_no,
            "published_on": case.published_on,
            "term_ends_on": case.term_ends_on,
            "removed_on": case.removed_on,
            "removal_reason": rules.removal_reasons.get(case.removal_reason or ""),
            "grounds": [rules.grounds.get(g, g) for g in case.grounds],
            "repair_target": f"listing:{case.id}" if case.id in listed_today else None,
        }
        for case in cases
    ]


def open_application(ctx: Context, actor: Actor, target: str) -> dict[str, Any] | None:
    """The application still open on the target for the actor's entity, if any: only one
    may be open, so the portal points to it instead of offering a form that would fail.

    :raises InvalidInput: a malformed target.
    """
    kind, target_id = repair_services.parse_target(target)
    with ctx.read_session_factory() as session:
        entity = _own_entity(session, actor)
        found = session.execute(
            select(RepairApplication).where(
                RepairApplication.entity_id == entity.id,
                RepairApplication.target_type == kind,
                RepairApplication.target_id == target_id,
                RepairApplication.state.in_(OPEN_STATES),
            )
        ).scalar_one_or_none()
        if found is None:
            return None
        return {
            "id": found.id,
            "state": found.state,
            "mine": found.applicant == actor.username,
        }


def add_evidence_once(
    ctx: Context, actor: Actor, application_id: int, *, filename: str, stream: IO[bytes]
) -> dict[str, Any] | None:
    """Store an evidence file unless the application holds the same content already (a
    form sent twice, or one file chosen twice): None then. The same checks and limits
    as ``repair.services.add_evidence`` apply.

    :raises NotFound, Forbidden: before anything about the application's files is told.
    :raises InvalidInput, Conflict: as add_evidence.
    """
    held = repair_services.get_application(ctx, actor, application_id)["evidence"]
    data = stream.read(ctx.repair_rules.max_bytes + 1)
    if hashlib.sha256(data).hexdigest() in {e["sha256"] for e in held}:
        return None
    return repair_services.add_evidence(
        ctx, actor, application_id, filename=filename, stream=io.BytesIO(data)
    )

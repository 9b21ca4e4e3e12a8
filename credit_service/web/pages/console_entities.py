"""The console's entity pages: lookup by identifier or name within the caller's region,
an entity with its tier (why, since when, what would change it), its records and cases,
and the proposal of a listing on its records."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import marshmallow as ma
from flask import Response, g, request

from credit_service import identifiers
from credit_service.dishonesty import services as dishonesty_services
from credit_service.entities import rules as entity_rules
from credit_service.entities import services as entity_services
from credit_service.errors import Conflict, InvalidInput, LimitExceeded, NotFound
from credit_service.records import services as record_services
from credit_service.tiers import views as tier_views
from credit_service.web.access import allow
from credit_service.web.api import dishonesty as dishonesty_api
from credit_service.web.api.common import accepts
from credit_service.web.i18n import translate
from credit_service.web.pages.auth import FORM_TYPES
from credit_service.web.pages.common import (
    ctx,
    message,
    messages_of,
    page,
    schema_errors,
    status_of,
)
from credit_service.web.pages.console import ACTORS, STAFF, bp, to_case, with_deadlines

SEARCH_LIMIT = 50
RECORDS_LIMIT = 200  # an entity's records on its page; older ones on the next page


@bp.get("/entities")
@allow(*STAFF)
def entities() -> Response:
    """Search by USCC, resident ID, masked number or name within the caller's region; a
    viewer's search by full resident ID takes a purpose and is limited (``lookups``)."""
    q = request.args.get("q", "").strip()
    purpose = request.args.get("purpose", "").strip()
    results, error, status, field_errors = None, None, 200, {}
    if q:
        try:
            results = entity_services.search_entities(
                ctx(),
                g.actor,
                q=q,
                purpose=purpose or None,
                cursor=request.args.get("cursor"),
                limit=SEARCH_LIMIT,
            )
        except InvalidInput as exc:
            if exc.code != "purpose-required":  # a cursor that is not ours
                error = translate("console.entities.bad_cursor")
            else:
                status = status_of(exc)
                field_errors = {"purpose": translate("console.entities.purpose_required")}
        except LimitExceeded as exc:
            error, status = translate("console.entities.lookup_limit"), status_of(exc)
    rows = [(e, _page_key(e, q)) for e in results.items] if results else []
    return page(
        "console/entities.html",
        status,
        q=q,
        purpose=purpose,
        results=results,
        rows=rows,
        error=error,
        field_errors=field_errors,
    )


def _page_key(entity: Mapping[str, Any], q: str) -> str | None:
    """The identifier that opens an entity's page. A natural person's is masked in
    results, so only the full number the user typed opens it (never one we reveal)."""
    if not entity["masked"]:
        return entity["identifier"]
    typed = entity_rules.lookup_key(q)
    if not identifiers.is_valid_resident_id(typed):  # e.g. the masked number itself
        return None
    return typed if identifiers.mask_resident_id(typed) == entity["identifier"] else None


@bp.get("/entities/<identifier>")
@allow(*STAFF)
def entity(identifier: str) -> Response:
    """An entity with its tier (why, since when, what would change it), the tier's
    history, its records and its listing cases."""
    return _entity_page(identifier)


@bp.post("/entities/<identifier>/cases")
@allow(*ACTORS)
@accepts(*FORM_TYPES)
def propose(identifier: str) -> Response:
    """Propose a listing on records of the entity (the service checks the grounds, D4)."""
    form = {
        "record_ids": request.form.getlist("record_ids"),
        "reason": request.form.get("reason", "").strip(),
    }
    try:
        data = dishonesty_api.ProposalSchema().load({"entity": identifier, **form})
    except ma.ValidationError as exc:
        return _entity_page(
            identifier,
            422,
            proposal=form,
            error=translate("form.error"),
            field_errors=schema_errors("console", exc.messages),
        )
    try:
        case = dishonesty_services.propose(ctx(), g.actor, **data)
    except (InvalidInput, Conflict) as exc:  # grounds not met; a case on the records exists
        unmet = (exc.errors or {}).get("record_ids", [])
        return _entity_page(
            identifier,
            status_of(exc),
            proposal=form,
            error=message(exc),
            unmet=messages_of(unmet),
            existing=exc.extensions.get("case_id"),
            field_errors=schema_errors("console", exc.errors or {}),
        )
    return to_case(case["id"], "console.case.proposed")


def _entity_page(identifier: str, status: int = 200, **form_state: Any) -> Response:
    service, actor = ctx(), g.actor
    shown = entity_services.read_entity(service, actor, identifier)
    records = record_services.list_entity_records(
        service, actor, identifier, cursor=request.args.get("cursor"), limit=RECORDS_LIMIT
    )
    can_act = actor.role in ACTORS
    return page(
        "console/entity.html",
        status,
        entity=shown,
        key=identifier,
        tier=_tier(identifier),
        history=tier_views.tier_history(service, actor, identifier),
        tier_names=service.tier_rules.names,
        tier_rules=service.tier_rules,
        records=records,
        items={r["item_code"]: service.catalogs.item(r["item_code"]) for r in records.items},
        cases=with_deadlines(dishonesty_services.list_cases(service, actor, entity=identifier)),
        grounds=service.list_rules.grounds,
        industries=service.catalogs.industries,
        can_act=can_act,
        candidates=[r for r in records.items if _can_ground(r)] if can_act else [],
        proposal=form_state.pop("proposal", {"record_ids": [], "reason": ""}),
        field_errors=form_state.pop("field_errors", {}),
        **form_state,
    )


def _tier(identifier: str) -> dict[str, Any] | None:
    """The tier view, or None before any tier rule set has been applied."""
    try:
        return tier_views.tier_view(ctx(), g.actor, identifier)
    except NotFound as exc:
        if exc.code != "no-tier-rules":
            raise
        return None


def _can_ground(record: Mapping[str, Any]) -> bool:
    """A record offered for a proposal: its catalog item can support a listing (D4)."""
    item = ctx().catalogs.item(record["item_code"])
    return item is not None and item.can_ground_listing

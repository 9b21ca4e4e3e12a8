"""The console's audit trail: search by actor, action, object, request id and days, page
on by the row id (the API's keyset, ``after_id``), export what matches as CSV through the
API's own export (which audits the export), and verify the log against its signed
checkpoints. Each row links to the rows its request wrote (the same request id).

Views on the console blueprint (``console.bp``); the app imports this module before
registering it. They declare the roles of the API endpoints they stand for (admins and
auditors read the trail) and check the search form with the API's own schema, so the page
finds exactly what the API finds. A day on the form is a day in Asia/Shanghai: ``since``
its first instant, ``until`` the first instant of the day after (the API's bound is
exclusive).
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any

import marshmallow as ma
from flask import Response, request, url_for

from credit_service.audit import services as audit
from credit_service.audit import verification
from credit_service.clock import SHANGHAI
from credit_service.web.access import allow
from credit_service.web.api import admin as admin_api
from credit_service.web.i18n import translate
from credit_service.web.pages.common import ctx, page
from credit_service.web.pages.console import bp

AUDIT_READERS = ("admin", "auditor")  # as the API's /admin/audit endpoints
TEXT_FILTERS = ("actor", "action", "object_type", "object_id", "request_id")
DAY_FILTERS = ("since", "until")
PAGE_SIZE = 50


def search_filters(args: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The API's filters from the form's values, or the Chinese error of each bad field.

    Text filters go through the API's schema (same limits); days are dates, the period's
    end not before its start.
    """
    filters: dict[str, Any] = {}
    errors: dict[str, str] = {}
    texts = {k: args[k] for k in TEXT_FILTERS if args.get(k)}
    try:
        filters.update(admin_api.AuditQueryArgsSchema().load(texts))
    except ma.ValidationError as exc:
        errors.update(
            {name: translate(f"admin_data.audit.invalid.{name}") for name in exc.messages}
        )
    days: dict[str, date] = {}
    for name in DAY_FILTERS:
        if args.get(name):
            try:
                days[name] = date.fromisoformat(args[name])
            except ValueError:
                errors[name] = translate("admin_data.audit.invalid.day")
    if "since" in days and "until" in days and days["until"] < days["since"]:
        errors["until"] = translate("admin_data.audit.invalid.period")
    if "since" in days:
        filters["since"] = datetime.combine(days["since"], time(), tzinfo=SHANGHAI)
    if "until" in days:
        filters["until"] = datetime.combine(days["until"] + timedelta(days=1), time(), SHANGHAI)
    return filters, errors


@bp.get("/audit")
@allow(*AUDIT_READERS)
def audit_trail() -> Response:
    """The events that match the form, oldest first, a page at a time; a bad filter comes
    back with its field's error and finds nothing."""
    form = {name: request.args.get(name, "").strip() for name in (*TEXT_FILTERS, *DAY_FILTERS)}
    after = request.args.get("after_id", "").strip()
    filters, errors = search_filters(form)
    if after and not after.isdigit():
        errors["after_id"] = translate("admin_data.audit.invalid.after_id")
    events: list[Any] = []
    more = False
    if not errors:
        with ctx().read_session_factory() as session:
            events = audit.query_events(
                session, after_id=int(after) if after else None, limit=PAGE_SIZE + 1, **filters
            )
        more = len(events) > PAGE_SIZE
        events = events[:PAGE_SIZE]
    kept: dict[str, Any] = {k: v for k, v in form.items() if v}
    return page(
        "console/audit.html",
        422 if errors else 200,
        form=form,
        errors=errors,
        events=events,
        searched=bool(kept or after),
        next_url=url_for(".audit_trail", after_id=events[-1].id, **kept) if more else None,
        first_url=url_for(".audit_trail", **kept) if after else None,
        export_url=None if errors else url_for("admin.AuditExport", **_api_args(filters)),
        action_words=action_words,
        details_text=details_text,
    )


@bp.get("/audit/verification")
@allow(*AUDIT_READERS)
def audit_verification() -> Response:
    """Verify the log now: what was checked, and each finding in words (the API's check)."""
    result = verification.verify_log(ctx())
    findings = [
        {
            "finding": f,
            "text": translate(f"error.{f.problem}", **f.params),
        }
        for f in result.findings
    ]
    return page("console/audit_verification.html", result=result, findings=findings)


def _api_args(filters: dict[str, Any]) -> dict[str, Any]:
    """The filters as the export endpoint's query takes them (instants with their zone)."""
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in filters.items()}


def action_words(action: str) -> str:
    """The Chinese name of an action where the words have one ('' otherwise: the page
    shows the action's code, which is what the search takes)."""
    return translate(f"admin_data.audit.action.{action}", default="")


def details_text(details: dict[str, Any] | None) -> str:
    """An event's details as compact JSON (already scrubbed of resident ID numbers)."""
    return json.dumps(details or {}, ensure_ascii=False, sort_keys=True) if details else ""

"""The enterprise portal: an enterprise's own records, list status and repair applications.

Views call the same services as the API; they only gather what a page shows. Forms are
plain HTML (no JavaScript): an application form carries a one-time key, so a double
submit applies once and uploads its files once.
"""

from __future__ import annotations

import secrets
from typing import Any

import marshmallow as ma
from flask import Blueprint, Response, g, redirect, request, url_for
from werkzeug.datastructures import FileStorage

from credit_service.context import Context
from credit_service.errors import Conflict, InvalidInput
from credit_service.objections import services as objections
from credit_service.repair import portal
from credit_service.repair import services as repair_services
from credit_service.repair.models import OPEN_STATES
from credit_service.web.access import allow, body_limit
from credit_service.web.api.common import accepts
from credit_service.web.api.repair import ApplicationCreateSchema, evidence_body_limit
from credit_service.web.pages.common import ctx, message, page

bp = Blueprint("enterprise_pages", __name__, url_prefix="/enterprise")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
TEXT_FIELDS = ("reason", "measures_taken", "contact")
NOTICES = frozenset({"submitted", "resubmitted", "uploaded", "supplement_received"})
KEY_LENGTH = 100  # the longest Idempotency-Key the API takes


def _lengths() -> dict[str, dict[str, int]]:
    """The lengths the API allows each text field: the form shows the same limits."""
    fields = ApplicationCreateSchema().fields
    return {
        name: {"min": v.min, "max": v.max}
        for name in TEXT_FIELDS
        for v in fields[name].validators
        if isinstance(v, ma.validate.Length)
    }


LENGTHS = _lengths()


def form_body_limit(context: Context) -> int:
    """A portal form may carry every evidence file an application may have, each of the
    largest size (the API takes them one by one)."""
    return context.repair_rules.max_files * evidence_body_limit(context)


@bp.get("")
@allow("enterprise")
def overview() -> Response:
    """The enterprise's own credit: its entity, records and listings, with a link to the
    eligibility check of each one that can still be repaired, and to an objection."""
    actor = g.actor
    records = portal.own_records(ctx(), actor, cursor=request.args.get("cursor"))
    listings = portal.own_listings(ctx(), actor)
    return page(
        "enterprise/overview.html",
        entity=portal.own_entity(ctx(), actor),
        records=records,
        listings=listings,
        # the mark 异议处理中 of each record and listing an accepted objection contests
        record_marks=objections.open_marks_for(ctx(), "record", [r["id"] for r in records.items]),
        listing_marks=objections.open_marks_for(ctx(), "listing", [x["id"] for x in listings]),
    )


@bp.get("/repair/eligibility")
@allow("enterprise")
def eligibility() -> Response:
    """Each condition of repairing one record or listing, when it passes, the materials."""
    target = request.args.get("target", "")
    return page(
        "enterprise/eligibility.html",
        result=repair_services.check_eligibility(ctx(), g.actor, target),
        open_application=portal.open_application(ctx(), g.actor, target),
        rules=ctx().repair_rules,
    )


@bp.route("/repair/new", methods=["GET", "POST"])
@allow("enterprise")
@body_limit(form_body_limit)
@accepts(*FORM_TYPES)
def new_application() -> Response:
    """The application form; a target that cannot be applied for now goes back to its
    eligibility page, which says why."""
    if request.method == "POST":
        return _submit()
    target = request.args.get("target", "")
    result = repair_services.check_eligibility(ctx(), g.actor, target)
    if not result["eligible"] or portal.open_application(ctx(), g.actor, target):
        return redirect(url_for(".eligibility", target=target), code=303)
    return _form_page(target, values={}, key=secrets.token_urlsafe(24))


def _submit() -> Response:
    """Apply, then store the files: on a repeated key the service returns the first
    application and nothing is uploaded again (that submission carried the same files)."""
    target = _text("target")
    values: dict[str, Any] = {name: _text(name).strip() for name in TEXT_FIELDS}
    values["obligations_performed"] = "obligations_performed" in request.form
    signed = "commitment_signed" in request.form
    key = _text("idempotency_key")[:KEY_LENGTH]
    data = {
        **values,
        "target": target,
        "commitment_version": _text("commitment_version") if signed else "",
    }
    kept = {**values, "commitment_signed": signed}
    errors = ApplicationCreateSchema().validate(data)
    if errors:
        return _form_page(target, 422, values=kept, key=key, errors=errors)
    try:
        view, created = repair_services.apply(ctx(), g.actor, idempotency_key=key or None, **data)
    except InvalidInput as exc:
        return _form_page(target, 422, values=kept, key=key, errors=exc.errors or {})
    except Conflict:  # another application on the target is open: the page names it
        return _form_page(target, 409, values=kept, key=key)
    if not created:
        return _see_application(view["id"], "resubmitted")
    refused = _store_evidence(view["id"])
    if refused:
        # The application exists: show it, say which files were refused and why.
        response = _application_page(view["id"], 201, notice="submitted", refused=refused)
        response.headers["Location"] = url_for(".application", application_id=view["id"])
        return response
    return _see_application(view["id"], "submitted")


def _text(name: str) -> str:
    """A text field of the posted form (NUL characters were refused before the view)."""
    return request.form.get(name, "")


def _form_page(
    target: str,
    status: int = 200,
    *,
    values: dict[str, Any],
    key: str,
    errors: dict[str, list[str]] | None = None,
) -> Response:
    return page(
        "enterprise/apply.html",
        status,
        result=repair_services.check_eligibility(ctx(), g.actor, target),
        open_application=portal.open_application(ctx(), g.actor, target),
        values=values,
        key=key,
        errors=errors or {},
        lengths=LENGTHS,
        rules=ctx().repair_rules,
    )


def _uploads() -> list[FileStorage]:
    """The files chosen in the form's file input (an empty input sends a nameless part)."""
    return [f for f in request.files.getlist("files") if f.filename]


def _store_evidence(application_id: int) -> list[dict[str, str]]:
    """Store each chosen file not held already; the ones refused, with the reason's code."""
    refused = []
    for upload in _uploads():
        try:
            portal.add_evidence_once(
                ctx(),
                g.actor,
                application_id,
                filename=upload.filename or "",
                stream=upload.stream,
            )
        except (InvalidInput, Conflict) as exc:
            refused.append({"name": upload.filename or "", "code": exc.code, "words": message(exc)})
    return refused


def _see_application(application_id: int, notice: str) -> Response:
    target = url_for(".application", application_id=application_id, notice=notice)
    return redirect(target, code=303)


def _application_page(
    application_id: int,
    status: int = 200,
    *,
    notice: str | None = None,
    error: str | None = None,
    refused: list[dict[str, str]] | None = None,
) -> Response:
    return page(
        "enterprise/application.html",
        status,
        application=repair_services.get_application(ctx(), g.actor, application_id),
        open_states=OPEN_STATES,
        rules=ctx().repair_rules,
        notice=notice,
        error=error,
        refused=refused or [],
    )


@bp.get("/repair")
@allow("enterprise")
def applications() -> Response:
    """The enterprise's applications with their state and the deadline now running."""
    return page(
        "enterprise/applications.html",
        applications=repair_services.list_applications(ctx(), g.actor),
    )


@bp.get("/repair/<int:application_id>")
@allow("enterprise")
def application(application_id: int) -> Response:
    """One application: its state, deadlines, steps with reasons, decision and evidence."""
    notice = request.args.get("notice")
    return _application_page(application_id, notice=notice if notice in NOTICES else None)


@bp.post("/repair/<int:application_id>/evidence")
@allow("enterprise")
@body_limit(form_body_limit)
@accepts("multipart/form-data")
def upload_evidence(application_id: int) -> Response:
    """More evidence while the application is open (e.g. materials asked for)."""
    if not _uploads():
        return _application_page(application_id, 422, error="enterprise.evidence.none_chosen")
    refused = _store_evidence(application_id)
    if refused:
        return _application_page(application_id, 422, refused=refused)
    return _see_application(application_id, "uploaded")


@bp.post("/repair/<int:application_id>/supplement-received")
@allow("enterprise")
@accepts(*FORM_TYPES)
def supplement_received(application_id: int) -> Response:
    """The asked-for materials are uploaded: the review clock runs again. A second click
    finds the application resumed already and shows it as it is."""
    try:
        repair_services.supplement_received(ctx(), g.actor, application_id)
    except Conflict:
        return _application_page(application_id, 409, error="enterprise.supplement.not_asked")
    return _see_application(application_id, "supplement_received")

"""The console's objections (D19): the region's queue by the nearest deadline, an
objection with its target, the value shown and claimed, the earlier objections to the
same target, its evidence, notices and history, the forms of the steps allowed now, and
the entry of an objection brought to the office in person or on paper.

Views on the console blueprint (``console.bp``); the app imports this module before
registering it. Only officers read objections (a viewer may not: they hold the party's
reasons and contact), so every page here is for regulators and administrators. A step
form is checked with the repair review's schema (reason, date, the version seen): the
same three inputs, the same limits.
"""

from __future__ import annotations

import secrets
from typing import Any

import marshmallow as ma
from flask import Response, g, redirect, request, url_for

from credit_service.errors import Conflict, InvalidInput, NotFound
from credit_service.objections import services as objections
from credit_service.objections.models import OPEN_STATES, STATES
from credit_service.web.access import allow, body_limit
from credit_service.web.api import repair as repair_api
from credit_service.web.api.common import accepts
from credit_service.web.pages import objection_forms as forms
from credit_service.web.pages.auth import FORM_TYPES
from credit_service.web.pages.common import ctx, form_values, page
from credit_service.web.pages.console import bp
from credit_service.web.pages.enterprise import form_body_limit

OFFICERS = ("admin", "regulator")
STEP_FIELDS = ("reason", "on", "expected_version", "refusal_reason", "action", "value", "due_on")
CHECKED = ("reason", "on", "expected_version", "due_on")  # by the repair review's schema
OFFICE_FIELDS = ("kind", "number", "applicant_name", "reasons", "contact")
DECISIONS = ("uphold", "partly_uphold", "not_uphold")
NOTICES = frozenset(
    {
        "objection_pages.notice.done",
        "objection_pages.notice.entered",
        "objection_pages.notice.uploaded",
    }
)


@bp.get("/objections")
@allow(*OFFICERS)
def objections_queue() -> Response:
    """Open objections in the caller's region, nearest deadline first (overdue, due today
    and due soon flagged); a state asks for those in it, closed ones included."""
    state = request.args.get("state", "").strip()
    known = state if state in STATES else None
    return page(
        "console/objections.html",
        objections=objections.list_objections(ctx(), g.actor, state=known),
        state=known or "",
        states=STATES,
    )


@bp.route("/objections/new", methods=["GET", "POST"])
@allow(*OFFICERS)
@body_limit(form_body_limit)
@accepts(*FORM_TYPES)
def new_office_objection() -> Response:
    """Enter an objection brought to the office: the target, who brings it, the reasons,
    a contact and the scanned paper application (required: it must be in before the
    objection can be accepted)."""
    if request.method == "GET":
        return _office_page(values={"kind": "record"}, key=secrets.token_urlsafe(24))
    values = form_values(OFFICE_FIELDS)
    key = request.form.get("idempotency_key", "")[: forms.KEY_LENGTH]
    errors = forms.check_filing(values, None)
    if values["kind"] not in ("record", "listing"):
        errors["kind"] = forms.invalid("target")
    if not values["number"].isdigit():
        errors["number"] = forms.invalid("number")
    if not forms.uploads():
        errors["files"] = forms.invalid("files")
    if errors:
        return _office_page(422, values=values, key=key, errors=errors)
    try:
        view, created = objections.file_objection(
            ctx(),
            g.actor,
            target=f"{values['kind']}:{int(values['number'])}",
            reasons=values["reasons"],
            contact=values["contact"],
            applicant_name=values["applicant_name"],
            idempotency_key=key or None,
        )
    except (InvalidInput, NotFound) as exc:
        if isinstance(exc, NotFound):
            errors, alert = {"number": forms.invalid("number")}, None
        else:
            errors, alert = forms.service_errors(exc)
        return _office_page(422, values=values, key=key, errors=errors, alert=alert)
    except Conflict as exc:
        open_id = exc.extensions.get("objection_id")
        return _office_page(409, values=values, key=key, open_id=open_id)
    refused = forms.store_uploads(view["id"]) if created else []
    if refused:
        return _objection_page(view["id"], 201, refused=refused)
    return _to_objection(view["id"], "objection_pages.notice.entered")


def _office_page(status: int = 200, **values: Any) -> Response:
    values.setdefault("errors", {})
    return page(
        "console/objection_new.html",
        status,
        lengths=forms.LIMITS,
        rules=ctx().repair_rules,
        **values,
    )


@bp.get("/objections/<int:objection_id>")
@allow(*OFFICERS)
def objection(objection_id: int) -> Response:
    notice = request.args.get("notice")
    return _objection_page(objection_id, notice=notice if notice in NOTICES else None)


@bp.post("/objections/<int:objection_id>/steps/<string:step>")
@allow(*OFFICERS)
@accepts(*FORM_TYPES)
def objection_step(objection_id: int, step: str) -> Response:
    """One step from its form. The form carries the version the officer saw: when the
    objection moved on since (a colleague, or this form sent twice), the page shows it
    as it is now and says so, and nothing is applied twice."""
    form = form_values(STEP_FIELDS)
    kept = {"step": step, "form": form}
    try:
        data = repair_api.ReviewSchema().load({k: v for k, v in form.items() if v and k in CHECKED})
    except ma.ValidationError as exc:
        errors = {name: forms.invalid(name) for name in exc.messages}
        return _objection_page(objection_id, 422, failed=kept | {"errors": errors})
    details = {k: form[k] for k in ("refusal_reason", "action") if form[k]}
    if "due_on" in data:
        details["due_on"] = data.pop("due_on")
    if step in DECISIONS and form["value"]:
        details["value"] = form["value"]
    try:
        objections.take_step(ctx(), g.actor, objection_id, step, details=details, **data)
    except Conflict as exc:
        words = "objection_pages.error.changed" if exc.code == "objection-changed" else None
        return _objection_page(
            objection_id, 409, alert=forms.message(exc) if not words else None, error=words
        )
    except InvalidInput as exc:
        errors, alert = forms.service_errors(exc)
        return _objection_page(objection_id, 422, alert=alert, failed=kept | {"errors": errors})
    return _to_objection(objection_id, "objection_pages.notice.done")


@bp.post("/objections/<int:objection_id>/evidence")
@allow(*OFFICERS)
@body_limit(form_body_limit)
@accepts("multipart/form-data")
def objection_evidence(objection_id: int) -> Response:
    """The scanned paper application, or materials brought to the office."""
    return forms.receive_uploads(
        objection_id,
        _objection_page,
        lambda: _to_objection(objection_id, "objection_pages.notice.uploaded"),
    )


@bp.get("/objections/<int:objection_id>/evidence/<int:evidence_id>")
@allow(*OFFICERS)
def objection_evidence_file(objection_id: int, evidence_id: int) -> Response:
    return forms.evidence_file(objection_id, evidence_id)


@bp.get("/objections/<int:objection_id>/documents/<int:document_id>.pdf")
@allow(*OFFICERS)
def objection_document(objection_id: int, document_id: int) -> Response:
    return forms.document_pdf(objection_id, document_id)


def _objection_page(objection_id: int, status: int = 200, **values: Any) -> Response:
    shown = objections.get_objection(ctx(), g.actor, objection_id)
    kind = shown["target"].split(":")[0]
    return page(
        "console/objection.html",
        status,
        objection=shown,
        steps=objections.steps_for(shown, g.actor.role),
        actions={step: objections.actions_for(kind, step) for step in DECISIONS},
        refusal_reasons=ctx().objection_rules.refusal_reasons,
        supplement_workdays=ctx().objection_rules.supplement_workdays,
        open_states=OPEN_STATES,
        rules=ctx().repair_rules,
        field_label=forms.field_label,
        value_words=forms.value_words,
        **{"refused": [], "failed": None, **values},
    )


def _to_objection(objection_id: int, notice: str) -> Response:
    target = url_for(".objection", objection_id=objection_id, notice=notice)
    return redirect(target, code=303)

"""The enterprise portal's objections (D19): file one against one of its own records or
list entries (the whole of it, or one field, with the value it claims and a file), and
follow it — state, deadlines, the mark, the history, the notices — uploading more
evidence while it is open and saying when the materials asked for are in.

Views on the enterprise blueprint (``enterprise.bp``); the app imports this module before
registering it. A form carries a one-time key: a double submit files once and uploads
its files once.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Response, g, redirect, request, url_for

from credit_service.errors import Conflict, InvalidInput
from credit_service.objections import services as objections
from credit_service.objections.models import OPEN_STATES
from credit_service.web.access import allow, body_limit
from credit_service.web.api.common import accepts
from credit_service.web.pages import objection_forms as forms
from credit_service.web.pages.common import ctx, form_values, page
from credit_service.web.pages.enterprise import FORM_TYPES, bp, form_body_limit

TEXT_FIELDS = ("field", "value_claimed", "reasons", "contact")
NOTICES = frozenset({"filed", "refiled", "uploaded", "supplement_received"})


@bp.get("/objections")
@allow("enterprise")
def objections_list() -> Response:
    """The enterprise's objections with their state and the deadline now running."""
    return page("enterprise/objections.html", objections=objections.list_objections(ctx(), g.actor))


@bp.route("/objections/new", methods=["GET", "POST"])
@allow("enterprise")
@body_limit(form_body_limit)
@accepts(*FORM_TYPES)
def new_objection() -> Response:
    """The filing form for one of the enterprise's own records or list entries (another
    entity's answers 403, an unknown one 404)."""
    if request.method == "POST":
        return _file()
    target = request.args.get("target", "")
    chosen = request.args.get("field", "")
    return _form_page(target, values={"field": chosen}, key=secrets.token_urlsafe(24))


def _file() -> Response:
    """File, then store the files: on a repeated key the service returns the first
    objection and nothing is uploaded again (that submission carried the same files)."""
    target = request.form.get("target", "")
    values = form_values(TEXT_FIELDS)
    key = request.form.get("idempotency_key", "")[: forms.KEY_LENGTH]
    described = objections.describe_target(ctx(), g.actor, target)
    errors = forms.check_filing(values, [f["name"] for f in described["fields"]])
    if errors:
        return _form_page(target, 422, values=values, key=key, errors=errors)
    try:
        view, created = objections.file_objection(
            ctx(),
            g.actor,
            target=target,
            reasons=values["reasons"],
            contact=values["contact"],
            field=values["field"],
            value_claimed=values["value_claimed"] or None,
            idempotency_key=key or None,
        )
    except InvalidInput as exc:
        errors, alert = forms.service_errors(exc)
        return _form_page(target, 422, values=values, key=key, errors=errors, alert=alert)
    except Conflict as exc:  # an open objection on the same target and field
        open_id = exc.extensions.get("objection_id")
        return _form_page(target, 409, values=values, key=key, open_id=open_id)
    if not created:
        return _see(view["id"], "refiled")
    refused = forms.store_uploads(view["id"])
    if refused:  # the objection exists: show it, with the files refused and why
        response = _objection_page(view["id"], 201, notice="filed", refused=refused)
        response.headers["Location"] = url_for(".objection", objection_id=view["id"])
        return response
    return _see(view["id"], "filed")


def _form_page(
    target: str,
    status: int = 200,
    *,
    values: dict[str, str],
    key: str,
    errors: dict[str, str] | None = None,
    **shown: Any,
) -> Response:
    described = objections.describe_target(ctx(), g.actor, target)
    return page(
        "enterprise/objection_new.html",
        status,
        target=described,
        labels=forms.field_labels(described),
        value_words=forms.value_words,
        values=values,
        key=key,
        errors=errors or {},
        lengths=forms.LIMITS,
        rules=ctx().repair_rules,
        **shown,
    )


@bp.get("/objections/<int:objection_id>")
@allow("enterprise")
def objection(objection_id: int) -> Response:
    """One objection: state, deadlines, the mark, history, notices and evidence."""
    notice = request.args.get("notice")
    return _objection_page(objection_id, notice=notice if notice in NOTICES else None)


@bp.post("/objections/<int:objection_id>/evidence")
@allow("enterprise")
@body_limit(form_body_limit)
@accepts("multipart/form-data")
def objection_evidence(objection_id: int) -> Response:
    """More evidence while the objection is open (e.g. the materials asked for)."""
    return forms.receive_uploads(
        objection_id, _objection_page, lambda: _see(objection_id, "uploaded")
    )


@bp.post("/objections/<int:objection_id>/supplement-received")
@allow("enterprise")
@accepts(*FORM_TYPES)
def objection_supplement_received(objection_id: int) -> Response:
    """The asked-for materials are uploaded: the clock runs again. A second click finds
    the objection resumed already and shows it as it is."""
    try:
        objections.take_step(ctx(), g.actor, objection_id, "supplement_received")
    except Conflict:
        return _objection_page(objection_id, 409, error="objection_pages.error.not_asked")
    return _see(objection_id, "supplement_received")


@bp.get("/objections/<int:objection_id>/evidence/<int:evidence_id>")
@allow("enterprise")
def objection_evidence_file(objection_id: int, evidence_id: int) -> Response:
    return forms.evidence_file(objection_id, evidence_id)


@bp.get("/objections/<int:objection_id>/documents/<int:document_id>.pdf")
@allow("enterprise")
def objection_document(objection_id: int, document_id: int) -> Response:
    return forms.document_pdf(objection_id, document_id)


def _see(objection_id: int, notice: str) -> Response:
    return redirect(url_for(".objection", objection_id=objection_id, notice=notice), code=303)


def _objection_page(objection_id: int, status: int = 200, **values: Any) -> Response:
    values.setdefault("refused", [])
    return page(
        "enterprise/objection.html",
        status,
        objection=objections.get_objection(ctx(), g.actor, objection_id),
        open_states=OPEN_STATES,
        rules=ctx().repair_rules,
        field_label=forms.field_label,
        value_words=forms.value_words,
        **values,
    )

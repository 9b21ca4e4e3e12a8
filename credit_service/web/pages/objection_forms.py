"""What the enterprise's and the console's objection pages share: the filing form's
check, the labels of a target's fields, storing the chosen files, and the files an
objection's page links to (its evidence and its notices as PDF).

The API's objection schemas are another branch's; until they land, the filing form is
checked here against the columns' limits (``objections.models``), and the service
checks the rest (the field, the target, the channel's requirements).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Response, g, request
from werkzeug.datastructures import FileStorage

from credit_service.errors import Conflict, InvalidInput
from credit_service.objections import services as objections
from credit_service.web.api import common as api_common
from credit_service.web.i18n import translate
from credit_service.web.pages.common import ctx, message

# The filing form's text fields and their lengths (min, max), as the columns hold them.
LIMITS = {
    "reasons": (10, 4000),
    "contact": (5, 200),
    "value_claimed": (0, 2000),
    "applicant_name": (1, 200),
}
# A service error on one of these goes beside the field; any other reads as an alert.
FIELD_ERRORS = frozenset(
    {
        *LIMITS,
        "field",
        "target",
        "files",
        "reason",
        "on",
        "expected_version",
        "refusal_reason",
        "action",
        "value",
        "documents",
        "due_on",
    }
)
KEY_LENGTH = 100  # the longest idempotency key the objections table keeps


def invalid(name: str) -> str:
    return translate(f"objection_pages.invalid.{name}")


def check_filing(form: Mapping[str, str], fields: list[str] | None) -> dict[str, str]:
    """The filing form's field errors (empty when it may go to the service): each text
    within its length, a field one of the target's, a claimed value when a field is
    chosen. ``fields`` None: the form has no field choice (the office form)."""
    errors = {}
    for name, (low, high) in LIMITS.items():
        if name in form and not low <= len(form[name]) <= high:
            errors[name] = invalid(name)
    if fields is not None and form.get("field") and form["field"] not in fields:
        errors["field"] = invalid("field")
    if form.get("field") and not form.get("value_claimed"):
        errors["value_claimed"] = invalid("value_claimed")
    return errors


def service_errors(exc: InvalidInput) -> tuple[dict[str, str], str | None]:
    """A refused input as the message beside each field it names, and the rest (or the
    error as a whole when it names no field) as one alert."""
    named = {name: invalid(name) for name in exc.errors or {} if name in FIELD_ERRORS}
    rest = [name for name in exc.errors or {} if name not in FIELD_ERRORS]
    return named, message(exc) if rest or not named else None


def field_labels(target: Mapping[str, Any]) -> dict[str, str]:
    """Each field of a target by its Chinese name: a record's from its catalog item, a
    list entry's from the pages' words."""
    if target["kind"] == "listing":
        return {
            f["name"]: translate(f"objection_pages.listing_field.{f['name']}")
            for f in target["fields"]
        }
    item = ctx().catalogs.item(target["item_code"] or "")
    labels = {spec.name: spec.label for spec in item.fields} if item else {}
    return {f["name"]: labels.get(f["name"], f["name"]) for f in target["fields"]}


def field_label(target: str, name: str) -> str:
    """One field of an objection's target by its Chinese name (a record's by the first
    catalog item that names it: the items share their fields' names and labels)."""
    if target.startswith("listing:"):
        return translate(f"objection_pages.listing_field.{name}", default=name)
    for catalog in ctx().catalogs.catalogs.values():
        for item in catalog.items:
            for spec in item.fields:
                if spec.name == name:
                    return spec.label
    return name


def value_words(target: str, name: str | None, value: Any) -> str:
    """A value of a target's field as the public reads it: a list entry's grounds and
    measures are kept as codes (joined by 、), shown by their names."""
    if value is None or value == "":
        return "—"
    text = str(value)
    if not target.startswith("listing:") or name not in ("grounds", "measures"):
        return text
    service = ctx()
    names = (
        service.list_rules.grounds
        if name == "grounds"
        else {code: m.name for code, m in service.catalogs.measures.items()}
    )
    return "、".join(names.get(code, code) for code in text.split("、"))


def uploads() -> list[FileStorage]:
    """The files chosen in the form's file input (an empty input sends a nameless part)."""
    return [f for f in request.files.getlist("files") if f.filename]


def receive_uploads(
    objection_id: int, show: Callable[..., Response], done: Callable[[], Response]
) -> Response:
    """The files a form sent to an objection: none chosen or any refused, the page again
    (``show``) saying so; else ``done`` (the redirect with its notice)."""
    if not uploads():
        return show(objection_id, 422, error="objection_pages.error.none_chosen")
    refused = store_uploads(objection_id)
    if refused:
        return show(objection_id, 422, refused=refused)
    return done()


def store_uploads(objection_id: int) -> list[dict[str, str]]:
    """Store each chosen file; the ones refused, each with its reason's code and words."""
    refused = []
    for upload in uploads():
        try:
            objections.add_evidence(
                ctx(), g.actor, objection_id, filename=upload.filename or "", stream=upload.stream
            )
        except (InvalidInput, Conflict) as exc:
            refused.append({"name": upload.filename or "", "code": exc.code, "words": message(exc)})
    return refused


def evidence_file(objection_id: int, evidence_id: int) -> Response:
    """An evidence file as uploaded, to download (never shown inline)."""
    return api_common.evidence_response(
        *objections.get_evidence(ctx(), g.actor, objection_id, evidence_id)
    )


def document_pdf(objection_id: int, document_id: int) -> Response:
    """A notice the objection's steps issued, as PDF (the read audited when it names a
    natural person)."""
    return api_common.document_pdf(
        objections.get_document(ctx(), g.actor, objection_id, document_id)
    )

"""The console's credit records: file one record under a catalog item with a form made
from the item's field list, read it with its revisions, correct it (a new revision, with
the reason) and revoke it (the decision behind it was revoked, with the reason and day).

Views on the console blueprint (``console.bp``); the app imports this module before
registering it. They call the record services the API calls and declare the API's roles
(officers file, correct and revoke; viewers read), so the scope of a regulator is its
region's entities, as on the API. The service checks the fields against the item: its
errors, keyed ``fields.<name>``, come back under each field in Chinese, and nothing is
written. A form field is named ``f.<name>`` so the item's names never clash with the
form's own (the CSRF token, the reason).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import marshmallow as ma
from flask import Response, g, redirect, request, url_for

from credit_service.catalogs.definitions import CatalogItem, FieldSpec
from credit_service.entities import services as entity_services
from credit_service.errors import Conflict, InvalidInput
from credit_service.records import services as record_services
from credit_service.web.access import allow
from credit_service.web.api import dishonesty as dishonesty_api
from credit_service.web.api import records as records_api
from credit_service.web.api.common import accepts
from credit_service.web.i18n import translate
from credit_service.web.pages.auth import FORM_TYPES
from credit_service.web.pages.common import ctx, form_values, message, messages_of, page
from credit_service.web.pages.console import ACTORS, STAFF, bp

FIELD_PREFIX = "f."
LIST_JOIN = "、"  # a string list shown in one box; the service splits on it
NOTICES = frozenset(
    {
        "admin_data.record.notice.filed",
        "admin_data.record.notice.existing",
        "admin_data.record.notice.corrected",
        "admin_data.record.notice.unchanged",
        "admin_data.record.notice.revoked",
    }
)


# --- filing -----------------------------------------------------------------------------------


@bp.route("/entities/<identifier>/records/new", methods=["GET", "POST"])
@allow(*ACTORS)
@accepts(*FORM_TYPES)
def new_record(identifier: str) -> Response:
    """Choose a catalog item, then fill the form its field list makes; filed, the record's
    page says so (filing the same record again finds the one filed)."""
    code = request.values.get("item", "").strip()
    item = ctx().catalogs.item(code) if code else None
    if request.method == "GET":
        return _new_page(identifier, item, values={}, code=code)
    if item is None:
        errors = {"item": translate("admin_data.record.invalid.item")}
        return _new_page(identifier, None, 422, values={}, code=code, errors=errors)
    values = posted_fields(item.fields)
    try:
        view, created = record_services.file_record(
            ctx(), g.actor, entity=identifier, item_code=item.code, fields=values
        )
    except InvalidInput as exc:
        errors, alert = field_errors(exc)
        return _new_page(identifier, item, 422, values=values, errors=errors, alert=alert)
    except Conflict as exc:  # the document number is filed with other content
        return _new_page(identifier, item, 409, values=values, alert=message(exc))
    notice = "filed" if created else "existing"
    return _to_record(view["id"], f"admin_data.record.notice.{notice}")


def _new_page(
    identifier: str, item: CatalogItem | None, status: int = 200, **state: Any
) -> Response:
    entity = entity_services.read_entity(ctx(), g.actor, identifier)
    state.setdefault("errors", {})
    return page(
        "console/record_new.html",
        status,
        entity=entity,
        key=identifier,
        item=item,
        catalogs=ctx().catalogs.catalogs.values(),
        shown=shown_values(item.fields if item else (), state.pop("values")),
        **{"alert": None, "code": item.code if item else "", **state},
    )


# --- one record: read, correct, revoke --------------------------------------------------------


@bp.get("/records/<int:record_id>")
@allow(*STAFF)
def record_page(record_id: int) -> Response:
    """A record with its fields and revisions; officers get its correction and revocation
    forms."""
    notice = request.args.get("notice")
    return _record_page(record_id, notice=notice if notice in NOTICES else None)


@bp.post("/records/<int:record_id>/correction")
@allow(*ACTORS)
@accepts(*FORM_TYPES)
def correct_record(record_id: int) -> Response:
    """A new revision from the corrected form, with the reason; the same document number
    and authority (another document is another record)."""
    item = _item_of(record_id)
    values = posted_fields(item.fields)
    form = form_values(("reason", "revision"))
    kept = {"correction": {"values": values, **form}}
    try:
        data = records_api.RecordCorrectionSchema().load(
            {"fields": values, "reason": form["reason"]}
        )
    except ma.ValidationError as exc:
        errors = {name: translate(f"admin_data.record.invalid.{name}") for name in exc.messages}
        return _record_page(record_id, 422, errors=errors, **kept)
    try:
        view = record_services.correct_record(ctx(), g.actor, record_id, **data)
    except InvalidInput as exc:
        errors, alert = field_errors(exc)
        return _record_page(record_id, 422, errors=errors, alert=alert, **kept)
    except Conflict as exc:
        return _record_page(record_id, 409, alert=message(exc), **kept)
    same = str(view["revision"]) == form["revision"]
    return _to_record(record_id, f"admin_data.record.notice.{'unchanged' if same else 'corrected'}")


@bp.post("/records/<int:record_id>/revocation")
@allow(*ACTORS)
@accepts(*FORM_TYPES)
def revoke_record(record_id: int) -> Response:
    """The decision behind the record was revoked: it leaves publication, and a listing
    resting on it comes down (the service does both, D11)."""
    form = form_values(("reason", "on"))
    kept = {"revocation": form}
    try:
        data = dishonesty_api.RevocationSchema().load({k: v for k, v in form.items() if v})
    except ma.ValidationError as exc:
        errors = {
            f"revoke_{name}": translate(f"admin_data.record.invalid.revoke_{name}")
            for name in exc.messages
        }
        return _record_page(record_id, 422, errors=errors, **kept)
    try:
        record_services.revoke_record(ctx(), g.actor, record_id, **data)
    except InvalidInput as exc:  # the day is before the decision or after today
        entries = [e for v in (exc.errors or {}).values() for e in v]
        errors = {"revoke_on": "".join(messages_of(entries)) or message(exc)}
        return _record_page(record_id, 422, errors=errors, **kept)
    except Conflict as exc:  # revoked already
        return _record_page(record_id, 409, alert=message(exc), **kept)
    return _to_record(record_id, "admin_data.record.notice.revoked")


def _record_page(record_id: int, status: int = 200, **state: Any) -> Response:
    record = record_services.read_record(ctx(), g.actor, record_id)
    item = ctx().catalogs.item(record["item_code"])
    specs = item.fields if item else ()
    correction = state.pop("correction", None) or {
        "values": record["fields"],
        "reason": "",
        "revision": str(record["revision"]),
    }
    return page(
        "console/record.html",
        status,
        record=record,
        item=item,
        labels={spec.name: spec.label for spec in specs},
        can_act=g.actor.role in ACTORS,
        shown=shown_values(specs, correction["values"]),
        correction=correction,
        revocation=state.pop("revocation", {"reason": "", "on": ""}),
        today=ctx().today(),
        **{"errors": {}, "alert": None, "notice": None, **state},
    )


def _item_of(record_id: int) -> CatalogItem:
    """The catalog item of a record the caller may read (the read checks the scope)."""
    record = record_services.read_record(ctx(), g.actor, record_id)
    item = ctx().catalogs.item(record["item_code"])
    if item is None:  # the catalogs no longer have it: the service refuses the same way
        raise InvalidInput("unknown-catalog-item", item_code=record["item_code"])
    return item


def _to_record(record_id: int, notice: str) -> Response:
    return redirect(url_for(".record_page", record_id=record_id, notice=notice), code=303)


# --- the generated form -----------------------------------------------------------------------


def posted_fields(specs: Iterable[FieldSpec]) -> dict[str, Any]:
    """The item's fields as posted: a list for a multiple choice, trimmed text otherwise;
    blank ones left out (the service says which are required)."""
    values: dict[str, Any] = {}
    for spec in specs:
        name = FIELD_PREFIX + spec.name
        if spec.type == "enum_list":
            chosen = [v for v in request.form.getlist(name) if v.strip()]
            if chosen:
                values[spec.name] = chosen
        elif text := request.form.get(name, "").strip():
            values[spec.name] = text
    return values


def shown_values(specs: Iterable[FieldSpec], values: Mapping[str, Any]) -> dict[str, Any]:
    """What each control shows: the chosen values of a multiple choice, text otherwise
    (a stored list joined, a stored yes/no as the select's value)."""
    shown: dict[str, Any] = {}
    for spec in specs:
        value = values.get(spec.name)
        if spec.type == "enum_list":
            shown[spec.name] = list(value or [])
        elif isinstance(value, bool):
            shown[spec.name] = "true" if value else "false"
        elif isinstance(value, list):
            shown[spec.name] = LIST_JOIN.join(str(v) for v in value)
        else:
            shown[spec.name] = "" if value is None else str(value)
    return shown


def field_errors(exc: InvalidInput) -> tuple[dict[str, str], str | None]:
    """The service's field errors under their fields (``fields.CF_JDRQ`` → ``CF_JDRQ``) in
    Chinese, and the error's words for the top of the form when no field carries it."""
    errors: dict[str, str] = {}
    for key, entries in (exc.errors or {}).items():
        name = key.removeprefix("fields.")
        listed = entries if isinstance(entries, list) else [entries]
        errors[name] = "；".join(messages_of(listed))
    return errors, message(exc)

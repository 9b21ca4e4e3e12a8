"""What every API blueprint shares: the strict blueprint class, context access, schemas."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from base64 import b64encode
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

import marshmallow as ma
from flask import Request, Response, current_app, request, send_file, stream_with_context
from flask_smorest import Blueprint as SmorestBlueprint
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.datastructures import FileStorage

from credit_service.bounds import EARLIEST_DATE, FUTURE_YEARS, MAX_ID, date_error
from credit_service.context import Context
from credit_service.errors import InvalidInput
from credit_service.procedures import documents
from credit_service.web.api.json_codec import json_bytes
from credit_service.web.i18n import translate


class StrictParser(FlaskParser):
    """Reject unknown query parameters too (webargs excludes them by default)."""

    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": ma.RAISE,
        "querystring": ma.RAISE,
    }

    def _raw_load_json(self, req: Request) -> Any:
        """As webargs' own, read through the app's JSONProvider (which webargs, calling
        json.loads itself, would bypass). Bad UTF-8 is answered by webargs as before."""
        if not is_json_request(req):
            return ma.missing
        return current_app.json.loads(req.get_data(cache=True).decode("utf-8"))


class Blueprint(SmorestBlueprint):
    ARGUMENTS_PARSER = StrictParser()

    def arguments(self, schema, **kwargs):  # type: ignore[no-untyped-def]
        """As flask-smorest's, with one schema instance for the endpoint's life: given a
        class, webargs would build an instance on every request (about 0.1 ms, a tenth
        of a small lookup). Schemas keep no per-call state, so one instance serves all."""
        return super().arguments(schema() if isinstance(schema, type) else schema, **kwargs)


def service_context() -> Context:
    return current_app.extensions["credit_service"]


ACCEPTS_ATTR = "_accepts"


def idempotency_key() -> str | None:
    """The request's Idempotency-Key header, if any: a repeated request with the same key
    returns what the first one created instead of creating it again.

    :raises InvalidInput: a key that is empty or longer than 100 characters.
    """
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 1 <= len(key) <= 100:
        raise InvalidInput(
            "idempotency-key-invalid", errors={"Idempotency-Key": ["idempotency-key-invalid"]}
        )
    return key


def accepts(*mimetypes: str):  # type: ignore[no-untyped-def]
    """Declare the body media types a view takes (default: application/json)."""

    def decorate(view):  # type: ignore[no-untyped-def]
        setattr(view, ACCEPTS_ATTR, frozenset(mimetypes))
        return view

    return decorate


CSV_UPLOAD_DOC = {  # the request body of the import endpoints, for the OpenAPI description
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
    }
}


def uploaded_file() -> FileStorage:
    """The ``file`` part of a multipart form (an import, an evidence upload).

    :raises InvalidInput: the form has no such part.
    """
    upload = request.files.get("file")
    if upload is None:
        raise InvalidInput("file-part-missing", errors={"file": ["file-part-missing"]})
    return upload


def uploaded_csv() -> IO[str]:
    """The CSV of an import request: a ``file`` part of a form, or a text/csv body."""
    raw = uploaded_file().stream if request.mimetype == "multipart/form-data" else request.stream
    return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


def document_html(document: Any) -> Response:
    """A procedure document (a notice, a decision) as printable HTML: the stored page
    carries its print style inline, and the policy allows exactly that style."""
    match = re.search(r"<style>(.*?)</style>", document.html, re.S)
    digest = b64encode(hashlib.sha256((match.group(1) if match else "").encode()).digest())
    response = Response(document.html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'sha256-{digest.decode()}'; frame-ancestors 'none'"
    )
    return response


def evidence_response(evidence: Any, data: bytes) -> Response:
    """An evidence file to download, never shown inline (it came from outside), under a
    name of ours rather than the uploader's."""
    response = Response(io.BytesIO(data), mimetype=evidence.content_type)
    response.headers["Content-Disposition"] = f"attachment; filename=evidence-{evidence.id}"
    return response


def store_upload(add_evidence: Any, ctx: Context, actor: Any, row_id: int) -> Any:
    """Hand the request's file part 'file' to an area's ``add_evidence``."""
    upload = uploaded_file()
    return add_evidence(ctx, actor, row_id, filename=upload.filename or "", stream=upload.stream)


def document_pdf(document: Any) -> Response:
    """A procedure document as the PDF kept when it was issued, named by its number."""
    path = documents.pdf_file(service_context().settings.data_dir, document)
    return send_file(path, mimetype="application/pdf", download_name=f"{document.number}.pdf")


class _InDomainRange:
    """Mixin of the date fields: the value lies in the domain range of dates
    (credit_service/bounds.py), else 422 naming the field."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)  # type: ignore[call-arg]
        self.metadata.setdefault(  # type: ignore[attr-defined]
            "x-range", f"{EARLIEST_DATE} to {FUTURE_YEARS} years after today"
        )

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        loaded = super()._deserialize(value, attr, data, **kwargs)  # type: ignore[misc]
        day = loaded.date() if isinstance(loaded, datetime) else loaded
        error = date_error(day, service_context().today())
        if error:
            raise ma.ValidationError([error])
        return loaded


class DomainDate(_InDomainRange, ma.fields.Date):
    """A date the API accepts: every input date is one of these."""


class DomainDateTime(_InDomainRange, ma.fields.AwareDateTime):
    """A time with its zone the API accepts, its day in the domain range of dates."""


def id_field(minimum: int = 1, **kwargs: Any) -> ma.fields.Integer:
    """An id, sequence number or version the API accepts: within the 32-bit columns
    that hold them (credit_service/bounds.py), else 422 naming the field."""
    return ma.fields.Integer(validate=ma.validate.Range(min=minimum, max=MAX_ID), **kwargs)


# What a field takes, for the OpenAPI document: custom formats (the service reads them
# leniently — full-width, lower case, spaces — and checks their check characters) and
# values drawn from the catalogs when the document is built (credit_service/web/openapi.py).
USCC = {
    "format": "uscc",
    "description": "统一社会信用代码 (GB 32100-2015): 18 characters with a valid check "
    "character (full-width forms, lower case and spaces are read as the plain form)",
}
IDENTIFIER = {
    "format": "credit-identifier",
    "description": "a USCC (organisations, agencies, individual businesses) or a resident "
    "ID number (natural persons), with a valid check character",
}
# A batch answers each line on its own: a line that is no identifier is answered "not
# found" (the batch is not refused), so the items state no format.
BATCH_IDENTIFIER = {"description": "a USCC or resident ID number; anything else is not found"}
PURPOSE = {"values_from": "purposes", "description": "a credit-check purpose of the catalogs"}
TARGET = {"pattern": "^(record|listing):[0-9]+$", "description": "record:<id> or listing:<id>"}


class StrictBoolean(ma.fields.Boolean):
    """A JSON ``true`` or ``false`` and nothing else: marshmallow's Boolean also takes 0,
    1, "yes", "on"…, which the OpenAPI document (``type: boolean``) says are refused."""

    def _deserialize(self, value, attr, data, **kwargs):  # type: ignore[no-untyped-def]
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class ObjectionMarkSchema(ma.Schema):
    """The mark 异议处理中 (D19) every view of a record or list entry carries: from the
    acceptance of an objection to it until the decision."""

    objection_pending = ma.fields.Boolean(
        metadata={"description": "an accepted objection to it is open (异议处理中)"}
    )
    objection_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "that objection's id, else null"}
    )


class CursorArgsSchema(ma.Schema):
    cursor = ma.fields.String(metadata={"description": "Opaque cursor from next_cursor"})
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=500))


class ProcedureStepSchema(ma.Schema):
    """One step in a procedure's history (a listing case, a repair application)."""

    step = ma.fields.String()
    state_after = ma.fields.String()
    actor = ma.fields.String()
    at = ma.fields.DateTime()
    effective_on = ma.fields.Date()
    reason = ma.fields.String()
    details = ma.fields.Dict(
        metadata={"description": "the papers received, the documents issued, the step's facts"}
    )


class RowErrorSchema(ma.Schema):
    line = ma.fields.Integer()
    column = ma.fields.String(allow_none=True)
    reason = ma.fields.String()


class ImportReportSchema(ma.Schema):
    rows = ma.fields.Integer()
    created = ma.fields.Integer()
    updated = ma.fields.Integer()
    unchanged = ma.fields.Integer()
    invalid = ma.fields.Integer()
    errors = ma.fields.List(ma.fields.Nested(RowErrorSchema))
    errors_truncated = ma.fields.Boolean()


FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")  # OWASP, CSV injection


def csv_cell(value: object) -> object:
    """A cell as every CSV of the service writes it. Text that a spreadsheet would read as
    a formula (it starts with one of ``FORMULA_TRIGGERS``) gets a leading apostrophe, so
    Excel and WPS show it as text: the names and words in our exports come from the
    public (a registered name, a sign-in attempt's user name in the audit trail).
    Numbers the service itself computed (int, float, Decimal) are written as they are:
    -3 cannot carry a formula, and a spreadsheet must still read it as a number."""
    if value is None or isinstance(value, int | float | Decimal):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> Response:
    """A streamed CSV download in UTF-8 with a BOM, so spreadsheet software reads Chinese."""
    return Response(
        stream_with_context(_csv_chunks(header, rows)),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )


def public_csv_response(
    stem: str, keys: Sequence[str], rows: Iterable[Sequence[object]], *, day: date
) -> Response:
    """A public download as the open-data convention has it (docs/open-data.md): Chinese
    column headers (the words ``csv.<key>``), the stable English keys in the JSON twin
    and in the documented mapping, the BOM and neutralised cells of ``csv_response``, and
    the day of the data in the file name (``dishonesty-list-2026-12-04.csv``).

    :raises KeyError: a key without its Chinese header (a test walks every key).
    """
    header = [translate(f"csv.{key}", default="") or _missing_header(key) for key in keys]
    return csv_response(f"{stem}-{day.isoformat()}.csv", header, rows)


def json_array_response(
    filename: str, dump: Callable[[Any], Any], entries: Iterable[Any]
) -> Response:
    """A public download as a JSON array of each entry's ``dump`` (a schema's, or
    ``plain_dump``'s of it), streamed: the CSV's twin with the stable English keys."""

    def chunks() -> Iterator[bytes]:
        yield b"["
        for n, entry in enumerate(entries):
            yield (b"," if n else b"") + json_bytes(dump(entry))
        yield b"]"

    return Response(
        stream_with_context(chunks()),
        mimetype="application/json",
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )


def _missing_header(key: str) -> str:
    raise KeyError(f"no Chinese header csv.{key} in the locales")


def _csv_chunks(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(map(csv_cell, header))
    for row in rows:
        writer.writerow(map(csv_cell, row))
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()

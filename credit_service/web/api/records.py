"""Credit-record endpoints (regulators file and correct; viewers read)."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from credit_service.records import importer, services
from credit_service.web.access import allow, current_actor
from credit_service.web.api.common import (
    CSV_UPLOAD_DOC,
    IDENTIFIER,
    Blueprint,
    CursorArgsSchema,
    ImportReportSchema,
    ObjectionMarkSchema,
    accepts,
    service_context,
    uploaded_csv,
)

bp = Blueprint(
    "records",
    __name__,
    url_prefix="/api/v1",
    description="Credit records filed under catalog items",
)


class RecordEntitySchema(ma.Schema):
    identifier = ma.fields.String()
    name = ma.fields.String()
    kind = ma.fields.String()
    region_code = ma.fields.String()


class RecordSchema(ObjectionMarkSchema):
    id = ma.fields.Integer()
    entity = ma.fields.Nested(RecordEntitySchema)
    item_code = ma.fields.String()
    domain = ma.fields.String()
    category = ma.fields.String()
    severity = ma.fields.String(allow_none=True)
    heavier_penalty = ma.fields.Boolean()
    source_authority = ma.fields.String()
    source_ref = ma.fields.String()
    decision_date = ma.fields.Date()
    publicity_end = ma.fields.Date(
        allow_none=True, metadata={"description": "last day of publication"}
    )
    repair_from = ma.fields.Date(
        allow_none=True, metadata={"description": "first day repair may be asked"}
    )
    retention_end = ma.fields.Date(
        allow_none=True, metadata={"description": "last day the record is kept (D16)"}
    )
    retention_from = ma.fields.String(
        metadata={
            "description": "which day retention counts from: conduct_end_date (the end of "
            "the conduct, where the record has it) or decision_date"
        }
    )
    retention_start = ma.fields.Date(metadata={"description": "that day"})
    early_stop_allowed = ma.fields.Boolean()
    status = ma.fields.String(metadata={"description": "active, expired, repaired, revoked"})
    status_reason = ma.fields.String(allow_none=True)
    revision = ma.fields.Integer()
    fields = ma.fields.Dict()
    filed_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()


class RevisionSchema(ma.Schema):
    revision = ma.fields.Integer()
    current = ma.fields.Boolean()
    reason = ma.fields.String()
    made_at = ma.fields.DateTime()
    made_by = ma.fields.String(allow_none=True)
    decision_date = ma.fields.Date()
    publicity_end = ma.fields.Date(allow_none=True)
    severity = ma.fields.String(allow_none=True)
    fields = ma.fields.Dict()
    catalog_version = ma.fields.String()


class RecordDetailSchema(RecordSchema):
    revisions = ma.fields.List(ma.fields.Nested(RevisionSchema))


class RecordCreateSchema(ma.Schema):
    entity = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=40),
        metadata=IDENTIFIER,
    )
    item_code = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    fields = ma.fields.Dict(
        required=True,
        keys=ma.fields.String(),
        metadata={"description": "The item's fields (see its catalog)"},
    )


class RecordCorrectionSchema(ma.Schema):
    fields = ma.fields.Dict(required=True, keys=ma.fields.String())
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=2, max=500))


class RecordPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(RecordSchema))
    next_cursor = ma.fields.String(allow_none=True)


@bp.route("/records")
class Records(MethodView):
    @allow("admin", "regulator")
    @bp.arguments(RecordCreateSchema)
    @bp.response(201, RecordSchema)
    @bp.alt_response(200, schema=RecordSchema, description="Already filed: the existing record")
    def post(self, data):
        """File a record; filing the same record again returns the existing one (200)."""
        view, created = services.file_record(service_context(), current_actor(), **data)
        return view, 201 if created else 200


@bp.route("/records/<int:record_id>")
class RecordById(MethodView):
    @allow("admin", "regulator", "viewer", "enterprise")
    @bp.response(200, RecordDetailSchema)
    def get(self, record_id: int):
        """Read a record with its revision history."""
        return services.read_record(service_context(), current_actor(), record_id)


@bp.route("/records/<int:record_id>/corrections")
class RecordCorrections(MethodView):
    @allow("admin", "regulator")
    @bp.arguments(RecordCorrectionSchema)
    @bp.response(200, RecordSchema)
    def post(self, data, record_id: int):
        """Correct a record: a new revision; earlier ones stay readable."""
        return services.correct_record(service_context(), current_actor(), record_id, **data)


@bp.route("/entities/<string:identifier>/records")
class EntityRecords(MethodView):
    @allow("admin", "regulator", "viewer", "enterprise")
    @bp.arguments(CursorArgsSchema, location="query")
    @bp.response(200, RecordPageSchema)
    def get(self, args, identifier: str):
        """An entity's records."""
        page = services.list_entity_records(service_context(), current_actor(), identifier, **args)
        return {"items": page.items, "next_cursor": page.next_cursor}


@bp.route("/records/imports")
class RecordImports(MethodView):
    @allow("admin", "regulator")
    @accepts("text/csv", "multipart/form-data")
    @bp.doc(**CSV_UPLOAD_DOC)
    @bp.response(200, ImportReportSchema)
    def post(self):
        """Import records from CSV (双公示 current or older layout, or ours); idempotent."""
        report = importer.import_records(service_context(), current_actor(), uploaded_csv())
        return report.as_dict()

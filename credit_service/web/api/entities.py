"""Entity registry endpoints (regulators act; viewers read; an enterprise reads its own)."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from credit_service.entities import importer, lookups, services
from credit_service.entities.rules import AGENCY_TYPES, ENTITY_KINDS, ENTITY_STATUSES
from credit_service.web.access import allow, current_actor
from credit_service.web.api.common import (
    CSV_UPLOAD_DOC,
    IDENTIFIER,
    Blueprint,
    CursorArgsSchema,
    ImportReportSchema,
    accepts,
    service_context,
    uploaded_csv,
)

bp = Blueprint(
    "entities",
    __name__,
    url_prefix="/api/v1/entities",
    description="Registry of market entities (市场主体)",
)
OneOf = ma.validate.OneOf


class EntitySchema(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    identifier = ma.fields.String(metadata={"description": "USCC, or resident ID (masked)"})
    name = ma.fields.String()
    former_names = ma.fields.List(ma.fields.String())
    region_code = ma.fields.String()
    industry = ma.fields.String(allow_none=True)
    address = ma.fields.String(allow_none=True)
    legal_representative = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True)
    agency_type = ma.fields.String(allow_none=True)
    agency_licence_no = ma.fields.String(allow_none=True)
    status = ma.fields.String()
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()
    masked = ma.fields.Boolean(metadata={"description": "personal data shown masked (D12)"})


class EntityUpdateSchema(ma.Schema):
    name = ma.fields.String(validate=ma.validate.Length(min=1, max=200))
    former_names = ma.fields.List(ma.fields.String(validate=ma.validate.Length(max=200)))
    region_code = ma.fields.String(validate=ma.validate.Length(equal=6))
    industry = ma.fields.String(allow_none=True, validate=ma.validate.Length(equal=1))
    address = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=300))
    legal_representative = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=100))
    phone = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=30))
    agency_type = ma.fields.String(allow_none=True, validate=OneOf(AGENCY_TYPES))
    agency_licence_no = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=64))
    status = ma.fields.String(validate=OneOf(ENTITY_STATUSES))


class EntityCreateSchema(EntityUpdateSchema):
    kind = ma.fields.String(required=True, validate=OneOf(ENTITY_KINDS))
    identifier = ma.fields.String(
        required=True, validate=ma.validate.Length(max=40), metadata=IDENTIFIER
    )
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    region_code = ma.fields.String(required=True)


def purpose_field() -> ma.fields.String:
    """Why a natural person is looked up by full resident ID (``lookups``): required then
    from roles that see natural persons masked, recorded in the audit trail."""
    shortest, longest = lookups.PURPOSE_LENGTH
    return ma.fields.String(
        validate=ma.validate.Length(min=shortest, max=longest),
        metadata={
            "description": "Why (e.g. a complaint or case number): required with a full "
            "resident ID from roles that see natural persons masked; audited"
        },
    )


class EntityQueryArgsSchema(CursorArgsSchema):
    q = ma.fields.String(
        validate=ma.validate.Length(min=1, max=100),
        metadata={
            "description": "Name substring, exact identifier, or a natural person's "
            "masked number (341882********3401). Roles that see natural persons masked "
            "do not match their names, and need a purpose for a full resident ID"
        },
    )
    purpose = purpose_field()
    region = ma.fields.String(validate=ma.validate.Length(equal=6))
    kind = ma.fields.String(validate=OneOf(ENTITY_KINDS))


class EntityPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(EntitySchema))
    next_cursor = ma.fields.String(allow_none=True)


class EntityReadArgsSchema(ma.Schema):
    unmask = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "Show a natural person's full data (regulators only; audited)"},
    )


@bp.route("")
class Entities(MethodView):
    @allow("admin", "regulator", "viewer")
    @bp.arguments(EntityQueryArgsSchema, location="query")
    @bp.response(200, EntityPageSchema)
    def get(self, args):
        """Search entities by name substring, exact identifier or masked number (keyset
        pages); natural persons as docs/security.md says (lookups limited and audited)."""
        page = services.search_entities(service_context(), current_actor(), **args)
        return {"items": page.items, "next_cursor": page.next_cursor}

    @allow("admin", "regulator")
    @bp.arguments(EntityCreateSchema)
    @bp.response(201, EntitySchema)
    def post(self, data):
        """Register an entity."""
        return services.register_entity(service_context(), current_actor(), data)


@bp.route("/<string:identifier>")
class EntityByIdentifier(MethodView):
    @allow("admin", "regulator", "viewer", "enterprise")
    @bp.arguments(EntityReadArgsSchema, location="query")
    @bp.response(200, EntitySchema)
    def get(self, args, identifier: str):
        """Read one entity by USCC or resident ID."""
        return services.read_entity(service_context(), current_actor(), identifier, **args)

    @allow("admin", "regulator")
    @bp.arguments(EntityUpdateSchema)
    @bp.response(200, EntitySchema)
    def patch(self, changes, identifier: str):
        """Change registry fields of an entity."""
        return services.update_entity(service_context(), current_actor(), identifier, changes)


@bp.route("/imports")
class EntityImports(MethodView):
    @allow("admin", "regulator")
    @accepts("text/csv", "multipart/form-data")
    @bp.doc(**CSV_UPLOAD_DOC)
    @bp.response(200, ImportReportSchema)
    def post(self):
        """Import entities from CSV (text/csv body or form part 'file'); idempotent."""
        report = importer.import_entities(service_context(), current_actor(), uploaded_csv())
        return report.as_dict()

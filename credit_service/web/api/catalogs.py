"""Catalog endpoints: public, because the catalogs are public information."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from credit_service.catalogs import services
from credit_service.web.access import public
from credit_service.web.api.common import Blueprint, service_context

bp = Blueprint(
    "catalogs",
    __name__,
    url_prefix="/api/v1/catalogs",
    description="Basic credit-information catalogs (信用信息基础目录)",
)
PUBLIC_REASON = "the catalogs are public information (what is collected, on what basis)"


class LegalBasisSchema(ma.Schema):
    instrument = ma.fields.String()
    article = ma.fields.String(
        allow_none=True,
        metadata={"description": "null: the instrument is cited alone, no article is settled"},
    )


class FieldSpecSchema(ma.Schema):
    name = ma.fields.String()
    label = ma.fields.String()
    type = ma.fields.String()
    required = ma.fields.Boolean()
    format = ma.fields.String()
    values = ma.fields.List(ma.fields.String())
    max_length = ma.fields.Integer()
    min = ma.fields.String()
    max = ma.fields.String()
    required_if = ma.fields.Dict()

    def get_attribute(self, obj, attr, default):  # type: ignore[no-untyped-def]
        # Field specs are dicts: a spec without "values" must not dump the dict.values method.
        if isinstance(obj, dict):
            return obj.get(attr, default)
        return super().get_attribute(obj, attr, default)


class PeriodSchema(ma.Schema):
    min = ma.fields.String(allow_none=True)
    max = ma.fields.String(allow_none=True)


class CatalogItemSchema(ma.Schema):
    code = ma.fields.String()
    domain = ma.fields.String()
    name = ma.fields.String()
    category = ma.fields.String()
    severity = ma.fields.String(allow_none=True)
    record_type = ma.fields.String()
    cnipa_category = ma.fields.String(allow_none=True)
    legal_basis = ma.fields.List(ma.fields.Nested(LegalBasisSchema))
    provider = ma.fields.String()
    disclosure = ma.fields.String()
    publicity = ma.fields.Nested(PeriodSchema, allow_none=True)
    retention = ma.fields.String(allow_none=True)
    repairable = ma.fields.Boolean()
    heavier_penalty = ma.fields.Boolean()
    listing_grounds = ma.fields.List(ma.fields.String())
    measures = ma.fields.List(ma.fields.String())
    measures_term = ma.fields.Nested(PeriodSchema, allow_none=True)
    violation_types = ma.fields.List(ma.fields.String())
    envelope = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    fields = ma.fields.List(ma.fields.Nested(FieldSpecSchema))


class CatalogItemDetailSchema(CatalogItemSchema):
    version = ma.fields.String()
    can_ground_listing = ma.fields.Boolean()


class CatalogSummarySchema(ma.Schema):
    domain = ma.fields.String()
    title = ma.fields.String()
    edition = ma.fields.String()
    version = ma.fields.String(metadata={"description": "edition + content hash prefix"})
    content_hash = ma.fields.String()
    issuer = ma.fields.String()
    effective_from = ma.fields.String()
    loaded_at = ma.fields.DateTime()
    item_count = ma.fields.Integer()


class CatalogSchema(CatalogSummarySchema):
    items = ma.fields.List(ma.fields.Nested(CatalogItemSchema))


@bp.route("")
class Catalogs(MethodView):
    @public(PUBLIC_REASON)
    @bp.response(200, CatalogSummarySchema(many=True))
    def get(self):
        """List the catalogs (current version of each domain)."""
        return services.list_catalogs(service_context())


@bp.route("/<string:domain>")
class CatalogByDomain(MethodView):
    @public(PUBLIC_REASON)
    @bp.response(200, CatalogSchema)
    def get(self, domain: str):
        """One domain's current catalog with all its items."""
        return services.get_catalog(service_context(), domain)


@bp.route("/<string:domain>/items/<string:code>")
class CatalogItem(MethodView):
    @public(PUBLIC_REASON)
    @bp.response(200, CatalogItemDetailSchema)
    def get(self, domain: str, code: str):
        """One catalog item."""
        return services.get_item(service_context(), domain, code)

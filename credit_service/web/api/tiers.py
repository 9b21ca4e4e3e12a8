"""Tier endpoints: regulators and viewers within their region; rule changes by admins."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from credit_service.tiers import lookup as tier_lookup
from credit_service.tiers import overrides as tier_overrides
from credit_service.tiers import reports as tier_reports
from credit_service.tiers import services
from credit_service.tiers import views as tier_views
from credit_service.tiers.definitions import TIER_CODES
from credit_service.web.access import allow, current_actor
from credit_service.web.api.common import (
    BATCH_IDENTIFIER,
    IDENTIFIER,
    Blueprint,
    DomainDate,
    csv_response,
    service_context,
)
from credit_service.web.api.entities import purpose_field

bp = Blueprint(
    "tiers",
    __name__,
    url_prefix="/api/v1",
    description="Graded supervision tiers (分级分类监管); never public",
)
READERS = ("admin", "regulator", "viewer")


class EntityRefSchema(ma.Schema):
    identifier = ma.fields.String()
    name = ma.fields.String()
    region_code = ma.fields.String()
    industry = ma.fields.String(allow_none=True)


class ReasonSchema(ma.Schema):
    rule_id = ma.fields.String()
    description = ma.fields.String()
    record_ids = ma.fields.List(ma.fields.Integer())
    listing_ids = ma.fields.List(ma.fields.Integer())
    score = ma.fields.Float(
        allow_none=True, metadata={"description": "points, when the rule scores records"}
    )


class ChangeSchema(ma.Schema):
    kind = ma.fields.String(
        metadata={"description": "time: a date passes; repair: a record is repaired"}
    )
    new_tier = ma.fields.String()
    on = ma.fields.Date(allow_none=True)
    record_id = ma.fields.Integer(allow_none=True)
    explanation = ma.fields.String()


class MeasuresSchema(ma.Schema):
    sampling_ratio = ma.fields.Float()
    inspections_per_year = ma.fields.Float()
    proactive_inspection = ma.fields.Boolean()


class TierSchema(ma.Schema):
    entity = ma.fields.Nested(EntityRefSchema)
    tier = ma.fields.String()
    tier_name = ma.fields.String()
    since = ma.fields.Date()
    rule_id = ma.fields.String()
    rule_set = ma.fields.String()
    computed_at = ma.fields.DateTime()
    reasons = ma.fields.List(ma.fields.Nested(ReasonSchema))
    would_change = ma.fields.List(ma.fields.Nested(ChangeSchema))
    measures = ma.fields.Nested(MeasuresSchema)


class TierChangeSchema(ma.Schema):
    old_tier = ma.fields.String(allow_none=True)
    new_tier = ma.fields.String()
    rule_id = ma.fields.String()
    cause = ma.fields.String()
    changed_at = ma.fields.DateTime()
    effective_on = ma.fields.Date()
    rule_set = ma.fields.String(allow_none=True)


class LookupSchema(ma.Schema):
    identifiers = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(min=1, max=40), metadata=BATCH_IDENTIFIER),
        required=True,
        validate=ma.validate.Length(min=1, max=tier_lookup.LOOKUP_LIMIT),
    )
    purpose = purpose_field()


class LookupItemSchema(ma.Schema):
    identifier = ma.fields.String()
    found = ma.fields.Boolean()
    error = ma.fields.String()
    entity = ma.fields.Nested(EntityRefSchema)
    tier = ma.fields.String(allow_none=True)
    since = ma.fields.Date(allow_none=True)
    rule_id = ma.fields.String(allow_none=True)


class LookupResultSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(LookupItemSchema))


class AreaArgsSchema(ma.Schema):
    region = ma.fields.String(validate=ma.validate.Length(equal=6))
    industry = ma.fields.String(validate=ma.validate.Length(equal=1))


class SummarySchema(ma.Schema):
    region = ma.fields.String()
    industry = ma.fields.String(allow_none=True)
    counts = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    total = ma.fields.Integer()


class OverrideCreateSchema(ma.Schema):
    identifier = ma.fields.String(
        required=True, validate=ma.validate.Length(min=1, max=40), metadata=IDENTIFIER
    )
    tier = ma.fields.String(required=True, validate=ma.validate.OneOf(TIER_CODES))
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=4, max=500))
    expires_on = DomainDate(required=True)


class OverrideSchema(ma.Schema):
    id = ma.fields.Integer()
    tier = ma.fields.String()
    reason = ma.fields.String()
    expires_on = ma.fields.Date()
    created_by = ma.fields.String()


class MoveSchema(ma.Schema):
    region_code = ma.fields.String()
    industry = ma.fields.String(allow_none=True)
    old = ma.fields.String(metadata={"description": "'-' when the entity has no tier yet"})
    new = ma.fields.String()
    count = ma.fields.Integer()


class PreviewSchema(ma.Schema):
    rule_set = ma.fields.String()
    as_of = ma.fields.Date()
    moves = ma.fields.List(ma.fields.Nested(MoveSchema))
    total_moving = ma.fields.Integer()


class RecomputeSchema(ma.Schema):
    entities_considered = ma.fields.Integer(allow_none=True)
    changed = ma.fields.Integer()
    rule_set = ma.fields.String()
    as_of = ma.fields.Date()


@bp.route("/entities/<string:identifier>/tier")
class EntityTier(MethodView):
    @allow(*READERS)
    @bp.response(200, TierSchema)
    def get(self, identifier: str):
        """An entity's tier: since when, why, and what would change it."""
        return tier_views.tier_view(service_context(), current_actor(), identifier)


@bp.route("/entities/<string:identifier>/tier/history")
class EntityTierHistory(MethodView):
    @allow(*READERS)
    @bp.response(200, TierChangeSchema(many=True))
    def get(self, identifier: str):
        """Every change of an entity's tier."""
        return tier_views.tier_history(service_context(), current_actor(), identifier)


@bp.route("/tiers/lookup")
class TierLookup(MethodView):
    @allow(*READERS, scopes=("read",))
    @bp.arguments(LookupSchema)
    @bp.response(200, LookupResultSchema)
    def post(self, data):
        """Tiers of up to 1,000 entities; unknown ones are reported per item. Resident IDs
        from roles that see natural persons masked need a purpose (limited, audited)."""
        items = tier_lookup.lookup(
            service_context(), current_actor(), data["identifiers"], data.get("purpose")
        )
        return {"items": items}


@bp.route("/tiers/summary")
class TierSummary(MethodView):
    @allow(*READERS)
    @bp.arguments(AreaArgsSchema, location="query")
    @bp.response(200, SummarySchema)
    def get(self, args):
        """Entities per tier in a region and industry."""
        return tier_reports.summary(service_context(), current_actor(), **args)


@bp.route("/tiers/export.csv")
class TierExport(MethodView):
    @allow(*READERS)
    @bp.arguments(AreaArgsSchema, location="query")
    @bp.response(200, description="CSV (UTF-8 with BOM), streamed")
    def get(self, args):
        """An area's entities with their tiers, as CSV."""
        rows = tier_reports.export_rows(service_context(), current_actor(), **args)
        return csv_response("tiers.csv", tier_reports.EXPORT_COLUMNS, rows)


@bp.route("/tiers/overrides")
class TierOverrides(MethodView):
    @allow("admin", scopes=("admin",))
    @bp.arguments(OverrideCreateSchema)
    @bp.response(201, OverrideSchema)
    def post(self, data):
        """Set an entity's tier by hand, with a reason and an expiry date."""
        identifier = data.pop("identifier")
        return tier_overrides.set_override(service_context(), current_actor(), identifier, **data)


@bp.route("/tiers/overrides/<int:override_id>")
class TierOverrideById(MethodView):
    @allow("admin", scopes=("admin",))
    @bp.response(204)
    def delete(self, override_id: int):
        """End an override now."""
        tier_overrides.revoke_override(service_context(), current_actor(), override_id)


@bp.route("/admin/tiers/preview")
class TierPreview(MethodView):
    @allow("admin", scopes=("admin",))
    @bp.response(200, PreviewSchema)
    def get(self):
        """Who would move between tiers under catalogs/tiers.yaml (nothing is written)."""
        return services.preview_rule_set(service_context())


@bp.route("/admin/tiers/apply")
class TierApply(MethodView):
    @allow("admin", scopes=("admin",))
    @bp.response(200, RecomputeSchema)
    def post(self):
        """Make catalogs/tiers.yaml the current rule set and recompute every tier."""
        return services.apply_rule_set(service_context(), current_actor())

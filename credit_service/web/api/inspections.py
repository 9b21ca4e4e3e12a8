"""Inspection endpoints: the inspector roster and "double random" plans (regulators)."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from credit_service.catalogs.schema import DOMAINS
from credit_service.inspections import services
from credit_service.inspections.models import OUTCOMES
from credit_service.web.access import allow, current_actor
from credit_service.web.api.common import (
    IDENTIFIER,
    Blueprint,
    DomainDate,
    StrictBoolean,
    csv_response,
    idempotency_key,
    service_context,
)
from credit_service.web.api.tiers import EntityRefSchema

bp = Blueprint(
    "inspections",
    __name__,
    url_prefix="/api/v1",
    description="Inspector roster and random inspection plans (双随机、一公开)",
)
ACTORS = ("admin", "regulator")
READERS = ("admin", "regulator", "viewer")


class InspectorSchema(ma.Schema):
    id = ma.fields.Integer()
    badge_no = ma.fields.String()
    name = ma.fields.String()
    office_region = ma.fields.String()
    active = ma.fields.Boolean()


class InspectorCreateSchema(ma.Schema):
    badge_no = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=40))
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    office_region = ma.fields.String(required=True, validate=ma.validate.Length(equal=6))


class InspectorUpdateSchema(ma.Schema):
    active = StrictBoolean(required=True)


class ConflictCreateSchema(ma.Schema):
    entity = ma.fields.String(
        required=True, validate=ma.validate.Length(min=1, max=40), metadata=IDENTIFIER
    )
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=2, max=500))


class ConflictSchema(ma.Schema):
    inspector_id = ma.fields.Integer()
    entity = ma.fields.String()
    reason = ma.fields.String()


class PlanCreateSchema(ma.Schema):
    region = ma.fields.String(required=True, validate=ma.validate.Length(equal=6))
    period_start = DomainDate(required=True)
    period_end = DomainDate(required=True)
    seed = ma.fields.String(
        validate=ma.validate.Regexp(r"^[A-Za-z0-9_-]{1,64}$"),
        metadata={"description": "Omit for a random one; kept with the plan"},
    )
    domain = ma.fields.String(validate=ma.validate.OneOf(DOMAINS))
    triggered = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(max=40)),
        validate=ma.validate.Length(max=1000),
        load_default=list,
        metadata={"description": "Entities with a complaint, referral or alert: always inspected"},
    )


class InspectorRefSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String(allow_none=True)


class PlanItemSchema(ma.Schema):
    id = ma.fields.Integer()
    position = ma.fields.Integer()
    entity = ma.fields.Nested(EntityRefSchema)
    tier = ma.fields.String()
    triggered = ma.fields.Boolean()
    inspectors = ma.fields.List(ma.fields.Nested(InspectorRefSchema))
    outcome = ma.fields.String(allow_none=True)
    note = ma.fields.String(allow_none=True)
    result_at = ma.fields.DateTime(allow_none=True)
    record_id = ma.fields.Integer(allow_none=True)
    inspector_shortage = ma.fields.Boolean(
        metadata={"description": "fewer than two eligible inspectors could be drawn"}
    )


class PlanSchema(ma.Schema):
    id = ma.fields.Integer()
    region_code = ma.fields.String()
    period_start = ma.fields.Date()
    period_end = ma.fields.Date()
    seed = ma.fields.String()
    domain = ma.fields.String(allow_none=True)
    population = ma.fields.Integer()
    population_by_tier = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.Integer(), metadata={"description": "per tier"}
    )
    population_digest = ma.fields.String()
    created_by = ma.fields.String()
    created_at = ma.fields.DateTime()
    items = ma.fields.List(ma.fields.Nested(PlanItemSchema))


class ResultRecordSchema(ma.Schema):
    item_code = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    fields = ma.fields.Dict(required=True, keys=ma.fields.String())


class ResultSchema(ma.Schema):
    outcome = ma.fields.String(required=True, validate=ma.validate.OneOf(OUTCOMES))
    note = ma.fields.String(required=True, validate=ma.validate.Length(max=2000))
    record = ma.fields.Nested(
        ResultRecordSchema, metadata={"description": "File a credit record (problems only)"}
    )


@bp.route("/inspectors")
class Inspectors(MethodView):
    @allow(*READERS)
    @bp.response(200, InspectorSchema(many=True))
    def get(self):
        """The inspector roster (within the caller's region)."""
        return services.list_inspectors(service_context(), current_actor())

    @allow(*ACTORS)
    @bp.arguments(InspectorCreateSchema)
    @bp.response(201, InspectorSchema)
    def post(self, data):
        """Add an inspector."""
        return services.add_inspector(service_context(), current_actor(), **data)


@bp.route("/inspectors/<int:inspector_id>")
class InspectorById(MethodView):
    @allow(*ACTORS)
    @bp.arguments(InspectorUpdateSchema)
    @bp.response(200, InspectorSchema)
    def patch(self, data, inspector_id: int):
        """Activate or deactivate an inspector."""
        return services.set_inspector_active(
            service_context(), current_actor(), inspector_id, **data
        )


@bp.route("/inspectors/<int:inspector_id>/conflicts")
class InspectorConflicts(MethodView):
    @allow(*ACTORS)
    @bp.arguments(ConflictCreateSchema)
    @bp.response(201, ConflictSchema)
    def post(self, data, inspector_id: int):
        """Declare a conflict of interest between an inspector and an entity."""
        return services.add_conflict(service_context(), current_actor(), inspector_id, **data)


@bp.route("/inspection-plans")
class InspectionPlans(MethodView):
    @allow(*ACTORS)
    @bp.arguments(PlanCreateSchema)
    @bp.response(201, PlanSchema)
    def post(self, data):
        """Draw a plan: entities per tier at the configured ratios, two inspectors each.
        Send an Idempotency-Key header: the same key again returns the plan drawn."""
        key = idempotency_key()
        return services.create_plan(service_context(), current_actor(), request_key=key, **data)


@bp.route("/inspection-plans/<int:plan_id>")
class InspectionPlanById(MethodView):
    @allow(*READERS)
    @bp.response(200, PlanSchema)
    def get(self, plan_id: int):
        """A plan with its items and results."""
        return services.get_plan(service_context(), current_actor(), plan_id)


@bp.route("/inspection-plans/<int:plan_id>/export.csv")
class InspectionPlanExport(MethodView):
    @allow(*READERS)
    @bp.response(200, description="CSV (UTF-8 with BOM)")
    def get(self, plan_id: int):
        """A plan as CSV."""
        rows = services.export_rows(service_context(), current_actor(), plan_id)
        return csv_response(f"inspection-plan-{plan_id}.csv", services.EXPORT_COLUMNS, rows)


@bp.route("/inspection-plans/<int:plan_id>/items/<int:item_id>/result")
class InspectionResult(MethodView):
    @allow(*ACTORS)
    @bp.arguments(ResultSchema)
    @bp.response(200, PlanItemSchema)
    def post(self, data, plan_id: int, item_id: int):
        """Record an inspection's result; problems found may file a credit record."""
        return services.record_result(service_context(), current_actor(), plan_id, item_id, **data)

"""Credit repair: eligibility, applications with evidence (enterprises), review (regulators)."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from credit_service.repair import services
from credit_service.web.access import allow, body_limit, current_actor
from credit_service.web.api.common import (
    TARGET,
    Blueprint,
    DomainDate,
    ProcedureStepSchema,
    StrictBoolean,
    accepts,
    evidence_response,
    id_field,
    idempotency_key,
    service_context,
    store_upload,
)

bp = Blueprint(
    "repair",
    __name__,
    url_prefix="/api/v1",
    description="Credit repair (信用修复): eligibility, applications, review",
)
REVIEWERS = ("admin", "regulator")
READERS = ("admin", "regulator", "viewer", "enterprise")
UPLOAD_OVERHEAD = 64 * 1024  # multipart framing around a file of the maximum size


def evidence_body_limit(ctx) -> int:  # type: ignore[no-untyped-def]
    """An evidence upload may carry one file of the largest allowed size."""
    return ctx.repair_rules.max_bytes + UPLOAD_OVERHEAD


class ConditionSchema(ma.Schema):
    code = ma.fields.String()
    label = ma.fields.String()
    state = ma.fields.String(metadata={"description": "met, not_met or to_declare"})
    passes_on = ma.fields.Date(allow_none=True, metadata={"description": "met from this day"})
    detail = ma.fields.String()


class CommitmentSchema(ma.Schema):
    version = ma.fields.String()
    text = ma.fields.String()


class EligibilitySchema(ma.Schema):
    target = ma.fields.String()
    eligible = ma.fields.Boolean()
    earliest = ma.fields.Date(allow_none=True)
    conditions = ma.fields.List(ma.fields.Nested(ConditionSchema))
    materials = ma.fields.List(ma.fields.String())
    commitment = ma.fields.Nested(CommitmentSchema)


class TargetArgsSchema(ma.Schema):
    target = ma.fields.String(
        required=True,
        validate=ma.validate.Length(max=40),
        metadata=TARGET,
    )


class ApplicationCreateSchema(ma.Schema):
    target = ma.fields.String(required=True, validate=ma.validate.Length(max=40), metadata=TARGET)
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=4, max=2000))
    measures_taken = ma.fields.String(required=True, validate=ma.validate.Length(min=4, max=4000))
    obligations_performed = StrictBoolean(required=True)
    commitment_version = ma.fields.String(required=True, validate=ma.validate.Length(max=40))
    contact = ma.fields.String(required=True, validate=ma.validate.Length(min=2, max=200))


class EvidenceSchema(ma.Schema):
    id = ma.fields.Integer()
    original_name = ma.fields.String()
    content_type = ma.fields.String()
    size = ma.fields.Integer()
    sha256 = ma.fields.String()
    uploaded_at = ma.fields.DateTime()


class EntitySummarySchema(ma.Schema):
    identifier = ma.fields.String()
    name = ma.fields.String()
    kind = ma.fields.String()
    region_code = ma.fields.String()


SUPPLEMENT_DUE = {
    "description": "while materials are asked for (supplement_requested): the day they "
    "are due, else null"
}
SUPPLEMENT_OVERDUE = {
    "description": "the materials asked for are late (their day has passed): the "
    "reviewer may close it from the phase it was paused in"
}
DUE_ON = {
    "description": "request_supplement only: the day the materials are due, a working day "
    "after today (422 on 'due_on'); default: the rules' supplement_workdays working "
    "days after the request"
}


class ApplicationSchema(ma.Schema):
    id = ma.fields.Integer()
    target = ma.fields.String()
    state = ma.fields.String()
    allowed_steps = ma.fields.List(
        ma.fields.String(), metadata={"description": "the steps that may be taken now"}
    )
    entity = ma.fields.Nested(EntitySummarySchema)
    reason = ma.fields.String()
    measures_taken = ma.fields.String()
    contact = ma.fields.String()
    commitment_version = ma.fields.String()
    commitment_text = ma.fields.String()
    committed_at = ma.fields.DateTime()
    applicant = ma.fields.String()
    submitted_on = ma.fields.Date()
    acceptance_due = ma.fields.Date(allow_none=True)
    accepted_on = ma.fields.Date(allow_none=True)
    decision_due = ma.fields.Date(allow_none=True)
    due_provisional = ma.fields.Boolean()
    paused_on = ma.fields.Date(allow_none=True)
    paused_remaining = ma.fields.Integer(allow_none=True)
    supplement_due_on = ma.fields.Date(allow_none=True, metadata=SUPPLEMENT_DUE)
    supplement_overdue = ma.fields.Boolean(metadata=SUPPLEMENT_OVERDUE)
    current_due = ma.fields.Date(allow_none=True)
    overdue = ma.fields.Boolean()
    due_today = ma.fields.Boolean()
    due_soon = ma.fields.Boolean()
    decided_on = ma.fields.Date(allow_none=True)
    decision_reasons = ma.fields.String(allow_none=True)
    revoked_on = ma.fields.Date(allow_none=True)
    version = ma.fields.Integer()
    steps = ma.fields.List(ma.fields.Nested(ProcedureStepSchema))
    evidence = ma.fields.List(ma.fields.Nested(EvidenceSchema))


class ReviewSchema(ma.Schema):
    reason = ma.fields.String(load_default="", validate=ma.validate.Length(max=4000))
    on = DomainDate(
        metadata={
            "description": "the step's date (default today): not after today nor before "
            "the application's latest step (422 on 'on')"
        }
    )
    expected_version = id_field(
        minimum=0, metadata={"description": "the version the reviewer saw; 409 if it changed"}
    )
    due_on = DomainDate(metadata=DUE_ON)


@bp.route("/repair-eligibility")
class Eligibility(MethodView):
    @allow(*READERS)
    @bp.arguments(TargetArgsSchema, location="query")
    @bp.response(200, EligibilitySchema)
    def get(self, args):
        """Could a repair of this record or listing succeed now? Each condition and date."""
        return services.check_eligibility(service_context(), current_actor(), args["target"])


@bp.route("/repair-applications")
class Applications(MethodView):
    @allow(*READERS)
    @bp.response(200, ApplicationSchema(many=True))
    def get(self):
        """Own applications (enterprise), or the review queue by nearest deadline."""
        return services.list_applications(service_context(), current_actor())

    @allow("enterprise")
    @bp.arguments(ApplicationCreateSchema)
    @bp.response(201, ApplicationSchema)
    @bp.alt_response(
        200,
        schema=ApplicationSchema,
        description="Same Idempotency-Key: the application already submitted",
    )
    def post(self, data):
        """Apply for repair (send an Idempotency-Key header: a double click applies once)."""
        view, created = services.apply(
            service_context(), current_actor(), idempotency_key=idempotency_key(), **data
        )
        return view, 201 if created else 200


@bp.route("/repair-applications/<int:application_id>")
class ApplicationById(MethodView):
    @allow(*READERS)
    @bp.response(200, ApplicationSchema)
    def get(self, application_id: int):
        """An application with its deadlines, steps, evidence and reasons."""
        return services.get_application(service_context(), current_actor(), application_id)


@bp.route("/repair-applications/<int:application_id>/evidence")
class Evidence(MethodView):
    @allow("enterprise")
    @body_limit(evidence_body_limit)
    @accepts("multipart/form-data")
    @bp.response(201, EvidenceSchema)
    def post(self, application_id: int):
        """Upload one evidence file (form part 'file'): PDF, JPEG or PNG, at most 10 MiB."""
        return store_upload(
            services.add_evidence, service_context(), current_actor(), application_id
        )


@bp.route("/repair-applications/<int:application_id>/evidence/<int:evidence_id>")
class EvidenceFile(MethodView):
    @allow(*READERS)
    @bp.response(200, description="The file, as uploaded")
    def get(self, application_id: int, evidence_id: int):
        """Download an evidence file (the applicant and the reviewing regulators only)."""
        return evidence_response(
            *services.get_evidence(service_context(), current_actor(), application_id, evidence_id)
        )


@bp.route("/repair-applications/<int:application_id>/supplement-received")
class SupplementReceived(MethodView):
    @allow("enterprise")
    @bp.response(200, ApplicationSchema)
    def post(self, application_id: int):
        """Say the requested materials are uploaded: the review clock runs again."""
        return services.supplement_received(service_context(), current_actor(), application_id)


@bp.route("/repair-applications/<int:application_id>/review/<string:step>")
class Review(MethodView):
    @allow(*REVIEWERS)
    @bp.arguments(ReviewSchema)
    @bp.response(200, ApplicationSchema)
    def post(self, data, application_id: int, step: str):
        """A review step: accept, not_accept, request_supplement (due_on), grant, refuse,
        revoke. Once materials asked for are late, not_accept (paused before acceptance)
        or refuse (after) closes the application."""
        return services.review(service_context(), current_actor(), application_id, step, **data)

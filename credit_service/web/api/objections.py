"""Objections (异议, D19): the subject's enterprise files one against a record or a list
entry (or one field of either) and follows it; a regulator enters one brought to the
office and works the queue by deadline, step by step, with the notices each step issues.
Forwarding by the provincial platform goes through the exchange, not this API."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from credit_service.objections import services
from credit_service.objections.models import STATES
from credit_service.web.access import allow, body_limit, current_actor
from credit_service.web.api.common import (
    TARGET,
    Blueprint,
    DomainDate,
    ProcedureStepSchema,
    accepts,
    document_html,
    document_pdf,
    evidence_response,
    id_field,
    idempotency_key,
    service_context,
    store_upload,
)
from credit_service.web.api.dishonesty import CaseDocumentSchema
from credit_service.web.api.repair import (
    DUE_ON,
    SUPPLEMENT_DUE,
    SUPPLEMENT_OVERDUE,
    EntitySummarySchema,
    EvidenceSchema,
    evidence_body_limit,
)

bp = Blueprint(
    "objections",
    __name__,
    url_prefix="/api/v1",
    description="Objections (异议) to a record or a list entry: filing, evidence, the steps",
)
OFFICERS = ("admin", "regulator")
# Who reads objections: the enterprise that filed one (its own) and the officers (their
# region). A viewer or checker may not: an objection holds the party's reasons and contact.
READERS = (*OFFICERS, "enterprise")
FILERS = ("enterprise", *OFFICERS)
ACTIONS = ("correct", "revoke", "remove", "none")


class ObjectionCreateSchema(ma.Schema):
    target = ma.fields.String(
        required=True,
        validate=[ma.validate.Length(max=40), ma.validate.Regexp(TARGET["pattern"])],
        metadata={"description": TARGET["description"]},
    )
    field = ma.fields.String(
        load_default="",
        validate=ma.validate.Length(max=64),
        metadata={
            "description": "one field objected to (a record's field code, or a list "
            "entry's grounds, measures, decided_on, published_on, term_ends_on); empty: "
            "the whole record or entry"
        },
    )
    value_claimed = ma.fields.String(
        allow_none=True,
        validate=ma.validate.Length(max=2000),
        metadata={"description": "the value the party says is right"},
    )
    reasons = ma.fields.String(required=True, validate=ma.validate.Length(min=4, max=4000))
    contact = ma.fields.String(required=True, validate=ma.validate.Length(min=2, max=200))
    applicant_name = ma.fields.String(
        allow_none=True,
        validate=ma.validate.Length(max=200),
        metadata={
            "description": "who objects: required when a regulator enters an objection "
            "brought to the office (its scanned application is then uploaded as evidence "
            "before acceptance); an enterprise objects in its own name"
        },
    )


class ObjectionQueryArgsSchema(ma.Schema):
    state = ma.fields.String(
        validate=ma.validate.OneOf(STATES),
        metadata={"description": "officers: that state (default: the open ones)"},
    )
    region = ma.fields.String(
        validate=ma.validate.Length(equal=6),
        metadata={"description": "officers: one district of their scope"},
    )


class EarlierObjectionSchema(ma.Schema):
    id = ma.fields.Integer()
    state = ma.fields.String()
    decided_on = ma.fields.Date(allow_none=True)


class ObjectionSchema(ma.Schema):
    id = ma.fields.Integer()
    state = ma.fields.String(metadata={"description": ", ".join(STATES)})
    allowed_steps = ma.fields.List(
        ma.fields.String(), metadata={"description": "the steps the caller may take now"}
    )
    version = ma.fields.Integer()
    target = ma.fields.String(metadata={"description": TARGET["description"]})
    field = ma.fields.String(allow_none=True)
    value_shown = ma.fields.String(allow_none=True)
    value_claimed = ma.fields.String(allow_none=True)
    entity = ma.fields.Nested(EntitySummarySchema)
    reasons = ma.fields.String()
    contact = ma.fields.String()
    channel = ma.fields.String(metadata={"description": "enterprise, office or platform"})
    applicant_name = ma.fields.String()
    filed_by = ma.fields.String()
    platform = ma.fields.String(allow_none=True)
    platform_ref = ma.fields.String(allow_none=True)
    received_on = ma.fields.Date()
    acceptance_due = ma.fields.Date(allow_none=True)
    accepted_on = ma.fields.Date(allow_none=True)
    decision_due = ma.fields.Date(allow_none=True)
    due_provisional = ma.fields.Boolean()
    extended_on = ma.fields.Date(allow_none=True)
    extension_reason = ma.fields.String(allow_none=True)
    paused_on = ma.fields.Date(allow_none=True)
    paused_remaining = ma.fields.Integer(allow_none=True)
    supplement_due_on = ma.fields.Date(allow_none=True, metadata=SUPPLEMENT_DUE)
    supplement_overdue = ma.fields.Boolean(metadata=SUPPLEMENT_OVERDUE)
    current_due = ma.fields.Date(allow_none=True)
    overdue = ma.fields.Boolean()
    due_today = ma.fields.Boolean()
    due_soon = ma.fields.Boolean()
    marked = ma.fields.Boolean(
        metadata={"description": "its target carries the mark 异议处理中 (accepted, open)"}
    )
    refusal_reason = ma.fields.String(allow_none=True)
    decided_on = ma.fields.Date(allow_none=True)
    decision_reasons = ma.fields.String(allow_none=True)
    correction = ma.fields.Dict(
        allow_none=True,
        metadata={"description": "what the decision changed: action, and field/from/to"},
    )
    steps = ma.fields.List(ma.fields.Nested(ProcedureStepSchema))
    documents = ma.fields.List(ma.fields.Nested(CaseDocumentSchema))
    evidence = ma.fields.List(ma.fields.Nested(EvidenceSchema))
    earlier = ma.fields.List(
        ma.fields.Nested(EarlierObjectionSchema),
        metadata={"description": "earlier objections to the same target and field"},
    )


class ObjectionStepSchema(ma.Schema):
    reason = ma.fields.String(load_default="", validate=ma.validate.Length(max=4000))
    on = DomainDate(
        metadata={
            "description": "the step's date (default today): not after today nor before "
            "the objection's latest step (422 on 'on')"
        }
    )
    expected_version = id_field(
        minimum=0, metadata={"description": "the version the officer saw; 409 if it changed"}
    )
    refusal_reason = ma.fields.String(
        validate=ma.validate.Length(max=20),
        metadata={
            "description": "refuse: not_subject, out_of_scope or repeat; supplement_overdue "
            "only once materials asked for are late"
        },
    )
    action = ma.fields.String(
        validate=ma.validate.OneOf(ACTIONS),
        metadata={
            "description": "uphold / partly_uphold: a record is corrected or revoked, a "
            "list entry removed; partly_uphold may also change nothing (none)"
        },
    )
    field = ma.fields.String(
        validate=ma.validate.Length(max=64),
        metadata={"description": "correct: the field (default: the one objected to)"},
    )
    value = ma.fields.String(
        validate=ma.validate.Length(max=2000),
        metadata={"description": "correct: the new value (default: the value claimed)"},
    )
    due_on = DomainDate(metadata=DUE_ON)


@bp.route("/objections")
class Objections(MethodView):
    @allow(*READERS)
    @bp.arguments(ObjectionQueryArgsSchema, location="query")
    @bp.response(200, ObjectionSchema(many=True))
    def get(self, args):
        """An enterprise's own objections, or the officers' queue in their region (open
        ones unless a state is asked for), nearest deadline first."""
        return services.list_objections(service_context(), current_actor(), **args)

    @allow(*FILERS)
    @bp.arguments(ObjectionCreateSchema)
    @bp.response(201, ObjectionSchema)
    @bp.alt_response(
        200,
        schema=ObjectionSchema,
        description="Same Idempotency-Key: the objection already filed",
    )
    def post(self, data):
        """File an objection (send an Idempotency-Key header: a double click files once;
        the same key for another target is refused, 422). One objection per target and
        field is open at a time (409 naming it)."""
        view, created = services.file_objection(
            service_context(), current_actor(), idempotency_key=idempotency_key(), **data
        )
        return view, 201 if created else 200


@bp.route("/objections/<int:objection_id>")
class ObjectionById(MethodView):
    @allow(*READERS)
    @bp.response(200, ObjectionSchema)
    def get(self, objection_id: int):
        """An objection with its deadlines, steps, notices, evidence and earlier ones."""
        return services.get_objection(service_context(), current_actor(), objection_id)


@bp.route("/objections/<int:objection_id>/evidence")
class ObjectionEvidence(MethodView):
    @allow(*READERS)
    @body_limit(evidence_body_limit)
    @accepts("multipart/form-data")
    @bp.response(201, EvidenceSchema)
    def post(self, objection_id: int):
        """Upload one evidence file (form part 'file'; the same rules as repair evidence:
        PDF, JPEG or PNG judged by content, at most 10 MiB): the objector, or an officer
        (the scanned application of one brought to the office)."""
        return store_upload(services.add_evidence, service_context(), current_actor(), objection_id)


@bp.route("/objections/<int:objection_id>/evidence/<int:evidence_id>")
class ObjectionEvidenceFile(MethodView):
    @allow(*READERS)
    @bp.response(200, description="The file, as uploaded")
    def get(self, objection_id: int, evidence_id: int):
        """Download an evidence file (the objector and the officers of its region)."""
        return evidence_response(
            *services.get_evidence(service_context(), current_actor(), objection_id, evidence_id)
        )


@bp.route("/objections/<int:objection_id>/steps/<string:step>")
class ObjectionStep(MethodView):
    @allow(*READERS)
    @bp.arguments(ObjectionStepSchema)
    @bp.response(200, ObjectionSchema)
    def post(self, data, objection_id: int, step: str):
        """A step: accept, refuse (refusal_reason), request_supplement (due_on), extend
        (once, with its reason), uphold / partly_uphold (action; field and value to
        correct), not_uphold (officers); supplement_received (the objector, or an
        officer). Once materials asked for are late, refuse (paused before acceptance) or
        not_uphold (after) closes the objection. 409 out of order or
        on a stale expected_version, 404 for an unknown step. A step that issues a notice
        names it in its details.issued; the notices are under documents."""
        details = {k: data.pop(k) for k in services.STEP_DETAILS if k in data}
        return services.take_step(
            service_context(), current_actor(), objection_id, step, details=details, **data
        )


@bp.route("/objections/<int:objection_id>/documents/<int:document_id>")
class ObjectionDocumentHtml(MethodView):
    @allow(*READERS)
    @bp.response(200, description="Printable HTML of the notice")
    def get(self, objection_id: int, document_id: int):
        """A notice of the objection (受理, 不予受理, 延期, 处理结果) as printable HTML."""
        return document_html(
            services.get_document(service_context(), current_actor(), objection_id, document_id)
        )


@bp.route("/objections/<int:objection_id>/documents/<int:document_id>.pdf")
class ObjectionDocumentPdf(MethodView):
    @allow(*READERS)
    @bp.response(200, description="The notice as PDF")
    def get(self, objection_id: int, document_id: int):
        """A notice of the objection as PDF."""
        return document_pdf(
            services.get_document(service_context(), current_actor(), objection_id, document_id)
        )

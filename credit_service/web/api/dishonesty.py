"""Listing cases (regulators act, viewers read), their documents, record revocation, and
credit checks for other departments."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from credit_service.dishonesty import checks, rules, services
from credit_service.dishonesty.definitions import REMOVAL_REASONS
from credit_service.dishonesty.procedure import LISTING
from credit_service.procedures import papers
from credit_service.records import services as record_services
from credit_service.web.access import allow, current_actor
from credit_service.web.api.common import (
    BATCH_IDENTIFIER,
    IDENTIFIER,
    PURPOSE,
    Blueprint,
    DomainDate,
    ObjectionMarkSchema,
    ProcedureStepSchema,
    document_html,
    document_pdf,
    id_field,
    service_context,
)
from credit_service.web.api.json_codec import shaped_json
from credit_service.web.api.records import RecordSchema

bp = Blueprint(
    "dishonesty",
    __name__,
    url_prefix="/api/v1",
    description="Severe-dishonesty listing cases and credit checks",
)
ACTORS = ("admin", "regulator")
READERS = ("admin", "regulator", "viewer")
CHECKERS = ("admin", "regulator", "viewer", "checker")
STEPS = LISTING.hand_steps()


class CaseEntitySchema(ma.Schema):
    identifier = ma.fields.String()
    name = ma.fields.String()
    region_code = ma.fields.String()


class CaseDocumentSchema(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    number = ma.fields.String()
    sha256 = ma.fields.String()
    pdf_sha256 = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime()


class CaseSchema(ObjectionMarkSchema):
    id = ma.fields.Integer()
    state = ma.fields.String()
    allowed_steps = ma.fields.List(ma.fields.String())
    entity = ma.fields.Nested(CaseEntitySchema)
    grounds = ma.fields.List(ma.fields.String())
    record_ids = ma.fields.List(ma.fields.Integer())
    domain = ma.fields.String(allow_none=True)
    proposal_reason = ma.fields.String()
    notice_no = ma.fields.String(allow_none=True)
    notice_served_on = ma.fields.Date(allow_none=True)
    statement_deadline = ma.fields.Date(allow_none=True)
    statement_deadline_provisional = ma.fields.Boolean()
    statement_deadline_latest = ma.fields.Date(
        allow_none=True,
        metadata={
            "description": "for a provisional statement deadline, the latest day it can "
            "turn out to be once the year's holiday notice is out: a decision may be "
            "recorded from the day after (D14)"
        },
    )
    statement_waived = ma.fields.Boolean()
    statement_received_on = ma.fields.Date(allow_none=True)
    decision_no = ma.fields.String(allow_none=True)
    decided_on = ma.fields.Date(allow_none=True)
    publication_deadline = ma.fields.Date(allow_none=True)
    publication_deadline_provisional = ma.fields.Boolean()
    published_on = ma.fields.Date(allow_none=True)
    term_ends_on = ma.fields.Date(allow_none=True)
    removed_on = ma.fields.Date(allow_none=True)
    removal_reason = ma.fields.String(allow_none=True)
    removal_note = ma.fields.String(allow_none=True)
    measures = ma.fields.List(ma.fields.String())
    version = ma.fields.Integer()
    steps = ma.fields.List(ma.fields.Nested(ProcedureStepSchema))
    documents = ma.fields.List(ma.fields.Nested(CaseDocumentSchema))


class ProposalSchema(ma.Schema):
    entity = ma.fields.String(
        required=True, validate=ma.validate.Length(min=1, max=40), metadata=IDENTIFIER
    )
    record_ids = ma.fields.List(
        id_field(),
        required=True,
        validate=ma.validate.Length(min=1, max=50),
    )
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=4, max=2000))


class PaperSchema(ma.Schema):
    title = ma.fields.String(
        required=True,
        validate=ma.validate.Length(*papers.PAPER_TITLE_CHARS),
        metadata={"description": "what the paper is, e.g. 陈述申辩书, 放弃陈述申辩权利声明书"},
    )
    reference = ma.fields.String(
        validate=ma.validate.Length(max=papers.PAPER_REFERENCE_CHARS),
        metadata={"description": "its receipt or archive number (收文编号, 档案号)"},
    )
    received_on = DomainDate(
        metadata={"description": "the day it was received, not later than today"}
    )


class StepSchema(ma.Schema):
    on = DomainDate(
        metadata={
            "description": "effective date (default today): not after today nor before the "
            "case's latest step (422 on 'on')"
        }
    )
    reason = ma.fields.String(load_default="", validate=ma.validate.Length(max=2000))
    documents = ma.fields.List(
        ma.fields.Nested(PaperSchema),
        validate=ma.validate.Length(max=papers.PAPERS_PER_STEP),
        metadata={
            "description": "papers received from the party on this step (its statement and "
            "defence; for waive its written waiver, required: 422 on documents without one)"
        },
    )
    removal_reason = ma.fields.String(
        validate=ma.validate.OneOf(REMOVAL_REASONS),
        metadata={
            "description": "for remove: only corrected (a listing obtained wrongly, with a "
            "reason); expired, repaired and revoked come from the expiry job, a granted "
            "repair and a record's revocation, and are refused here (422)"
        },
    )


class CaseQueryArgsSchema(ma.Schema):
    state = ma.fields.String(validate=ma.validate.OneOf(rules.STATES))
    entity = ma.fields.String(
        validate=ma.validate.Length(min=1, max=40),
        metadata={**IDENTIFIER, "description": "USCC or ID number: that entity's cases only"},
    )


class RevocationSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=4, max=500))
    on = DomainDate(
        metadata={
            "description": "the revocation's date (default today): not after today nor "
            "before the decision revoked (422 on 'on'); a listing on the record comes down "
            "that day, or on its own latest step if that came later"
        }
    )


class CheckArgsSchema(ma.Schema):
    purpose = ma.fields.String(required=True, validate=ma.validate.Length(max=40), metadata=PURPOSE)


class BatchCheckSchema(ma.Schema):
    purpose = ma.fields.String(required=True, validate=ma.validate.Length(max=40), metadata=PURPOSE)
    identifiers = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(min=1, max=40), metadata=BATCH_IDENTIFIER),
        required=True,
        validate=ma.validate.Length(min=1, max=checks.BATCH_LIMIT),
    )


class CheckMeasureSchema(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.String()
    effect = ma.fields.String(metadata={"description": "strict_review or not_eligible"})
    basis = ma.fields.String()
    source = ma.fields.String()
    until = ma.fields.Date(allow_none=True)


class CheckListingSchema(ObjectionMarkSchema):
    decision_no = ma.fields.String(allow_none=True)
    decided_on = ma.fields.Date(allow_none=True)
    term_ends_on = ma.fields.Date(allow_none=True)
    grounds = ma.fields.List(ma.fields.String())


class CheckRecordSchema(ObjectionMarkSchema):
    item_code = ma.fields.String()
    severity = ma.fields.String(allow_none=True)
    source_ref = ma.fields.String()
    decision_date = ma.fields.Date()
    publicity_end = ma.fields.Date(allow_none=True)


class CheckEntitySchema(ma.Schema):
    identifier = ma.fields.String()
    name = ma.fields.String()
    kind = ma.fields.String()
    region_code = ma.fields.String()


class CheckSchema(ma.Schema):
    identifier = ma.fields.String()
    found = ma.fields.Boolean()
    error = ma.fields.String(
        metadata={"description": "entity-not-found, outside-region or invalid-identifier"}
    )
    reason = ma.fields.Dict(
        metadata={"description": "invalid-identifier: the rule the number breaks (its code)"}
    )
    entity = ma.fields.Nested(CheckEntitySchema)
    purpose = ma.fields.String()
    purpose_name = ma.fields.String()
    checked_on = ma.fields.Date()
    listed = ma.fields.Boolean()
    listing = ma.fields.Nested(CheckListingSchema, allow_none=True)
    dishonest_records = ma.fields.List(ma.fields.Nested(CheckRecordSchema))
    measures = ma.fields.List(ma.fields.Nested(CheckMeasureSchema))
    conclusion = ma.fields.String(
        metadata={"description": "not_eligible, strict_review or no_restriction"}
    )


class BatchCheckResultSchema(ma.Schema):
    reference = ma.fields.String(
        metadata={"description": "the answer's reference number, named in its audit rows"}
    )
    purpose = ma.fields.String()
    checked_on = ma.fields.Date()
    items = ma.fields.List(ma.fields.Nested(CheckSchema))


@bp.route("/dishonesty-cases")
class Cases(MethodView):
    @allow(*READERS)
    @bp.arguments(CaseQueryArgsSchema, location="query")
    @bp.response(200, CaseSchema(many=True))
    def get(self, args):
        """Listing cases in the caller's region, newest first."""
        return services.list_cases(service_context(), current_actor(), **args)

    @allow(*ACTORS)
    @bp.arguments(ProposalSchema)
    @bp.response(201, CaseSchema)
    def post(self, data):
        """Propose a listing; the records must meet the grounds (D4)."""
        return services.propose(service_context(), current_actor(), **data)


@bp.route("/dishonesty-cases/<int:case_id>")
class CaseById(MethodView):
    @allow(*READERS)
    @bp.response(200, CaseSchema)
    def get(self, case_id: int):
        """A case with its steps and documents."""
        return services.get_case(service_context(), current_actor(), case_id)


@bp.route("/dishonesty-cases/<int:case_id>/steps/<string:step>")
class CaseStep(MethodView):
    @allow(*ACTORS)
    @bp.arguments(StepSchema)
    @bp.response(200, CaseSchema)
    def post(self, data, case_id: int, step: str):
        """Take a step: serve_notice, receive_statement, waive, close_window, decide_list,
        decide_not_list, publish, remove, withdraw (409 when out of order).

        Each step records its actor, time, `reason` and `documents`: the papers received
        from the party on it (title, reference such as the 收文编号, received_on), kept in
        the step's `details.documents`. `waive` needs at least one, the party's written
        waiver (书面放弃陈述申辩): without it 422 with an error on `documents`, and the
        case is unchanged. A step that generates a notice or decision names it in
        `details.issued` (kind, number, document_id of the case's `documents`)."""
        return services.advance(service_context(), current_actor(), case_id, step, **data)


@bp.route("/dishonesty-documents/<int:document_id>.html")
class DocumentHtml(MethodView):
    @allow(*READERS)
    @bp.response(200, description="Printable HTML of the notice or decision")
    def get(self, document_id: int):
        """A generated document as printable HTML."""
        return document_html(services.get_document(service_context(), current_actor(), document_id))


@bp.route("/dishonesty-documents/<int:document_id>.pdf")
class DocumentPdf(MethodView):
    @allow(*READERS)
    @bp.response(200, description="The document as PDF")
    def get(self, document_id: int):
        """A generated document as PDF."""
        return document_pdf(services.get_document(service_context(), current_actor(), document_id))


@bp.route("/records/<int:record_id>/revocation")
class RecordRevocation(MethodView):
    @allow(*ACTORS)
    @bp.arguments(RevocationSchema)
    @bp.response(200, RecordSchema)
    def post(self, data, record_id: int):
        """Record that the decision behind a record was revoked; listings on it come down."""
        return record_services.revoke_record(service_context(), current_actor(), record_id, **data)


@bp.route("/credit-checks/<string:identifier>")
class CreditCheck(MethodView):
    @allow(*CHECKERS, scopes=("credit-check", "read"))
    @bp.arguments(CheckArgsSchema, location="query")
    @bp.response(200, CheckSchema)
    def get(self, args, identifier: str):
        """Check an entity for a purpose: listed? measures? strict review or not eligible?"""
        ctx, actor = service_context(), current_actor()
        return shaped_json(checks.credit_check(ctx, actor, identifier, args["purpose"]))


@bp.route("/credit-checks")
class CreditCheckBatch(MethodView):
    @allow(*CHECKERS, scopes=("credit-check", "read"))
    @bp.arguments(BatchCheckSchema)
    @bp.response(200, BatchCheckResultSchema)
    def post(self, data):
        """Check up to 1,000 entities for one purpose; the answer has a reference number."""
        return checks.credit_check_answer(
            service_context(), current_actor(), data["identifiers"], data["purpose"]
        )

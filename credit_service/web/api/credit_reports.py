"""Credit reports (知识产权信用报告, D21): issue, read, download as PDF, and the public
verification of a report number (anonymous, rate-limited)."""

from __future__ import annotations

import marshmallow as ma
from flask import Response, url_for
from flask.views import MethodView

from credit_service.reports import services
from credit_service.reports.rules import HOLDER_CODE_LENGTH
from credit_service.web import report_pdf
from credit_service.web.access import allow, current_actor
from credit_service.web.access import public as public_endpoint
from credit_service.web.api.common import Blueprint, idempotency_key, service_context

bp = Blueprint(
    "credit_reports",
    __name__,
    url_prefix="/api/v1",
    description="Credit reports (知识产权信用报告): signed, verifiable by number",
)
REQUESTERS = ("enterprise", *services.CHECKER_ROLES)
READERS = ("admin", *REQUESTERS)
SCOPES = ("credit-check", "read")  # a checker's token has only the first
VERIFY_REASON = "anyone holding a printed report may check that it is genuine (D21)"


class ReportRequestSchema(ma.Schema):
    identifier = ma.fields.String(
        validate=ma.validate.Length(min=1, max=40),
        metadata={"description": "the entity's USCC; an enterprise may omit it (its own)"},
    )
    purpose = ma.fields.String(
        validate=ma.validate.Length(max=40),
        metadata={"description": "a purpose of catalogs/measures.yaml; required of checkers"},
    )


class ReportSchema(ma.Schema):
    number = ma.fields.String(metadata={"description": "XCXY-<year>-<six digits>"})
    issued_at = ma.fields.DateTime()
    as_of = ma.fields.Date()
    requester_kind = ma.fields.String(metadata={"description": "subject or checker"})
    purpose = ma.fields.String(allow_none=True)
    key_id = ma.fields.String(metadata={"description": "the signing key (public-keys list)"})
    signature = ma.fields.String(metadata={"description": "Ed25519 over the content, base64"})
    content_sha256 = ma.fields.String()
    content = ma.fields.Dict(metadata={"description": "the signed content"})
    holder_code = ma.fields.String(
        allow_none=True, metadata={"description": "printed on the report; to its requester only"}
    )


class VerifyArgsSchema(ma.Schema):
    code = ma.fields.String(
        validate=ma.validate.Length(min=1, max=2 * HOLDER_CODE_LENGTH),
        metadata={"description": "the holder code printed on the report: adds the changes"},
    )


class ReportRequesterSchema(ma.Schema):
    kind = ma.fields.String()
    role = ma.fields.String()
    name = ma.fields.String(metadata={"description": "the account's name, masked"})


class ReportChangeSchema(ma.Schema):
    kind = ma.fields.String()
    ref = ma.fields.String()
    name = ma.fields.String(allow_none=True)


class ReportVerificationSchema(ma.Schema):
    number = ma.fields.String()
    authentic = ma.fields.Boolean()
    issued_at = ma.fields.DateTime()
    as_of = ma.fields.Date()
    key_id = ma.fields.String()
    requester = ma.fields.Nested(ReportRequesterSchema)
    code_given = ma.fields.Boolean()
    code_accepted = ma.fields.Boolean()
    checked_at = ma.fields.DateTime()
    unchanged = ma.fields.Boolean(allow_none=True)
    changes = ma.fields.List(ma.fields.Nested(ReportChangeSchema), allow_none=True)


@bp.route("/credit-reports")
class CreditReports(MethodView):
    @allow(*REQUESTERS, scopes=SCOPES)
    @bp.arguments(ReportRequestSchema)
    @bp.response(201, ReportSchema)
    @bp.alt_response(200, schema=ReportSchema, description="Same Idempotency-Key: that report")
    def post(self, data):
        """Issue a signed report: an enterprise about itself; a checker, regulator or
        viewer about an entity for a stated purpose (natural persons masked)."""
        view, created = services.issue_report(
            service_context(), current_actor(), idempotency_key=idempotency_key(), **data
        )
        return view, 201 if created else 200


@bp.route("/credit-reports/<string:number>")
class CreditReport(MethodView):
    @allow(*READERS, scopes=SCOPES)
    @bp.response(200, ReportSchema)
    def get(self, number: str):
        """A report: for its requester and the officers of its region."""
        return services.get_report(service_context(), current_actor(), number)[0]


@bp.route("/credit-reports/<string:number>.pdf")
class CreditReportPdf(MethodView):
    @allow(*READERS, scopes=SCOPES)
    @bp.response(200, description="The report as an A4 PDF with its verification QR code")
    def get(self, number: str):
        """The report as PDF (the holder code printed for its requester)."""
        return pdf_response(number)


def pdf_response(number: str) -> Response:
    """A readable report's PDF (the API's and the pages' download)."""
    ctx, actor = service_context(), current_actor()
    view, report = services.get_report(ctx, actor, number)
    data = report_pdf.render(
        report,
        view["content"],
        holder_code=view["holder_code"],
        verify_url=url_for("public_pages.verify_report", number=number, _external=True),
        tz=ctx.tz,
        font_path=ctx.settings.pdf_font_path,
    )
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{number}.pdf"'
    return response


@bp.route("/public/credit-reports/<string:number>/verification")
class Verification(MethodView):
    @public_endpoint(VERIFY_REASON)
    @bp.arguments(VerifyArgsSchema, location="query")
    @bp.response(200, ReportVerificationSchema)
    def get(self, args, number: str):
        """Is this report genuine (its signature against the published key), issued when
        and to whom (masked)? With the holder code: what has changed since."""
        return services.verify(service_context(), current_actor(), number, args.get("code"))

"""Credit-report pages (D21): the public verification page (/verify/<number>), the
enterprise portal's own reports and the console's reports for checkers, regulators and
viewers. They call the same services as the API and download the same PDF.
"""

from __future__ import annotations

from typing import Any

from flask import Response, g, redirect, request, url_for

from credit_service.errors import CreditServiceError, Forbidden, NotFound
from credit_service.reports import services
from credit_service.web.access import allow
from credit_service.web.access import public as public_endpoint
from credit_service.web.api.common import accepts
from credit_service.web.api.credit_reports import REQUESTERS, SCOPES, VERIFY_REASON, pdf_response
from credit_service.web.pages import forms
from credit_service.web.pages.auth import FORM_TYPES
from credit_service.web.pages.common import ctx, message, page, status_of
from credit_service.web.pages.console import bp as console_bp
from credit_service.web.pages.enterprise import bp as enterprise_bp
from credit_service.web.pages.public import bp as public_bp

OFFICE_REQUESTERS = services.CHECKER_ROLES


@public_bp.route("/verify/<string:number>", methods=["GET", "POST"])
@public_endpoint(VERIFY_REASON)
@accepts(*FORM_TYPES)
def verify_report(number: str) -> Response:
    """Is this report genuine, issued when and to whom; with the code typed from the
    paper (a form, so the code is in no address or log), what has changed since."""
    code = None
    if request.method == "POST":
        if not forms.anonymous_csrf_ok():
            return _verify_page(number, None, 400, error="form.csrf")
        code = request.form.get("code", "").strip()[:16] or None
    try:
        result = services.verify(ctx(), g.actor, number, code)
    except NotFound:
        return _verify_page(number, None, 404)
    return _verify_page(number, result, code_tried=code is not None)


def _verify_page(number: str, result: dict[str, Any] | None, status: int = 200, **values: Any):
    return page(
        "public/verify.html",
        status,
        number=number,
        result=result,
        **values,
    )


@enterprise_bp.route("/credit-reports", methods=["GET", "POST"])
@allow("enterprise")
@accepts(*FORM_TYPES)
def credit_reports() -> Response:
    """The enterprise's own reports, and the button that issues a new one."""
    return _reports_page("enterprise/credit_reports.html")


@enterprise_bp.get("/credit-reports/<string:number>.pdf")
@allow("enterprise")
def credit_report_pdf(number: str) -> Response:
    """One of the enterprise's reports as PDF."""
    return pdf_response(number)


@console_bp.route("/credit-reports", methods=["GET", "POST"])
@allow(*OFFICE_REQUESTERS, scopes=SCOPES)
@accepts(*FORM_TYPES)
def credit_reports_console() -> Response:
    """Reports for a checker's purpose: an identifier and a purpose; the caller's reports."""
    return _reports_page("console/credit_reports.html")


@console_bp.get("/credit-reports/<string:number>.pdf")
@allow(*REQUESTERS, "admin", scopes=SCOPES)
def credit_report_pdf_console(number: str) -> Response:
    """A report the caller may read, as PDF."""
    return pdf_response(number)


def _reports_page(template: str) -> Response:
    """GET: the form and the caller's reports (with the one just issued named at the
    top, its holder code beside it); POST: issue one (audited by the service) and come
    back here, so that reloading the page does not issue another."""
    form = {"identifier": "", "purpose": ""}
    issued, error, status = None, None, 200
    if request.method == "POST":
        form = {k: request.form.get(k, "").strip()[:40] for k in form}
        try:
            view, _ = services.issue_report(
                ctx(),
                g.actor,
                identifier=form["identifier"] or None,
                purpose=form["purpose"] or None,
            )
            return redirect(url_for(request.endpoint or "", issued=view["number"]), code=303)
        except Forbidden:
            raise  # out of the caller's scope: refused like every other console write
        except CreditServiceError as exc:
            error, status = message(exc), status_of(exc)
    elif number := request.args.get("issued"):
        try:
            issued = services.get_report(ctx(), g.actor, number[:40])[0]
        except NotFound:
            issued = None
    return page(
        template,
        status,
        form=form,
        issued=issued,
        error=error,
        purposes=ctx().catalogs.purposes,
        reports=services.list_own_reports(ctx(), g.actor),
    )

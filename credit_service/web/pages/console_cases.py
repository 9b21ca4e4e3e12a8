"""The console's listing cases: the region's cases with the deadline each runs against,
a case with its facts, steps and papers, and its next steps as forms."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import marshmallow as ma
from flask import Response, g, request

from credit_service.dishonesty import pipeline, rules
from credit_service.dishonesty import services as dishonesty_services
from credit_service.dishonesty.procedure import LISTING
from credit_service.errors import Conflict, InvalidInput, NotFound
from credit_service.web.access import allow
from credit_service.web.api import dishonesty as dishonesty_api
from credit_service.web.api.common import accepts
from credit_service.web.i18n import translate
from credit_service.web.pages.auth import FORM_TYPES
from credit_service.web.pages.common import ctx, form_values, message, page, schema_errors
from credit_service.web.pages.console import ACTORS, STAFF, bp, to_case, with_deadlines

STEP_FIELDS = ("on", "reason", "removal_reason")  # dishonesty_api.StepSchema
# One paper received from the party (dishonesty_api.PaperSchema), on the steps that take
# one: form field -> the paper's field. The API takes up to ten; a form records one.
PAPER_FIELDS = {
    "document_title": "title",
    "document_reference": "reference",
    "document_received_on": "received_on",
}
PAPER_STEPS = ("receive_statement", "waive")
# The service refuses these steps without a reason; the form says so up front.
REASONED_STEPS = frozenset({"decide_not_list", "remove"})
# The only notices a redirect may ask the case page to show (never free text from a URL).
NOTICES = frozenset(
    {
        "console.case.proposed",
        *(f"console.step.done.{step}" for step in LISTING.hand_steps()),
    }
)


@bp.get("/cases")
@allow(*STAFF)
def cases() -> Response:
    """The caller's region's cases, newest first, with the deadline each runs against;
    filter by state."""
    state = request.args.get("state", "").strip()
    errors = dishonesty_api.CaseQueryArgsSchema().validate({"state": state} if state else {})
    shown = dishonesty_services.list_cases(ctx(), g.actor, state=None if errors else state or None)
    return page(
        "console/cases.html",
        rows=with_deadlines(shown),
        grounds=ctx().list_rules.grounds,
        state=state,
        states=rules.STATES,
        field_errors=schema_errors("console", errors),
    )


@bp.get("/cases/<int:case_id>")
@allow(*STAFF)
def case(case_id: int) -> Response:
    """A case: its facts, steps, documents, and the next steps as forms for regulators."""
    notice = request.args.get("notice")
    return _case_page(case_id, notice=notice if notice in NOTICES else None)


@bp.post("/cases/<int:case_id>/steps/<string:step>")
@allow(*ACTORS)
@accepts(*FORM_TYPES)
def take_step(case_id: int, step: str) -> Response:
    """Take one step from its form (``dishonesty_services.advance``).

    A step the service refuses returns the page with its message and the input kept. The
    same step posted again (a double click, a resent form) finds the case past it: the
    page then says it was done already ('已处理') and nothing is applied twice.
    """
    if step not in LISTING.hand_steps():
        raise NotFound("step-not-found", step=step)
    form = form_values((*STEP_FIELDS, *(PAPER_FIELDS if step in PAPER_STEPS else ())))
    kept = {"step": step, "input": form}
    try:
        data = dishonesty_api.StepSchema().load(_step_input(form))
    except ma.ValidationError as exc:
        errors = _step_errors(exc.messages)
        return _case_page(
            case_id, 422, error=translate("form.error"), failed=kept | {"errors": errors}
        )
    try:
        dishonesty_services.advance(ctx(), g.actor, case_id, step, **data)
    except Conflict as exc:
        current = dishonesty_services.get_case(ctx(), g.actor, case_id)
        if exc.code == "step-out-of-order" and pipeline.already_taken(current, step):
            return _case_page(case_id, already=current["steps"][-1])
        return _case_page(case_id, 409, error=message(exc), failed=kept)
    except InvalidInput as exc:
        errors = _step_errors(exc.errors or {})
        return _case_page(case_id, 422, error=message(exc), failed=kept | {"errors": errors})
    return to_case(case_id, f"console.step.done.{step}")


def _step_input(form: Mapping[str, str]) -> dict[str, Any]:
    """The step form as the API's body: the filled fields, and the paper's fields (when
    any is filled) as the one entry of ``documents``."""
    data: dict[str, Any] = {k: v for k, v in form.items() if v and k not in PAPER_FIELDS}
    paper = {PAPER_FIELDS[k]: v for k, v in form.items() if v and k in PAPER_FIELDS}
    if paper:
        data["documents"] = [paper]
    return data


def _step_errors(messages: Mapping[str, Any]) -> dict[str, str]:
    """The Chinese message beside each field of a step form. Errors on ``documents`` go
    beside the paper's own field when they name one (``{0: {"title": ...}}``, from the
    schema or the service alike), else beside its title (no paper where one is needed)."""
    errors = schema_errors("console", {k: v for k, v in messages.items() if k != "documents"})
    papers = messages.get("documents")
    if not papers:
        return errors
    named = [
        field
        for paper in (papers.values() if isinstance(papers, Mapping) else ())
        if isinstance(paper, Mapping)
        for field in paper
        if f"document_{field}" in PAPER_FIELDS
    ]
    for field in named:
        errors[f"document_{field}"] = translate(f"console.invalid.document_{field}")
    if not named:
        errors["document_title"] = translate("console.invalid.documents")
    return errors


def _case_page(case_id: int, status: int = 200, **values: Any) -> Response:
    service = ctx()
    shown = dishonesty_services.get_case(service, g.actor, case_id)
    can_act = g.actor.role in ACTORS
    return page(
        "console/case.html",
        status,
        case=shown,
        can_act=can_act,
        steps=[_step(shown, s, service.today()) for s in shown["allowed_steps"]] if can_act else [],
        reasoned=REASONED_STEPS,
        paper_steps=PAPER_STEPS,
        papers_required=LISTING.papers_required(),
        deadline=pipeline.running_deadline(shown, service.today()),
        today=service.today(),
        removal_reasons=service.list_rules.removal_reasons,
        manual_removal_reasons=rules.MANUAL_REMOVAL_REASONS,
        grounds=service.list_rules.grounds,
        measures=service.catalogs.measures,
        **values,
    )


def _step(case: Mapping[str, Any], step: str, today: Any) -> tuple[str, Any, Any]:
    """A next step with its timing and, when it is not open yet, the day it opens (its
    form is shown disabled, saying why and from when)."""
    timing = pipeline.step_timing(case, step)
    return step, timing, pipeline.opens_on(timing, today)

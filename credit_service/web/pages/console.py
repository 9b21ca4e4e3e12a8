"""The regulator console (regulators, viewers and administrators, within their region): the
dashboard, entity lookup with tiers and records, and the listing cases with their next
procedural steps as forms.

Views call the same services as the API, declare the same roles as the endpoints they
stand for and check their forms with the API's own schemas, so a page accepts exactly
what the API accepts. They only gather what a page shows; a step the service refuses comes
back as the page with the message and what the user typed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import marshmallow as ma
from flask import Blueprint, Response, g, redirect, request, url_for

from credit_service import identifiers, worklist
from credit_service.dishonesty import checks, pipeline, rules
from credit_service.dishonesty import services as dishonesty_services
from credit_service.dishonesty.procedure import LISTING
from credit_service.entities import rules as entity_rules
from credit_service.entities import services as entity_services
from credit_service.errors import Conflict, InvalidInput, LimitExceeded, NotFound
from credit_service.records import services as record_services
from credit_service.tiers import statistics
from credit_service.tiers import views as tier_views
from credit_service.tiers.definitions import TIER_CODES
from credit_service.web import charts
from credit_service.web.access import allow
from credit_service.web.api import dishonesty as dishonesty_api
from credit_service.web.api.common import accepts
from credit_service.web.i18n import translate
from credit_service.web.pages.auth import FORM_TYPES
from credit_service.web.pages.common import (
    chinese,
    ctx,
    form_values,
    holiday_files_missing,
    page,
    region_name,
    schema_errors,
    status_of,
)

bp = Blueprint("console_pages", __name__, url_prefix="/console")
STAFF = dishonesty_api.READERS  # read in their region (the operations pages share it)
ACTORS = dishonesty_api.ACTORS  # act in their region
CHECKERS = dishonesty_api.CHECKERS  # credit checks: other departments and staff
CHECK_SCOPES = ("credit-check", "read")  # the API's: a checker's token has only the first
CHECK_OUTCOMES = ("not_eligible", "strict_review", "no_restriction", "unknown")
MASK = "*"  # what masking puts in place of a natural person's hidden digits
SEARCH_LIMIT = 50
RECORDS_LIMIT = 200  # an entity's records on its page; older ones on the next page
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


# --- dashboard --------------------------------------------------------------------------------


@bp.get("")
@allow(*STAFF)
def dashboard() -> Response:
    """Tiers by district and industry, the list pipeline and what is overdue, in figures
    and charts, for the caller's region."""
    distribution = statistics.tier_distribution(ctx(), g.actor)
    work = worklist.pipeline(ctx(), g.actor)
    return page(
        "console/dashboard.html",
        actor=g.actor,
        scope=g.actor.region_code or ctx().catalogs.city.code,
        distribution=distribution,
        work=work,
        charts=_dashboard_charts(distribution, work),
        holidays_missing=holiday_files_missing(),
    )


def _dashboard_charts(
    distribution: statistics.TierDistribution, work: worklist.Pipeline
) -> dict[str, charts.BarChart]:
    names = ctx().tier_rules.names
    industries = ctx().catalogs.industries

    def by_tier(rows: Sequence[statistics.TierCounts]) -> list[charts.Series]:
        return [
            charts.Series(
                translate("console.tier_label", tier=tier, name=names[tier]),
                tuple(r.counts[tier] for r in rows),
            )
            for tier in TIER_CODES
        ]

    def industry(code: str | None) -> str:
        return industries.get(code or "", translate("console.industry_unknown"))

    unit = translate("console.unit.entities")
    return {
        "by_region": charts.bar_chart(
            "tiers-by-region",
            translate("console.chart.tiers_by_region"),
            [region_name(r.key) for r in distribution.by_region],
            by_tier(distribution.by_region),
            stacked=True,
            horizontal=True,
            unit=unit,
        ),
        "by_industry": charts.bar_chart(
            "tiers-by-industry",
            translate("console.chart.tiers_by_industry"),
            [industry(r.key) for r in distribution.by_industry],
            by_tier(distribution.by_industry),
            stacked=True,
            horizontal=True,
            unit=unit,
        ),
        "by_state": charts.bar_chart(
            "cases-by-state",
            translate("console.chart.cases_by_state"),
            [translate(f"console.state.{state}") for state in work.by_state],
            [charts.Series(translate("console.chart.cases"), tuple(work.by_state.values()))],
            horizontal=True,
            unit=translate("console.unit.cases"),
        ),
    }


# --- entities ---------------------------------------------------------------------------------


@bp.get("/entities")
@allow(*STAFF)
def entities() -> Response:
    """Search by USCC, resident ID, masked number or name within the caller's region; a
    viewer's search by full resident ID takes a purpose and is limited (``lookups``)."""
    q = request.args.get("q", "").strip()
    purpose = request.args.get("purpose", "").strip()
    results, error, status, field_errors = None, None, 200, {}
    if q:
        try:
            results = entity_services.search_entities(
                ctx(),
                g.actor,
                q=q,
                purpose=purpose or None,
                cursor=request.args.get("cursor"),
                limit=SEARCH_LIMIT,
            )
        except InvalidInput as exc:
            if exc.code != "purpose-required":  # a cursor that is not ours
                error = translate("console.entities.bad_cursor")
            else:
                status = status_of(exc)
                field_errors = {"purpose": translate("console.entities.purpose_required")}
        except LimitExceeded as exc:
            error, status = translate("console.entities.lookup_limit"), status_of(exc)
    rows = [(e, _page_key(e, q)) for e in results.items] if results else []
    return page(
        "console/entities.html",
        status,
        q=q,
        purpose=purpose,
        results=results,
        rows=rows,
        error=error,
        field_errors=field_errors,
    )


def _page_key(entity: Mapping[str, Any], q: str) -> str | None:
    """The identifier that opens an entity's page. A natural person's is masked in
    results, so only the full number the user typed opens it (never one we reveal)."""
    if not entity["masked"]:
        return entity["identifier"]
    typed = entity_rules.lookup_key(q)
    if not identifiers.is_valid_resident_id(typed):  # e.g. the masked number itself
        return None
    return typed if identifiers.mask_resident_id(typed) == entity["identifier"] else None


@bp.get("/entities/<identifier>")
@allow(*STAFF)
def entity(identifier: str) -> Response:
    """An entity with its tier (why, since when, what would change it), the tier's
    history, its records and its listing cases."""
    return _entity_page(identifier)


@bp.post("/entities/<identifier>/cases")
@allow(*ACTORS)
@accepts(*FORM_TYPES)
def propose(identifier: str) -> Response:
    """Propose a listing on records of the entity (the service checks the grounds, D4)."""
    form = {
        "record_ids": request.form.getlist("record_ids"),
        "reason": request.form.get("reason", "").strip(),
    }
    try:
        data = dishonesty_api.ProposalSchema().load({"entity": identifier, **form})
    except ma.ValidationError as exc:
        return _entity_page(
            identifier,
            422,
            proposal=form,
            error=translate("form.error"),
            field_errors=schema_errors("console", exc.messages),
        )
    try:
        case = dishonesty_services.propose(ctx(), g.actor, **data)
    except (InvalidInput, Conflict) as exc:  # grounds not met; a case on the records exists
        unmet = (exc.errors or {}).get("record_ids", [])
        return _entity_page(
            identifier,
            status_of(exc),
            proposal=form,
            error=chinese(exc.detail),
            unmet=[chinese(message) for message in unmet],
            existing=exc.extensions.get("case_id"),
            field_errors=schema_errors("console", exc.errors or {}),
        )
    return _to_case(case["id"], "console.case.proposed")


def _entity_page(identifier: str, status: int = 200, **form_state: Any) -> Response:
    service, actor = ctx(), g.actor
    shown = entity_services.read_entity(service, actor, identifier)
    records = record_services.list_entity_records(
        service, actor, identifier, cursor=request.args.get("cursor"), limit=RECORDS_LIMIT
    )
    can_act = actor.role in ACTORS
    return page(
        "console/entity.html",
        status,
        entity=shown,
        key=identifier,
        tier=_tier(identifier),
        history=tier_views.tier_history(service, actor, identifier),
        tier_names=service.tier_rules.names,
        records=records,
        items={r["item_code"]: service.catalogs.item(r["item_code"]) for r in records.items},
        cases=_with_deadlines(dishonesty_services.list_cases(service, actor, entity=identifier)),
        grounds=service.list_rules.grounds,
        industries=service.catalogs.industries,
        can_act=can_act,
        candidates=[r for r in records.items if _can_ground(r)] if can_act else [],
        proposal=form_state.pop("proposal", {"record_ids": [], "reason": ""}),
        field_errors=form_state.pop("field_errors", {}),
        **form_state,
    )


def _tier(identifier: str) -> dict[str, Any] | None:
    """The tier view, or None before any tier rule set has been applied."""
    try:
        return tier_views.tier_view(ctx(), g.actor, identifier)
    except NotFound as exc:
        if exc.code != "no-tier-rules":
            raise
        return None


def _can_ground(record: Mapping[str, Any]) -> bool:
    """A record offered for a proposal: its catalog item can support a listing (D4)."""
    item = ctx().catalogs.item(record["item_code"])
    return item is not None and item.can_ground_listing


# --- listing cases ----------------------------------------------------------------------------


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
        rows=_with_deadlines(shown),
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
        raise NotFound(f"no step '{step}'; 无此办理环节", code="step-not-found")
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
        return _case_page(case_id, 409, error=chinese(exc.detail), failed=kept)
    except InvalidInput as exc:
        errors = _step_errors(exc.errors or {})
        return _case_page(case_id, 422, error=chinese(exc.detail), failed=kept | {"errors": errors})
    return _to_case(case_id, f"console.step.done.{step}")


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
        steps=[(s, pipeline.step_timing(shown, s)) for s in shown["allowed_steps"]]
        if can_act
        else [],
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


def _with_deadlines(
    views: Sequence[dict[str, Any]],
) -> list[tuple[dict[str, Any], pipeline.RunningDeadline | None]]:
    """Each case with the deadline it runs against today, for the overdue marks."""
    today = ctx().today()
    return [(view, pipeline.running_deadline(view, today)) for view in views]


@bp.app_template_global()
def entity_url(entity: Mapping[str, Any]) -> str | None:
    """The console page of an entity as a view names it; None for a masked identifier (a
    natural person, D12), which cannot open the page and never goes into a link."""
    if MASK in entity["identifier"]:
        return None
    return url_for("console_pages.entity", identifier=entity["identifier"])


def _to_case(case_id: int, notice: str) -> Response:
    return redirect(url_for(".case", case_id=case_id, notice=notice), code=303)


# --- credit checks ----------------------------------------------------------------------------


@bp.get("/credit-checks")
@allow(*CHECKERS, scopes=CHECK_SCOPES)
def credit_checks() -> Response:
    """The credit-check form for other departments: a purpose and up to 1,000 identifiers."""
    return _checks_page()


@bp.post("/credit-checks")
@allow(*CHECKERS, scopes=CHECK_SCOPES)
@accepts(*FORM_TYPES)
def run_credit_checks() -> Response:
    """Check the pasted identifiers for one purpose (``checks.credit_check_batch``, which
    audits each one) and show a result per line.

    A refused form comes back with the message beside its field and what was typed; the
    results show identities as the API does for the caller (a natural person masked, D12),
    so the box is emptied once they are shown rather than echo the typed numbers back.
    """
    form = {
        "purpose": request.form.get("purpose", "").strip(),
        "identifiers": request.form.get("identifiers", ""),
    }
    numbered = [(n, line.strip()) for n, line in enumerate(form["identifiers"].splitlines(), 1)]
    numbered = [(n, line) for n, line in numbered if line]  # blank lines are skipped
    numbers = [n for n, _ in numbered]
    try:
        fields = {"purpose": form["purpose"], "identifiers": [line for _, line in numbered]}
        data = dishonesty_api.BatchCheckSchema().load({k: v for k, v in fields.items() if v})
    except ma.ValidationError as exc:
        return _checks_page(422, form=form, field_errors=_check_errors(exc.messages, numbers))
    try:
        items = checks.credit_check_batch(ctx(), g.actor, data["identifiers"], data["purpose"])
    except InvalidInput as exc:  # a purpose not in the catalog
        return _checks_page(422, form=form, field_errors=_check_errors(exc.errors or {}, numbers))
    except LimitExceeded as exc:  # more resident IDs than the caller's lookups left today
        limited = {"identifiers": translate("console.checks.lookup_limit")}
        return _checks_page(status_of(exc), form=form, field_errors=limited)
    form = {"purpose": data["purpose"], "identifiers": ""}
    return _checks_page(form=form, items=list(zip(numbers, items, strict=True)))


def _check_errors(messages: Mapping[str, Any], numbers: Sequence[int]) -> dict[str, str]:
    """The Chinese message beside each field; for identifiers, also the lines at fault
    (the schema reports a too-long identifier by its index among the non-empty lines)."""
    errors = schema_errors("console", messages)
    bad = messages.get("identifiers")
    if isinstance(bad, Mapping):
        lines = "、".join(str(numbers[int(index)]) for index in sorted(bad, key=int))
        errors["identifiers"] = translate("console.checks.bad_lines", lines=lines)
    return errors


def _checks_page(status: int = 200, **values: Any) -> Response:
    service = ctx()
    items = values.pop("items", None)
    return page(
        "console/checks.html",
        status,
        purposes=service.catalogs.purposes,
        limit=checks.BATCH_LIMIT,
        form=values.pop("form", {"purpose": "", "identifiers": ""}),
        field_errors=values.pop("field_errors", {}),
        items=items,
        summary=_check_summary(items) if items is not None else None,
        shown=checks.shown,
        chinese=chinese,
        items_of=service.catalogs.item,
        grounds=service.list_rules.grounds,
        **values,
    )


def _check_summary(items: Sequence[tuple[int, Mapping[str, Any]]]) -> dict[str, int]:
    """How many lines came out each way, for the line above the table."""
    counts = dict.fromkeys(CHECK_OUTCOMES, 0)
    for _, item in items:
        counts[item["conclusion"] if item["found"] else "unknown"] += 1
    return counts


# --- helpers ----------------------------------------------------------------------------------

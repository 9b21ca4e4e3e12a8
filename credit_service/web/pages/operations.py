"""The console's operational pages: the repair review queue, inspection plans, and the
health of provincial sync and scheduled jobs.

Views call the same services as the API; they only gather what a page shows. Each page
declares the same roles as the API endpoints it stands for, and its forms are checked with
the API's own schemas, so a page accepts exactly what the API accepts.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import marshmallow as ma
from flask import Blueprint, Response, g, redirect, request, url_for

from credit_service.catalogs.schema import DOMAINS
from credit_service.errors import Conflict, InvalidInput, NotFound
from credit_service.inspections import services as inspection_services
from credit_service.inspections.models import OUTCOMES
from credit_service.repair import services as repair_services
from credit_service.sync import services as sync_services
from credit_service.sync.platforms import load_platforms
from credit_service.web import charts
from credit_service.web.access import allow
from credit_service.web.api import inspections as inspections_api
from credit_service.web.api import repair as repair_api
from credit_service.web.api import sync_admin as sync_api
from credit_service.web.api.common import accepts
from credit_service.web.i18n import translate
from credit_service.web.pages.auth import FORM_TYPES
from credit_service.web.pages.common import (
    ctx,
    form_values,
    holiday_files_missing,
    message,
    page,
    schema_errors,
    status_of,
)
from credit_service.web.pages.console import STAFF

bp = Blueprint("operations_pages", __name__, url_prefix="/console")
TIERS = ("A", "B", "C", "D")
# docs/credit-repair.md §6: these steps need reasons, which the applicant sees (the
# service refuses them without; the form says so up front).
REASONED_STEPS = frozenset({"not_accept", "request_supplement", "refuse", "revoke"})
# The only notices a redirect may ask a page to show (never free text from the URL).
NOTICES = frozenset(
    {
        "operations.repair.done",
        "operations.repair.already_done",
        "operations.plan.drawn",
        "operations.plan.result_saved",
        "operations.plan.result_exists",
        "operations.sync.requeued",
        "operations.sync.already_requeued",
    }
)


# --- repair review ----------------------------------------------------------------------------


@bp.get("/repairs")
@allow(*STAFF)
def repairs() -> Response:
    """The review queue: open applications in the caller's region, nearest deadline first
    (the service sorts them and computes the overdue / due-today / due-soon flags)."""
    return page(
        "operations/repairs.html", applications=repair_services.list_applications(ctx(), g.actor)
    )


@bp.get("/repairs/<int:application_id>")
@allow(*STAFF)
def repair(application_id: int) -> Response:
    """One application with its deadlines, steps and evidence; reviewers get its forms."""
    return _review_page(application_id, notice=_notice())


@bp.post("/repairs/<int:application_id>/review/<string:step>")
@allow(*repair_api.REVIEWERS)
@accepts(*FORM_TYPES)
def review(application_id: int, step: str) -> Response:
    """A review step from its form.

    The form carries the version the reviewer saw: if the application moved on since, the
    page says so instead of deciding on a stale view. The same step submitted twice from
    the same page (a double click) applied the first time, so the second says '已处理'.
    """
    form = form_values(("reason", "on", "expected_version", "due_on"))
    kept = {"step": step, "form": form}
    try:
        data = repair_api.ReviewSchema().load({k: v for k, v in form.items() if v})
    except ma.ValidationError as exc:
        errors = schema_errors("operations", exc.messages)
        return _review_page(
            application_id, 422, error=_summary(errors), failed=kept | {"errors": errors}
        )
    try:
        repair_services.review(ctx(), g.actor, application_id, step, **data)
    except Conflict as exc:
        if exc.code == "application-changed":
            if _just_applied(application_id, step, data.get("expected_version")):
                return _to_application(application_id, "operations.repair.already_done")
            return _review_page(
                application_id, 409, error=translate("operations.repair.changed"), failed=kept
            )
        unmet = exc.extensions.get("unmet", [])
        return _review_page(application_id, 409, error=message(exc), unmet=unmet, failed=kept)
    except InvalidInput as exc:
        errors = schema_errors("operations", exc.errors or {})
        return _review_page(
            application_id, 422, error=message(exc), failed=kept | {"errors": errors}
        )
    return _to_application(application_id, "operations.repair.done")


def _review_page(application_id: int, status: int = 200, **values: Any) -> Response:
    application = repair_services.get_application(ctx(), g.actor, application_id)
    reviewer = g.actor.role in repair_api.REVIEWERS
    steps = repair_services.steps_for(application, g.actor.role) if reviewer else []
    return page(
        "operations/repair.html",
        status,
        application=application,
        reviewer=reviewer,
        steps=steps,
        reasoned=REASONED_STEPS,
        supplement_workdays=ctx().repair_rules.supplement_workdays,
        **values,
    )


def _just_applied(application_id: int, step: str, expected_version: int | None) -> bool:
    """Whether this very step, from the page at ``expected_version``, is the last thing
    this reviewer did: the conflict is then the double submit of a step already done."""
    if expected_version is None:
        return False
    application = repair_services.get_application(ctx(), g.actor, application_id)
    last = application["steps"][-1]
    return (
        application["version"] == expected_version + 1
        and last["step"] == step
        and last["actor"] == g.actor.username
    )


def _to_application(application_id: int, notice: str) -> Response:
    return redirect(url_for(".repair", application_id=application_id, notice=notice), code=303)


# --- inspection plans -------------------------------------------------------------------------


@bp.get("/inspections")
@allow(*inspections_api.READERS)
def inspections() -> Response:
    """The plans in the caller's scope, the results overdue for publication (一公开, D20)
    and, for regulators, the form to draw a new one."""
    return _plans_page()


@bp.post("/inspections", endpoint="draw_plan")
@allow(*inspections_api.ACTORS)
@accepts(*FORM_TYPES)
def draw_plan() -> Response:
    """Draw a plan from the form (identifiers of triggered entities one per line)."""
    form = form_values(
        ("region", "period_start", "period_end", "seed", "domain", "triggered", "request_key")
    )
    triggered = [line.strip() for line in form["triggered"].splitlines() if line.strip()]
    wanted = {k: v for k, v in form.items() if v and k not in ("triggered", "request_key")}
    try:
        data = inspections_api.PlanCreateSchema().load(wanted | {"triggered": triggered})
    except ma.ValidationError as exc:
        errors = schema_errors("operations", exc.messages)
        return _plans_page(422, form=form, error=_summary(errors), field_errors=errors)
    try:
        # the form's one-time key: a double submit finds the plan the first one drew
        drawn = inspection_services.create_plan(
            ctx(), g.actor, request_key=form["request_key"][:100] or None, **data
        )
    except (InvalidInput, NotFound) as exc:  # a bad period or entity; no tier rules applied
        return _plans_page(
            status_of(exc),
            form=form,
            error=message(exc),
            field_errors=schema_errors("operations", exc.errors or {}),
            missing=(exc.errors or {}).get("triggered", []),
        )
    return redirect(url_for(".plan", plan_id=drawn["id"], notice="operations.plan.drawn"), code=303)


def _plans_page(
    status: int = 200,
    *,
    form: dict[str, str] | None = None,
    field_errors: dict[str, str] | None = None,
    **values: Any,
) -> Response:
    regions = (ctx().catalogs.city, *ctx().catalogs.regions)
    return page(
        "operations/inspections.html",
        status,
        plans=inspection_services.list_plans(ctx(), g.actor),
        overdue=inspection_services.overdue(ctx(), g.actor),
        can_draw=g.actor.role in inspections_api.ACTORS,
        regions=[r for r in regions if g.actor.covers_region(r.code)],
        domains=DOMAINS,
        notice=_notice(),
        form=form or {},
        field_errors=field_errors or {},
        request_key=(form or {}).get("request_key") or secrets.token_urlsafe(16),
        **values,
    )


@bp.get("/inspections/<int:plan_id>")
@allow(*inspections_api.READERS)
def plan(plan_id: int) -> Response:
    """A plan: its items with inspectors and results, drawn per tier, the CSV export."""
    return _plan_page(plan_id)


@bp.post("/inspections/<int:plan_id>/items/<int:item_id>/result")
@allow(*inspections_api.ACTORS)
@accepts(*FORM_TYPES)
def record_result(plan_id: int, item_id: int) -> Response:
    """Record one inspection's result; a second submit finds it recorded ('已处理')."""
    form = form_values(("outcome", "note"))
    kept = {"item": item_id, "form": form}
    try:
        data = inspections_api.ResultSchema().load(form)
    except ma.ValidationError as exc:
        errors = schema_errors("operations", exc.messages)
        return _plan_page(plan_id, 422, error=_summary(errors), failed=kept | {"errors": errors})
    try:
        inspection_services.record_result(ctx(), g.actor, plan_id, item_id, **data)
    except Conflict:  # result-exists: recorded before, by this submit's twin or a colleague
        return _to_item(plan_id, item_id, "operations.plan.result_exists")
    except InvalidInput as exc:
        errors = schema_errors("operations", exc.errors or {})
        return _plan_page(plan_id, 422, error=message(exc), failed=kept | {"errors": errors})
    return _to_item(plan_id, item_id, "operations.plan.result_saved")


def _plan_page(plan_id: int, status: int = 200, **values: Any) -> Response:
    shown = inspection_services.get_plan(ctx(), g.actor, plan_id)
    return page(
        "operations/plan.html",
        status,
        plan=shown,
        chart=_tier_chart(shown),
        can_record=g.actor.role in inspections_api.ACTORS,
        outcomes=OUTCOMES,
        notice=_notice(),
        **values,
    )


def _tier_chart(plan: dict[str, Any]) -> charts.BarChart:
    """Per tier: the entities the plan drew from, those drawn at the tier's ratio, and
    those in the plan because something triggered an inspection."""
    counts = Counter((i["tier"], i["triggered"]) for i in plan["items"])
    population = plan["population_by_tier"]
    series = [("population", tuple(population.get(tier, 0) for tier in TIERS))]
    series += [
        (name, tuple(counts[tier, triggered] for tier in TIERS))
        for name, triggered in (("drawn", False), ("triggered", True))
    ]
    return charts.bar_chart(
        "plan-tiers",
        translate("operations.plan.chart.title"),
        [translate("operations.plan.chart.tier", tier=tier) for tier in TIERS],
        [
            charts.Series(translate(f"operations.plan.chart.{name}"), values)
            for name, values in series
        ],
        horizontal=True,
    )


def _to_item(plan_id: int, item_id: int, notice: str) -> Response:
    target = url_for(".plan", plan_id=plan_id, notice=notice, _anchor=f"item-{item_id}")
    return redirect(target, code=303)


# --- sync and job health ----------------------------------------------------------------------


@bp.get("/sync")
@allow(*inspections_api.READERS)
def sync() -> Response:
    """Per platform: pushes, pending events, retries, dead letters, quarantine, pulls and
    the last reconciliation; then recent job runs. The health figures are for every
    regulator and viewer; the dead letters' and quarantined rows' contents (records as
    sent or received, personal data included) and the re-queue action, for admins only."""
    service = ctx()
    platforms = sync_services.sync_status(
        service, load_platforms(service.settings.sync_platforms_file)
    )
    manages = g.actor.role == "admin"
    return page(
        "operations/sync.html",
        platforms=platforms,
        platform_names={p["platform"]: p["name"] for p in platforms},
        confirm_workdays=service.settings.sync_confirm_workdays,
        chart=_pending_chart(platforms),
        manages=manages,
        dead_letters=sync_services.list_dead_letters(service) if manages else [],
        quarantine=sync_services.list_quarantine(service) if manages else [],
        runs=sync_services.recent_job_runs(service),
        notice=_notice(),
        holidays_missing=holiday_files_missing(),
    )


@bp.post("/sync/dead-letters/<int:dead_letter_id>/requeue")
@allow("admin", **sync_api.ADMIN)
@accepts(*FORM_TYPES)
def requeue(dead_letter_id: int) -> Response:
    """Send a refused event again; a second click finds it re-queued already ('已处理')."""
    try:
        sync_services.requeue_dead_letter(ctx(), g.actor, dead_letter_id)
    except NotFound:
        notice = "operations.sync.already_requeued"
    else:
        notice = "operations.sync.requeued"
    return redirect(url_for(".sync", notice=notice, _anchor="dead-letters"), code=303)


def _pending_chart(platforms: list[dict[str, Any]]) -> charts.BarChart | None:
    if not platforms:
        return None
    return charts.bar_chart(
        "sync-pending",
        translate("operations.sync.chart.title"),
        [p["name"] for p in platforms],
        [
            charts.Series(
                translate("operations.sync.pending"), tuple(p["pending"] for p in platforms)
            )
        ],
        horizontal=True,
    )


@bp.app_template_filter("duration")
def duration(value: timedelta | float | None) -> str:
    """A span in words, its two largest units ('3 小时 12 分'): the age of the oldest
    pending event, the run time of a job."""
    if value is None:
        return "—"
    seconds = round(value.total_seconds() if isinstance(value, timedelta) else value)
    days, rest = divmod(max(seconds, 0), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    units = zip((days, hours, minutes, secs), ("day", "hour", "minute", "second"), strict=True)
    parts = [translate(f"operations.unit.{unit}", n=n) for n, unit in units if n]
    return " ".join(parts[:2]) or translate("operations.unit.second", n=0)


# --- helpers ----------------------------------------------------------------------------------


def _summary(field_errors: Mapping[str, str]) -> str:
    """The field errors as one alert at the top of the page, hidden fields included."""
    return "".join(field_errors.values())


def _notice() -> str | None:
    notice = request.args.get("notice")
    return notice if notice in NOTICES else None

"""The regulator console (regulators, viewers and administrators, within their region):
the blueprint, the roles of its pages, the dashboard, and what its pages share.

The console's other views live by use case in ``console_entities`` (entity lookup, the
entity page and proposals), ``console_cases`` (listing cases and their steps) and
``console_checks`` (credit checks for other departments), on this blueprint: they import
it, and the app imports them before it registers the blueprint.

Views call the same services as the API, declare the same roles as the endpoints they
stand for and check their forms with the API's own schemas, so a page accepts exactly
what the API accepts. They only gather what a page shows; a step the service refuses comes
back as the page with the message and what the user typed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import Blueprint, Response, g, redirect, url_for

from credit_service import worklist
from credit_service.dishonesty import pipeline
from credit_service.tiers import statistics
from credit_service.tiers.definitions import TIER_CODES
from credit_service.web import charts
from credit_service.web.access import allow
from credit_service.web.api import dishonesty as dishonesty_api
from credit_service.web.i18n import translate
from credit_service.web.pages.common import ctx, holiday_files_missing, page, region_name

bp = Blueprint("console_pages", __name__, url_prefix="/console")
STAFF = dishonesty_api.READERS  # read in their region (the operations pages share it)
ACTORS = dishonesty_api.ACTORS  # act in their region
MASK = "*"  # what masking puts in place of a natural person's hidden digits


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


# --- shared by the entity and case pages ------------------------------------------------------


def with_deadlines(
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


def to_case(case_id: int, notice: str) -> Response:
    """After a proposal or a step: the case page with the notice of what was done."""
    return redirect(url_for(".case", case_id=case_id, notice=notice), code=303)

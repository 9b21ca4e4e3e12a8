"""一公开 (D20), the public API: random-inspection plans and inspection results, with
their CSV and JSON downloads (no sign-in, rate-limited like every public endpoint).

The findings and follow-ups come as codes with their Chinese words (``*_text``); the
CSV writes the words. No tier of any unit appears anywhere (D1); a natural person shows
by the masked name only (D12).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

import marshmallow as ma
from flask import Response, stream_with_context
from flask.views import MethodView

from credit_service.inspections import services
from credit_service.web.access import public as public_endpoint
from credit_service.web.api.common import Blueprint, public_csv_response, service_context
from credit_service.web.i18n import translate

bp = Blueprint(
    "public_inspections",
    __name__,
    url_prefix="/api/v1/public",
    description="Random inspection plans and results, published (双随机、一公开)",
)
REASON = "random-inspection plans and results are published by law (双随机、一公开)"
REGION = ma.fields.String(validate=ma.validate.Length(equal=6))
LIMIT = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=100))


class PublicPlanSchema(ma.Schema):
    id = ma.fields.Integer()
    region_code = ma.fields.String()
    region = ma.fields.String(allow_none=True)
    period_start = ma.fields.Date()
    period_end = ma.fields.Date()
    domain = ma.fields.String(allow_none=True)
    drawn_on = ma.fields.Date()
    seed = ma.fields.String(metadata={"description": "replays the draw (docs/tiers.md)"})
    population = ma.fields.Integer(metadata={"description": "units the plan drew from"})
    population_digest = ma.fields.String(metadata={"description": "SHA-256 of the population"})
    sampling_ratios = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Float(),
        metadata={"description": "the yearly sampling ratio per tier (a rule; 0: triggered only)"},
    )
    units = ma.fields.Integer(metadata={"description": "units drawn"})


class PublicResultSchema(ma.Schema):
    id = ma.fields.Integer()
    plan_id = ma.fields.Integer()
    name = ma.fields.String(metadata={"description": "natural persons: surname + *"})
    kind = ma.fields.String()
    uscc = ma.fields.String(allow_none=True, metadata={"description": "organisations only"})
    region_code = ma.fields.String()
    region = ma.fields.String(allow_none=True)
    inspected_on = ma.fields.Date()
    outcome = ma.fields.String(metadata={"description": "passed, problems_found, ..."})
    outcome_text = ma.fields.String()
    follow_up = ma.fields.String(
        metadata={
            "description": "none, rectification, record_filed (a credit record filed), "
            "address_unreachable"
        }
    )
    follow_up_text = ma.fields.String()
    published_on = ma.fields.Date()
    public_until = ma.fields.Date(metadata={"description": "last day it is shown (3 years)"})


class PlanArgsSchema(ma.Schema):
    region = REGION
    cursor = ma.fields.String()
    limit = LIMIT


class ResultArgsSchema(ma.Schema):
    entity = ma.fields.String(
        validate=ma.validate.Length(min=1, max=100),
        metadata={"description": "an organisation's name (part) or USCC"},
    )
    plan = ma.fields.Integer(validate=ma.validate.Range(min=1, max=2**31 - 1))
    region = REGION
    cursor = ma.fields.String()
    limit = LIMIT


class PlanDownloadArgsSchema(ma.Schema):
    region = REGION


class ResultDownloadArgsSchema(ma.Schema):
    entity = ma.fields.String(validate=ma.validate.Length(min=1, max=100))
    plan = ma.fields.Integer(validate=ma.validate.Range(min=1, max=2**31 - 1))
    region = REGION


class PublicPlanPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(PublicPlanSchema))
    next_cursor = ma.fields.String(allow_none=True)


class PublicResultPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(PublicResultSchema))
    next_cursor = ma.fields.String(allow_none=True)


def worded(result: dict[str, Any]) -> dict[str, Any]:
    """A result with the words of its finding and follow-up (the pages' own)."""
    return {
        **result,
        "outcome_text": translate(f"inspections_public.outcome.{result['outcome']}"),
        "follow_up_text": translate(f"inspections_public.follow_up.{result['follow_up']}"),
    }


def ratios_text(ratios: dict[str, float]) -> str:
    return "；".join(
        translate("inspections_public.ratio", tier=tier, percent=f"{ratio * 100:g}")
        for tier, ratio in ratios.items()
    )


@bp.route("/inspection-plans")
class PublicPlans(MethodView):
    @public_endpoint(REASON)
    @bp.arguments(PlanArgsSchema, location="query")
    @bp.response(200, PublicPlanPageSchema)
    def get(self, args):
        """Inspection plans, newest first: public from the day they are drawn."""
        return services.search_plans(service_context(), **args)


@bp.route("/inspection-results")
class PublicResults(MethodView):
    @public_endpoint(REASON)
    @bp.arguments(ResultArgsSchema, location="query")
    @bp.response(200, PublicResultPageSchema)
    def get(self, args):
        """Inspection results, latest first: public within 20 working days of the
        inspection, for 3 years. Search by organisation (name or USCC), plan, region."""
        cursor, limit = args.pop("cursor", None), args.pop("limit")
        found = services.search_results(
            service_context(), services.ResultFilters(**args), cursor=cursor, limit=limit
        )
        return {"items": [worded(r) for r in found.items], "next_cursor": found.next_cursor}


@bp.route("/inspection-plans/export.csv")
class PublicPlansCsv(MethodView):
    @public_endpoint(REASON)
    @bp.arguments(PlanDownloadArgsSchema, location="query")
    @bp.response(200, description="Every plan as CSV (UTF-8 with BOM, Chinese headers)")
    def get(self, args):
        """Download the plans as CSV."""
        ctx = service_context()
        rows = (_plan_row(p) for p in services.download_plans(ctx, **args))
        return public_csv_response("inspection-plans", services.PLAN_COLUMNS, rows, day=ctx.today())


@bp.route("/inspection-plans/export.json")
class PublicPlansJson(MethodView):
    @public_endpoint(REASON)
    @bp.arguments(PlanDownloadArgsSchema, location="query")
    @bp.response(200, PublicPlanSchema(many=True), description="Every plan as a JSON array")
    def get(self, args):
        """Download the plans as JSON."""
        plans = services.download_plans(service_context(), **args)
        return _json_download("inspection-plans", PublicPlanSchema(), plans)


@bp.route("/inspection-results/export.csv")
class PublicResultsCsv(MethodView):
    @public_endpoint(REASON)
    @bp.arguments(ResultDownloadArgsSchema, location="query")
    @bp.response(200, description="Every public result as CSV (UTF-8 with BOM, Chinese headers)")
    def get(self, args):
        """Download the public results as CSV."""
        ctx = service_context()
        found = services.download_results(ctx, services.ResultFilters(**args))
        rows = (_result_row(worded(r)) for r in found)
        return public_csv_response(
            "inspection-results", services.RESULT_COLUMNS, rows, day=ctx.today()
        )


@bp.route("/inspection-results/export.json")
class PublicResultsJson(MethodView):
    @public_endpoint(REASON)
    @bp.arguments(ResultDownloadArgsSchema, location="query")
    @bp.response(200, PublicResultSchema(many=True), description="Every public result as JSON")
    def get(self, args):
        """Download the public results as JSON."""
        found = services.download_results(service_context(), services.ResultFilters(**args))
        return _json_download("inspection-results", PublicResultSchema(), map(worded, found))


def _plan_row(plan: dict[str, Any]) -> list[Any]:
    return [
        plan["id"],
        plan["region"] or plan["region_code"],
        plan["period_start"],
        plan["period_end"],
        translate(f"domain.{plan['domain']}") if plan["domain"] else "",
        plan["drawn_on"],
        plan["seed"],
        plan["population"],
        plan["population_digest"],
        ratios_text(plan["sampling_ratios"]),
        plan["units"],
    ]


def _result_row(result: dict[str, Any]) -> list[Any]:
    return [
        result["id"],
        result["plan_id"],
        result["name"],
        result["uscc"] or "",
        result["region"] or result["region_code"],
        result["inspected_on"],
        result["outcome_text"],
        result["follow_up_text"],
        result["published_on"],
        result["public_until"],
    ]


def _json_download(stem: str, schema: ma.Schema, rows: Iterable[dict[str, Any]]) -> Response:
    day = service_context().today().isoformat()
    response = Response(stream_with_context(_json_array(schema, rows)), mimetype="application/json")
    response.headers["Content-Disposition"] = f"attachment; filename={stem}-{day}.json"
    return response


def _json_array(schema: ma.Schema, rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    yield "["
    for n, row in enumerate(rows):
        yield ("," if n else "") + json.dumps(schema.dump(row), ensure_ascii=False, default=str)
    yield "]"

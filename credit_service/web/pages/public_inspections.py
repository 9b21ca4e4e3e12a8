"""一公开 (D20), the public page: random-inspection results (searched by organisation,
plan and region, a page at a time) and the plans they came from, with the downloads.

On the public blueprint (the app imports this module with ``public``). Plain forms and
links, as the other public pages; what the page shows comes from the same services as
the API (``credit_service.inspections.public``), so the page and the downloads agree.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request

from credit_service.errors import CreditServiceError
from credit_service.inspections import services as inspection_services
from credit_service.pagination import Page
from credit_service.web.access import public as public_endpoint
from credit_service.web.api.public_inspections import REASON, ratios_text, worded
from credit_service.web.i18n import translate as t
from credit_service.web.pages.common import ctx, page
from credit_service.web.pages.public import bp

PLAN_CHOICES = 100  # the latest plans offered in the search form


@bp.get("/inspections")
@public_endpoint(REASON)
def inspections_page() -> Response:
    """Results (the latest first) and plans (the newest first), each paginated."""
    filters, values, errors = _filters()
    try:
        results = inspection_services.search_results(
            ctx(), filters, cursor=request.args.get("cursor"), limit=20
        )
    except CreditServiceError:
        results, errors["cursor"] = Page([], None), [t("inspections_public.error.cursor")]
    try:
        plans = inspection_services.search_plans(
            ctx(), cursor=request.args.get("plans_cursor"), limit=10
        )
    except CreditServiceError:
        plans, errors["cursor"] = Page([], None), [t("inspections_public.error.cursor")]
    choices = inspection_services.search_plans(ctx(), limit=PLAN_CHOICES).items
    return page(
        "public/inspections.html",
        results=Page([worded(r) for r in results.items], results.next_cursor),
        plans=plans,
        ratios_text=ratios_text,
        values=values,
        errors=errors,
        plan_choices=[
            (str(p["id"]), t("inspections_public.plan_number", id=p["id"])) for p in choices
        ],
        regions=[(r.code, r.name) for r in ctx().catalogs.regions],
    )


def _filters() -> tuple[Any, dict[str, str], dict[str, list[str]]]:
    """The search form's values, keeping what the user typed and flagging what is wrong."""
    values = {k: request.args.get(k, "").strip() for k in ("entity", "plan", "region")}
    errors: dict[str, list[str]] = {}
    if len(values["entity"]) > 100:
        errors["entity"] = [t("inspections_public.error.entity")]
    if values["plan"] and not (values["plan"].isdigit() and 0 < int(values["plan"]) < 2**31):
        errors["plan"] = [t("inspections_public.error.choose")]
    if values["region"] and values["region"] not in ctx().catalogs.region_codes:
        errors["region"] = [t("inspections_public.error.choose")]
    usable = {k: v for k, v in values.items() if v and k not in errors}
    filters = inspection_services.ResultFilters(
        entity=usable.get("entity"),
        plan=int(usable["plan"]) if "plan" in usable else None,
        region=usable.get("region"),
    )
    return filters, values, errors

"""Inspection use cases, the area's public API: the inspector roster
(``inspectors.py``), seeded plans per tier (``plans.py``), the results recorded
through the procedure engine (``results.py``), their publication (``publication.py``)
and what the public sees (``public.py``). The other areas and the web layer import
this module only."""

from __future__ import annotations

from credit_service.inspections.inspectors import (
    add_conflict,
    add_inspector,
    list_inspectors,
    set_inspector_active,
)
from credit_service.inspections.plans import (
    EXPORT_COLUMNS,
    create_plan,
    export_rows,
    get_plan,
    list_plans,
)
from credit_service.inspections.public import (
    PLAN_COLUMNS,
    RESULT_COLUMNS,
    ResultFilters,
    download_plans,
    download_results,
    search_plans,
    search_results,
)
from credit_service.inspections.publication import overdue, publish_due
from credit_service.inspections.results import record_result

__all__ = [
    "EXPORT_COLUMNS",
    "PLAN_COLUMNS",
    "RESULT_COLUMNS",
    "ResultFilters",
    "add_conflict",
    "add_inspector",
    "create_plan",
    "download_plans",
    "download_results",
    "export_rows",
    "get_plan",
    "list_inspectors",
    "list_plans",
    "overdue",
    "publish_due",
    "record_result",
    "search_plans",
    "search_results",
    "set_inspector_active",
]

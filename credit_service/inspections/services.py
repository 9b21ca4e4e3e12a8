"""Inspection use cases, the area's public API: the inspector roster
(``inspectors.py``), seeded plans per tier (``plans.py``) and the results recorded
through the procedure engine (``results.py``). The other areas and the web layer import
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
from credit_service.inspections.results import record_result

__all__ = [
    "EXPORT_COLUMNS",
    "add_conflict",
    "add_inspector",
    "create_plan",
    "export_rows",
    "get_plan",
    "list_inspectors",
    "list_plans",
    "record_result",
    "set_inspector_active",
]

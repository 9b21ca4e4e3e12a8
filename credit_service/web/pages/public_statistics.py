"""The public transparency statistics: the list's monthly additions and removals (by
reason), repair turnaround against the legal deadlines, and objections received, decided
and their turnaround, by month and by district, as charts with their tables, and each
table as CSV (Chinese header) or JSON (machine codes).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from flask import Response, jsonify

from credit_service.dishonesty import statistics as list_statistics
from credit_service.dishonesty.definitions import REMOVAL_REASONS
from credit_service.errors import NotFound
from credit_service.objections import services as objections
from credit_service.repair import statistics as repair_statistics
from credit_service.reports import services as report_services
from credit_service.web import charts
from credit_service.web.access import public as public_endpoint
from credit_service.web.api.common import csv_response
from credit_service.web.i18n import translate as t
from credit_service.web.pages.common import ctx, page, region_name
from credit_service.web.pages.public import bp

if TYPE_CHECKING:
    from credit_service.objections.statistics import ObjectionFigures, ObjectionStatistics

STATISTICS_REASON = (
    "aggregate figures about the list, credit repair and objections, published for transparency"
)


def area_name(code: str) -> str:
    """A district's name; the city's own code stands for entities registered at city level."""
    if code == ctx().catalogs.city.code:
        return t("public.stats.city_level", city=region_name(code))
    return region_name(code)


REPAIR_COUNTS = ("decided", "acceptance_in_time", "reviewed", "decision_in_time")
OBJECTION_FLOW = ("received", "accepted", "decided")
OBJECTION_OUTCOMES = ("refused", "upheld", "partly_upheld", "not_upheld")
OBJECTION_TIMING = ("on_time", "late")


@dataclass(frozen=True)
class Column:
    """One published figure per row: a machine code (JSON), a Chinese label (CSV, page)."""

    code: str
    label: str
    values: tuple[float | None, ...]


@dataclass(frozen=True)
class Dataset:
    """A table of figures shown as charts and offered as CSV and JSON: the charts are
    drawn from these very columns, so a download always holds the charted numbers."""

    name: str
    title: str
    key_label: str
    keys: tuple[str, ...]
    columns: tuple[Column, ...]
    charts: tuple[charts.BarChart, ...] = ()

    def with_chart(
        self, suffix: str, title: str, codes: tuple[str, ...], **options: Any
    ) -> Dataset:
        """The dataset with one more chart of the named columns (counts, never empty)."""
        series = [
            charts.Series(c.label, tuple(v or 0 for v in c.values))
            for code in codes
            for c in self.columns
            if c.code == code
        ]
        chart = charts.bar_chart(f"{self.name}-{suffix}", title, self.keys, series, **options)
        return replace(self, charts=(*self.charts, chart))

    def rows(self) -> list[list[str]]:
        """The rows as text: a median of no applications is empty, not zero."""
        return [
            [key, *("" if c.values[i] is None else f"{c.values[i]:g}" for c in self.columns)]
            for i, key in enumerate(self.keys)
        ]


def _list_columns(rows: tuple[list_statistics.Movement, ...]) -> tuple[Column, ...]:
    reasons = ctx().list_rules.removal_reasons
    return (
        Column("added", t("public.stats.added"), tuple(m.added for m in rows)),
        Column("removed", t("public.stats.removed"), tuple(m.removed_total for m in rows)),
        *(
            Column(f"removed_{r}", reasons.get(r, r), tuple(m.removed[r] for m in rows))
            for r in REMOVAL_REASONS
        ),
    )


def _repair_columns(rows: tuple[repair_statistics.Turnaround, ...]) -> tuple[Column, ...]:
    return tuple(
        Column(code, t(f"public.stats.{code}"), tuple(getattr(r, code) for r in rows))
        for code in (*REPAIR_COUNTS, "median_workdays")
    )


def _objection_columns(rows: tuple[ObjectionFigures, ...]) -> tuple[Column, ...]:
    codes = (*OBJECTION_FLOW, *OBJECTION_OUTCOMES, *OBJECTION_TIMING, "median_workdays")
    return tuple(
        Column(code, t(f"objection_stats.{code}"), tuple(getattr(r, code) for r in rows))
        for code in codes
    )


def _objection_datasets(
    figures: ObjectionStatistics, months: tuple[str, ...], areas: tuple[str, ...]
) -> tuple[Dataset, ...]:
    """Objections by month of each act and by district."""
    month, region = t("public.stats.month"), t("public.stats.region")
    return (
        Dataset(
            "objection-monthly",
            t("objection_stats.monthly"),
            month,
            months,
            _objection_columns(figures.by_month),
        )
        .with_chart("flow", t("objection_stats.chart.flow"), OBJECTION_FLOW)
        .with_chart(
            "outcomes",
            t("objection_stats.chart.outcomes"),
            OBJECTION_OUTCOMES,
            stacked=True,
        )
        .with_chart("timing", t("objection_stats.chart.timing"), OBJECTION_TIMING, stacked=True),
        Dataset(
            "objection-regions",
            t("objection_stats.regions"),
            region,
            areas,
            _objection_columns(figures.by_region),
        ).with_chart(
            "flow",
            t("objection_stats.chart.regions"),
            (*OBJECTION_FLOW, "on_time"),
            horizontal=True,
        ),
    )


def _report_dataset(months: tuple[str, ...], issued: dict[str, int]) -> Dataset:
    """Credit reports issued by month (D21): how much the reports are used."""
    column = Column(
        "issued", t("credit_reports.stats.issued"), tuple(issued.get(m, 0) for m in months)
    )
    return Dataset(
        "report-monthly",
        t("credit_reports.stats.title"),
        t("public.stats.month"),
        months,
        (column,),
    ).with_chart("issued", t("credit_reports.stats.title"), ("issued",))


def _datasets(
    movements: list_statistics.ListMovements,
    turnaround: repair_statistics.RepairTurnaround,
    objection_figures: ObjectionStatistics,
    reports_issued: dict[str, int],
) -> dict[str, Dataset]:
    """The seven published tables: the list, repair turnaround and objections, each by
    month and by district; credit reports issued by month."""
    month, region = t("public.stats.month"), t("public.stats.region")
    by_month = movements.by_month
    months = tuple(m.key for m in by_month)
    areas = tuple(area_name(m.key) for m in movements.by_region)
    on_list = Column(
        "on_list",
        t("public.stats.on_list", day=movements.as_of.isoformat()),
        tuple(movements.on_list_by_region[m.key] for m in movements.by_region),
    )
    tables = (
        Dataset("list-monthly", t("public.stats.list"), month, months, _list_columns(by_month))
        .with_chart("flow", t("public.stats.chart.list"), ("added", "removed"))
        .with_chart(
            "reasons",
            t("public.stats.removal_reasons"),
            tuple(f"removed_{r}" for r in REMOVAL_REASONS),
            stacked=True,
        ),
        Dataset(
            "list-regions",
            t("public.stats.regions"),
            region,
            areas,
            (*_list_columns(movements.by_region), on_list),
        ).with_chart(
            "flow",
            t("public.stats.chart.regions"),
            ("added", "removed", "on_list"),
            horizontal=True,
        ),
        Dataset(
            "repair-monthly",
            t("public.stats.repair"),
            month,
            months,
            _repair_columns(turnaround.by_month),
        ).with_chart("counts", t("public.stats.chart.repair"), REPAIR_COUNTS),
        Dataset(
            "repair-regions",
            t("public.stats.repair_regions"),
            region,
            areas,
            _repair_columns(turnaround.by_region),
        ).with_chart(
            "counts", t("public.stats.chart.repair_regions"), REPAIR_COUNTS, horizontal=True
        ),
        *_objection_datasets(objection_figures, months, areas),
        _report_dataset(months, reports_issued),
    )
    return {d.name: d for d in tables}


@dataclass(frozen=True)
class Figures:
    """Today's figures of every section, and the tables made of them."""

    movements: list_statistics.ListMovements
    turnaround: repair_statistics.RepairTurnaround
    objections: ObjectionStatistics
    datasets: dict[str, Dataset]


def _figures() -> Figures:
    """Today's figures and the tables made of them: one day for every read, so a request
    across midnight cannot mix two periods."""
    today = ctx().today()
    movements = list_statistics.list_movements(ctx(), today)
    turnaround = repair_statistics.repair_turnaround(ctx(), today)
    objection_figures = objections.objection_statistics(ctx(), today)
    issued = report_services.monthly_counts(ctx(), movements.since, today)
    return Figures(
        movements,
        turnaround,
        objection_figures,
        _datasets(movements, turnaround, objection_figures, issued),
    )


@bp.get("/statistics")
@public_endpoint(STATISTICS_REASON)
def statistics_page() -> Response:
    """The list's monthly additions and removals (by reason), repair turnaround against
    the legal deadlines and objections with theirs, by month and by district, as charts
    with downloads."""
    figures = _figures()
    return page(
        "public/statistics.html",
        movements=figures.movements,
        turnaround=figures.turnaround,
        objections=figures.objections,
        datasets=figures.datasets,
        list_rules=ctx().list_rules,
        repair_rules=ctx().repair_rules,
        objection_rules=ctx().objection_rules,
    )


@bp.get("/statistics/<dataset>.<any(csv, json):extension>")
@public_endpoint(STATISTICS_REASON)
def statistics_download(dataset: str, extension: str) -> Response:
    """One table of the statistics page: CSV (UTF-8 with BOM and a Chinese header, so
    Excel opens it) or JSON (machine codes), with the same numbers as the charts."""
    figures = _figures()
    movements, datasets = figures.movements, figures.datasets
    if dataset not in datasets:
        raise NotFound("dataset-not-found", dataset=dataset)
    table = datasets[dataset]
    if extension == "csv":
        header = [table.key_label, *(c.label for c in table.columns)]
        return csv_response(f"{dataset}-{movements.as_of.isoformat()}.csv", header, table.rows())
    return jsonify(
        {
            "dataset": table.name,
            "title": table.title,
            "since": movements.since.isoformat(),
            "as_of": movements.as_of.isoformat(),
            "columns": [{"code": c.code, "label": c.label} for c in table.columns],
            "rows": [
                {"key": key, **{c.code: c.values[i] for c in table.columns}}
                for i, key in enumerate(table.keys)
            ],
        }
    )

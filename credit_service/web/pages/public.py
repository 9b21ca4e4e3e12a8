"""Public pages (no sign-in): the home page, the severe-dishonesty list (search, entry,
removal notices), the credit-information catalogs and the transparency statistics.

Plain HTML forms and links: everything works without JavaScript and prints cleanly.
Views gather what a page shows from the same services as the API; every figure comes
from a domain function, so the pages and the downloads cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from credit_service.catalogs import services as catalog_services
from credit_service.catalogs.schema import CATEGORIES, DISCLOSURES, DOMAINS, LISTING_GROUNDS
from credit_service.dishonesty import public
from credit_service.dishonesty import statistics as list_statistics
from credit_service.dishonesty.definitions import REMOVAL_REASONS
from credit_service.errors import CreditServiceError, NotFound
from credit_service.pagination import Page
from credit_service.repair import statistics as repair_statistics
from credit_service.web import cache, charts
from credit_service.web.access import public as public_endpoint
from credit_service.web.api.common import csv_response
from credit_service.web.i18n import translate as t
from credit_service.web.pages.common import ctx, page, region_name
from credit_service.workdays import parse_period

bp = Blueprint("public_pages", __name__)
REASON = "the severe-dishonesty list is published to the public by law"
CATALOGS_REASON = "the catalogs are public information (what is collected, on what basis)"
STATISTICS_REASON = "aggregate figures about the list and credit repair, published for transparency"
FILTERS = ("q", "uscc", "region", "domain", "ground")


# --- helpers the templates share ----------------------------------------------------------------


def period_text(period: str | int) -> str:
    """An ISO 8601 period ('P1Y6M') or a number of months as Chinese words (1年6个月):
    periods are data in the rules files, their wording belongs to the page."""
    months = parse_period(period) if isinstance(period, str) else period
    years, rest = divmod(months, 12)
    words = [t("public.period.years", n=years)] if years else []
    if rest or not years:
        words.append(t("public.period.months", n=rest))
    return "".join(words)


def citation(basis: Mapping[str, str | None]) -> str:
    """One legal basis in the page's words; an instrument cited without an article (none
    is settled, docs/catalogs.md) is named alone."""
    return t("public.basis", instrument=basis["instrument"], article=basis.get("article") or "")


def area_name(code: str) -> str:
    """A district's name; the city's own code stands for entities registered at city level."""
    if code == ctx().catalogs.city.code:
        return t("public.stats.city_level", city=region_name(code))
    return region_name(code)


@bp.context_processor
def _helpers() -> dict[str, Any]:
    """The public templates word the periods and cite the bases of the rules files."""
    return {"period_text": period_text, "citation": citation}


# --- home -------------------------------------------------------------------------------------


@bp.get("/")
@public_endpoint("the home page explains the list and credit repair to everyone")
def home() -> Response:
    """What the list is, who is listed and how, how to search it, how credit repair works,
    with the current figures; every period and deadline comes from the rules files."""
    return page(
        "public/home.html",
        movements=list_statistics.list_movements(ctx()),
        list_rules=ctx().list_rules,
        repair_rules=ctx().repair_rules,
        measures=[ctx().catalogs.measures[m] for m in ctx().list_rules.measures],
        heavy_penalty_types=sorted(ctx().catalogs.publicity.heavy_penalty_types),
        no_early_stop_types=sorted(ctx().catalogs.publicity.no_early_stop_penalty_types),
        bands=ctx().catalogs.publicity.bands_for(ctx().today()).bands,
    )


# --- the list ---------------------------------------------------------------------------------


def _filters() -> tuple[public.Filters, dict[str, str], dict[str, list[str]]]:
    """The search form's values, keeping what the user typed and flagging what is wrong."""
    values = {k: request.args.get(k, "").strip() for k in FILTERS}
    errors: dict[str, list[str]] = {}
    if values["uscc"] and len(values["uscc"]) != 18:
        errors["uscc"] = [t("public.list.error.uscc")]
    if values["region"] and values["region"] not in ctx().catalogs.region_codes:
        errors["region"] = [t("public.list.error.choose")]
    if values["domain"] and values["domain"] not in DOMAINS:
        errors["domain"] = [t("public.list.error.choose")]
    if values["ground"] and values["ground"] not in LISTING_GROUNDS:
        errors["ground"] = [t("public.list.error.choose")]
    usable = {k: (v or None) for k, v in values.items() if k not in errors}
    return public.Filters(**usable), values, errors


@bp.get("/list")
@public_endpoint(REASON)
def list_page() -> Response:
    """Search the list; results as a table with a next-page link."""
    return _same_for_everyone(_list_page)


def _list_page() -> Response:
    filters, values, errors = _filters()
    try:
        found = public.search(ctx(), filters, cursor=request.args.get("cursor"), limit=20)
    except CreditServiceError:
        found, errors["cursor"] = Page([], None), [t("public.list.error.cursor")]
    return page(
        "public/list.html",
        page=found,
        values=values,
        errors=errors,
        choices={
            "region": [(r.code, r.name) for r in ctx().catalogs.regions],
            "domain": [(d, t(f"domain.{d}")) for d in DOMAINS],
            "ground": list(ctx().list_rules.grounds.items()),
        },
    )


@bp.get("/list/<int:entry_id>")
@public_endpoint(REASON)
def entry_page(entry_id: int) -> Response:
    """One entry with its grounds, basis, decision and measures."""
    return _same_for_everyone(
        lambda: page(
            "public/entry.html",
            entry=public.get_entry(ctx(), entry_id),
            list_rules=ctx().list_rules,
        )
    )


@bp.get("/list/notices")
@public_endpoint(REASON)
def notices_page() -> Response:
    """Recent additions and removals, with the reason for each removal."""
    return _same_for_everyone(
        lambda: page(
            "public/notices.html",
            feed=public.changes(ctx(), since=request.args.get("since"), limit=100),
        )
    )


def _same_for_everyone(render: Callable[[], Response]) -> Response:
    """A list page for a visitor who is not signed in is the same for every such visitor,
    so it is rendered once per version of the list (and answered 304 when current); a
    signed-in user's page carries their name and menus and is rendered for them."""
    if not g.actor.is_anonymous:
        return render()
    return cache.answer(ctx(), lambda: render().get_data(), "text/html")


# --- catalogs ---------------------------------------------------------------------------------


@bp.get("/catalogs")
@public_endpoint(CATALOGS_REASON)
def catalogs_page() -> Response:
    """The three domain catalogs with their editions (patents first, as everywhere on the
    site), and what the categories mean."""
    catalogs = catalog_services.list_catalogs(ctx())
    return page(
        "public/catalogs.html",
        catalogs=sorted(catalogs, key=lambda c: DOMAINS.index(c["domain"])),
        categories=CATEGORIES,
        disclosures=DISCLOSURES,
    )


@bp.get("/catalogs/<domain>")
@public_endpoint(CATALOGS_REASON)
def catalog_page(domain: str) -> Response:
    """One domain's items, grouped by category (an unknown domain is a 404 page)."""
    catalog = catalog_services.get_catalog(ctx(), domain)
    return page(
        "public/catalog.html",
        catalog=catalog,
        categories=CATEGORIES,
        publicity=_publicity_texts(),
    )


@bp.get("/catalogs/<domain>/items/<code>")
@public_endpoint(CATALOGS_REASON)
def catalog_item_page(domain: str, code: str) -> Response:
    """Everything the catalog says about one item, its fields included."""
    return page(
        "public/catalog_item.html",
        catalog=catalog_services.get_catalog(ctx(), domain),
        item=catalog_services.get_item(ctx(), domain, code),
        publicity=_publicity_texts(),
        measures=ctx().catalogs.measures,
        grounds=ctx().list_rules.grounds,
        retention=period_text(ctx().catalogs.publicity.default_retention_months),
    )


def _publicity_texts() -> dict[str, str]:
    """How long items without a period of their own are published: a penalty by its
    severity under the bands in force today, a basic item not at all."""
    edition = ctx().catalogs.publicity.bands_for(ctx().today())
    general, severe = edition.bands["general"], edition.bands["severe"]
    return {
        "by_penalty": t(
            "public.catalog.publicity_by_penalty",
            general_min=period_text(general[0]),
            general_max=period_text(general[1]),
            severe_min=period_text(severe[0]),
            severe_max=period_text(severe[1]),
            basis=citation(edition.basis),
        ),
        "none": t("public.catalog.publicity_none"),
    }


# --- statistics -------------------------------------------------------------------------------

REPAIR_COUNTS = ("decided", "acceptance_in_time", "reviewed", "decision_in_time")


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


def _datasets(
    movements: list_statistics.ListMovements, turnaround: repair_statistics.RepairTurnaround
) -> dict[str, Dataset]:
    """The four published tables: the list by month and by district, repair turnaround by
    month of decision and by district."""
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
    )
    return {d.name: d for d in tables}


def _figures() -> tuple[
    list_statistics.ListMovements, repair_statistics.RepairTurnaround, dict[str, Dataset]
]:
    """Today's figures and the tables made of them: one day for both reads, so a request
    across midnight cannot mix two periods."""
    today = ctx().today()
    movements = list_statistics.list_movements(ctx(), today)
    turnaround = repair_statistics.repair_turnaround(ctx(), today)
    return movements, turnaround, _datasets(movements, turnaround)


@bp.get("/statistics")
@public_endpoint(STATISTICS_REASON)
def statistics_page() -> Response:
    """The list's monthly additions and removals (by reason) and repair turnaround against
    the legal deadlines, by month and by district, as charts with downloads."""
    movements, turnaround, datasets = _figures()
    return page(
        "public/statistics.html",
        movements=movements,
        turnaround=turnaround,
        datasets=datasets,
        list_rules=ctx().list_rules,
        repair_rules=ctx().repair_rules,
    )


@bp.get("/statistics/<dataset>.<any(csv, json):extension>")
@public_endpoint(STATISTICS_REASON)
def statistics_download(dataset: str, extension: str) -> Response:
    """One table of the statistics page: CSV (UTF-8 with BOM and a Chinese header, so
    Excel opens it) or JSON (machine codes), with the same numbers as the charts."""
    movements, _, datasets = _figures()
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

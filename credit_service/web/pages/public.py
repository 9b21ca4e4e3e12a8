"""Public pages (no sign-in): the home page, the severe-dishonesty list (search, entry)
and the credit-information catalogs; the transparency statistics and the list's notices
(with an entry's print view), on this blueprint, are in ``public_statistics`` and
``public_notices`` (which the app imports with this module).

Plain HTML forms and links: everything works without JavaScript and prints cleanly.
Views gather what a page shows from the same services as the API; every figure comes
from a domain function, so the pages and the downloads cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, Response, g, request

from credit_service.catalogs import services as catalog_services
from credit_service.catalogs.schema import CATEGORIES, DISCLOSURES, DOMAINS, LISTING_GROUNDS
from credit_service.dishonesty import public, public_search
from credit_service.dishonesty import statistics as list_statistics
from credit_service.errors import CreditServiceError
from credit_service.pagination import Page
from credit_service.web import cache
from credit_service.web.access import public as public_endpoint
from credit_service.web.i18n import translate as t
from credit_service.web.pages import text_size
from credit_service.web.pages.common import ctx, page
from credit_service.workdays import parse_period

bp = Blueprint("public_pages", __name__)
REASON = "the severe-dishonesty list is published to the public by law"
CATALOGS_REASON = "the catalogs are public information (what is collected, on what basis)"
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
    return same_for_everyone(_list_page)


def _list_page() -> Response:
    filters, values, errors = _filters()
    try:
        found = public_search.search(ctx(), filters, cursor=request.args.get("cursor"), limit=20)
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
    """One entry with its grounds, basis, decision and measures; after its removal, for
    the period the rules file sets, only that it was removed, when, why and by whom (D22)."""
    return same_for_everyone(lambda: _entry_page(entry_id))


def _entry_page(entry_id: int) -> Response:
    entry = public.get_entry(ctx(), entry_id)
    template = "public/removed.html" if entry["status"] == "removed" else "public/entry.html"
    return page(template, entry=entry, list_rules=ctx().list_rules)


def same_for_everyone(render: Callable[[], Response]) -> Response:
    """A list page for a visitor who is not signed in is the same for every such visitor,
    so it is rendered once per version of the list (and answered 304 when current); a
    signed-in user's page carries their name and menus and is rendered for them, and so
    is the page of a visitor who chose large text (its ``html`` says so)."""
    if not g.actor.is_anonymous or text_size.is_large():
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

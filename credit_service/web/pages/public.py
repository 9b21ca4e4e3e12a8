"""Public pages of the severe-dishonesty list: search, entry, removal notices (no sign-in).

Plain HTML forms and links: everything works without JavaScript and prints cleanly.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from credit_service.catalogs.schema import DOMAINS, LISTING_GROUNDS
from credit_service.dishonesty import public
from credit_service.errors import CreditServiceError
from credit_service.pagination import Page
from credit_service.web.access import public as public_endpoint

bp = Blueprint("public_pages", __name__)
REASON = "the severe-dishonesty list is published to the public by law"
FILTERS = ("q", "uscc", "region", "domain", "ground")


def _ctx():  # type: ignore[no-untyped-def]
    return current_app.extensions["credit_service"]


def _filters() -> tuple[public.Filters, dict[str, str], dict[str, list[str]]]:
    """The search form's values, keeping what the user typed and flagging what is wrong."""
    ctx = _ctx()
    values = {k: request.args.get(k, "").strip() for k in FILTERS}
    errors: dict[str, list[str]] = {}
    if values["uscc"] and len(values["uscc"]) != 18:
        errors["uscc"] = ["统一社会信用代码应为18位"]
    if values["region"] and values["region"] not in ctx.catalogs.region_codes:
        errors["region"] = ["请选择列表中的地区"]
    if values["domain"] and values["domain"] not in DOMAINS:
        errors["domain"] = ["请选择列表中的领域"]
    if values["ground"] and values["ground"] not in LISTING_GROUNDS:
        errors["ground"] = ["请选择列表中的情形"]
    usable = {k: (v or None) for k, v in values.items() if k not in errors}
    return public.Filters(**usable), values, errors


@bp.get("/")
@public_endpoint("the home page explains the list and credit repair to everyone")
def home() -> str:
    """What the list is, how to search it, and how credit repair works."""
    return render_template("public/home.html")


@bp.get("/list")
@public_endpoint(REASON)
def list_page() -> str:
    """Search the list; results as a table with a next-page link."""
    filters, values, errors = _filters()
    try:
        page = public.search(_ctx(), filters, cursor=request.args.get("cursor"), limit=20)
    except CreditServiceError:
        page, errors["cursor"] = Page([], None), ["翻页参数无效，请重新查询"]
    return render_template(
        "public/list.html",
        page=page,
        values=values,
        errors=errors,
        ctx=_ctx(),
        domains=DOMAINS,
        grounds=_ctx().list_rules.grounds,
    )


@bp.get("/list/<int:entry_id>")
@public_endpoint(REASON)
def entry_page(entry_id: int) -> str:
    """One entry with its grounds, basis, decision and measures."""
    return render_template("public/entry.html", entry=public.get_entry(_ctx(), entry_id))


@bp.get("/list/notices")
@public_endpoint(REASON)
def notices_page() -> str:
    """Recent additions and removals, with the reason for each removal."""
    feed = public.changes(_ctx(), since=request.args.get("since"), limit=100)
    return render_template("public/notices.html", feed=feed)

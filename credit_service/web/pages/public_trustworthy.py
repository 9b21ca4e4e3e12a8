"""The public trustworthy list's pages (守信信息公示): search by name, USCC and region, and
one page per entry with the honour, its catalog item, the awarding authority and
document, the date and the publicity period. On the public blueprint (the app imports
this module with ``public``); the words are in ``locales/zh/trustworthy.yaml``.
"""

from __future__ import annotations

from flask import Response, request

from credit_service.errors import CreditServiceError
from credit_service.pagination import Page
from credit_service.records import trustworthy
from credit_service.web.access import public as public_endpoint
from credit_service.web.api.trustworthy_list import REASON
from credit_service.web.i18n import translate as t
from credit_service.web.pages.common import ctx, page
from credit_service.web.pages.public import bp

FILTERS = ("q", "uscc", "region")


def _filters() -> tuple[trustworthy.Filters, dict[str, str], dict[str, list[str]]]:
    """The search form's values, keeping what the user typed and flagging what is wrong."""
    values = {k: request.args.get(k, "").strip() for k in FILTERS}
    errors: dict[str, list[str]] = {}
    if values["uscc"] and len(values["uscc"]) != 18:
        errors["uscc"] = [t("public.list.error.uscc")]
    if values["region"] and values["region"] not in ctx().catalogs.region_codes:
        errors["region"] = [t("public.list.error.choose")]
    usable = {k: (v or None) for k, v in values.items() if k not in errors}
    return trustworthy.Filters(**usable), values, errors


@bp.get("/trustworthy")
@public_endpoint(REASON)
def trustworthy_page() -> Response:
    """Search the trustworthy list; results as a table with a next-page link."""
    filters, values, errors = _filters()
    try:
        found = trustworthy.search(ctx(), filters, cursor=request.args.get("cursor"), limit=20)
    except CreditServiceError:
        found, errors["cursor"] = Page([], None), [t("public.list.error.cursor")]
    return page(
        "public/trustworthy.html",
        page=found,
        values=values,
        errors=errors,
        regions=[(r.code, r.name) for r in ctx().catalogs.regions],
    )


@bp.get("/trustworthy/<int:record_id>")
@public_endpoint(REASON)
def trustworthy_entry_page(record_id: int) -> Response:
    """One entry: the honour, its item and basis, who awarded it, with which document,
    when, and until when it is published (an ended or revoked entry is a 404 page)."""
    return page("public/trustworthy_entry.html", entry=trustworthy.get_entry(ctx(), record_id))

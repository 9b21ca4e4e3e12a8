"""The list's notices for the public (one stream of additions and removals, newest first,
as a page and an Atom feed for subscribers) and an entry's print view (on the public
pages' blueprint; the app imports this module with ``public``).

The Atom document is built with ElementTree, so every text is escaped: an entity's name
can hold anything its register held.
"""

from __future__ import annotations

from xml.etree import ElementTree  # nosec B405  # builds the feed, never parses input

from flask import Response, request, url_for

from credit_service.dishonesty import list_notices, public
from credit_service.errors import CreditServiceError
from credit_service.pagination import Page
from credit_service.web import cache
from credit_service.web.access import public as public_endpoint
from credit_service.web.i18n import translate as t
from credit_service.web.notice_text import with_text
from credit_service.web.pages.common import ctx, page
from credit_service.web.pages.public import REASON, bp, same_for_everyone

NOTICES_PER_PAGE = 20
FEED_ENTRIES = 50
ATOM = "http://www.w3.org/2005/Atom"
ATOM_TYPE = "application/atom+xml"


@bp.get("/list/notices")
@public_endpoint(REASON)
def notices_page() -> Response:
    """Addition and removal notices, newest first, each with its text, date, office and
    a link to its entry; a page of them at a time (the marks 异议处理中 are no notices)."""
    return same_for_everyone(_notices_page)


def _notices_page() -> Response:
    error = None
    try:
        found = list_notices.notices(
            ctx(), cursor=request.args.get("cursor"), limit=NOTICES_PER_PAGE
        )
    except CreditServiceError:
        found, error = Page([], None), t("public.list.error.cursor")
    return page(
        "public/notices.html",
        notices=with_text(found.items),
        next_cursor=found.next_cursor,
        first=not request.args.get("cursor"),
        error=error,
    )


@bp.get("/list/notices.atom")
@public_endpoint(REASON)
def notices_feed() -> Response:
    """The newest notices as an Atom 1.0 feed (RFC 4287) for feed readers."""
    return cache.answer(ctx(), _atom, ATOM_TYPE)


def _atom() -> bytes:
    items = with_text(list_notices.notices(ctx(), limit=FEED_ENTRIES).items)
    ElementTree.register_namespace("", ATOM)
    feed = ElementTree.Element(f"{{{ATOM}}}feed", {"xml:lang": "zh-CN"})
    page_url = url_for("public_pages.notices_page", _external=True)
    _text(feed, "id", page_url)
    _text(feed, "title", t("removals.atom.title"))
    _text(feed, "updated", max((i["at"] for i in items), default=None) or ctx().now())
    _link(feed, "self", url_for("public_pages.notices_feed", _external=True), ATOM_TYPE)
    _link(feed, "alternate", page_url, "text/html")
    author = ElementTree.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", ctx().list_rules.office_name)
    for item in items:
        entry = ElementTree.SubElement(feed, f"{{{ATOM}}}entry")
        _text(entry, "id", f"{page_url}#notice-{item['id']}")
        title = t(f"removals.atom.entry_title.{item['kind']}", name=item["name"])
        _text(entry, "title", title)
        _text(entry, "updated", item["at"])
        _text(entry, "published", item["at"])
        entry_url = url_for("public_pages.entry_page", entry_id=item["entry_id"], _external=True)
        _link(entry, "alternate", entry_url, "text/html")
        summary = _text(entry, "summary", item["text"])
        summary.set("type", "text")
    return ElementTree.tostring(feed, encoding="utf-8", xml_declaration=True)


def _text(parent: ElementTree.Element, name: str, value: object) -> ElementTree.Element:
    element = ElementTree.SubElement(parent, f"{{{ATOM}}}{name}")
    element.text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return element


def _link(parent: ElementTree.Element, rel: str, href: str, media_type: str) -> None:
    ElementTree.SubElement(
        parent, f"{{{ATOM}}}link", {"rel": rel, "href": href, "type": media_type}
    )


@bp.get("/list/<int:entry_id>/print")
@public_endpoint(REASON)
def entry_print(entry_id: int) -> Response:
    """An entry (or what its address says after its removal) on one printable page, with
    the print time in Beijing time and the entry's address: a printout says where and
    when it was taken. Rendered for each request (its time is its own)."""
    entry = public.get_entry(ctx(), entry_id)
    return page(
        "public/entry_print.html",
        entry=entry,
        list_rules=ctx().list_rules,
        printed_at=ctx().now(),
        source=url_for("public_pages.entry_page", entry_id=entry_id, _external=True),
    )

"""Large text for older readers (pages/text_size.py): the header's toggle keeps the choice
in a cookie, with no sign-in and no server session, and every audience's pages then carry
``large-text`` on their ``html`` (site.css scales the base font size by 125 %). A public
page cached for anonymous visitors is never served to one who chose large text, nor the
other way round."""

from __future__ import annotations

import re
from urllib.parse import urljoin

from credit_service.web.i18n import translate
from credit_service.web.pages.text_size import COOKIE
from tests.api.test_sessions import set_cookie_header
from tests.factories import create_entity
from tests.pages.test_console_pages import signed_in
from tests.pages.test_enterprise_pages import browser as enterprise_browser
from tests.pages.test_enterprise_pages import enterprise_account

HTML = {"Accept": "text/html"}
LARGE_HTML = re.compile(r'<html lang="zh-CN" class="large-text">')
TOGGLE = re.compile(r'<a href="([^"]+)" class="text-size">([^<]+)</a>')


def page(client, path: str) -> str:  # type: ignore[no-untyped-def]
    response = client.get(path, headers=HTML)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def toggle(html: str) -> tuple[str, str]:
    found = TOGGLE.search(html)
    assert found, "no text-size toggle in the header"
    return found.group(1).replace("&amp;", "&"), found.group(2)


def test_the_toggle_keeps_large_text_in_a_cookie_and_returns_to_the_page(client):
    html = page(client, "/list?q=星河")
    assert not LARGE_HTML.search(html)
    link, label = toggle(html)
    assert label == translate("a11y.text_size.large")

    assert link.startswith("?") and "list" not in link  # no path: see text_size_toggle
    response = client.get(urljoin("/list", link), headers=HTML)
    assert response.status_code == 303
    assert response.headers["Location"] == "/list?q=%E6%98%9F%E6%B2%B3"
    cookie = set_cookie_header(response, COOKIE)
    assert "large" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Max-Age=31536000" in cookie

    html = page(client, "/list?q=星河")
    assert LARGE_HTML.search(html)
    link, label = toggle(html)
    assert label == translate("a11y.text_size.standard")

    response = client.get(urljoin("/list", link), headers=HTML)
    assert response.status_code == 303
    assert client.get_cookie(COOKIE) is None
    assert not LARGE_HTML.search(page(client, "/list?q=星河"))


def test_a_cached_public_page_is_not_served_across_the_choice(client):
    """The anonymous copy of a public page is rendered once for everyone: the visitor who
    chose large text gets their own, and the standard copy stays standard."""
    standard = page(client, "/list")
    client.set_cookie(COOKIE, "large")
    assert LARGE_HTML.search(page(client, "/list"))
    client.delete_cookie(COOKIE)
    assert page(client, "/list") == standard


def test_large_text_on_enterprise_and_console_pages(app, ctx):
    owner = create_entity(ctx, name="宣城大字科技有限公司")
    for browser, paths in (
        (signed_in(app, ctx, "regulator"), ("/console", "/console/cases", "/account")),
        (enterprise_browser(app, enterprise_account(ctx, owner)), ("/enterprise", "/account")),
    ):
        browser.set_cookie(COOKIE, "large")
        for path in paths:
            assert LARGE_HTML.search(page(browser, path)), path
        browser.delete_cookie(COOKIE)
        assert not LARGE_HTML.search(page(browser, paths[0]))


def test_the_choice_returns_to_the_page_it_was_made_on(client):
    """The toggle is a query of the page itself: it cannot send anyone off the site."""
    response = client.get("/catalogs", query_string={"text-size": "large", "x": "1"})
    assert response.status_code == 303 and response.headers["Location"] == "/catalogs?x=1"
    assert client.get("/catalogs", query_string={"text-size": "huge"}).status_code == 200

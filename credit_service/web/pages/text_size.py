"""Large text for older readers: a choice kept in the visitor's own browser.

The choice is a cookie, not a server session: it needs no sign-in, holds nothing about
the person and works the same on public, enterprise and console pages. With it the page's
``html`` element carries ``large-text`` and site.css scales the base font size (125 %);
everything is sized in rem/em, so the whole page grows with it. A public page is cached
as the same for every anonymous visitor (public.same_for_everyone): a visitor who chose
large text gets the page rendered for them instead.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, has_request_context, redirect, request

from credit_service.web.pages.common import ctx

bp = Blueprint("text_size", __name__)

COOKIE = "cs_text_size"
PARAM = "text-size"  # the query parameter of the header's toggle
LARGE = "large"
STANDARD = "standard"
KEPT_FOR = 365 * 24 * 3600  # a year: a reading preference, renewed by each choice


def is_large() -> bool:
    """Whether this request's browser chose large text."""
    return request.cookies.get(COOKIE) == LARGE


@bp.app_context_processor
def text_size_toggle() -> dict[str, Any]:
    """What the header's toggle needs: the current choice and the link to the other,
    relative to the page itself (``?text-size=large``, the page's own query kept). The
    link holds no path: a page's address may hold what the page must not show (a
    person's ID in a console address). Nothing for a document rendered outside a
    request, e.g. by a job."""
    if not has_request_context():
        return {}
    large = is_large()
    kept = [(k, v) for k, v in request.args.items(multi=True) if k != PARAM]
    return {
        "large_text": large,
        "text_size_link": "?" + urlencode([*kept, (PARAM, STANDARD if large else LARGE)]),
    }


@bp.before_app_request
def chosen_here() -> Response | None:
    """A page asked with ``?text-size=…``: keep the choice in a cookie and show the same
    page again without it (303), whatever the page (it is checked as usual then)."""
    size = request.args.get(PARAM)
    if request.method != "GET" or size not in (LARGE, STANDARD):
        return None
    kept = [(k, v) for k, v in request.args.items(multi=True) if k != PARAM]
    response = redirect(request.path + ("?" + urlencode(kept) if kept else ""), 303)
    if size == LARGE:
        response.set_cookie(
            COOKIE,
            LARGE,
            max_age=KEPT_FOR,
            path="/",
            secure=ctx().settings.session_cookie_secure,
            httponly=True,
            samesite="Lax",
        )
    else:
        response.delete_cookie(COOKIE, path="/")
    return response

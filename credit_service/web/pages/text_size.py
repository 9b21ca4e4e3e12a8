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

from flask import Blueprint, Response, has_request_context, redirect, request, url_for

from credit_service.web.access import public as public_endpoint
from credit_service.web.pages.common import ctx
from credit_service.web.pages.forms import safe_next

bp = Blueprint("text_size", __name__)

COOKIE = "cs_text_size"
LARGE = "large"
STANDARD = "standard"
KEPT_FOR = 365 * 24 * 3600  # a year: a reading preference, renewed by each choice
REASON = "a reading preference kept in the visitor's own browser; reads and writes no data"


def is_large() -> bool:
    """Whether this request's browser chose large text."""
    return request.cookies.get(COOKIE) == LARGE


@bp.app_context_processor
def text_size_toggle() -> dict[str, Any]:
    """What the header's toggle needs: the current choice and the link to the other
    (nothing for a document rendered outside a request, e.g. by a job)."""
    if not has_request_context():
        return {}
    large = is_large()
    here = request.full_path.rstrip("?")
    return {
        "large_text": large,
        "text_size_link": url_for("text_size.choose", size=STANDARD if large else LARGE, next=here),
    }


@bp.get("/text-size/<any(large, standard):size>")
@public_endpoint(REASON)
def choose(size: str) -> Response:
    """Keep the chosen text size in a cookie and go back to the page it was chosen on."""
    response = redirect(safe_next(request.args.get("next"), url_for("public_pages.home")), 303)
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

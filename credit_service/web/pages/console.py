"""The regulator console (regulators, viewers and administrators, within their region).

Views call the same services as the API; they only gather what a page shows.
"""

from __future__ import annotations

from flask import Blueprint, Response, g

from credit_service.web.access import allow
from credit_service.web.pages.common import page

bp = Blueprint("console_pages", __name__, url_prefix="/console")
STAFF = ("admin", "regulator", "viewer")


@bp.get("")
@allow(*STAFF)
def dashboard() -> Response:
    """The console's first page."""
    return page("console/dashboard.html", actor=g.actor)

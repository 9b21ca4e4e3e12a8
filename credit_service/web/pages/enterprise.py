"""The enterprise portal: an enterprise's own records, list status and repair applications.

Views call the same services as the API; they only gather what a page shows.
"""

from __future__ import annotations

from flask import Blueprint, Response, g

from credit_service.web.access import allow
from credit_service.web.pages.common import page

bp = Blueprint("enterprise_pages", __name__, url_prefix="/enterprise")


@bp.get("")
@allow("enterprise")
def overview() -> Response:
    """The enterprise's own credit: records and list status."""
    return page("enterprise/overview.html", actor=g.actor)

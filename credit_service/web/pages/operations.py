"""The console's operational pages: the repair review queue, inspection plans, and the
health of provincial sync and scheduled jobs.

Views call the same services as the API; they only gather what a page shows.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("operations_pages", __name__, url_prefix="/console")

"""The API documentation page, served with local Swagger UI assets (no internet needed).

Our style sheet and script over Swagger UI (``static/docs/``) give its text 4.5:1
contrast and its controls names that match what they show, so the page passes the same
accessibility audit as every other (tests/browser/test_api_docs_page.py)."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template, send_from_directory
from swagger_ui_bundle import swagger_ui_path

from credit_service.web.access import public

bp = Blueprint("docs", __name__, url_prefix="/api/docs")
REASON = "the API documentation is public"


@bp.get("")
@public(REASON)
def docs_page() -> str:
    """The Swagger UI page for /api/openapi.json."""
    return render_template("api_docs.html")


@bp.get("/assets/<path:filename>")
@public(REASON)
def docs_asset(filename: str):  # type: ignore[no-untyped-def]
    """Swagger UI's own files, from the installed swagger-ui-bundle package."""
    return send_from_directory(swagger_ui_path, filename, max_age=86400)


def register(app: Flask) -> None:
    app.register_blueprint(bp)

"""Every page of the service is audited in Chromium (axe-core at desktop and 375 px among
the rest): the page routes of the app's url_map, less the API and the files below, must
each have been passed by ``check_page`` in one of the other browser tests of this run.
A new page route no browser test visits fails here.

It runs after every other browser test (tests/browser/conftest.py orders it last), and is
skipped, saying why, where some of them were left out of the run or failed: what they
would have audited is then unknown.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, RoutingException

from credit_service.bootstrap import build_context
from credit_service.web import BLUEPRINTS, create_app
from tests.browser.conftest import COVERAGE_MODULE, LEFT_OUT
from tests.browser.pages import AUDITED_PATHS
from tests.conftest import make_settings

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# GET routes that are not pages (what a page links to, each checked by its own tests),
# and a redirect.
NOT_PAGES = {
    "static": "the style sheet, scripts and images",
    "auth_pages.start": "a redirect to the caller's first page (which is audited)",
    "api-docs.openapi_json": "the OpenAPI document (JSON)",
    "docs.docs_asset": "Swagger UI's files",
    "public_pages.notices_feed": "the Atom feed of the notices",
    "public_pages.statistics_download": "the statistics as CSV or JSON",
    "console_pages.credit_report_pdf_console": "a credit report's PDF",
    "enterprise_pages.credit_report_pdf": "a credit report's PDF",
    "console_pages.objection_document": "an objection document's PDF",
    "enterprise_pages.objection_document": "an objection document's PDF",
    "console_pages.objection_evidence_file": "an uploaded evidence file",
    "enterprise_pages.objection_evidence_file": "an uploaded evidence file",
    "console_pages.import_report": "an import's row report as CSV",
    "console_pages.import_progress": "an import's progress as JSON (its page polls it)",
    "metrics.scrape": "Prometheus's text format, read by the scraper",
}
API = {bp.name for bp in BLUEPRINTS}  # /api/v1, /healthz, /readyz, /.well-known (JSON)


@pytest.fixture(scope="module")
def routes(tmp_path_factory) -> Map:  # type: ignore[no-untyped-def]
    """The app's url_map, which is the same over any database: built here over an empty
    one, so these tests run once, not once per database kind."""
    folder = tmp_path_factory.mktemp("routes")
    ctx = build_context(make_settings(f"sqlite:///{folder / 'routes.db'}", folder))
    try:
        return create_app(context=ctx).url_map
    finally:
        ctx.close()


def get_routes(routes: Map) -> set[str]:
    return {rule.endpoint for rule in routes.iter_rules() if "GET" in rule.methods}


def page_endpoints(routes: Map) -> set[str]:
    return {e for e in get_routes(routes) if e.split(".")[0] not in API and e not in NOT_PAGES}


def audited_endpoints(routes: Map) -> set[str]:
    """The endpoints of the paths ``check_page`` passed (a page answering a form is
    audited at the form's address: a GET page there counts, a POST-only one not)."""
    adapter = routes.bind("localhost")
    found = set()
    for path in AUDITED_PATHS:
        try:
            found.add(adapter.match(path, method="GET")[0])
        except (HTTPException, RoutingException):
            continue
    return found


def test_the_exclusions_are_routes_of_the_app(routes):
    """No stale entry: each exclusion names a GET route the app has."""
    assert set(NOT_PAGES) <= get_routes(routes), set(NOT_PAGES) - get_routes(routes)
    assert "public_pages.home" in page_endpoints(routes)
    assert not page_endpoints(routes) & API


def test_every_page_route_is_audited_by_a_browser_test(routes, request, chromium_paths):
    """Runs last; ``AUDITED_PATHS`` holds what the browser tests before it audited."""
    session, folder = request.session, Path(__file__).parent
    run = {item.path.name for item in session.items if item.path.parent == folder}
    modules = {path.name for path in folder.glob("test_*.py")}
    if (
        request.config.stash.get(LEFT_OUT, False)
        or run != modules
        or any("::" in arg for arg in request.config.args)
    ):
        pytest.skip("only where every browser test runs (here some were left out)")
    if session.testsfailed:
        pytest.skip(f"{session.testsfailed} tests failed: what they would have audited is unknown")
    assert COVERAGE_MODULE in modules
    missing = page_endpoints(routes) - audited_endpoints(routes)
    assert not missing, f"pages no browser test passes through check_page: {sorted(missing)}"

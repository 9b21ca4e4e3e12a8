"""The console's CSV imports: upload a file of records (双公示 current or older layout,
or ours) or of entities, and read what the import did, with its row report (line,
column, reason) as a table and as a CSV to download.

Views on the console blueprint (``console.bp``); the app imports this module before
registering it. They call the importers the API's import endpoints call, with the same
roles, and the importers audit what they write, batch by batch. The import runs while
the request waits (as on the API), so the page shows its result when the file is in.

The report to download is kept for a day as a private file (``files.write_private``)
under a random name, for the account that imported only: a report may name the
identifiers of the rows it refused.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask import Response, g, request, url_for

from credit_service import files
from credit_service.entities import importer as entity_importer
from credit_service.errors import InvalidInput, NotFound
from credit_service.records import importer as record_importer
from credit_service.web.access import allow
from credit_service.web.api.common import accepts, csv_response, uploaded_csv
from credit_service.web.i18n import translate
from credit_service.web.pages.auth import FORM_TYPES
from credit_service.web.pages.common import ctx, messages_of, page
from credit_service.web.pages.console import ACTORS, bp

IMPORTERS = {
    "records": record_importer.import_records,
    "entities": entity_importer.import_entities,
}
REPORTS_FOLDER = "import-reports"
REPORT_NAME = re.compile(r"[A-Za-z0-9_-]{16,64}")
KEEP_SECONDS = 86_400
REPORT_COLUMNS = ("line", "column", "reason", "code")


@bp.route("/imports", methods=["GET", "POST"])
@allow(*ACTORS)
@accepts(*FORM_TYPES)
def imports() -> Response:
    """The upload form; posted, the import's counts and its row report."""
    if request.method == "GET":
        return page("console/imports.html", kind="records", report=None, errors={})
    kind = request.form.get("kind", "")
    errors: dict[str, str] = {}
    if kind not in IMPORTERS:
        errors["kind"] = translate("admin_data.imports.invalid.kind")
    if not request.files.get("file") or not request.files["file"].filename:
        errors["file"] = translate("admin_data.imports.invalid.file")
    if errors:
        return page("console/imports.html", 422, kind=kind, report=None, errors=errors)
    try:
        report = IMPORTERS[kind](ctx(), g.actor, uploaded_csv()).as_dict()
    except InvalidInput as exc:  # not UTF-8 text, a header that is not ours
        entries = [e for v in (exc.errors or {}).values() for e in v] or [exc.code]
        errors = {"file": "；".join(messages_of(entries))}
        return page("console/imports.html", 422, kind=kind, report=None, errors=errors)
    name = _keep(report)
    return page(
        "console/imports.html",
        kind=kind,
        report=report,
        rows=list(_rows(report)),
        download=url_for(".import_report", name=name),
        errors={},
    )


@bp.get("/imports/<string:name>.csv")
@allow(*ACTORS)
def import_report(name: str) -> Response:
    """The row report of an import this account made in the last day, as CSV."""
    path = _folder() / f"{name}.json"
    if not REPORT_NAME.fullmatch(name) or not path.is_file():
        raise NotFound("not-found")
    kept = json.loads(path.read_text(encoding="utf-8"))
    if kept["owner"] != g.actor.username:
        raise NotFound("not-found")
    header = [translate(f"admin_data.imports.col.{key}") for key in REPORT_COLUMNS]
    return csv_response(f"import-report-{name[:8]}.csv", header, _rows(kept["report"]))


def _rows(report: dict[str, Any]) -> Iterator[list[Any]]:
    """Each refused row's line, column and reason in words, and the reason's code."""
    for error in report["errors"]:
        entry = {"code": error["reason"], **error["params"]}
        yield [error["line"], error["column"] or "", messages_of([entry])[0], error["reason"]]


def _folder() -> Path:
    return ctx().settings.data_dir / REPORTS_FOLDER


def _keep(report: dict[str, Any]) -> str:
    """Keep the report for its download (the reports older than a day go)."""
    folder = files.private_dir(_folder())
    now = ctx().now().timestamp()
    for old in folder.glob("*.json"):
        if now - old.stat().st_mtime > KEEP_SECONDS:
            old.unlink(missing_ok=True)
    name = secrets.token_urlsafe(24)
    kept = {"owner": g.actor.username, "report": report}
    files.write_private(
        folder / f"{name}.json", json.dumps(kept, ensure_ascii=False, default=str).encode()
    )
    return name

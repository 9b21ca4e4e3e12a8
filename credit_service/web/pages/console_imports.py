"""The console's CSV imports: upload a file of records (双公示 current or older layout,
or ours) or of entities, follow the import's progress, and read its row report (line,
column, reason) as a table and as a CSV to download.

Views on the console blueprint (``console.bp``); the app imports this module before
registering it. The roles are those of the API's import endpoints. The upload only keeps
the file and queues the import (``jobs.import_queue``), then sends the browser to the
import's page: the scheduler runs it (the ``imports.run`` job), reporting after each
committed batch. The page shows a progress bar that a small script updates from
``…/progress`` (JSON) and that refreshes itself without JavaScript, then the report.
An officer sees the imports of their region scope; an administrator sees all.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Response, g, jsonify, redirect, request, url_for
from markupsafe import Markup, escape

from credit_service.errors import InvalidInput, NotFound, read_stored
from credit_service.jobs import import_queue
from credit_service.web.access import allow
from credit_service.web.api.common import accepts, csv_response
from credit_service.web.i18n import translate
from credit_service.web.pages.auth import FORM_TYPES
from credit_service.web.pages.common import ctx, messages_of, page
from credit_service.web.pages.console import ACTORS, bp

REPORT_COLUMNS = ("line", "column", "reason", "code")
FINISHED = frozenset({"done", "failed"})
REFRESH_SECONDS = 5  # the page's own refresh while the import waits or runs
COLUMNS_MARK = "\x00columns\x00"  # where an error's quoted column names go in its words


@bp.route("/imports", methods=["GET", "POST"])
@allow(*ACTORS)
@accepts(*FORM_TYPES)
def imports() -> Response:
    """The upload form and the recent imports; posted, the import is queued and the
    browser goes to its page."""
    if request.method == "GET":
        return _form("records", {})
    kind = request.form.get("kind", "")
    upload = request.files.get("file")
    errors: dict[str, str] = {}
    if kind not in import_queue.KINDS:
        errors["kind"] = translate("admin_data.imports.invalid.kind")
    if upload is None or not upload.filename:
        errors["file"] = translate("admin_data.imports.invalid.file")
    if errors or upload is None:
        return _form(kind, errors, 422)
    try:
        job = import_queue.queue_import(
            ctx(), g.actor, kind=kind, file_name=upload.filename or "", data=upload.read()
        )
    except InvalidInput as exc:  # not UTF-8 text
        entries = [e for v in (exc.errors or {}).values() for e in v] or [exc.code]
        return _form(kind, {"file": "；".join(messages_of(entries))}, 422)
    return redirect(url_for(".import_job", job_id=job["id"]), code=303)


def _form(kind: str, errors: dict[str, str], status: int = 200) -> Response:
    jobs = import_queue.recent_jobs(ctx(), g.actor)
    return page(
        "console/imports.html",
        status,
        kind=kind,
        errors=errors,
        jobs=[{**job, "progress": progress_of(job)} for job in jobs],
    )


@bp.get("/imports/<int:job_id>")
@allow(*ACTORS)
def import_job(job_id: int) -> Response:
    """An import: its file, who and when, its progress, then its counts and row report,
    or why it failed and what it had committed."""
    job = import_queue.get_job(ctx(), g.actor, job_id)
    report = job["report"]
    return page(
        "console/import_job.html",
        job=job,
        progress=progress_of(job),
        report=report,
        rows=list(_rows(report)) if report else [],
        failure=_failure(job["error"]),
        refresh=None if job["state"] in FINISHED else REFRESH_SECONDS,
        batch=f"{ctx().settings.import_batch_size:,}",
        kept=f"{job['rows_processed']:,}",
    )


@bp.get("/imports/<int:job_id>/progress")
@allow(*ACTORS)
def import_progress(job_id: int) -> Response:
    """The import's progress, for the script of its page (JSON)."""
    response = jsonify(progress_of(import_queue.get_job(ctx(), g.actor, job_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/imports/<int:job_id>/report.csv")
@allow(*ACTORS)
def import_report(job_id: int) -> Response:
    """The row report of an import that has ended, as CSV: line, column, the reason in
    words and its code."""
    job = import_queue.get_job(ctx(), g.actor, job_id)
    if not job["report"]:
        raise NotFound("not-found")
    header = [translate(f"admin_data.imports.col.{key}") for key in REPORT_COLUMNS]
    return csv_response(f"import-report-{job_id}.csv", header, _rows(job["report"]))


def progress_of(job: dict[str, Any]) -> dict[str, Any]:
    """What the progress bar shows: rows processed of the total (thousands separated),
    accepted and refused so far, the state in words, and whether it has ended."""
    total, done = job["rows_total"], job["rows_processed"]
    return {
        "state": job["state"],
        "state_text": translate(f"admin_data.imports.state.{job['state']}"),
        "finished": job["state"] in FINISHED,
        "rows_total": total,
        "rows_processed": done,
        "rows_accepted": job["rows_accepted"],
        "rows_rejected": job["rows_rejected"],
        "text": translate("admin_data.imports.progress_text", done=f"{done:,}", total=f"{total:,}"),
    }


def _rows(report: dict[str, Any]) -> Iterator[list[Any]]:
    """Each refused row's line, column and reason in words, and the reason's code."""
    for error in report["errors"]:
        entry = {"code": error["reason"], **error["params"]}
        yield [error["line"], error["column"] or "", messages_of([entry])[0], error["reason"]]


def _failure(error: str | None) -> list[Markup]:
    """Why an import failed, in words: the error, then each of its field errors (the
    header's unknown and missing columns)."""
    record = read_stored(error)
    if record is None:
        return []
    fields = record.get("errors") or {}
    entries = [e for v in fields.values() for e in (v if isinstance(v, list) else [v])]
    return [_said(e) for e in ({k: v for k, v in record.items() if k != "errors"}, *entries)]


def _said(entry: Any) -> Markup:
    """One error in words, escaped, with the column names it quotes from the file marked
    as the file's own (``translate="no"``): they are no words of ours."""
    if not isinstance(entry, dict) or "columns" not in entry:
        return escape(messages_of([entry])[0])
    words = escape(messages_of([{**entry, "columns": COLUMNS_MARK}])[0])
    quoted = Markup('<span translate="no">{}</span>').format(entry["columns"])
    return words.replace(COLUMNS_MARK, quoted)  # Markup's replace: the rest stays escaped

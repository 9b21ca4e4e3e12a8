"""Running the console's queued CSV imports: the scheduler's ``imports.run`` job.

The queue (``jobs.import_queue``) knows no importer; this table of the importers by kind
does, and it is the one place that joins the two. Each import runs with its uploader's
account, tells its progress after each committed batch, and ends done with its report
or failed with an error's code and params: the importer's own (a header that is not
ours), the uploader's account changed, or ``import-failed`` for anything else (logged in
full for the operator; the page shows no traceback). Batches committed before a failure
stay, and the report kept is theirs.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from typing import Any

from credit_service.context import Context
from credit_service.entities import importer as entity_importer
from credit_service.errors import CreditServiceError
from credit_service.imports import ImportReport
from credit_service.jobs import import_queue
from credit_service.records import importer as record_importer

logger = logging.getLogger(__name__)

Importer = Callable[..., ImportReport]  # (ctx, actor, stream, *, on_batch=...)
IMPORTERS: dict[str, Importer] = {
    "records": record_importer.import_records,
    "entities": entity_importer.import_entities,
}


def run_queued(ctx: Context) -> dict[str, int]:
    """Close the imports a dead process left running, then run every queued import,
    oldest first; returns how many ended in each state (and were closed)."""
    outcomes: Counter[str] = Counter()
    if interrupted := import_queue.close_interrupted(ctx):
        outcomes["interrupted"] = interrupted
    while (job := import_queue.claim_next(ctx)) is not None:
        outcomes[run_import(ctx, job)] += 1
    return dict(outcomes)


def run_import(ctx: Context, job: dict[str, Any]) -> str:
    """Run one claimed import to its end: 'done' or 'failed'."""
    committed = ImportReport().as_dict()

    def batch_done(report: ImportReport) -> None:
        nonlocal committed
        committed = report.as_dict()
        import_queue.record_progress(ctx, job["id"], report)

    try:
        actor = import_queue.uploader(ctx, job)
        with open(import_queue.stored_file(ctx, job), encoding="utf-8-sig", newline="") as stream:
            report = IMPORTERS[job["kind"]](ctx, actor, stream, on_batch=batch_done)
    except CreditServiceError as exc:
        import_queue.finish(ctx, job, committed, exc.as_record())
        return "failed"
    except Exception:  # a defect or the database: logged whole, shown as a code
        logger.exception("import %s failed", job["id"])
        import_queue.finish(ctx, job, committed, {"code": "import-failed"})
        return "failed"
    import_queue.finish(ctx, job, report.as_dict(), None)
    return "done"

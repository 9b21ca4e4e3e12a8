"""The dry-run reports: one JSON file a day under DATA_DIR/retention (``<day>.json``),
what was past retention that day, by kind, as ids only: never a name, a resident ID or
any other content of what it lists (the file is kept after what it lists is gone).

A purge acts only on what a report written at least RETENTION_GRACE_DAYS earlier listed
(``standing``): the days between are the operator's time to read it, and to stop the
purge (RETENTION_PURGE=false) or put a hold on what must stay.
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from credit_service.context import Context
from credit_service.files import write_private
from credit_service.retention.plan import HOLDS, KINDS, Plan


def folder(ctx: Context) -> Path:
    return ctx.settings.data_dir / "retention"


def content(plan: Plan, *, generated_at: datetime, written_on: date, purge: bool) -> dict[str, Any]:
    """The report of ``plan``: per kind its count and ids, the held records per reason,
    what the audit purge (its own job) will delete, and the outbox events and job runs
    past their retention (their counts and the newest event's id, not every id: a
    province's outbox passes millions)."""
    return {
        "day": plan.on.isoformat(),
        "generated_at": generated_at.isoformat(),
        "written_on": written_on.isoformat(),
        "purge_enabled": purge,
        "past_retention": {k: {"count": len(plan.due[k]), "ids": plan.due[k]} for k in KINDS},
        "held_records": {r: {"count": len(plan.held[r]), "ids": plan.held[r]} for r in HOLDS},
        "audit_trail": {
            "retention_days": plan.audit.retention_days,
            "rows": plan.audit.rows,
            "through_seq": plan.audit.through_seq,
            "purged_by": "audit.purge",
        },
        "outbox": {
            "retention_days": plan.outbox.retention_days,
            "rows": plan.outbox.rows,
            "through_id": plan.outbox.through_id,
        },
        "job_runs": {"rows": plan.job_runs},
    }


def write(ctx: Context, report: dict[str, Any]) -> Path:
    """Keep ``report`` as ``<day>.json`` (0600), replacing that day's earlier one whole: a
    reader never finds half a file."""
    path = folder(ctx) / f"{report['day']}.json"
    partial = path.with_name(f".{path.name}.partial")
    write_private(partial, json.dumps(report, ensure_ascii=False, indent=1).encode("utf-8"))
    os.replace(partial, path)
    return path


def standing(ctx: Context, today: date, grace_days: int) -> dict[str, Any] | None:
    """The report a purge on ``today`` acts on: the newest written at least
    ``grace_days`` days before (by the day it was written, whatever day it judged: a
    report asked for an earlier day today is no older for that), about a day not after
    ``today``. None when there is none yet."""
    latest = today - timedelta(days=grace_days)
    for path in sorted(folder(ctx).glob("????-??-??.json"), reverse=True):
        if path.stem > today.isoformat():
            continue
        report = json.loads(path.read_text(encoding="utf-8"))
        if date.fromisoformat(report["written_on"]) <= latest:
            return report
    return None


def listed(report: dict[str, Any]) -> dict[str, set[int]]:
    """The ids a report listed as past retention, per kind."""
    return {kind: set(report["past_retention"][kind]["ids"]) for kind in KINDS}


def outbox_through(report: dict[str, Any]) -> int | None:
    """The newest outbox event a report listed as past retention (None: none, or a
    report written before outbox retention)."""
    through: int | None = report.get("outbox", {}).get("through_id")
    return through

"""flask retention report | purge: the operator's dry run, and the purge by hand."""

from __future__ import annotations

import json
from datetime import timedelta

from credit_service.clock import local_noon
from credit_service.records.models import CreditRecord
from credit_service.retention import reports
from tests.factories import create_entity, file_penalty

DAY = timedelta(days=1)


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=["retention", *args])


def a_record(ctx):
    record = file_penalty(ctx, create_entity(ctx)["identifier"], CF_JDRQ="2026-03-15")
    return record, record["retention_end"]


def present(ctx, record_id: int) -> bool:
    with ctx.session_factory() as session:
        return session.get(CreditRecord, record_id) is not None


def test_report_writes_the_days_file_and_prints_its_counts(app, ctx):
    record, end = a_record(ctx)

    result = run(app, "report", "--on", str(end + DAY))

    assert result.exit_code == 0, result.output
    assert "records: 1" in result.stdout and "audit rows" in result.stdout
    written = json.loads((reports.folder(ctx) / f"{end + DAY}.json").read_text("utf-8"))
    assert written["past_retention"]["records"]["ids"] == [record["id"]]
    assert present(ctx, record["id"])


def test_purge_needs_confirm_never_a_later_day_and_keeps_the_grace(app, ctx, clock):
    record, end = a_record(ctx)
    clock.set(local_noon(end + DAY))
    assert run(app, "report").exit_code == 0

    unconfirmed = run(app, "purge")
    assert unconfirmed.exit_code == 2 and "--confirm" in unconfirmed.output
    too_soon = run(app, "purge", "--confirm")
    assert too_soon.exit_code == 0 and "nothing purged" in too_soon.stdout
    assert present(ctx, record["id"])

    clock.set(local_noon(end + 8 * DAY))
    later = run(app, "purge", "--confirm", "--on", str(end + 9 * DAY))
    assert later.exit_code == 1 and "today or on an earlier day" in later.output
    assert present(ctx, record["id"])

    done = run(app, "purge", "--confirm")
    assert done.exit_code == 0, done.output
    assert f"report of {end + DAY}" in done.stdout and "purged records: 1" in done.stdout
    assert not present(ctx, record["id"])

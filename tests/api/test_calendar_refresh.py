"""A web worker reads a holiday year file added while it runs (within a minute, no
restart), and keeps the calendar it has when the new file is invalid."""

from __future__ import annotations

import dataclasses
import logging
import shutil

from credit_service import calendar_refresh
from credit_service.config import PROJECT_ROOT
from credit_service.workdays import WorkdayCalendar

FIXTURE_2027 = PROJECT_ROOT / "tests" / "fixtures" / "holidays" / "2027.yaml"


def test_a_worker_reads_a_year_file_added_while_it_runs(ctx, client, tmp_path, monkeypatch, caplog):
    holidays = tmp_path / "catalogs" / "holidays"
    holidays.mkdir(parents=True)
    ctx.settings = dataclasses.replace(ctx.settings, catalogs_dir=holidays.parent)
    ctx.calendar = WorkdayCalendar(holidays)  # read at start: no 2027 yet
    client.get("/healthz")  # the first request looks at the folder
    started = ctx.calendar

    shutil.copy(FIXTURE_2027, holidays / "2027.yaml")
    client.get("/healthz")
    assert ctx.calendar is started  # looked at less than a minute ago: not again yet

    monkeypatch.setattr(calendar_refresh, "CALENDAR_CHECK_S", 0.0)  # a minute later
    client.get("/healthz")
    assert ctx.calendar is not started and ctx.calendar.is_known_year(2027)

    with_2027 = ctx.calendar
    (holidays / "2028.yaml").write_text("year: 2028\nholidays: []\n", encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="credit_service.calendar_refresh"):
        assert client.get("/healthz").status_code == 200
        assert client.get("/healthz").status_code == 200
    assert ctx.calendar is with_2027  # the invalid file changes nothing
    refusals = [r for r in caplog.records if "2028.yaml" in r.getMessage()]
    assert len(refusals) == 1  # logged once, not on every request

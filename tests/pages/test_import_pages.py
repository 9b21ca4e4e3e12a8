"""The console's CSV imports through the Flask test client, on both databases: the upload
queues the import and goes to its page at once; the page shows a labelled progress bar,
polls its progress (JSON) with a script and refreshes itself without one; once the job
runner has run the import, the page shows the counts and the row report (line, column,
reason in Chinese) and the report downloads as CSV. A failed import says why, in words,
and what it kept. Who may open each of these and who may not: the officers of the
import's region scope and the administrators."""

from __future__ import annotations

import csv
import io
import re

import pytest

from credit_service import import_runs
from tests.factories import (
    CITY,
    LANGXI,
    PENALTY_ITEM,
    XUANZHOU,
    bearer_for,
    create_entity,
    penalty_fields,
    unique_uscc,
)
from tests.pages.test_admin_data_pages import actions, records_of, send
from tests.pages.test_console_pages import BROWSER, get, html_of, signed_in

JOB = re.compile(r"/console/imports/(\d+)$")
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_of(rows: list[dict]) -> bytes:
    names = list(dict.fromkeys(k for row in rows for k in row))
    lines = [",".join(names)] + [",".join(str(row.get(n, "")) for n in names) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def penalties(ctx) -> bytes:  # type: ignore[no-untyped-def]
    """Two penalty rows of a Xuanzhou entity: the second's decision date does not exist."""
    owner = create_entity(ctx, region_code=XUANZHOU)
    good = {"entity": owner["identifier"], "item_code": PENALTY_ITEM, **penalty_fields()}
    good["CF_CFLB"] = "罚款"
    bad = {**good, "CF_WSH": "宣市监知罚〔2026〕9999号", "CF_JDRQ": "2026-02-30"}
    return csv_of([good, bad])


def upload(browser, data: bytes, kind: str = "records", name: str = "records.csv") -> int:  # type: ignore[no-untyped-def]
    """Post the form; it answers at once with the way to the import's page."""
    response = send(browser, "/console/imports", {"kind": kind, "file": (io.BytesIO(data), name)})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    found = JOB.search(response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


def progress(client, job_id: int, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return client.get(
        f"/console/imports/{job_id}/progress",
        headers={"Accept": "application/json", **(headers or {})},
    )


def test_an_upload_queues_the_import_and_its_page_follows_it_to_the_row_report(app, ctx):
    browser = signed_in(app, ctx, "regulator", XUANZHOU)
    assert 'enctype="multipart/form-data"' in get(browser, "/console/imports")
    job_id = upload(browser, penalties(ctx))
    assert records_of(ctx) == 0  # not imported in the request
    assert actions(ctx, "import.queue")[-1].object_id == str(job_id)

    waiting = get(browser, f"/console/imports/{job_id}")
    assert '<label for="progress-bar">导入进度</label>' in waiting
    assert re.search(r'<progress id="progress-bar" max="2" value="0"[^>]*>已处理 0 / 2 行', waiting)
    assert '<p id="progress-text" role="status">已处理 0 / 2 行</p>' in waiting
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in waiting
    assert f'data-progress-url="/console/imports/{job_id}/progress"' in waiting
    assert "/static/js/import-progress.js" in waiting and "排队等候" in waiting
    assert 'id="row-report"' not in waiting
    polled = progress(browser, job_id)
    assert polled.status_code == 200 and polled.headers["Cache-Control"] == "no-store"
    assert polled.get_json() == {
        "state": "queued",
        "state_text": "排队等候",
        "finished": False,
        "rows_total": 2,
        "rows_processed": 0,
        "rows_accepted": 0,
        "rows_rejected": 0,
        "text": "已处理 0 / 2 行",
    }
    listed = get(browser, "/console/imports")
    assert f'href="/console/imports/{job_id}"' in listed and "records.csv" in listed

    assert import_runs.run_queued(ctx) == {"done": 1}

    assert progress(browser, job_id).get_json()["finished"] is True
    html = get(browser, f"/console/imports/{job_id}")
    assert "http-equiv" not in html and "import-progress.js" not in html
    assert '<p id="progress-text" role="status">已处理 2 / 2 行</p>' in html
    assert "共2行，其中1行未导入" in html and 'id="row-report"' in html
    row = re.search(
        r'<td data-label="行号">(\d+)</td>\s*<td[^>]*><span translate="no">(\w+)</span>', html
    )
    assert row and row.groups() == ("3", "CF_JDRQ")
    assert records_of(ctx) == 1 and actions(ctx, "record.import")
    link = f"/console/imports/{job_id}/report.csv"
    assert f'href="{link}"' in html
    report = browser.get(link)
    assert report.status_code == 200 and report.mimetype == "text/csv"
    lines = report.get_data(as_text=True).lstrip("\ufeff").strip().splitlines()
    assert lines[0] == "行号,列,原因,原因代码" and lines[1].startswith("3,CF_JDRQ,")
    cells = [cell for line in csv.reader(lines) for cell in line]
    assert not [c for c in cells if c.startswith(TRIGGERS)]


def test_progress_counts_thousands_with_separators(app, ctx):
    ctx.settings = ctx.settings.replace(import_batch_size=1_000)
    browser = signed_in(app, ctx, "admin")
    header = "kind,identifier,name,region_code\n"
    job_id = upload(browser, (header + "x,y,z,w\n" * 1_200).encode(), "entities")
    assert progress(browser, job_id).get_json()["text"] == "已处理 0 / 1,200 行"
    import_runs.run_queued(ctx)
    assert progress(browser, job_id).get_json()["text"] == "已处理 1,200 / 1,200 行"
    assert "行数" in get(browser, f"/console/imports/{job_id}")


def test_an_upload_without_a_file_or_a_kind_or_in_another_encoding_is_a_field_error(app, ctx):
    browser = signed_in(app, ctx, "admin")
    html = html_of(send(browser, "/console/imports", {"kind": "records"}), 422)
    assert 'id="f-file-error"' in html and "请选择要上传的 CSV 文件" in html
    upload_ = (io.BytesIO(b"a,b\n1,2\n"), "x.csv")
    wrong = html_of(send(browser, "/console/imports", {"kind": "cats", "file": upload_}), 422)
    assert 'id="f-kind-error"' in wrong
    gbk = (io.BytesIO("主体,名称\n甲,乙\n".encode("gbk")), "x.csv")
    refused = html_of(send(browser, "/console/imports", {"kind": "records", "file": gbk}), 422)
    assert 'id="f-file-error"' in refused and "UTF-8" in refused
    assert actions(ctx, "import.queue") == [] and "尚无导入" in refused


def test_a_failed_import_says_why_in_words_and_what_it_kept(app, ctx):
    browser = signed_in(app, ctx, "admin")
    job_id = upload(browser, b"nonsense,<b>x</b>\n1,2\n")

    assert import_runs.run_queued(ctx) == {"failed": 1}

    html = get(browser, f"/console/imports/{job_id}")
    assert "导入未完成" in html and "表头不符合导入格式" in html
    assert '未知的列：<span translate="no">nonsense, &lt;b&gt;x&lt;/b&gt;</span>' in html
    assert "出错前已提交的批次（共处理0行）已经写入" in html
    assert "Traceback" not in html and "header-mismatch" not in html
    assert progress(browser, job_id).get_json()["state"] == "failed"
    assert records_of(ctx) == 0
    assert browser.get(f"/console/imports/{job_id}/report.csv").status_code == 200


def test_the_report_of_an_import_not_yet_run_is_not_there(app, ctx):
    browser = signed_in(app, ctx, "admin")
    job_id = upload(browser, penalties(ctx))
    assert get(browser, f"/console/imports/{job_id}/report.csv", status=404)


# --- who may ----------------------------------------------------------------------------------


def test_the_officers_of_the_imports_region_scope_and_administrators_follow_it(app, client, ctx):
    job_id = upload(signed_in(app, ctx, "regulator", XUANZHOU), penalties(ctx))
    import_runs.run_queued(ctx)
    pages = (f"/console/imports/{job_id}", f"/console/imports/{job_id}/report.csv")
    for headers in (
        bearer_for(ctx, "regulator", region=XUANZHOU),  # another officer of the county
        bearer_for(ctx, "regulator", region=CITY),
        bearer_for(ctx, "admin"),
    ):
        for path in pages:
            assert client.get(path, headers={**BROWSER, **headers}).status_code == 200, path
        assert progress(client, job_id, headers).status_code == 200
        assert f'href="/console/imports/{job_id}"' in get(client, "/console/imports", headers)

    langxi = bearer_for(ctx, "regulator", region=LANGXI)
    for path in pages:
        assert "无权访问" in get(client, path, langxi, 403)
    refused = progress(client, job_id, langxi)
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert refused.get_json()["code"] == "region-scope"
    assert f"/console/imports/{job_id}" not in get(client, "/console/imports", langxi)


def test_an_administrators_import_is_for_administrators(app, client, ctx):
    job_id = upload(signed_in(app, ctx, "admin"), penalties(ctx))
    city = bearer_for(ctx, "regulator", region=CITY)
    assert get(client, f"/console/imports/{job_id}", city, 403)
    html = get(client, f"/console/imports/{job_id}", bearer_for(ctx, "admin"))
    assert "全部地区（系统管理员上传）" in html


@pytest.mark.parametrize("role", ["viewer", "auditor", "checker", "enterprise"])
def test_only_officers_import_and_follow_imports(app, client, ctx, role):
    job_id = upload(signed_in(app, ctx, "admin"), penalties(ctx))
    headers = bearer_for(
        ctx,
        role,
        region=CITY if role == "viewer" else None,
        uscc=unique_uscc() if role == "enterprise" else None,
    )
    for path in (
        "/console/imports",
        f"/console/imports/{job_id}",
        f"/console/imports/{job_id}/report.csv",
    ):
        assert client.get(path, headers={**BROWSER, **headers}).status_code == 403, path
    assert progress(client, job_id, headers).status_code == 403
    assert progress(client, job_id).status_code == 401  # signed out

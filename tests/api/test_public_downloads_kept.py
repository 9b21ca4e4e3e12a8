"""The public list's full downloads are written once per version of the list and then
sent from their file (``web/kept_downloads.py``): the same bytes without rendering the
entries again, a new file after a removal or a rename (the old one deleted), one file
per set of validated arguments, and no more than ``KEEP_PER_VERSION`` of them."""

from __future__ import annotations

import json
from datetime import date

import pytest
from flask import request

from credit_service.access import SYSTEM
from credit_service.backup.archive import LeftOut
from credit_service.dishonesty import public
from credit_service.entities import services as entity_services
from credit_service.files import DOWNLOADS_FOLDER, private_dir
from credit_service.records import services as record_services
from credit_service.web import kept_downloads
from tests.factories import LANGXI, XUANZHOU, listed_on

LIST = "/api/v1/public/dishonesty-list"
DOWNLOADS = (f"{LIST}/export.csv", f"{LIST}/export.json", f"{LIST}/export.ftm.jsonl")


@pytest.fixture
def listed(ctx):  # type: ignore[no-untyped-def]
    star = listed_on(ctx, "宣城星河光电科技有限公司", XUANZHOU, date(2026, 10, 12))
    agency = listed_on(ctx, "郎溪远山商标代理有限公司", LANGXI, date(2026, 10, 19))
    return {"star": star, "agency": agency}


@pytest.fixture
def renders(monkeypatch):  # type: ignore[no-untyped-def]
    """How many times the entries were read for a download (the real reads, counted when
    they start: a download sent from its file builds its stream but never starts it)."""
    calls: list[public.Filters] = []
    read = public.download_rows

    def counted(ctx, filters, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(filters)
        yield from read(ctx, filters, **kwargs)

    monkeypatch.setattr(public, "download_rows", counted)
    return calls


def _get(client, url: str, **kwargs):  # type: ignore[no-untyped-def]
    response = client.get(url, **kwargs)
    body = response.get_data()
    response.close()
    assert response.status_code == 200, body[:500]
    return response, body


def _files(ctx) -> list[str]:  # type: ignore[no-untyped-def]
    folder = ctx.settings.data_dir / DOWNLOADS_FOLDER
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


@pytest.mark.parametrize("url", DOWNLOADS)
def test_a_download_is_rendered_once_and_then_sent_from_its_file(ctx, client, listed, renders, url):
    first, body = _get(client, url)
    again, same = _get(client, url)

    assert same == body and len(renders) == 1
    assert "宣城星河光电科技有限公司" in body.decode("utf-8")
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Content-Disposition"] == first.headers["Content-Disposition"]
    assert again.headers["Content-Length"] == str(len(body))
    assert again.headers["Cache-Control"] == "public, no-cache"
    assert len(_files(ctx)) == 1


def test_a_removal_makes_a_new_file_and_deletes_the_old(ctx, client, listed, renders):
    url = DOWNLOADS[0]
    _, before = _get(client, url)
    old = _files(ctx)
    owner, case = listed["agency"]
    record_services.revoke_record(ctx, SYSTEM, case["record_ids"][0], reason="行政复议撤销")

    _, after = _get(client, url)

    assert "郎溪远山商标代理有限公司" in before.decode() and "郎溪远山" not in after.decode()
    assert len(renders) == 2
    assert len(_files(ctx)) == 1 and _files(ctx) != old


def test_a_rename_makes_a_new_file(ctx, clock, client, listed, renders):
    url = DOWNLOADS[0]
    _get(client, url)
    clock.advance(seconds=2)  # the entities' last update is read at most once a second
    entity_services.update_entity(
        ctx, SYSTEM, listed["star"][0]["identifier"], {"name": "宣城北辰光电有限公司"}
    )

    _, after = _get(client, url)

    assert "宣城北辰光电有限公司" in after.decode() and len(renders) == 2


def test_each_set_of_arguments_has_its_file_and_unknown_ones_are_no_new_key(
    ctx, client, listed, renders
):
    url = DOWNLOADS[0]
    _, everything = _get(client, url)
    _, langxi = _get(client, url, query_string={"region": LANGXI})

    assert "郎溪远山" in langxi.decode() and "宣城星河" not in langxi.decode()
    assert len(_files(ctx)) == 2 and len(renders) == 2
    again = client.get(url, query_string={"region": LANGXI, "x": "1"})
    again.get_data()
    again.close()
    assert len(_files(ctx)) == 2  # refused, or the same file: never a file per query string


def test_past_the_files_a_version_may_keep_the_download_is_streamed(
    ctx, client, listed, renders, monkeypatch
):
    monkeypatch.setattr(kept_downloads, "KEEP_PER_VERSION", 1)
    url = DOWNLOADS[0]
    _get(client, url)
    _, streamed = _get(client, url, query_string={"region": LANGXI})
    _, again = _get(client, url, query_string={"region": LANGXI})

    assert "郎溪远山" in streamed.decode() and again == streamed
    assert len(_files(ctx)) == 1 and len(renders) == 3


def test_backups_leave_the_kept_downloads_out(ctx):
    left_out = LeftOut.of(ctx.settings)
    assert left_out.covers((ctx.settings.data_dir / DOWNLOADS_FOLDER / "x").resolve())


def test_the_first_download_is_streamed_and_its_file_is_there_once_all_is_sent(ctx, client, listed):
    response = client.get(DOWNLOADS[0])
    assert response.status_code == 200 and "Content-Length" not in response.headers
    assert _files(ctx) == []  # nothing renamed into place before the last byte
    body = response.get_data()
    response.close()
    assert len(_files(ctx)) == 1
    path = ctx.settings.data_dir / DOWNLOADS_FOLDER / _files(ctx)[0]
    assert path.read_bytes() == body


def test_while_another_request_writes_a_download_this_one_streams_its_own(
    ctx, client, listed, renders
):
    folder = private_dir(ctx.settings.data_dir / DOWNLOADS_FOLDER)
    writing = kept_downloads._try_lock(folder / _lock_name(client, ctx))  # noqa: SLF001
    assert writing is not None

    _, body = _get(client, DOWNLOADS[0])
    assert "宣城星河" in body.decode() and _files(ctx) == []  # streamed, never waited

    writing.close()
    _, again = _get(client, DOWNLOADS[0])
    assert again == body and len(_files(ctx)) == 1 and len(renders) == 2


def _lock_name(client, ctx) -> str:  # type: ignore[no-untyped-def]
    """The lock file the unfiltered CSV download of the list as it stands takes."""
    with client.application.test_request_context(DOWNLOADS[0]):
        key = json.dumps(["csv", {}, request.host_url], sort_keys=True, default=str)
    version = kept_downloads._version(ctx)  # noqa: SLF001
    return f".lock-{version}-{kept_downloads._digest(key)}"  # noqa: SLF001


def test_each_address_has_its_own_file(ctx, client, listed):
    url = DOWNLOADS[2]  # FtM: its links name the address the request came to
    _, here = _get(client, url)
    _, there = _get(client, url, base_url="https://evil.example")

    assert b"http://localhost/" in here and b"evil.example" not in here
    assert b"https://evil.example/" in there
    _, again = _get(client, url)
    assert again == here and len(_files(ctx)) == 2


def test_a_folder_that_cannot_be_written_leaves_the_download_streamed(ctx, client, listed):
    (ctx.settings.data_dir / DOWNLOADS_FOLDER).write_text("not a folder")
    _, body = _get(client, DOWNLOADS[0])
    _, again = _get(client, DOWNLOADS[0])
    assert "宣城星河" in body.decode() and again == body

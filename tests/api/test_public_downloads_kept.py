"""The public list's full downloads are written once per version of the list and then
sent from their file (``web/kept_downloads.py``): the same bytes without rendering the
entries again, a new file after a removal or a rename (the old one deleted), one file
per set of validated arguments, and no more than ``KEEP_PER_VERSION`` of them."""

from __future__ import annotations

from datetime import date

import pytest

from credit_service.access import SYSTEM
from credit_service.backup.archive import LeftOut
from credit_service.dishonesty import public
from credit_service.entities import services as entity_services
from credit_service.files import DOWNLOADS_FOLDER
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

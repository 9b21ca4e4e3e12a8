"""The FollowTheMoney downloads of the public lists (``credit_service.ftm_export``): the
export's source (the public pages' addresses of this deployment, the program's name in
the locale's words) and the streamed JSON-lines answer with its dated file name."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Response, stream_with_context, url_for

from credit_service.ftm_export import Source
from credit_service.web.api.common import service_context
from credit_service.web.i18n import translate

MIMETYPE = "application/x-ndjson"


def source(program_id: str, list_endpoint: str, entry_endpoint: str, id_arg: str) -> Source:
    """Where the entities come from: this city's prefix, the program named in the words
    ``ftm.program.<program_id>``, and the public pages (absolute addresses)."""
    city = service_context().catalogs.city.code
    return Source(
        prefix=f"cn-{city}-ipcredit",
        program=translate(f"trustworthy.ftm.program.{program_id}"),
        program_id=f"cn-{city}-{program_id}",
        entry_url=lambda entry_id: url_for(entry_endpoint, _external=True, **{id_arg: entry_id}),
        program_url=url_for(list_endpoint, _external=True),
    )


def jsonl_response(stem: str, lines: Iterable[str]) -> Response:
    """A streamed download of FtM entities, one JSON object a line, named by the day of
    the data as the CSV downloads are (``dishonesty-list-2026-12-04.ftm.jsonl``)."""
    day = service_context().today()
    return Response(
        stream_with_context(lines),
        mimetype=MIMETYPE,
        headers={"Content-Disposition": f"attachment; filename={stem}-{day.isoformat()}.ftm.jsonl"},
    )

"""The public severe-dishonesty list: search, entries, downloads, change feed and the
notices (公告) (no sign-in).

Responses carry ETag, Last-Modified and Cache-Control; a conditional request that still
matches is answered 304 from two indexed aggregates, without running the search.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import marshmallow as ma
from flask import Response, url_for
from flask.views import MethodView

from credit_service import ftm_export
from credit_service.catalogs.schema import DOMAINS, LISTING_GROUNDS
from credit_service.dishonesty import list_notices, public, public_changes, public_search
from credit_service.web import cache, kept_downloads
from credit_service.web.access import public as public_endpoint
from credit_service.web.api import ftm
from credit_service.web.api.common import (
    Blueprint,
    ObjectionMarkSchema,
    json_array_response,
    public_csv_response,
    service_context,
)
from credit_service.web.api.json_codec import json_bytes
from credit_service.web.api.plain_dump import compile_dump
from credit_service.web.notice_text import with_text

bp = Blueprint(
    "public_list",
    __name__,
    url_prefix="/api/v1/public/dishonesty-list",
    description="The published severe-dishonesty list (严重失信主体名单)",
)
REASON = "the severe-dishonesty list is published to the public by law"


class EntryGroundSchema(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.String()


class EntryMeasureSchema(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.String()
    effect = ma.fields.String()


class EntrySchema(ObjectionMarkSchema):
    id = ma.fields.Integer()
    name = ma.fields.String(metadata={"description": "natural persons: surname + *"})
    kind = ma.fields.String()
    uscc = ma.fields.String(allow_none=True, metadata={"description": "organisations only"})
    region_code = ma.fields.String()
    region = ma.fields.String(allow_none=True)
    grounds = ma.fields.List(ma.fields.Nested(EntryGroundSchema))
    basis = ma.fields.List(ma.fields.String())
    decision_no = ma.fields.String()
    authority = ma.fields.String()
    decided_on = ma.fields.Date()
    published_on = ma.fields.Date()
    term_ends_on = ma.fields.Date(metadata={"description": "last day of publication"})
    measures = ma.fields.List(ma.fields.Nested(EntryMeasureSchema))
    penalty_refs = ma.fields.List(ma.fields.String())


class PublicEntrySchema(EntrySchema):
    """An entry as its address and the search answer it: in force (``listed``), or
    removed within the period its address says so (``removed``: then only the fields
    below, the name, kind, USCC and decision number, and none of the listing's facts)."""

    status = ma.fields.String(validate=ma.validate.OneOf(("listed", "removed")))
    removed_on = ma.fields.Date(metadata={"description": "removed entries: the removal day"})
    removal_reason = ma.fields.String(
        metadata={"description": "expired, repaired, revoked, corrected, objection_upheld"}
    )
    removal_reason_text = ma.fields.String()
    answered_until = ma.fields.Date(
        metadata={"description": "the last day the address answers; 410 Gone after it"}
    )


class SearchArgsSchema(ma.Schema):
    q = ma.fields.String(
        validate=ma.validate.Length(min=1, max=100),
        metadata={"description": "name substring (organisations)"},
    )
    uscc = ma.fields.String(validate=ma.validate.Length(min=18, max=18))
    region = ma.fields.String(validate=ma.validate.Length(equal=6))
    domain = ma.fields.String(validate=ma.validate.OneOf(DOMAINS))
    ground = ma.fields.String(validate=ma.validate.OneOf(LISTING_GROUNDS))
    cursor = ma.fields.String()
    limit = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=100))


class DownloadArgsSchema(ma.Schema):
    region = ma.fields.String(validate=ma.validate.Length(equal=6))
    domain = ma.fields.String(validate=ma.validate.OneOf(DOMAINS))
    ground = ma.fields.String(validate=ma.validate.OneOf(LISTING_GROUNDS))


class EntryPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(PublicEntrySchema))
    next_cursor = ma.fields.String(allow_none=True)


class ChangeArgsSchema(ma.Schema):
    since = ma.fields.String(
        validate=ma.validate.Length(max=200),
        metadata={"description": "a date (YYYY-MM-DD) or 'next'"},
    )


# the answers read most, dumped without marshmallow's per-field work (plain_dump)
dump_page = compile_dump(EntryPageSchema())
dump_entry = compile_dump(PublicEntrySchema())
dump_download_entry = compile_dump(EntrySchema())


class ListChangeSchema(ma.Schema):
    entry_id = ma.fields.Integer()
    kind = ma.fields.String(
        validate=ma.validate.OneOf(("added", "removed", "marked", "unmarked")),
        metadata={
            "description": "added or removed; marked when an objection to the entry is "
            "accepted (it shows 异议处理中, objection_pending) and unmarked when that "
            "objection is decided or closed: the entry stays on the list either way"
        },
    )
    effective_on = ma.fields.Date()
    at = ma.fields.DateTime()
    reason = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "of a removal: expired, repaired, revoked, corrected, "
            "objection_upheld; of an addition: null or repair_revoked; of marked and "
            "unmarked: objection"
        },
    )
    reason_text = ma.fields.String(allow_none=True)
    name = ma.fields.String()
    uscc = ma.fields.String(allow_none=True)
    decision_no = ma.fields.String(allow_none=True)


class ChangePageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ListChangeSchema))
    next = ma.fields.String()
    more = ma.fields.Boolean()


class NoticeArgsSchema(ma.Schema):
    cursor = ma.fields.String(validate=ma.validate.Length(max=200))
    limit = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=100))


class NoticeSchema(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String(validate=ma.validate.OneOf(list_notices.NOTICE_KINDS))
    effective_on = ma.fields.Date()
    at = ma.fields.DateTime()
    text = ma.fields.String(metadata={"description": "the notice (公告), in Chinese"})
    authority = ma.fields.String()
    entry_id = ma.fields.Integer()
    url = ma.fields.String(metadata={"description": "the entry's public page"})
    name = ma.fields.String(metadata={"description": "natural persons: surname + *"})
    uscc = ma.fields.String(allow_none=True, metadata={"description": "organisations only"})
    decision_no = ma.fields.String(allow_none=True)
    reason = ma.fields.String(allow_none=True)
    reason_text = ma.fields.String(allow_none=True)


class NoticePageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(NoticeSchema))
    next_cursor = ma.fields.String(allow_none=True)


@bp.route("")
class PublicList(MethodView):
    @public_endpoint(REASON)
    @cache.conditional
    @bp.arguments(SearchArgsSchema, location="query")
    @bp.response(200, EntryPageSchema)
    @bp.alt_response(304, description="Not modified since the client's copy")
    def get(self, args):
        """Search the list (name, USCC, region, domain, ground); newest first."""
        cursor, limit = args.pop("cursor", None), args.pop("limit")

        def render() -> object:
            page = public_search.search(
                service_context(), public.Filters(**args), cursor=cursor, limit=limit
            )
            return dump_page({"items": page.items, "next_cursor": page.next_cursor})

        return _json(render)


@bp.route("/<int:entry_id>")
class PublicEntry(MethodView):
    @public_endpoint(REASON)
    @cache.conditional
    @bp.response(200, PublicEntrySchema)
    @bp.alt_response(304, description="Not modified since the client's copy")
    @bp.alt_response(404, description="Never an entry of the list")
    @bp.alt_response(410, description="Removed longer ago than its address says so (D22)")
    def get(self, entry_id: int):
        """One entry of the list; after its removal, for the period the rules file sets,
        only that it was removed, when, why and by whom (``status: removed``)."""
        return _json(lambda: dump_entry(public.get_entry(service_context(), entry_id)))


@bp.route("/export.csv")
class PublicCsv(MethodView):
    @public_endpoint(REASON)
    @cache.conditional
    @bp.arguments(DownloadArgsSchema, location="query")
    @bp.response(
        200,
        description="The whole list as CSV (UTF-8 with BOM), written once per version of the list",
    )
    @bp.alt_response(304, description="Not modified since the client's copy")
    def get(self, args):
        """Download the whole list as CSV (written once per version of the list)."""
        ctx = service_context()

        def build() -> Response:
            entries = public.download_rows(ctx, public.Filters(**args))
            rows = (public.csv_row(e) for e in entries)
            return public_csv_response(
                "dishonesty-list", public.DOWNLOAD_COLUMNS, rows, day=ctx.today()
            )

        return kept_downloads.answer(ctx, "csv", args, build)


@bp.route("/export.json")
class PublicJson(MethodView):
    @public_endpoint(REASON)
    @cache.conditional
    @bp.arguments(DownloadArgsSchema, location="query")
    @bp.response(
        200,
        EntrySchema(many=True),
        description="The whole list as a JSON array, written once per version of the list",
    )
    @bp.alt_response(304, description="Not modified since the client's copy")
    def get(self, args):
        """Download the whole list as JSON (written once per version of the list)."""
        ctx = service_context()

        def build() -> Response:
            entries = public.download_rows(ctx, public.Filters(**args))
            return json_array_response("dishonesty-list.json", dump_download_entry, entries)

        return kept_downloads.answer(ctx, "json", args, build)


@bp.route("/export.ftm.jsonl")
class PublicFtm(MethodView):
    @public_endpoint(REASON)
    @cache.conditional
    @bp.arguments(DownloadArgsSchema, location="query")
    @bp.response(
        200,
        description="The whole list as FollowTheMoney entities (Company or Person, "
        "Sanction), one JSON object a line (docs/open-data.md)",
        content_type=ftm.MIMETYPE,
    )
    @bp.alt_response(304, description="Not modified since the client's copy")
    def get(self, args):
        """Download the whole list as FollowTheMoney entities (JSON lines), for screening
        tools such as yente."""
        source = ftm.source(
            "dishonesty", "public_pages.list_page", "public_pages.entry_page", "entry_id"
        )
        ctx = service_context()

        def build() -> Response:
            entries = public.download_rows(ctx, public.Filters(**args))
            lines = ftm_export.json_lines(entries, partial(ftm_export.dishonesty_entities, source))
            return ftm.jsonl_response("dishonesty-list", lines)

        return kept_downloads.answer(ctx, "ftm", args, build)


@bp.route("/changes")
class PublicChanges(MethodView):
    @public_endpoint(REASON)
    @cache.conditional
    @bp.arguments(ChangeArgsSchema, location="query")
    @bp.response(200, ChangePageSchema)
    @bp.alt_response(304, description="Not modified since the client's copy")
    def get(self, args):
        """Additions and removals (with the reason for each removal) after a cursor, and
        the marks 异议处理中 put on and taken off entries (kind marked / unmarked).

        The feed only grows by list changes, which change the validators, so a consumer
        polling with If-None-Match gets 304 until something was added or removed."""
        since = args.get("since")
        return _json(
            lambda: ChangePageSchema().dump(public_changes.changes(service_context(), since=since))
        )


@bp.route("/notices")
class PublicNotices(MethodView):
    @public_endpoint(REASON)
    @cache.conditional
    @bp.arguments(NoticeArgsSchema, location="query")
    @bp.response(200, NoticePageSchema)
    @bp.alt_response(304, description="Not modified since the client's copy")
    def get(self, args):
        """The addition and removal notices (公告), newest first (by effective date, then
        id), each with its text, office and entry; the marks 异议处理中 are no notices.
        The same stream as the page /list/notices and the Atom feed /list/notices.atom."""

        def render() -> object:
            page = list_notices.notices(
                service_context(), cursor=args.get("cursor"), limit=args["limit"]
            )
            items = [
                {
                    **n,
                    "url": url_for(
                        "public_pages.entry_page", entry_id=n["entry_id"], _external=True
                    ),
                }
                for n in with_text(page.items)
            ]
            return NoticePageSchema().dump({"items": items, "next_cursor": page.next_cursor})

        return _json(render)


def _json(render: Callable[[], object]) -> Response:
    """The JSON answer to this request, rendered once per version of the list."""
    return cache.answer(
        service_context(),
        lambda: json_bytes(render()),
        "application/json",
    )

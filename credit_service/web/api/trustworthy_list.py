"""The public trustworthy list (守信信息公示): search, entries, downloads (no sign-in).

The entries are public trustworthy records (``credit_service.records.trustworthy``); they
leave at the end of their publicity period as the dishonesty list's entries leave at the
end of their term. The same search and downloads as the dishonesty list's API, and the
list as FollowTheMoney entities for screening tools.
"""

from __future__ import annotations

from functools import partial

import marshmallow as ma
from flask.views import MethodView

from credit_service import ftm_export
from credit_service.records import trustworthy
from credit_service.web.access import public as public_endpoint
from credit_service.web.api import ftm
from credit_service.web.api.common import (
    Blueprint,
    ObjectionMarkSchema,
    json_array_response,
    public_csv_response,
    service_context,
)

bp = Blueprint(
    "trustworthy_list",
    __name__,
    url_prefix="/api/v1/public/trustworthy-list",
    description="The published trustworthy records (守信信息公示)",
)
REASON = "trustworthy records (honours, awards, recognitions) are published to the public"


class TrustworthyEntrySchema(ObjectionMarkSchema):
    id = ma.fields.Integer(metadata={"description": "the record's id"})
    name = ma.fields.String(metadata={"description": "natural persons: surname + *"})
    kind = ma.fields.String()
    uscc = ma.fields.String(allow_none=True, metadata={"description": "organisations only"})
    region_code = ma.fields.String()
    region = ma.fields.String(allow_none=True)
    domain = ma.fields.String()
    item_code = ma.fields.String(metadata={"description": "the catalog item"})
    item = ma.fields.String(metadata={"description": "the catalog item's name"})
    basis = ma.fields.String(metadata={"description": "the item's legal basis"})
    honour = ma.fields.String(metadata={"description": "the honour, award or certification"})
    honour_level = ma.fields.String(allow_none=True)
    project = ma.fields.String(allow_none=True)
    awarded_by = ma.fields.String(metadata={"description": "the awarding authority"})
    document_no = ma.fields.String(metadata={"description": "the awarding document's number"})
    awarded_on = ma.fields.Date()
    term_ends_on = ma.fields.Date(metadata={"description": "last day of publication"})


class SearchArgsSchema(ma.Schema):
    q = ma.fields.String(
        validate=ma.validate.Length(min=1, max=100),
        metadata={"description": "name substring (organisations)"},
    )
    uscc = ma.fields.String(validate=ma.validate.Length(min=18, max=18))
    region = ma.fields.String(validate=ma.validate.Length(equal=6))
    cursor = ma.fields.String()
    limit = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=100))


class DownloadArgsSchema(ma.Schema):
    region = ma.fields.String(validate=ma.validate.Length(equal=6))


class TrustworthyPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(TrustworthyEntrySchema))
    next_cursor = ma.fields.String(allow_none=True)


@bp.route("")
class PublicTrustworthyList(MethodView):
    @public_endpoint(REASON)
    @bp.arguments(SearchArgsSchema, location="query")
    @bp.response(200, TrustworthyPageSchema)
    def get(self, args):
        """Search the trustworthy list (name, USCC, region); newest decision first."""
        cursor, limit = args.pop("cursor", None), args.pop("limit")
        page = trustworthy.search(
            service_context(), trustworthy.Filters(**args), cursor=cursor, limit=limit
        )
        return {"items": page.items, "next_cursor": page.next_cursor}


@bp.route("/<int:record_id>")
class PublicTrustworthyEntry(MethodView):
    @public_endpoint(REASON)
    @bp.response(200, TrustworthyEntrySchema)
    def get(self, record_id: int):
        """One entry of the trustworthy list."""
        return trustworthy.get_entry(service_context(), record_id)


@bp.route("/export.csv")
class PublicTrustworthyCsv(MethodView):
    @public_endpoint(REASON)
    @bp.arguments(DownloadArgsSchema, location="query")
    @bp.response(200, description="The whole list as CSV (UTF-8 with BOM), streamed")
    def get(self, args):
        """Download the whole trustworthy list as CSV."""
        ctx = service_context()
        rows = (
            trustworthy.csv_row(e)
            for e in trustworthy.download_rows(ctx, trustworthy.Filters(**args))
        )
        return public_csv_response(
            "trustworthy-list", trustworthy.DOWNLOAD_COLUMNS, rows, day=ctx.today()
        )


@bp.route("/export.json")
class PublicTrustworthyJson(MethodView):
    @public_endpoint(REASON)
    @bp.arguments(DownloadArgsSchema, location="query")
    @bp.response(
        200,
        TrustworthyEntrySchema(many=True),
        description="The whole list as a JSON array, streamed",
    )
    def get(self, args):
        """Download the whole trustworthy list as JSON."""
        ctx = service_context()
        entries = trustworthy.download_rows(ctx, trustworthy.Filters(**args))
        filename = f"trustworthy-list-{ctx.today().isoformat()}.json"
        return json_array_response(filename, TrustworthyEntrySchema().dump, entries)


@bp.route("/export.ftm.jsonl")
class PublicTrustworthyFtm(MethodView):
    @public_endpoint(REASON)
    @bp.arguments(DownloadArgsSchema, location="query")
    @bp.response(
        200,
        description="The whole list as FollowTheMoney entities (Company or Person, "
        "PublicBody, Event), one JSON object a line (docs/open-data.md)",
        content_type=ftm.MIMETYPE,
    )
    def get(self, args):
        """Download the trustworthy list as FollowTheMoney entities (JSON lines)."""
        source = ftm.source(
            "trustworthy",
            "public_pages.trustworthy_page",
            "public_pages.trustworthy_entry_page",
            "record_id",
        )
        entries = trustworthy.download_rows(service_context(), trustworthy.Filters(**args))
        lines = ftm_export.json_lines(entries, partial(ftm_export.trustworthy_entities, source))
        return ftm.jsonl_response("trustworthy-list", lines)

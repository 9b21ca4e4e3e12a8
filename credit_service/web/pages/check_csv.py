"""A batch credit check's answer as the CSV the console page offers to download: the
same lines the page shows (identities as the caller sees them, a natural person masked,
D12), headed by the answer's reference number, purpose and date, in Chinese words.

The file travels inside the page as a ``data:`` link (``download`` names it), so the
download is the very answer shown and audited, not a second check, and nothing typed is
echoed back into the page's form."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from credit_service.dishonesty import checks
from credit_service.identifiers import InvalidIdentifier
from credit_service.web.api.common import csv_cell
from credit_service.web.error_text import field_error
from credit_service.web.i18n import DEFAULT_LANGUAGE, translate
from credit_service.web.pages.common import ctx

COLUMNS = ("line", "identifier", "name", "conclusion", "listed", "measures", "note")


def href(answer: Mapping[str, Any], items: Sequence[tuple[int, Mapping[str, Any]]]) -> str:
    """The answer as a ``data:`` URL of a UTF-8 CSV (with a BOM: Excel and WPS read it)."""
    return "data:text/csv;charset=utf-8," + quote("\ufeff" + text(answer, items))


def filename(answer: Mapping[str, Any]) -> str:
    return translate("clear_answers.check.filename", reference=answer["reference"]) + ".csv"


def text(answer: Mapping[str, Any], items: Sequence[tuple[int, Mapping[str, Any]]]) -> str:
    purposes = ctx().catalogs.purposes
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    heading = translate(
        "clear_answers.check.heading",
        reference=answer["reference"],
        purpose=purposes.get(answer["purpose"], answer["purpose"]),
        day=answer["checked_on"].isoformat(),
    )
    writer.writerow([csv_cell(heading)])
    writer.writerow([translate(f"clear_answers.check.col.{c}") for c in COLUMNS])
    for line, item in items:
        writer.writerow([csv_cell(cell) for cell in (line, *_row(item))])
    return buffer.getvalue()


def _row(item: Mapping[str, Any]) -> tuple[str, ...]:
    if not item["found"]:
        note = (
            translate(
                "clear_answers.check.invalid", reason=field_error(item["reason"], DEFAULT_LANGUAGE)
            )
            if item["error"] == InvalidIdentifier.code
            else field_error(item["error"], DEFAULT_LANGUAGE)
        )
        unknown = translate("console.checks.conclusion.unknown")
        return (checks.shown(item["identifier"]), "", unknown, "", "", note)
    listing = item.get("listing")
    listed = (
        translate(
            "console.checks.listed",
            number=listing["decision_no"],
            until=listing["term_ends_on"].isoformat() if listing["term_ends_on"] else "—",
        )
        if item["listed"] and listing
        else translate("console.checks.not_listed")
    )
    measures = "；".join(
        f"{m['name']}：{translate('console.checks.effect.' + m['effect'])}"
        for m in item["measures"]
    )
    return (
        item["entity"]["identifier"],
        item["entity"]["name"],
        translate(f"console.checks.conclusion.{item['conclusion']}"),
        listed,
        measures or translate("console.checks.no_measures"),
        "",
    )

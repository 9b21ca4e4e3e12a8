"""A credit report (D21) as an A4 PDF: the signed content laid out in tables, Chinese
glyphs embedded (the procedure documents' font), and a QR code of the report's
verification address beside its number, issue time, "as of", holder code and key id.

It lives in the web layer because every word on it comes from the page locale
(``zh/credit_reports.yaml``); the content itself is the stored, signed JSON.
"""

from __future__ import annotations

import html
import io
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from credit_service.procedures.documents import cjk_font
from credit_service.web.i18n import translate as t


def escape(text: str) -> str:
    """Text for a reportlab paragraph, whose markup is XML-like."""
    return html.escape(text, quote=False)


QR_SIZE = 32 * mm
WIDTH = A4[0] - 36 * mm


def render(
    report: Any,
    content: Mapping[str, Any],
    *,
    holder_code: str | None,
    verify_url: str,
    tz: Any,
    font_path: str | None = None,
) -> bytes:
    """The PDF of a stored report (``content``: its signed JSON, parsed)."""
    styles = _styles(cjk_font(font_path or ""))
    story: list[Any] = [
        Paragraph(escape(t("credit_reports.pdf.title")), styles["title"]),
        _head(report, content, holder_code, verify_url, tz, styles),
        Spacer(1, 4 * mm),
    ]
    for heading, table in _sections(content, styles):
        story += [Paragraph(escape(heading), styles["h2"]), table, Spacer(1, 3 * mm)]
    story += [
        Paragraph(escape(t("credit_reports.pdf.no_tier")), styles["small"]),
        Paragraph(escape(t("credit_reports.pdf.verify_note", url=verify_url)), styles["small"]),
    ]
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"{t('credit_reports.pdf.title')} {report.number}",
        author=t("credit_reports.pdf.author"),
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        invariant=1,
    ).build(story)
    return buffer.getvalue()


def _styles(font: str) -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=13, wordWrap="CJK")
    return {
        "body": body,
        "title": ParagraphStyle("title", parent=body, fontSize=18, leading=26, alignment=1),
        "h2": ParagraphStyle("h2", parent=body, fontSize=11, leading=16, spaceBefore=4),
        "small": ParagraphStyle("small", parent=body, fontSize=8, leading=11),
        "head": ParagraphStyle("head", parent=body, fontSize=10, leading=15),
    }


def _head(
    report: Any,
    content: Mapping[str, Any],
    code: str | None,
    url: str,
    tz: Any,
    styles: dict[str, ParagraphStyle],
) -> Table:
    """Number, times, code and key beside the QR code of the verification address."""
    issued = datetime.fromisoformat(content["issued_at"]).astimezone(tz)
    entity = content["entity"]
    lines = [
        (t("credit_reports.field.number"), report.number),
        (t("credit_reports.field.issued_at"), issued.strftime("%Y-%m-%d %H:%M")),
        (t("credit_reports.field.as_of"), content["as_of"]),
        (t("credit_reports.field.entity"), f"{entity['name']}（{entity['identifier']}）"),
        (
            t("credit_reports.field.purpose"),
            content.get("purpose_name") or t("credit_reports.no_purpose"),
        ),
        (t("credit_reports.field.holder_code"), code or t("credit_reports.code_for_holder")),
        (t("credit_reports.field.key_id"), report.key_id),
    ]
    text = "<br/>".join(f"{escape(k)}：{escape(str(v))}" for k, v in lines)
    widget = QrCodeWidget(url)
    left, bottom, right, top = widget.getBounds()
    drawing = Drawing(
        QR_SIZE, QR_SIZE, transform=[QR_SIZE / (right - left), 0, 0, QR_SIZE / (top - bottom), 0, 0]
    )
    drawing.add(widget)
    table = Table(
        [[Paragraph(text, styles["head"]), drawing]],
        colWidths=[WIDTH - QR_SIZE - 4 * mm, QR_SIZE + 4 * mm],
    )
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _sections(
    content: Mapping[str, Any], styles: dict[str, ParagraphStyle]
) -> list[tuple[str, Table]]:
    """One table per section, in the order D21 lists them."""
    mark = t("objections.mark")
    entity = content["entity"]
    return [
        (
            t("credit_reports.section.identity"),
            _table(
                styles,
                ("name", "identifier", "kind", "region"),
                [
                    [
                        entity["name"],
                        entity["identifier"],
                        t(f"console.kind.{entity['kind']}"),
                        entity.get("region") or entity["region_code"],
                    ]
                ],
            ),
        ),
        (
            t("credit_reports.section.records"),
            _table(
                styles,
                ("item", "basis", "source_ref", "decision_date", "publicity_end", "mark"),
                [
                    [
                        r["item_name"],
                        r["legal_basis"],
                        f"{r['source_authority']} {r['source_ref']}",
                        r["decision_date"],
                        r["publicity_end"] or "—",
                        mark if r["objection_pending"] else "",
                    ]
                    for r in content["records"]
                ],
            ),
        ),
        (
            t("credit_reports.section.listings"),
            _table(
                styles,
                ("decision_no", "status", "published_on", "term_ends_on", "removed_on", "mark"),
                [
                    [
                        c["decision_no"] or "—",
                        t(f"credit_reports.listing.{c['status']}"),
                        c["published_on"] or "—",
                        c["term_ends_on"] or "—",
                        _removal(c),
                        mark if c["objection_pending"] else "",
                    ]
                    for c in content["listings"]
                ],
            ),
        ),
        (
            t("credit_reports.section.repairs"),
            _table(
                styles,
                ("target", "submitted_on", "state", "decided_on"),
                [
                    [
                        t(f"credit_reports.target.{a['target_type']}", number=a["target_id"]),
                        a["submitted_on"],
                        t(f"enterprise.state.{a['state']}"),
                        a["decided_on"] or "—",
                    ]
                    for a in content["repairs"]
                ],
            ),
        ),
        (
            t("credit_reports.section.objections"),
            _table(
                styles,
                ("target", "received_on", "state", "decided_on"),
                [
                    [
                        t(f"credit_reports.target.{o['target_type']}", number=o["target_id"]),
                        o["received_on"],
                        t(f"objections.state.{o['state']}")
                        + (f"（{mark}）" if o["marking"] else ""),
                        o["decided_on"] or "—",
                    ]
                    for o in content["objections"]
                ],
            ),
        ),
        (
            t("credit_reports.section.trustworthy"),
            _table(
                styles,
                ("item", "basis", "source_ref", "decision_date", "publicity_end"),
                [
                    [
                        r["item_name"],
                        r["legal_basis"],
                        f"{r['source_authority']} {r['source_ref']}",
                        r["decision_date"],
                        r["publicity_end"] or "—",
                    ]
                    for r in content["trustworthy"]
                ],
            ),
        ),
        (
            t("credit_reports.section.measures"),
            _table(
                styles,
                ("measure", "effect", "basis", "until"),
                [
                    [
                        m["name"],
                        t(f"console.checks.effect.{m['effect']}"),
                        m["basis"],
                        m["until"] or "—",
                    ]
                    for m in content["measures"]
                ],
            ),
        ),
    ]


def _removal(case: Mapping[str, Any]) -> str:
    if not case["removed_on"]:
        return "—"
    return f"{case['removed_on']} {case.get('removal_reason_name') or ''}".strip()


def _table(
    styles: dict[str, ParagraphStyle], columns: Sequence[str], rows: list[list[Any]]
) -> Table:
    """A table with a header row; an empty section says so in one row."""
    header = [Paragraph(escape(t(f"credit_reports.col.{c}")), styles["body"]) for c in columns]
    if not rows:
        rows = [[t("credit_reports.none")] + [""] * (len(columns) - 1)]
    body = [[Paragraph(escape(str(cell)), styles["body"]) for cell in row] for row in rows]
    table = Table([header, *body], colWidths=[WIDTH / len(columns)] * len(columns), repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table

"""Procedure documents (告知书, 决定书 …) as printable HTML and PDF, and their storage.

Both renderings come from one content model, so the PDF says what the HTML says. Numbers
come from a yearly sequence per office prefix (宣市监信列〔2026〕12号). The PDF embeds a
CJK TrueType font when one is found (setting PDF_FONT_PATH, or a common system font);
otherwise it uses the standard Adobe-GB1 font STSong-Light, which PDF readers supply.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer
from sqlalchemy import select
from sqlalchemy.orm import Session

from credit_service.audit import services as audit
from credit_service.files import write_private
from credit_service.procedures.models import DocumentSequence, ProcedureDocument

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)
_ENV = Environment(
    loader=PackageLoader("credit_service.procedures", "templates"),
    autoescape=select_autoescape(["html"]),
)


@dataclass(frozen=True)
class DocumentContent:
    """What a document says, independent of HTML or PDF."""

    kind: str  # notice | decision | removal …
    title: str
    number: str
    addressee: str
    paragraphs: tuple[str, ...]
    authority: str
    issued_on: date


def chinese_date(day: date) -> str:
    """A date as documents write it: 2026年12月4日."""
    return f"{day.year}年{day.month}月{day.day}日"


def next_number(session: Session, prefix: str, year: int) -> str:
    """The next number of the office's yearly sequence (row-locked: no two alike)."""
    return f"{prefix}〔{year}〕{next_in_sequence(session, prefix, year)}号"


def next_in_sequence(session: Session, prefix: str, year: int) -> int:
    """The next value of the yearly sequence named ``prefix`` (row-locked: no two alike),
    for numbers written another way than documents write theirs."""
    sequence = session.execute(
        select(DocumentSequence)
        .where(DocumentSequence.prefix == prefix, DocumentSequence.year == year)
        .with_for_update()
    ).scalar_one_or_none()
    if sequence is None:
        sequence = DocumentSequence(prefix=prefix, year=year, last_number=0)
        session.add(sequence)
    sequence.last_number += 1
    session.flush()
    return sequence.last_number


def render_html(content: DocumentContent) -> str:
    """A printable HTML page of the document (no script, print stylesheet inline-free)."""
    return _ENV.get_template("document.html").render(doc=content)


def render_pdf(content: DocumentContent, *, font_path: str | None = None) -> bytes:
    """The document as an A4 PDF with Chinese glyphs."""
    font = cjk_font(font_path or "")
    body = ParagraphStyle(
        "body", fontName=font, fontSize=12, leading=20, firstLineIndent=24, wordWrap="CJK"
    )
    title = ParagraphStyle(
        "title", parent=body, fontSize=18, leading=28, alignment=1, firstLineIndent=0
    )
    plain = ParagraphStyle("plain", parent=body, firstLineIndent=0)
    right = ParagraphStyle("right", parent=plain, alignment=2)
    story = [
        Paragraph(_escape(content.title), title),
        Paragraph(_escape(content.number), ParagraphStyle("no", parent=plain, alignment=1)),
        Spacer(1, 6 * mm),
        Paragraph(_escape(content.addressee) + "：", plain),
    ]
    story += [Paragraph(_escape(p), body) for p in content.paragraphs]
    story += [
        Spacer(1, 12 * mm),
        Paragraph(_escape(content.authority), right),
        Paragraph(chinese_date(content.issued_on), right),
    ]
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=content.title,
        author=content.authority,
        leftMargin=28 * mm,
        rightMargin=26 * mm,
        topMargin=37 * mm,
        bottomMargin=35 * mm,
        invariant=1,
    ).build(story)
    return buffer.getvalue()


@cache
def cjk_font(configured: str) -> str:
    """Register the CJK font once; its name for reportlab."""
    for path in ([configured] if configured else []) + list(FONT_CANDIDATES):
        if path and Path(path).exists():
            pdfmetrics.registerFont(TTFont("CJK", path, subfontIndex=0))
            return "CJK"
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def font_embedded(configured: str | None = None) -> bool:
    """Whether PDFs embed a TrueType CJK font (rather than naming a standard one)."""
    return cjk_font(configured or "") == "CJK"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def sha256(data: bytes | str) -> str:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()


def pdf_file(data_dir: Path, document: Any) -> Path:
    """Where a document's PDF is now: named by its hash under ``DATA_DIR/documents``, so
    a data folder restored or moved elsewhere still serves it (the stored ``pdf_path``
    names the folder it was written in, and is the fallback for a file kept elsewhere)."""
    kept = data_dir / "documents" / f"{document.pdf_sha256}.pdf"
    return kept if document.pdf_sha256 and kept.exists() else Path(document.pdf_path)


def issue(move: Any, procedure: str, kind: str, number: str, content: DocumentContent) -> None:
    """Render and keep a document a step issues, and name it in the step's
    ``details.issued`` (flushed for its id), so the history links the very document."""
    html = render_html(content)
    pdf = render_pdf(content, font_path=move.ctx.settings.pdf_font_path)
    pdf_hash = sha256(pdf)
    path = move.ctx.settings.data_dir / "documents" / f"{pdf_hash}.pdf"
    write_private(path, pdf)
    document = ProcedureDocument(
        procedure=procedure,
        subject_id=move.row.id,
        kind=kind,
        number=number,
        html=html,
        sha256=sha256(html),
        pdf_path=str(path),
        pdf_sha256=pdf_hash,
        created_at=move.ctx.now(),
    )
    move.session.add(document)
    move.session.flush()
    issued = {"kind": kind, "number": number, "document_id": document.id}
    move.details["issued"] = [*move.details.get("issued", []), issued]


def audit_personal_read(
    session: Session,
    ctx: Any,
    actor: Any,
    document: ProcedureDocument,
    party: Any,
    object_type: str,
) -> None:
    """A document to a natural person names them in full: each read of one is audited
    (D12), in the reading transaction. Who may read it at all is the procedure's rule."""
    if not party.is_natural_person:
        return
    audit.append(
        session,
        actor=actor,
        action="entity.read_personal_data",
        now=ctx.now(),
        object_type=object_type,
        object_id=document.id,
        details={"entity_id": party.id, "kind": document.kind},
    )


def issued(session: Session, procedure: str, subject_id: int) -> list[dict[str, Any]]:
    """The documents issued on a procedure's row, oldest first."""
    rows = session.execute(
        select(ProcedureDocument)
        .where(ProcedureDocument.procedure == procedure, ProcedureDocument.subject_id == subject_id)
        .order_by(ProcedureDocument.id)
    ).scalars()
    return [
        {
            "id": d.id,
            "kind": d.kind,
            "number": d.number,
            "sha256": d.sha256,
            "pdf_sha256": d.pdf_sha256,
            "created_at": d.created_at,
        }
        for d in rows
    ]

"""A listing's generated documents over HTTP (both databases): the PDF is the stored file,
readable, with its CJK font embedded (a reader without Chinese fonts still shows it),
and the printable HTML; readers of the case's region only."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import pypdf
from pypdf.generic import DictionaryObject
from sqlalchemy import select, update

from credit_service.access import Actor
from credit_service.audit.models import AuditEvent
from credit_service.dishonesty import services
from credit_service.procedures import documents
from credit_service.procedures.models import ProcedureDocument
from tests.factories import (
    CITY,
    LANGXI,
    XUANZHOU,
    create_entity,
    create_person,
    file_penalty,
    step_papers,
)

HEAVIER = ["罚款", "责令停产停业"]
STANDARD = ("/Helvetica", "/Times", "/Courier", "/Symbol", "/ZapfDingbats")  # PDF's base 14
SUBSET = re.compile(r"/[A-Z]{6}\+")  # an embedded subset's name: six letters and '+'
REGULATOR = Actor(role="regulator", username="r-documents", region_code=CITY, city_code=CITY)


def decided(ctx, owner: dict | None = None) -> tuple[dict, dict]:
    """An organisation (or ``owner``) with a notice and a decision (served, waived,
    decided today)."""
    owner = owner or create_entity(ctx, region_code=XUANZHOU, name="宣城文书字体测试有限公司")
    record = file_penalty(ctx, owner["identifier"], CF_CFLB=HEAVIER)
    case = services.propose(
        ctx, REGULATOR, entity=owner["identifier"], record_ids=[record["id"]], reason="依法拟列入"
    )
    for step in ("serve_notice", "waive", "decide_list"):
        case = services.advance(ctx, REGULATOR, case["id"], step, **step_papers(step))
    return owner, case


def fonts_of(reader: pypdf.PdfReader) -> list[DictionaryObject]:
    """Every font the pages use, with a composite font's descendants in its place."""
    found = []
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            found += [d.get_object() for d in font.get("/DescendantFonts", [])] or [font]
    return found


def embedded(font: DictionaryObject) -> bool:
    descriptor = font.get("/FontDescriptor")
    if descriptor is None:
        return False
    descriptor = descriptor.get_object()
    return any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


def test_the_decision_pdf_is_the_stored_file_with_its_cjk_font_embedded(ctx, client, auth):
    owner, case = decided(ctx)
    shown = services.get_case(ctx, REGULATOR, case["id"])
    decision = next(d for d in shown["documents"] if d["kind"] == "decision")

    response = client.get(
        f"/api/v1/dishonesty-documents/{decision['id']}.pdf",
        headers=auth("viewer", region=XUANZHOU),
    )

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    body = response.get_data()
    assert body.startswith(b"%PDF-") and body.rstrip().endswith(b"%%EOF")
    assert hashlib.sha256(body).hexdigest() == decision["pdf_sha256"]
    assert ".pdf" in response.headers["Content-Disposition"]
    reader = pypdf.PdfReader(io.BytesIO(body))
    text = "".join(page.extract_text() for page in reader.pages)
    assert owner["name"] in text and case["decision_no"] in text
    assert "列入严重失信主体名单决定书" in text

    fonts = fonts_of(reader)
    # A TrueType CJK font is installed here (fonts-wqy-microhei), so it must be used and
    # embedded: a PDF only naming STSong-Light shows blanks where no reader supplies it.
    available = [p for p in documents.FONT_CANDIDATES if Path(p).exists()]
    assert available or ctx.settings.pdf_font_path, (
        "no CJK TrueType font on this machine: install fonts-wqy-microhei (Debian; .ci/run "
        "does) or set PDF_FONT_PATH"
    )
    assert documents.font_embedded(ctx.settings.pdf_font_path) is True
    names = [str(font.get("/BaseFont")) for font in fonts]
    # reportlab declares Helvetica as its default: a standard font every reader has
    cjk = [font for font in fonts if not str(font.get("/BaseFont")).startswith(STANDARD)]
    assert cjk and all(embedded(font) for font in cjk), names
    assert all(SUBSET.match(str(font["/BaseFont"])) for font in cjk), names  # subsets
    assert not any("STSong" in name for name in names)


def test_the_documents_are_for_readers_of_the_cases_region(ctx, client, auth):
    _, case = decided(ctx)
    notice = services.get_case(ctx, REGULATOR, case["id"])["documents"][0]
    url = f"/api/v1/dishonesty-documents/{notice['id']}"

    html = client.get(f"{url}.html", headers=auth("regulator"))
    assert html.status_code == 200 and html.mimetype == "text/html"
    assert case["notice_no"] in html.get_data(as_text=True)
    assert "style-src 'sha256-" in html.headers["Content-Security-Policy"]
    for suffix in (".pdf", ".html"):
        other = client.get(f"{url}{suffix}", headers=auth("viewer", region=LANGXI))
        assert other.status_code == 403 and other.mimetype == "application/problem+json"
        checker = client.get(f"{url}{suffix}", headers=auth("checker"))
        assert checker.status_code == 403
    missing = client.get("/api/v1/dishonesty-documents/999999.pdf", headers=auth("viewer"))
    assert missing.status_code == 404


def test_a_natural_persons_documents_are_for_unmasking_roles_and_each_read_is_audited(
    ctx, client, auth
):
    person, case = decided(ctx, create_person(ctx, name="欧阳明华", region_code=XUANZHOU))
    notice = services.get_case(ctx, REGULATOR, case["id"])["documents"][0]
    url = f"/api/v1/dishonesty-documents/{notice['id']}"

    refused = client.get(f"{url}.html", headers=auth("viewer", region=XUANZHOU))
    assert refused.status_code == 403 and refused.get_json()["code"] == "unmask-forbidden"
    assert person["name"] not in refused.get_data(as_text=True)

    for suffix in (".html", ".pdf"):
        assert client.get(f"{url}{suffix}", headers=auth("regulator")).status_code == 200
    with ctx.session_factory() as session:
        reads = (
            session.execute(
                select(AuditEvent).where(
                    AuditEvent.action == "entity.read_personal_data",
                    AuditEvent.object_type == "dishonesty_document",
                    AuditEvent.object_id == str(notice["id"]),
                )
            )
            .scalars()
            .all()
        )
    assert len(reads) == 2 and all(r.details["entity_id"] == person["id"] for r in reads)


def test_a_pdf_is_found_by_its_hash_after_the_data_folder_moved(ctx, client, auth):
    """A restored or moved ``DATA_DIR`` (``flask backup restore`` elsewhere): the stored
    ``pdf_path`` names the old folder, the file is found by its hash in the new one."""
    _, case = decided(ctx)
    shown = services.get_case(ctx, REGULATOR, case["id"])
    decision = next(d for d in shown["documents"] if d["kind"] == "decision")
    with ctx.session_factory.begin() as session:
        session.execute(
            update(ProcedureDocument)
            .where(ProcedureDocument.id == decision["id"])
            .values(pdf_path="/srv/old-data/documents/gone.pdf")
        )

    response = client.get(
        f"/api/v1/dishonesty-documents/{decision['id']}.pdf",
        headers=auth("viewer", region=XUANZHOU),
    )

    assert response.status_code == 200
    assert hashlib.sha256(response.get_data()).hexdigest() == decision["pdf_sha256"]

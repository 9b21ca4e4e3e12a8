"""Small hand-made PDFs for the evidence checks: clean ones, and ones with active content
written as plainly, as escaped names and hidden in a compressed object stream."""

from __future__ import annotations

import zlib

CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
PAGES = b"<< /Type /Pages /Kids [] /Count 0 >>"
RUN_SCRIPT = b"<< /S /JavaScript /JS (app.alert(1)) >>"


def pdf(*objects: bytes) -> bytes:
    """A PDF whose objects are numbered from 1 in the order given (object 1 the catalog)."""
    body = b"".join(b"%d 0 obj\n%s\nendobj\n" % (n, o) for n, o in enumerate(objects, start=1))
    return b"%PDF-1.7\n" + body + b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"


def object_stream(numbered: dict[int, bytes], *, dictionary: bytes = b"/Type /ObjStm") -> bytes:
    """An object stream (FlateDecode) holding the given objects by number, as writers
    compress the objects of a PDF 1.5 file."""
    offsets, chunks, at = [], [], 0
    for number, value in numbered.items():
        offsets.append(b"%d %d" % (number, at))
        chunks.append(value + b"\n")
        at += len(value) + 1
    header = b" ".join(offsets) + b"\n"
    data = zlib.compress(header + b"".join(chunks))
    return (
        b"<< %s /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
        % (dictionary, len(numbered), len(header), len(data))
        + data
        + b"\nendstream"
    )


CLEAN = pdf(CATALOG, PAGES)
OPENS_AT_A_PAGE = pdf(  # as LibreOffice and LaTeX's hyperref write them
    b"<< /Type /Catalog /Pages 2 0 R /OpenAction [3 0 R /XYZ null null 0] >>",
    PAGES,
    b"<< /Type /Page /Parent 2 0 R >>",
)
SCRIPT_ON_OPEN = pdf(b"<< /Type /Catalog /Pages 2 0 R /OpenAction 3 0 R >>", PAGES, RUN_SCRIPT)
ESCAPED_SCRIPT = pdf(
    b"<< /Type /Catalog /Pages 2 0 R /Names << /J#61vaScript 3 0 R >> >>",
    PAGES,
    b"<< /S /J#61v#61Script /J#53 (app.alert(1)) >>",
)
SCRIPT_IN_OBJECT_STREAM = pdf(
    b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
    PAGES,
    object_stream({4: b"<< /S /#4Aava#53cript /JS (app.alert(1)) >>"}),
)

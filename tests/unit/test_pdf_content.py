"""Active content in evidence PDFs (issue #14): found as a reader would find it — names in
any spelling, inside compressed object streams, past streams measured by their length —
and only there: strings, comments and stream bytes do not count, and an open action that
only shows a page is accepted."""

from __future__ import annotations

import zlib

import pytest

from credit_service.repair.pdf_content import ACTIVE_NAMES, DECODED_BUDGET, STEP_BUDGET, check
from tests.pdfs import CATALOG, PAGES, object_stream, pdf


def found(data: bytes) -> tuple[str, str | dict[str, str]] | None:
    """The refusal's code and what it names: the active name found, or the field error of
    what kept the file from being checked."""
    finding = check(data)
    if finding is None:
        return None
    if finding.code == "pdf-active-content":
        assert finding.problem["code"] == "pdf-active-name"
        return finding.code, finding.problem["name"]
    return finding.code, finding.problem


def stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< %s >>\nstream\n%s\nendstream" % (dictionary, data)


@pytest.mark.parametrize(
    "document",
    [
        pdf(CATALOG, PAGES),
        pdf(b"<< /Type /Catalog /OpenAction [3 0 R /Fit] >>", PAGES, b"<< /Type /Page >>"),
        pdf(b"<< /Type /Catalog /OpenAction << /S /GoTo /D [3 0 R /Fit] >> >>", PAGES),
        pdf(b"<< /Type /Catalog /OpenAction 3 0 R >>", PAGES, b"[4 0 R /Fit]"),
        pdf(b"<< /Type /Catalog /OpenAction 4 0 R >>", PAGES, object_stream({4: b"[5 0 R]"})),
        pdf(  # LaTeX's hyperref: a GoTo by reference, inside an object stream
            b"<< /Type /Catalog /OpenAction 4 0 R >>",
            PAGES,
            object_stream({4: b"<< /S /GoTo /D [5 0 R /Fit] >>"}),
        ),
        pdf(CATALOG, b"<< /Title (about /JS and /AA) /Subject <2F4A53> >>"),
        pdf(CATALOG, b"% /AA /JS: a comment\n<< >>"),
        pdf(CATALOG, stream(b"/Subtype /Image /Length 12", b"\x00/AA /JS \xff\x01")),
        pdf(CATALOG, b"<< /JSFont 1 /AAX 2 >>"),  # other names that begin alike
    ],
    ids=[
        "clean",
        "destination",
        "goto-in-place",
        "destination-by-reference",
        "destination-in-object-stream",
        "goto-in-object-stream",
        "names-in-strings",
        "names-in-a-comment",
        "bytes-of-a-stream",
        "longer-names",
    ],
)
def test_a_pdf_without_active_content_passes(document):
    assert check(document) is None


@pytest.mark.parametrize("name", sorted(ACTIVE_NAMES))
def test_each_active_name_is_refused(name):
    document = pdf(CATALOG, b"<< /%s 3 0 R >>" % name.encode())
    assert found(document) == ("pdf-active-content", f"/{name}")


@pytest.mark.parametrize(
    "spelling", [b"/J#61vaScript", b"/#4a#61#76#61#53#63#72#69#70#74", b"/Java#53cript"]
)
def test_escaped_names_are_read_as_names(spelling):
    assert found(pdf(CATALOG, b"<< /S %s >>" % spelling)) == ("pdf-active-content", "/JavaScript")


def test_the_short_names_escaped_too():
    assert found(pdf(b"<< /Type /Page /#41A << /O 3 0 R >> >>")) == ("pdf-active-content", "/AA")


@pytest.mark.parametrize(
    "dictionary",
    [b"/Type /ObjStm", b"/Type /Obj#53tm", b""],  # a reader needs only /First and /N
    ids=["typed", "escaped-type", "untyped"],
)
def test_active_content_inside_a_compressed_object_stream_is_found(dictionary):
    hidden = object_stream({3: b"<< /Type /Page /A#41 << /O 4 0 R >> >>"}, dictionary=dictionary)
    assert found(pdf(CATALOG, PAGES, hidden)) == ("pdf-active-content", "/AA")


def test_an_object_stream_in_a_chain_of_filters_is_decoded():
    inner = b"3 0\n<< /S /Launch /F (calc.exe) >>"
    data = zlib.compress(inner).hex().encode() + b">"
    hidden = stream(b"/N 1 /First 4 /Filter [/AHx /Fl]", data)
    assert found(pdf(CATALOG, hidden)) == ("pdf-active-content", "/Launch")


@pytest.mark.parametrize(
    "action",
    [
        b"<< /Type /Catalog /OpenAction << /S /URI /URI (http://example.com/t) >> >>",
        b"<< /Type /Catalog /OpenAction << /S /GoTo /D [3 0 R] /Next 5 0 R >> >>",
        b"<< /Type /Catalog /OpenAction 9 0 R >>",  # to nothing the check could read
        b"<< /Type /Catalog /OpenAction 2 0 R >>",  # to a dictionary that is no GoTo
        b"<< /Type /Catalog /OpenAction /Print >>",
    ],
    ids=["uri", "goto-then-more", "unknown-object", "not-a-goto", "a-name"],
)
def test_an_open_action_that_does_more_than_show_a_page_is_refused(action):
    assert found(pdf(action, b"<< /S /Named /N /Print >>")) == (
        "pdf-active-content",
        "/OpenAction",
    )


def test_a_stream_is_skipped_by_its_length_not_by_a_fake_end_inside_it():
    """Stream bytes that spell ``endstream (`` would, if taken for the end, open a string
    that hides the next object; the stream's own (indirect) length skips them."""
    data = b"xx endstream ( yy"
    document = pdf(
        CATALOG,
        b"<< /Length 4 0 R >>\nstream\n%s\nendstream" % data,
        b"<< /Type /Page /AA << /O 5 0 R >> >>",
        b"%d" % len(data),
    )
    assert found(document) == ("pdf-active-content", "/AA")


def test_long_names_are_found_even_where_a_damaged_file_is_read_differently():
    """A reader repairing a damaged file searches it for objects, strings and streams
    included: the long names are refused wherever their bytes are."""
    hidden = pdf(CATALOG, b"<< /Title (1 0 obj << /S /Launch /F (calc.exe) >> endobj) >>")
    assert found(hidden) == ("pdf-active-content", "/Launch")


@pytest.mark.parametrize(
    ("dictionary", "data", "problem"),
    [
        (
            b"/N 1 /First 4 /Filter /LZWDecode",
            b"\x80\x0b",
            {"code": "pdf-filter-unsupported", "filter": "/LZWDecode"},
        ),
        (
            b"/N 1 /First 4 /Filter /FlateDecode /DecodeParms << /Predictor 12 >>",
            zlib.compress(b"3 0 << >>"),
            {"code": "pdf-decode-parameters"},
        ),
        (b"/N 1 /First 4 /Filter 7 0 R", b"x", {"code": "pdf-filter-by-reference"}),
        (
            b"/N 1 /First 4 /Filter /FlateDecode",
            b"not zlib",
            {"code": "pdf-stream-not-inflating"},
        ),
        (
            b"/N 1 /First 4 /Filter /FlateDecode",
            zlib.compress(b" " * (DECODED_BUDGET + 1)),
            {"code": "pdf-too-much-data"},
        ),
    ],
    ids=["lzw", "predictor", "filter-by-reference", "corrupt", "beyond-the-budget"],
)
def test_an_object_stream_that_cannot_be_checked_is_refused(dictionary, data, problem):
    assert found(pdf(CATALOG, stream(dictionary, data))) == ("pdf-unreadable", problem)


def test_a_stream_without_its_end_is_refused():
    truncated = b"%PDF-1.7\n1 0 obj\n<< /Length 100 >>\nstream\nxx"
    assert found(truncated) == ("pdf-unreadable", {"code": "pdf-stream-without-end"})


def test_the_budget_is_shared_by_all_object_streams_of_a_file():
    half = zlib.compress(b"3 0 " + b" " * (DECODED_BUDGET // 2 + 1))
    streams = [stream(b"/N 1 /First 4 /Filter /FlateDecode", half)] * 2
    assert check(pdf(CATALOG, streams[0])) is None
    assert found(pdf(CATALOG, *streams)) == (
        "pdf-unreadable",
        {"code": "pdf-too-much-data"},
    )


def test_a_file_of_more_tokens_than_the_budget_is_refused_quickly():
    """Half a million tokens is a hundred times a long document's: a file made of nothing
    else is refused instead of holding the worker."""
    assert found(b"%PDF-1.7\n" + b"0 " * (STEP_BUDGET + 1)) == (
        "pdf-unreadable",
        {"code": "pdf-too-many-tokens"},
    )
    assert check(b"%PDF-1.7\n" + b"0 " * (STEP_BUDGET - 10)) is None

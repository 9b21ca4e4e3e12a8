"""Active content in an evidence PDF, found without a PDF library.

An evidence file is opened by a regulator on an office computer, so a PDF that would run
something when opened is refused (not stripped: the file stays what the applicant sent).
Refused are the actions a reader runs or lets run (JavaScript, launching a program,
opening another file — on a network share that leaks the reader's Windows credentials —,
submitting or importing form data, embedded media, XFA forms) and the triggers that start
actions by themselves (additional actions, an open action). An open action that only shows
a page of the document — a destination (``/OpenAction [3 0 R /Fit]``, as LibreOffice
writes) or a plain ``/GoTo`` to one (as LaTeX's hyperref writes), given in place or by
reference — is accepted.

The file is read as a reader reads it, not searched as text, so that what a reader would
see cannot hide and what it would not see does not count:
- a name counts after its ``#xx`` escapes are decoded (``/J#61vaScript`` is ``/JavaScript``);
- strings and comments are skipped, as readers skip them;
- the bytes of a stream (pages, images, fonts: data, never objects) are skipped, measured
  by the stream's own ``/Length`` where it leads to ``endstream``, direct or indirect;
- an object stream holds objects: it is decoded (Flate, ASCIIHex, ASCII85) within a budget
  and read the same way.
A reader that repairs a damaged file by searching it for objects could see what the
structure hides, so the raw bytes are also searched for the long names in any spelling.
A file that cannot be checked (an object stream in another encoding, with a predictor or
encrypted; a stream without its end; more decoded data or more tokens than the budgets)
is refused too.
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass

ACTIVE_NAMES = frozenset(
    {"JavaScript", "JS", "Launch", "GoToR", "GoToE", "SubmitForm", "ImportData", "RichMedia"}
    | {"XFA", "AA"}
)
# the action types other than GoTo: an open action naming one of them is refused
OTHER_ACTIONS = ACTIVE_NAMES | {"URI", "Named", "Sound", "Movie", "Rendition", "Hide", "Next"}
OTHER_ACTIONS |= {"SetOCGState", "Trans", "GoTo3DView", "Thread", "ResetForm"}
DECODED_BUDGET = 16 * 1024 * 1024  # bytes of object streams decoded per file, at most
# tokens read per file, at most: a 100-page document has a few thousand, and a file made of
# nothing but tokens would otherwise hold a worker for half a minute
STEP_BUDGET = 500_000
_WS = rb"[\x00\t\n\x0c\r ]"  # PDF white space
_REGULAR = rb"[^\x00\t\n\x0c\r ()<>\[\]{}/%]"  # neither white space nor a delimiter
# one token after white space: 1 comment, 2 delimiter, 3 hex string, 4 literal string,
# 5 name, 6 keyword or number, 7 a stray closing delimiter
_TOKEN = re.compile(
    _WS + rb"*(?:(%)[^\r\n]*|(<<|>>|\[|\]|[{}])|(<)|(\()|/(" + _REGULAR + rb"*)|("
    + _REGULAR + rb"+)|([)>]))"
)  # fmt: skip
_STRING_PART = re.compile(rb"[()\\]")
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_OPEN_ACTION = re.compile(_WS + rb"*(?:(\[)|(<<)|(\d+)" + _WS + rb"+\d+" + _WS + rb"+R)")
_LENGTH = re.compile(_WS + rb"*(\d+)(?:" + _WS + rb"+(\d+)" + _WS + rb"+R)?")
_END = re.compile(_WS + rb"*endstream")
_INTEGER_OBJECT = re.compile(
    rb"(?<![0-9])(\d+)" + _WS + rb"+\d+" + _WS + rb"+obj" + _WS + rb"*(\d+)" + _WS + rb"*endobj"
)


def _spelled(name: str) -> bytes:
    """A name in every spelling a reader accepts: each character itself or ``#xx``."""
    return b"".join(
        b"(?:" + re.escape(c.encode()) + b"|#(?i:" + f"{ord(c):02x}".encode() + b"))"
        for c in name
    )  # fmt: skip


# The long names cannot turn up by chance in binary data; the short ones (JS, AA, XFA) can.
_RAW = re.compile(
    b"/(?:" + b"|".join(_spelled(n) for n in sorted(ACTIVE_NAMES) if len(n) > 3) + b")(?="
    + _WS + rb"|[()<>\[\]{}/%]|$)"
)  # fmt: skip


@dataclass(frozen=True)
class Finding:
    """Why a PDF is refused: ``pdf-active-content`` or ``pdf-unreadable``, and the
    problem as a field error (``{"code": ..., **params}``): the name found, or what could
    not be checked."""

    code: str
    problem: dict[str, str]


class _Refused(Exception):
    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.problem["code"])
        self.finding = finding


def _active(name: str) -> _Refused:
    return _Refused(Finding("pdf-active-content", _active_name(f"/{name}")))


def _active_name(name: str) -> dict[str, str]:
    return {"code": "pdf-active-name", "name": name}


def _unreadable(problem: dict[str, str]) -> _Refused:
    return _Refused(Finding("pdf-unreadable", problem))


def check(data: bytes) -> Finding | None:
    """The reason a PDF is refused, or None when it carries no active content."""
    try:
        _File(data).check()
    except _Refused as refused:
        return refused.finding
    raw = _RAW.search(data)
    if raw:
        return Finding("pdf-active-content", _active_name("/" + _decode_name(raw.group()[1:])))
    return None


def _decode_name(raw: bytes) -> str:
    return _NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw).decode("latin-1")


def _shows_a_page(kind: bytes | None, names: frozenset[str]) -> bool:
    """An open action that only shows a page: a destination, or a GoTo to one."""
    return kind == b"[" or ("GoTo" in names and not names & OTHER_ACTIONS)


@dataclass(frozen=True)
class _Object:
    kind: bytes | None  # its first token: b"[", b"<<", …
    names: frozenset[str]


class _File:
    """What the whole file shares: the objects seen, the decoding budget, the integer
    objects (indirect stream lengths) and the open actions given by reference."""

    def __init__(self, data: bytes) -> None:
        self.data, self.budget, self.steps = data, DECODED_BUDGET, STEP_BUDGET
        self.lengths = {int(m[1]): int(m[2]) for m in _INTEGER_OBJECT.finditer(data)}
        self.objects: dict[int, _Object] = {}
        self.open_actions: list[int] = []

    def check(self) -> None:
        _Walker(self, self.data).scan()
        for number in self.open_actions:
            target = self.objects.get(number)
            if target is None or not _shows_a_page(target.kind, target.names):
                raise _active("OpenAction")

    def step(self) -> None:
        """Count one token read; past the budget the file is not checked, and so refused."""
        self.steps -= 1
        if self.steps < 0:
            raise _unreadable({"code": "pdf-too-many-tokens"})

    def decode(self, data: bytes, names: list[str]) -> bytes:
        """An object stream's bytes through its filters, in order, within the budget.

        Filters or parameters given by reference, and parameters at all (predictors), would
        need a full reader: such a stream is not checked, and so refused."""
        filters = [name for name in names if name in DECODERS or name in OTHER_FILTERS]
        if "DecodeParms" in names or "DP" in names:
            raise _unreadable({"code": "pdf-decode-parameters"})
        if "Filter" in names and not filters:
            raise _unreadable({"code": "pdf-filter-by-reference"})
        for name in filters:
            if name in OTHER_FILTERS:
                raise _unreadable({"code": "pdf-filter-unsupported", "filter": f"/{name}"})
            data = DECODERS[name](data, self.budget)
            if len(data) > self.budget:
                raise _unreadable({"code": "pdf-too-much-data"})
        self.budget -= len(data)
        return data


class _Walker:
    """One pass over the objects of the file, or of one object of an object stream."""

    def __init__(self, file: _File, data: bytes, number: int | None = None) -> None:
        self.file, self.data = file, data
        self.number, self.kind = number, None  # the current object
        self.names: list[str] = []  # its names (for its stream and as a link's target)
        self.words = (b"", b"")  # the last two keywords or numbers (an object's number)
        self.length: int | None = None  # its stream's length
        self.first: int | None = None  # where an object stream's first object starts
        self.depth = 0  # of dictionaries
        self.open_action: tuple[int, list[str]] | None = None  # a dictionary being read

    def scan(self) -> None:
        pos = 0
        while match := _TOKEN.match(self.data, pos):
            self.file.step()
            pos = match.end()
            if self.kind is None and not match.group(1):
                self.kind = match.group(2) or match.group(3) or match.group(4) or b"?"
            if match.group(4):
                pos = _string_end(self.data, pos, self.file.step)
            elif match.group(3):
                pos = _hex_end(self.data, pos)
            elif match.group(2):
                self._delimiter(match.group(2))
            elif match.group(5) is not None:
                self._name(_decode_name(match.group(5)), pos)
            elif match.group(6):
                pos = self._word(match.group(6), pos)
        self._close()

    def _delimiter(self, token: bytes) -> None:
        self.depth += {b"<<": 1, b">>": -1}.get(token, 0)
        if self.open_action and self.depth < self.open_action[0]:
            if not _shows_a_page(b"<<", frozenset(self.open_action[1])):
                raise _active("OpenAction")
            self.open_action = None

    def _word(self, word: bytes, pos: int) -> int:
        if word == b"obj":
            self._close()
            self.number = int(self.words[0]) if self.words[0].isdigit() else None
        elif word == b"endobj":
            self._close()
        elif word == b"stream":
            return self._stream(pos)
        self.words = (self.words[1], word)
        return pos

    def _close(self) -> None:
        """Keep the object just read (an open action's reference may lead to it)."""
        if self.number is not None:
            self.file.objects[self.number] = _Object(self.kind, frozenset(self.names))
        self.number, self.kind, self.names = None, None, []
        self.length = self.first = None

    def _name(self, name: str, pos: int) -> None:
        self.names.append(name)
        if self.open_action:
            self.open_action[1].append(name)
        if name in ACTIVE_NAMES:
            raise _active(name)
        if name == "OpenAction":
            self._open_action(pos)
        elif name == "Length" and (length := _LENGTH.match(self.data, pos)):
            number, generation = length.groups()
            self.length = self.file.lengths.get(int(number)) if generation else int(number)
        elif name == "First" and (first := _LENGTH.match(self.data, pos)):
            self.first = None if first.group(2) else int(first.group(1))

    def _open_action(self, pos: int) -> None:
        """A destination passes; a dictionary is judged at its end, a reference once the
        whole file is read; anything else is refused."""
        value = _OPEN_ACTION.match(self.data, pos)
        if value is None:
            raise _active("OpenAction")
        destination, dictionary, reference = value.groups()
        if dictionary:
            self.open_action = (self.depth + 1, [])
        elif reference:
            self.file.open_actions.append(int(reference))

    def _stream(self, pos: int) -> int:
        """Skip a stream's bytes (read an object stream's objects); where reading resumes."""
        start = pos + (2 if self.data.startswith(b"\r\n", pos) else 1)
        end = self._stream_end(start)
        if "ObjStm" in self.names or "First" in self.names:
            decoded = self.file.decode(self.data[start:end], self.names)
            for number, chunk in _objects_in(decoded, self.first):
                _Walker(self.file, chunk, number).scan()
        self._close()
        return end + len(b"endstream")

    def _stream_end(self, start: int) -> int:
        """Where the stream's data ends: by its length when ``endstream`` follows it there,
        else at the first ``endstream`` (as readers recover a wrong length)."""
        if self.length is not None:
            after = _END.match(self.data, start + self.length)
            if after:
                return after.end() - len(b"endstream")
        end = self.data.find(b"endstream", start)
        if end < 0:
            raise _unreadable({"code": "pdf-stream-without-end"})
        return end


def _objects_in(decoded: bytes, first: int | None) -> list[tuple[int | None, bytes]]:
    """The objects of a decoded object stream with their numbers, by its header (pairs of
    object number and offset from ``first``); the whole as one without a usable header."""
    numbers = [int(n) for n in re.findall(rb"\d+", decoded[:first])] if first else []
    pairs = sorted(zip(numbers[::2], numbers[1::2], strict=False), key=lambda p: p[1])
    if not pairs or len(numbers) % 2 or first is None or first > len(decoded):
        return [(None, decoded)]
    ends = [offset for _, offset in pairs[1:]] + [len(decoded) - first]
    return [
        (number, decoded[first + offset : first + end])
        for (number, offset), end in zip(pairs, ends, strict=True)
    ]


def _string_end(data: bytes, pos: int, step: Callable[[], None]) -> int:
    """The position after a literal string opened just before ``pos`` (balanced
    parentheses, backslash escapes); the end of the data if it never closes."""
    depth = 1
    while part := _STRING_PART.search(data, pos):
        step()
        pos = part.end()
        if part.group() == b"\\":
            pos += 1
        elif part.group() == b"(":
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                return pos
    return len(data)


def _hex_end(data: bytes, pos: int) -> int:
    end = data.find(b">", pos)
    return len(data) if end < 0 else end + 1


def _inflate(data: bytes, limit: int) -> bytes:
    try:
        return zlib.decompressobj().decompress(data, limit + 1)
    except zlib.error as exc:
        raise _unreadable({"code": "pdf-stream-not-inflating"}) from exc


def _unhex(data: bytes, limit: int) -> bytes:
    digits = re.sub(rb"[^0-9A-Fa-f]", b"", data.split(b">")[0])
    return binascii.unhexlify(digits + b"0" * (len(digits) % 2))


def _un85(data: bytes, limit: int) -> bytes:
    try:
        return base64.a85decode(data.split(b"~>")[0], ignorechars=b" \t\n\r\x0c\x00")
    except ValueError as exc:
        raise _unreadable({"code": "pdf-stream-not-decoding"}) from exc


DECODERS: dict[str, Callable[[bytes, int], bytes]] = {
    "FlateDecode": _inflate,
    "Fl": _inflate,
    "ASCIIHexDecode": _unhex,
    "AHx": _unhex,
    "ASCII85Decode": _un85,
    "A85": _un85,
}
OTHER_FILTERS = frozenset(
    {"LZWDecode", "LZW", "RunLengthDecode", "RL", "CCITTFaxDecode", "CCF", "DCTDecode", "DCT"}
    | {"JBIG2Decode", "JPXDecode", "Crypt"}
)

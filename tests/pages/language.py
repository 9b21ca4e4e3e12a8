"""What a reader sees of a page, and the raw codes and English in it.

The pages speak Chinese; a code the service uses inside (``severe-record``,
``step-out-of-order``), a media type (``image/png``) or an English sentence (``records
imported``) showing through is a gap in the translation. The check reads the text a
reader sees (tags, attributes, scripts and styles stripped) and flags every run of ASCII
that holds a word with a lower-case letter, two letters or more: codes and English are
written in lower case, while what may rightly show in ASCII is upper case or digits
(identifiers such as a USCC or ``PAT-PEN-COUNTERFEIT``, the standard's field names such
as ``CF_WSH``, abbreviations such as CSV, JSON, PDF), dates, times and numbers.

Text that is data or code, shown as written (a platform's answer, a row as received,
a file's path and keys, a content hash), is marked in the template with the standard
``translate="no"`` attribute, and the check skips it. User names, which show in many
sentences, are passed to the check as the data they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html.parser import HTMLParser

# Words in mixed case that are names, not English prose.
ALLOWED_WORDS = frozenset({"OpenAPI", "Atom"})
VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
HIDDEN = frozenset({"script", "style", "template"})
ASCII_RUN = re.compile(r"[!-~](?:[ -~]*[!-~])?")
WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")


class VisibleText(HTMLParser):
    """The text nodes a reader sees, outside scripts, styles and ``translate="no"``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._open: list[tuple[str, bool]] = []  # tag, whether its content is skipped

    def _skipping(self) -> bool:
        return any(skipped for _, skipped in self._open)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        skipped = tag in HIDDEN or dict(attrs).get("translate") == "no"
        self._open.append((tag, skipped))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        return  # <br/>, <svg .../>: nothing to read

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self._open) - 1, -1, -1):
            if self._open[depth][0] == tag:
                del self._open[depth:]
                return

    def handle_data(self, data: str) -> None:
        if not self._skipping() and data.strip():
            self.texts.append(data)


def visible_text(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    return parser.texts


def is_raw(word: str) -> bool:
    """A word that is English or a code: two letters or more, one of them lower case."""
    letters = sum(c.isalpha() for c in word)
    return letters >= 2 and any(c.islower() for c in word) and word not in ALLOWED_WORDS


def raw_strings(html: str, data: Iterable[str] = ()) -> list[str]:
    """Each run of ASCII in the visible text that holds a raw word, as it reads. ``data``
    are strings people chose that may show anywhere (user names), taken out first."""
    names = sorted(set(data), key=len, reverse=True)
    found = []
    for text in visible_text(html):
        for name in names:
            text = text.replace(name, " ")
        for run in ASCII_RUN.findall(text):
            if any(is_raw(word) for word in WORD.findall(run)):
                found.append(run)
    return found

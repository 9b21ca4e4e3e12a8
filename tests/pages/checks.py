"""Accessibility basics of a rendered page, checked on its HTML (the browser tests check
the same in Chromium): the language is set, one h1, every form field labelled, every
image and chart described, every table with headers, no inline script or style."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

FIELDS = ("input", "select", "textarea")
UNLABELLED_TYPES = ("hidden", "submit", "button", "reset", "image")


@dataclass
class Page(HTMLParser):
    """The parts of a page the checks need."""

    lang: str | None = None
    h1: int = 0
    ids: set[str] = field(default_factory=set)
    label_for: set[str] = field(default_factory=set)
    fields: list[dict[str, str]] = field(default_factory=list)
    images: list[dict[str, str]] = field(default_factory=list)
    svgs: list[dict[str, str]] = field(default_factory=list)
    tables: int = 0
    headers: int = 0
    scripts: int = 0
    inline_styles: int = 0
    _open_labels: int = 0
    wrapped: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        if "style" in a:
            self.inline_styles += 1
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "h1":
            self.h1 += 1
        elif tag == "label":
            self._open_labels += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        elif tag in FIELDS and a.get("type", "") not in UNLABELLED_TYPES:
            if self._open_labels:
                self.wrapped.add(len(self.fields))
            self.fields.append({"tag": tag, **a})
        elif tag == "img":
            self.images.append(a)
        elif tag == "svg" and a.get("role") == "img":
            self.svgs.append(a)
        elif tag == "table":
            self.tables += 1
        elif tag == "th":
            self.headers += 1
        elif tag == "script" and not a.get("src"):
            self.scripts += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "label" and self._open_labels:
            self._open_labels -= 1


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def problems(html: str) -> list[str]:
    """Everything wrong with the page, in words (empty when it passes)."""
    page = parse(html)
    found = []
    if page.lang != "zh-CN":
        found.append(f"html lang is {page.lang!r}")
    if page.h1 != 1:
        found.append(f"{page.h1} h1 headings")
    for n, f in enumerate(page.fields):
        labelled = (
            f.get("id") in page.label_for
            or n in page.wrapped
            or f.get("aria-label")
            or f.get("aria-labelledby")
        )
        if not labelled:
            found.append(f"unlabelled {f['tag']} name={f.get('name')!r}")
    found += [f"image without alt: {i.get('src')}" for i in page.images if "alt" not in i]
    for svg in page.svgs:
        names = (svg.get("aria-labelledby") or "").split()
        if not names or any(n not in page.ids for n in names):
            found.append(f"chart without a title and description: {svg}")
    if page.tables and page.headers == 0:
        found.append("a table without header cells")
    if page.scripts:
        found.append("inline script (the CSP forbids it)")
    if page.inline_styles:
        found.append("inline style attribute (the CSP forbids it)")
    return found


def assert_accessible(html: str) -> None:
    found = problems(html)
    assert not found, "\n".join(found)

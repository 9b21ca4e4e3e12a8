"""Papers received on a step (the party's statement and defence, a written waiver, an
application on paper): what a step records of each, and their checks. Pure.

A step keeps its papers in its JSON details, so its history shows what it rests on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from credit_service.errors import InvalidInput

PAPERS_PER_STEP = 10
PAPER_TITLE_CHARS = (2, 200)
PAPER_REFERENCE_CHARS = 100


@dataclass(frozen=True)
class Paper:
    """A paper received from the party, as a step records it."""

    title: str
    reference: str | None = None
    received_on: date | None = None


def paper_errors(papers: Sequence[Paper], today: date) -> dict[int, dict[str, list[Any]]]:
    """What is wrong with each paper, by its position (as a schema reports a list); empty
    when all are fine. A paper cannot have been received after today."""
    low, high = PAPER_TITLE_CHARS
    errors: dict[int, dict[str, list[Any]]] = {}
    for index, paper in enumerate(papers):
        found: dict[str, list[Any]] = {}
        if not low <= len(paper.title.strip()) <= high:
            found["title"] = [{"code": "length-between", "min": low, "max": high}]
        if paper.reference and len(paper.reference) > PAPER_REFERENCE_CHARS:
            found["reference"] = [{"code": "length-at-most", "max": PAPER_REFERENCE_CHARS}]
        if paper.received_on and paper.received_on > today:
            found["received_on"] = ["date-in-future"]
        if found:
            errors[index] = found
    return errors


def checked_papers(documents: Sequence[Mapping[str, Any]], today: date) -> list[dict[str, Any]]:
    """The papers as a step's JSON details keep them (dates as ISO text).

    :raises InvalidInput: too many papers, or one not valid (errors by position).
    """
    if len(documents) > PAPERS_PER_STEP:
        raise InvalidInput(
            "too-many-papers",
            limit=PAPERS_PER_STEP,
            errors={"documents": [{"code": "items-at-most", "max": PAPERS_PER_STEP}]},
        )
    papers = [
        Paper(
            title=(d.get("title") or "").strip(),
            reference=(d.get("reference") or "").strip() or None,
            received_on=d.get("received_on"),
        )
        for d in documents
    ]
    wrong = paper_errors(papers, today)
    if wrong:
        raise InvalidInput("paper-invalid", errors={"documents": wrong})
    return [
        {
            "title": p.title,
            "reference": p.reference,
            "received_on": p.received_on.isoformat() if p.received_on else None,
        }
        for p in papers
    ]

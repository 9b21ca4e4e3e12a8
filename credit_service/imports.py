"""CSV import plumbing shared by the entity and record importers.

Rows are streamed and handled in batches, so memory does not grow with the file; each
batch is its own transaction (the deliberate exception to one-service-one-transaction,
as bulk loads must make progress) and each is idempotent, so a re-run is safe.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import IO, Any

from credit_service.errors import InvalidInput

MAX_REPORTED_ERRORS = 1_000


@dataclass(frozen=True)
class RowError:
    """One problem with one row: its line in the file, the column, and why (the code of
    a field error and its params)."""

    line: int
    column: str | None
    reason: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class ImportReport:
    """Counts of what an import did and the first errors it found."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: int = 0
    errors: list[RowError] = field(default_factory=list)

    def add_errors(self, line: int, errors: dict[str, Any]) -> None:
        """Record a row's field errors (one invalid row, possibly several columns), each
        a code or ``{"code": ..., **params}``."""
        self.invalid += 1
        for column, entries in errors.items():
            for entry in entries if isinstance(entries, list) else [entries]:
                if len(self.errors) < MAX_REPORTED_ERRORS:
                    params = dict(entry) if isinstance(entry, dict) else {"code": entry}
                    self.errors.append(RowError(line, column, params.pop("code"), params))

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "invalid": self.invalid,
            "errors": [e.__dict__ for e in self.errors],
            "errors_truncated": self.invalid > 0 and len(self.errors) >= MAX_REPORTED_ERRORS,
        }


BatchDone = Callable[[ImportReport], None]
"""What an importer tells after each batch is committed (or found to hold no valid row):
the report so far, whose counts are then those of the committed batches (a console
import's progress)."""


def counted_lines(stream: IO[str], progress: Callable[[int], None] | None) -> Iterator[str]:
    """Yield the stream's lines, reporting the bytes read to ``progress``.

    :raises InvalidInput: when the file is not UTF-8 text.
    """
    read = 0
    try:
        for line in stream:
            read += 1
            if "\x00" in line:
                raise InvalidInput(
                    "nul-character",
                    errors={"file": [{"code": "nul-character-in-line", "line": read}]},
                )
            if progress:
                progress(len(line.encode("utf-8")))
            yield line
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            "not-utf8", errors={"file": [{"code": "not-utf8-after-line", "line": read}]}
        ) from exc


def read_csv(
    stream: IO[str], *, progress: Callable[[int], None] | None = None
) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header of a UTF-8 CSV (BOM tolerated) and an iterator of (line number, values)."""
    reader = csv.reader(counted_lines(stream, progress))
    header = [name.lstrip("\ufeff").strip() for name in next(reader, [])]
    rows = ((reader.line_num, values) for values in reader if values)
    return header, rows


def rows_by_column(
    header: list[str], batch: list[tuple[int, list[str]]], errors: list[tuple[int, Any]]
) -> Iterator[tuple[int, dict[str, str]]]:
    """A batch's (line number, values) rows as dicts by column, the values stripped; a
    row with more values than the header has columns goes to ``errors`` instead."""
    width = len(header)
    for line, values in batch:
        if len(values) > width:
            errors.append((line, {"row": ["more-values-than-columns"]}))
        else:
            yield line, dict(zip(header, map(str.strip, values), strict=False))


def count_rows(stream: IO[str]) -> int:
    """How many rows an importer will read from the CSV (its header and blank lines aside).

    :raises InvalidInput: when the file is not UTF-8 text.
    """
    _, rows = read_csv(stream)
    return sum(1 for _ in rows)


def check_header(header: list[str], *, allowed: Iterable[str], required: Iterable[str]) -> None:
    """:raises InvalidInput: when the header has unknown or missing columns."""
    problems = []
    unknown = [h for h in header if h not in set(allowed)]
    if unknown:
        problems.append({"code": "unknown-columns", "columns": ", ".join(unknown)})
    missing = sorted(set(required) - set(header))
    if missing:
        problems.append({"code": "missing-columns", "columns": ", ".join(missing)})
    if problems:
        raise InvalidInput("header-mismatch", errors={"header": problems})


def batched(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch

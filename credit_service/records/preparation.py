"""Preparing records before they are written: validation and derived columns.

Kept free of sessions, of the Context and of the ORM so that a bulk import can run it in
worker processes (everything here pickles) while the main process writes. The only
impurity: a bulk import's rows get their event ids (random) here, in the worker, since
the writing process is the import's bottleneck; a row that turns out to be unchanged
wastes its id, which costs the worker about 4 µs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from credit_service.catalogs.definitions import CONDUCT_END_FIELD, CatalogItem, PublicityRules
from credit_service.entities.rules import lookup_key
from credit_service.errors import InvalidInput
from credit_service.imports import rows_by_column
from credit_service.records import exchange, layouts, rules
from credit_service.workdays import WorkdayCalendar

ItemMap = dict[str, tuple[int, CatalogItem]]
DatesMemo = dict[tuple[Any, ...], rules.PublicityDates]
MEMO_LIMIT = 20_000  # entries; past it the memo starts afresh, so memory stays bounded


@dataclass(frozen=True)
class PreparedRecord:
    """A record's fields validated and its derived columns computed, before writing."""

    item_row_id: int
    item: CatalogItem
    values: dict[str, Any]
    envelope: rules.Envelope
    severity: str | None
    heavier_penalty: bool
    dates: rules.PublicityDates
    fields_json: str
    content_hash: str

    def columns(self) -> dict[str, Any]:
        """The derived columns of ``credit_records`` (shared by filing and correcting)."""
        return {
            "catalog_item_id": self.item_row_id,
            "item_code": self.item.code,
            "domain": self.item.domain,
            "category": self.item.category,
            "severity": self.severity,
            "heavier_penalty": self.heavier_penalty,
            "disclosure": self.item.disclosure,
            "source_authority": self.envelope.source_authority,
            "source_ref": self.envelope.source_ref,
            "decision_date": self.envelope.decision_date,
            "publicity_end": self.dates.publicity_end,
            "repair_from": self.dates.repair_from,
            "retention_end": self.dates.retention_end,
            "retention_from": self.dates.retention_from,
            "early_stop_allowed": self.dates.early_stop_allowed,
            "fields": self.values,
            "content_hash": self.content_hash,
        }


def prepare_record(
    item_row_id: int,
    item: CatalogItem,
    raw: dict[str, Any],
    *,
    publicity: PublicityRules,
    calendar: WorkdayCalendar,
    today: date,
    memo: DatesMemo | None = None,
) -> PreparedRecord:
    """Validate ``raw`` against the item (dates in range as of ``today``) and compute
    severity and publicity dates.

    ``memo`` lets a bulk import reuse dates computed for the same item, severity, date,
    penalty types and end of conduct (they repeat across thousands of rows).

    :raises InvalidInput: with ``fields.<name>`` keys.
    """
    values = rules.validate_fields(item, raw, today)
    envelope = rules.envelope_of(item, values)
    severity = rules.severity_of(item, values, publicity)
    key = (
        item_row_id,
        severity,
        envelope.decision_date,
        rules.penalty_types(values),
        values.get(CONDUCT_END_FIELD),
    )
    dates = memo.get(key) if memo is not None else None
    if dates is None:
        dates = rules.publicity_dates(
            item, severity, values, envelope.decision_date, publicity, calendar
        )
        if memo is not None:
            if len(memo) >= MEMO_LIMIT:
                memo.clear()
            memo[key] = dates
    fields_json = rules.canonical_fields(values)
    return PreparedRecord(
        item_row_id=item_row_id,
        item=item,
        values=values,
        envelope=envelope,
        severity=severity,
        heavier_penalty=rules.is_heavier_penalty(item, values, publicity),
        dates=dates,
        fields_json=fields_json,
        content_hash=rules.content_hash(item.code, fields_json),
    )


EventParts = tuple[str, str, str]  # event id, record key, payload head: exchange.filed_event_parts
# line, entity identifier, columns, and the record.filed event's parts (None when the
# records are a platform's own: ``BatchPreparer.events``)
PreparedRow = tuple[int, str, dict[str, Any], EventParts | None]


@dataclass
class PreparedBatch:
    """One CSV batch after preparation: rows ready to write, and the rows refused.

    A row's ``fields`` column is its canonical JSON text (stored as is), and its
    record.filed event comes ready but for the party, which the writer reads from the
    registry: the writing process is an import's bottleneck, so it does as little as it can.
    """

    rows: list[PreparedRow] = field(default_factory=list)
    errors: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    count: int = 0


@dataclass
class BatchPreparer:
    """Turns raw CSV rows of one layout into prepared rows (runs in worker processes).

    ``events`` is False for records a platform sent (``--from-platform``): no event
    leaves the city for them, so none is made."""

    header: list[str]
    layout: str
    items: ItemMap
    publicity: PublicityRules
    calendar: WorkdayCalendar
    today: date
    events: bool = True
    memo: DatesMemo = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_violation = {
            vt: code for code, (_, item) in self.items.items() for vt in item.violation_types
        }
        self.mapper = layouts.MAPPERS[self.layout]

    def __call__(self, batch: list[tuple[int, list[str]]]) -> PreparedBatch:
        """Prepare a batch of (line number, CSV values) rows."""
        out = PreparedBatch(count=len(batch))
        for line, row in rows_by_column(self.header, batch, out.errors):
            self._prepare_row(line, row, out)
        return out

    def _prepare_row(self, line: int, row: dict[str, str], out: PreparedBatch) -> None:
        mapped = self.mapper(row)
        code = mapped.item_code or self.by_violation.get(mapped.violation_type or "")
        if code not in self.items:
            column = "ITEM_CODE" if mapped.item_code else "CF_WFXW"
            out.errors.append((line, {column: ["no-catalog-item-for-row"]}))
            return
        row_id, item = self.items[code]
        try:
            record = prepare_record(
                row_id,
                item,
                mapped.fields,
                publicity=self.publicity,
                calendar=self.calendar,
                today=self.today,
                memo=self.memo,
            )
        except InvalidInput as exc:
            out.errors.append(
                (line, {k.removeprefix("fields."): v for k, v in (exc.errors or {}).items()})
            )
            return
        columns = record.columns()
        columns["fields"] = record.fields_json
        event = exchange.filed_event_parts(columns) if self.events else None
        out.rows.append((line, lookup_key(mapped.identifier), columns, event))

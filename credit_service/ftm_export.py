"""The public lists as FollowTheMoney entities (JSON lines), built with the
``followthemoney`` package, so screening tools (yente, the OpenSanctions pipeline, Aleph)
index them without a parser of their own (docs/open-data.md, *FollowTheMoney*).

Each entry of the severe-dishonesty list is a ``Company`` (``Person`` for a natural
person) with a ``Sanction``: the authority, the list as the program, the grounds as the
reason, publication and end of term as start and end dates, the entry's public page as
the source. Each entry of the trustworthy list is the same ``Company`` or ``Person`` with
an ``Event`` (an honour is no sanction: a screening tool must never flag it as one),
organised by the awarding authority (a ``PublicBody``).

What an entity carries is what the public pages show, no more: a natural person's masked
name and no identifier (D12), never the tier (D1). A person's entity id is made from the
entry's id, never from the resident ID (a hash of an ID number is reversible by trying
the few births of a region). An organisation's id is made from its USCC, so one company
on both lists is one entity; it is written again with each of its entries (FtM readers
merge fragments with the same id).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from followthemoney import model
from followthemoney.proxy import EntityProxy

COUNTRY = "cn"
DISHONESTY_TOPIC = "reg.action"  # a regulator's action with disciplinary measures


@dataclass(frozen=True)
class Source:
    """What the export says about its origin: the id prefix of its entities (the city's
    region code keeps two cities' exports apart), the program's name and id, and the
    address of an entry's public page."""

    prefix: str
    program: str
    program_id: str
    entry_url: Callable[[int], str]
    program_url: str | None = None


def _entity(schema: str, entity_id: str, **properties: Any) -> EntityProxy:
    proxy = model.make_entity(schema)
    proxy.id = entity_id
    for name, value in properties.items():
        values = value if isinstance(value, list | tuple) else [value]
        for one in values:
            if one not in (None, ""):
                proxy.add(name, str(one))
    return proxy


def party(source: Source, entry: dict[str, Any]) -> EntityProxy:
    """The listed entity as its public entry shows it (masked for a natural person)."""
    common = {"name": entry["name"], "country": COUNTRY, "sourceUrl": source.entry_url(entry["id"])}
    if entry["kind"] == "natural_person":
        return _entity(
            "Person", f"{source.prefix}-person-{source.program_id}-{entry['id']}", **common
        )
    return _entity(
        "Company",
        f"{source.prefix}-uscc-{entry['uscc']}",
        jurisdiction=COUNTRY,
        uscCode=entry["uscc"],
        registrationNumber=entry["uscc"],
        address=entry["region"],
        **common,
    )


def dishonesty_entities(source: Source, entry: dict[str, Any]) -> list[EntityProxy]:
    """A list entry (``dishonesty.public.entry_view``) as its party and a Sanction."""
    who = party(source, entry)
    who.add("topics", DISHONESTY_TOPIC)
    sanction = _entity(
        "Sanction",
        f"{source.prefix}-dishonesty-{entry['id']}",
        entity=who.id,
        authority=entry["authority"],
        country=COUNTRY,
        program=source.program,
        programId=source.program_id,
        programUrl=source.program_url,
        reason=[g["name"] for g in entry["grounds"]],
        provisions=[m["name"] for m in entry["measures"]],
        recordId=entry["decision_no"],
        date=entry["decided_on"],
        listingDate=entry["published_on"],
        startDate=entry["published_on"],
        endDate=entry["term_ends_on"],
        sourceUrl=source.entry_url(entry["id"]),
    )
    return [who, sanction]


def trustworthy_entities(source: Source, entry: dict[str, Any]) -> list[EntityProxy]:
    """A trustworthy entry (``records.trustworthy.entry_view``) as its party, the
    awarding authority (a PublicBody, by its name) and an Event: the honour."""
    who = party(source, entry)
    digest = hashlib.sha1(entry["awarded_by"].encode(), usedforsecurity=False).hexdigest()[:16]
    authority = _entity(
        "PublicBody", f"{source.prefix}-authority-{digest}", name=entry["awarded_by"]
    )
    event = _entity(
        "Event",
        f"{source.prefix}-trustworthy-{entry['id']}",
        name=entry["honour"],
        involved=who.id,
        organizer=authority.id,
        country=COUNTRY,
        program=[source.program, entry["item"]],
        programId=source.program_id,
        summary=entry["honour_level"],
        description=entry["project"],
        recordId=entry["document_no"],
        date=entry["awarded_on"],
        startDate=entry["awarded_on"],
        endDate=entry["term_ends_on"],
        sourceUrl=source.entry_url(entry["id"]),
    )
    return [who, authority, event]


def json_lines(
    entries: Iterable[dict[str, Any]],
    build: Callable[[dict[str, Any]], list[EntityProxy]],
) -> Iterator[str]:
    """One JSON object per line, per entity of each entry (streamed)."""
    for entry in entries:
        for proxy in build(entry):
            yield json.dumps(proxy.to_dict(), ensure_ascii=False) + "\n"

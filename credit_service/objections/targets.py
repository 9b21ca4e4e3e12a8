"""What an objection may name: a published record or list entry, whole or one field of
it, and the value the public sees there now."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from credit_service.access import Actor
from credit_service.dishonesty.models import DishonestyCase
from credit_service.entities import services as entity_services
from credit_service.entities.models import Entity
from credit_service.errors import InvalidInput, NotFound
from credit_service.records.models import CreditRecord

# The fields of a list entry a party may contest one by one.
LISTING_FIELDS = ("grounds", "measures", "decided_on", "published_on", "term_ends_on")


@dataclass(frozen=True)
class Target:
    """A contested record or listing: its kind and id, its entity and its fields' values."""

    kind: str
    id: int
    entity: Entity
    values: dict[str, Any]
    item_code: str | None = None  # a record's catalog item (its fields' labels)

    def shown(self, field: str) -> str | None:
        """The value shown for ``field``, as text (a list joined, a date in ISO form)."""
        if not field:
            return None
        value = self.values.get(field)
        if isinstance(value, list):
            return "、".join(str(v) for v in value)
        return None if value is None else str(value)


def load(session: Session, actor: Actor, kind: str, target_id: int) -> Target:
    """The published target in the actor's scope (or the enterprise's own).

    :raises NotFound: no such target published; :raises Forbidden: out of scope.
    """
    row = _published(session, kind, target_id)
    if row is None:
        raise NotFound("target-not-found", target=f"{kind}:{target_id}")
    entity = session.get(Entity, row.entity_id)
    entity_services.entity_in_scope(session, actor, entity.identifier)
    if kind == "record":
        return Target(kind, target_id, entity, dict(row.fields), row.item_code)
    values = {name: getattr(row, name) for name in LISTING_FIELDS}
    return Target(kind, target_id, entity, values)


def _published(session: Session, kind: str, target_id: int) -> Any:
    if kind == "record":
        record = session.get(CreditRecord, target_id)
        return record if record is not None and record.status == "active" else None
    case = session.get(DishonestyCase, target_id)
    return case if case is not None and case.state == "published" else None


def ensure_field(target: Target, field: str) -> None:
    """A field objected to must be one the target has.

    :raises InvalidInput: naming the fields it has.
    """
    if field and field not in target.values:
        allowed = ", ".join(sorted(target.values))
        raise InvalidInput(
            "objection-field-unknown",
            errors={"field": [{"code": "not-one-of", "allowed": allowed}]},
        )

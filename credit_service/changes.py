"""What changed in a transaction, kept on its session until it commits: side effects
flow one way.

A service records the domain facts of its write (``record(session, RecordFiled(...))``)
and does nothing more about them: it neither recomputes a tier nor writes an outbox event
or a change-feed row. Just before the transaction commits, the handler table
(``credit_service/effects.py``, above the areas) turns the facts into those effects in the
same transaction, so they commit with the write or not at all; a rollback discards the
facts with the rows. Each handler gets every fact of its types at once, as a list, so a
bulk import's thousands of facts are one tier recompute and one outbox write.

This module is kernel: it defines the facts and the machinery and imports no area. The
table is handed to ``install`` by whoever builds the Context.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

if TYPE_CHECKING:
    from credit_service.access import Actor
    from credit_service.context import Context

# --- the facts -------------------------------------------------------------------------------
#
# Each names something that happened in the domain, never the effect it will have. Those a
# tier rests on say which entities they concern (``entity_ids``) and, in a few words, what
# happened (``summary``: the tier history shows it as the cause of a move).


class _OfOneEntity:
    """A fact about one entity (its ``entity_id``)."""

    __slots__ = ()
    entity_id: int

    @property
    def entity_ids(self) -> tuple[int, ...]:
        return (self.entity_id,)


@dataclass(frozen=True, slots=True)
class EntitiesChanged:
    """What some entities' tiers rest on changed outside their records and listings: they
    were registered, a tier override was set or ended, time passed."""

    entity_ids: tuple[int, ...]
    summary: str


@dataclass(frozen=True, slots=True)
class EntitiesRenamed:
    """Some entities' names (or kinds) changed in the registry: what other areas keep of
    a name follows it."""

    entity_ids: tuple[int, ...]


# A record in the exchange format made ahead of its write: (the event id drawn for it, its
# exchange key, its owner's identifier, the payload as JSON text). A plain tuple: a bulk
# import makes one per row, and the writing process is its bottleneck.
ExchangeForm = tuple[str, str, str, str]


@dataclass(frozen=True, slots=True)
class RecordFiled(_OfOneEntity):
    """A new credit record: filed by hand, pulled from a platform, or imported in bulk.

    A bulk import writes its rows without reading their ids back: its facts have no
    ``record_id`` and carry ``exchange``, the record as it leaves the city, made while the
    import validated it (the writing process is the import's bottleneck)."""

    entity_id: int
    record_id: int | None
    from_platform: bool = False
    exchange: ExchangeForm | None = None

    @property
    def summary(self) -> str:
        return "records imported" if self.record_id is None else f"record {self.record_id} filed"


@dataclass(frozen=True, slots=True)
class RecordCorrected(_OfOneEntity):
    """A record got a new revision (its earlier ones stay readable)."""

    entity_id: int
    record_id: int
    from_platform: bool = False

    @property
    def summary(self) -> str:
        return f"record {self.record_id} corrected"


RecordStatus = Literal["active", "expired", "revoked", "repaired"]


@dataclass(frozen=True, slots=True)
class RecordStatusChanged(_OfOneEntity):
    """A record's status changed: revoked, its publicity ended (``expired``), repaired,
    or published again (``active``) when the repair that took it down was revoked. A
    revocation says when it took effect and who recorded it: the listings resting on the
    penalty come down in its name (D11)."""

    entity_id: int
    record_id: int
    status: RecordStatus
    from_platform: bool = False
    revoked_on: date | None = None
    by: Actor | None = None

    @property
    def summary(self) -> str:
        if self.status == "expired":
            return "publicity ended"
        what = {"active": "published again"}.get(self.status, self.status)
        elsewhere = " elsewhere" if self.from_platform else ""
        return f"record {self.record_id} {what}{elsewhere}"


@dataclass(frozen=True, slots=True)
class RecordPurged(_OfOneEntity):
    """A record past its retention (D16) was deleted with its revisions. The row is gone
    when the fact is handled: it carries what the platforms are told of it (its exchange
    key and the day its retention ended)."""

    entity_id: int
    record_id: int
    record_key: str
    retention_end: date
    from_platform: bool = False

    @property
    def summary(self) -> str:
        return f"record {self.record_id} purged"


@dataclass(frozen=True, slots=True)
class ListingChanged(_OfOneEntity):
    """An entity was added to the severe-dishonesty list (published, or restored when the
    repair that removed it was revoked) or removed from it, effective ``effective_on``;
    ``reason`` is the removal reason, or why a listing came back."""

    entity_id: int
    case_id: int
    kind: Literal["added", "removed"]
    reason: str | None
    effective_on: date

    @property
    def summary(self) -> str:
        return f"listing {self.case_id} {self.kind}"


@dataclass(frozen=True, slots=True)
class RepairGranted:
    """A credit-repair application was granted on ``decided_on``: its record or listing
    leaves publication (facts of their own, recorded by their areas)."""

    application_id: int
    entity_id: int
    target_type: Literal["record", "listing"]
    target_id: int
    decided_on: date


@dataclass(frozen=True, slots=True)
class ObjectionMarked:
    """An objection to a record or listing was accepted (``marked``: from now on it
    carries 异议处理中 on every channel) or closed (the mark goes), on ``on``."""

    objection_id: int
    entity_id: int
    target_type: Literal["record", "listing"]
    target_id: int
    marked: bool
    on: date


@dataclass(frozen=True, slots=True)
class ObjectionDecided:
    """An objection was answered on ``decided_on``: ``outcome`` upheld, partly_upheld or
    not_upheld (an accepted one decided), or refused (not accepted; ``action`` none);
    ``action`` what it changed (correct, revoke, remove, none: the change itself is a
    fact of its record's or listing's area).
    ``platform_ref`` names the provincial platform's objection it answers, if forwarded."""

    objection_id: int
    entity_id: int
    target_type: Literal["record", "listing"]
    target_id: int
    field: str
    outcome: str
    action: str
    decided_on: date
    platform_ref: str | None = None


@dataclass(frozen=True, slots=True)
class BindingDecided:
    """A regulator decided an enterprise account's binding to its USCC on ``on``:
    ``approved``, or refused with ``reason``."""

    username: str
    approved: bool
    on: date
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ReviewStepTaken:
    """A review step the party must hear of that no other fact names: a repair
    application accepted, not accepted, refused, or materials requested; an objection's
    materials requested or its decision extended. ``what`` is the step's reasons (the
    materials asked for); ``due_on`` by when: the decision date an acceptance or an
    extension sets, the day the requested materials are due (None for a decision)."""

    procedure: Literal["repair", "objection"]
    object_id: int
    entity_id: int
    step: str
    on: date
    what: str = ""
    due_on: date | None = None


# --- recording and handling ------------------------------------------------------------------

Handler = Callable[[Session, "Context", list[Any]], None]
HandlerTable = Mapping[type, Sequence[Handler]]

_EFFECTS = "credit_service.effects"  # session.info: the Effects installed on its factory
_PENDING = "credit_service.pending_changes"  # session.info: facts not yet handled
_MARKS = "credit_service.savepoint_marks"  # session.info: savepoint -> facts before it
MAX_ROUNDS = 10  # a handler may record further facts; a loop of them is a bug


def record(session: Session, *changes: Any) -> None:
    """Keep ``changes`` on the session until its transaction commits (or ``settle``).

    :raises RuntimeError: the session's factory has no handler table (a session not made
        by the Context's write factory); :raises TypeError: a fact with no row in it.
    """
    effects = _effects(session)
    for change in changes:
        if type(change) not in effects.table:
            raise TypeError(f"no handlers for {type(change).__name__} in the handler table")
    session.info.setdefault(_PENDING, []).extend(changes)


def pending(session: Session) -> list[Any]:
    """The facts recorded in this transaction and not handled yet (a copy)."""
    return list(session.info.get(_PENDING, ()))


def settle(session: Session) -> None:
    """Handle the facts recorded so far now, inside the transaction, instead of at commit.

    For the few reads that must see the effects of their own transaction's writes before
    it ends (a tier refreshed and shown in the same transaction, a test looking inside
    one); everything else leaves the handling to the commit, which batches more.
    """
    _effects(session).run(session)


def install(session_factory: sessionmaker, table: HandlerTable, ctx: Context) -> None:
    """Make ``session_factory``'s sessions handle their facts with ``table`` before they
    commit (in the same transaction), and forget them when they roll back. Idempotent:
    a factory installed again keeps one listener and takes the new table. (Whether it was
    is read from the factory, not from ``event.contains``: SQLAlchemy's registry keys
    class-level listeners by ``id()``, and a new factory's session class may take the id
    of a collected one, whose entry is still there.)"""
    info = dict(session_factory.kw.get("info") or {})
    installed = _EFFECTS in info
    info[_EFFECTS] = Effects(table, ctx)
    session_factory.configure(info=info)
    if not installed:
        for name, listener in _LISTENERS.items():
            event.listen(session_factory, name, listener)


class Effects:
    """A handler table bound to a Context: runs the handlers of the pending facts."""

    def __init__(self, table: HandlerTable, ctx: Context) -> None:
        self.table, self.ctx = table, ctx
        # every handler once, in the order the table first names it: the order its effects
        # are written in (the outbox events of one transaction among them)
        self.order = list(dict.fromkeys(h for handlers in table.values() for h in handlers))

    def run(self, session: Session) -> None:
        """Hand each handler the pending facts of its types, in the order recorded, until
        no handler records more."""
        queue = session.info.get(_PENDING)
        for _ in range(MAX_ROUNDS):
            if not queue:
                return
            batch = list(queue)
            queue.clear()  # facts recorded by the handlers below wait for the next round
            marks = session.info.get(_MARKS)
            if marks:  # (settled inside savepoints: what comes next is recorded in them)
                marks.update(dict.fromkeys(marks, 0))
            given: dict[Handler, list[Any]] = {handler: [] for handler in self.order}
            adders = {t: [given[h].append for h in hs] for t, hs in self.table.items()}
            for change in batch:
                for add in adders[type(change)]:
                    add(change)
            for handler, changes in given.items():
                if changes:
                    handler(session, self.ctx, changes)
        if queue:
            raise RuntimeError(f"handlers still recording changes after {MAX_ROUNDS} rounds")


def _effects(session: Session) -> Effects:
    effects = session.info.get(_EFFECTS)
    if effects is None:
        raise RuntimeError("changes recorded in a session without a handler table (install)")
    return effects


def _before_commit(session: Session) -> None:
    """A savepoint's release waits: its facts are handled with the whole transaction's."""
    if not session.in_nested_transaction():
        _effects(session).run(session)


def _savepoint_began(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        marks = session.info.setdefault(_MARKS, {})
        marks[transaction] = len(session.info.get(_PENDING, ()))


def _rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    """A rolled-back savepoint drops the facts recorded inside it; a rolled-back
    transaction drops them all."""
    queue = session.info.get(_PENDING)
    if queue is None:
        return
    if previous_transaction.nested:
        del queue[session.info.get(_MARKS, {}).pop(previous_transaction, 0) :]
    elif previous_transaction.parent is None:
        queue.clear()


def _ended(session: Session, transaction: SessionTransaction) -> None:
    """Whatever ends the transaction (commit, rollback, close), no fact outlives it (nor
    the marks of its savepoints, kept till then: a savepoint ends before it is rolled
    back). A flush's inner transaction is neither root nor savepoint: it changes nothing."""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(_MARKS, None)


_LISTENERS: dict[str, Callable[..., None]] = {
    "before_commit": _before_commit,
    "after_transaction_create": _savepoint_began,
    "after_soft_rollback": _rolled_back,
    "after_transaction_end": _ended,
}

"""The mark 异议处理中 (D19) as the areas below objections read it.

From acceptance until the decision an objection's target carries the mark on every
channel that shows it: a record's view, a list entry (public and console), each record
and listing of a credit check. The objections area corrects records and removes listings
through their own areas' services, so records and dishonesty may not import it (the
acyclic contract): they read the mark through this port, and the composition
(``bootstrap.build_context``) plugs the objections area's reader in, as it installs the
handler table on the session factory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from credit_service.context import Context

# (session, connection or session factory, {kind: target ids}) -> {(kind, id): objection id}
MarkReader = Callable[[Any, Mapping[str, Iterable[int]]], dict[tuple[str, int], int]]
# (session or connection, kind) -> {target id: objection id}, every marked target of kind
EveryReader = Callable[[Any, str], dict[int, int]]
_READER = "objection_marks"
_EVERY = "objection_marks_every"


def install(ctx: Context, reader: MarkReader, every: EveryReader) -> None:
    """Plug the objections area's readers into ``ctx`` (the composition does this once)."""
    ctx.extras[_READER] = reader
    ctx.extras[_EVERY] = every


def read(
    ctx: Context, connection: Any, wanted: Mapping[str, Iterable[int]]
) -> dict[tuple[str, int], int]:
    """The targets among ``wanted`` (records and listings by id) that carry the mark,
    each with the id of the objection marking it: one query whatever their number, none
    when nothing is wanted."""
    ids = {kind: list(dict.fromkeys(targets)) for kind, targets in wanted.items()}
    ids = {kind: targets for kind, targets in ids.items() if targets}
    if not ids:
        return {}
    reader = ctx.extras.get(_READER)
    if reader is None:  # a context not built by build_context: a wiring error, not "unmarked"
        raise RuntimeError("the objection mark reader is not installed on this context")
    marks: dict[tuple[str, int], int] = reader(connection, ids)
    return marks


def of_kind(ctx: Context, connection: Any, kind: str, ids: Iterable[int]) -> dict[int, int]:
    """``read`` for one kind: target id -> objection id."""
    marks = read(ctx, connection, {kind: ids})
    return {target: objection for (_, target), objection in marks.items()}


def every_of_kind(ctx: Context, connection: Any, kind: str) -> dict[int, int]:
    """Every target of ``kind`` that carries the mark now (target id -> objection id):
    a handful at any time, so one read serves any number of pages."""
    every = ctx.extras.get(_EVERY)
    if every is None:  # as in ``read``: a wiring error, not "unmarked"
        raise RuntimeError("the objection mark reader is not installed on this context")
    marks: dict[int, int] = every(connection, kind)
    return marks


def fields(objection_id: int | None) -> dict[str, Any]:
    """The two fields every view of a target carries (the names agreed for all channels)."""
    return {"objection_pending": objection_id is not None, "objection_id": objection_id}

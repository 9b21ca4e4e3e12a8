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

from credit_service.notices import ChangeNotices, change_notices

if TYPE_CHECKING:
    from credit_service.context import Context

# (session, connection or session factory, {kind: target ids}) -> {(kind, id): objection id}
MarkReader = Callable[[Any, Mapping[str, Iterable[int]]], dict[tuple[str, int], int]]
# (session or connection, kind) -> {target id: objection id}, every marked target of kind
EveryReader = Callable[[Any, str], dict[int, int]]
_READER = "objection_marks"
_EVERY = "objection_marks_every"
_KEPT = "objection_marks_kept"  # (generation of the topic "marks", {kind: every mark})


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
    ids = _wanted(wanted)
    if not ids:
        return {}
    reader = ctx.extras.get(_READER)
    if reader is None:  # a context not built by build_context: a wiring error, not "unmarked"
        raise RuntimeError("the objection mark reader is not installed on this context")
    marks: dict[tuple[str, int], int] = reader(connection, ids)
    return marks


def read_kept(
    ctx: Context, connection: Any, wanted: Mapping[str, Iterable[int]]
) -> dict[tuple[str, int], int]:
    """``read``, answered from every mark the worker keeps while PostgreSQL announces no
    change of an objection (the topic ``marks`` of ``credit_service.notices``; the
    worker's own commits move it too): the marks are a handful and change a few times a
    day, and their query was one of a single credit check's three round trips. For a
    read in no transaction that changes objections (it would not see its own change).
    Without notices (SQLite, the listener down), ``read`` on ``connection``."""
    ids = _wanted(wanted)
    if not ids:
        return {}
    every = _kept_marks(ctx, set(ids))
    if every is None:
        return read(ctx, connection, ids)
    return {
        (kind, target): every[kind][target]
        for kind, targets in ids.items()
        for target in targets
        if target in every[kind]
    }


def _kept_marks(ctx: Context, kinds: set[str]) -> dict[str, dict[int, int]] | None:
    """Every mark of ``kinds`` as kept under the current generation of ``marks`` (kinds
    not kept yet read on the primary, where the notices come from), or None."""
    notices = change_notices(ctx)
    generation = notices.generation("marks") if isinstance(notices, ChangeNotices) else None
    if generation is None:
        return None
    kept = ctx.extras.get(_KEPT)
    if kept is None or kept[0] != generation:
        kept = (generation, {})  # read after the generation: a notice since moves it on
    missing = kinds - kept[1].keys()
    if missing:
        with ctx.read_session_factory() as session:
            fresh = {kind: every_of_kind(ctx, session, kind) for kind in missing}
        kept = (generation, {**kept[1], **fresh})
        ctx.extras[_KEPT] = kept
    marks: dict[str, dict[int, int]] = kept[1]
    return marks


def _wanted(wanted: Mapping[str, Iterable[int]]) -> dict[str, list[int]]:
    """Each kind's target ids once, in order, kinds without one left out."""
    ids = {kind: list(dict.fromkeys(targets)) for kind, targets in wanted.items()}
    return {kind: targets for kind, targets in ids.items() if targets}


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

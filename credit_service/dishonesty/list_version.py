"""The published list's version: what its validators (ETag, Last-Modified) and its kept
downloads are named by (``web/cache.py``, ``web/kept_downloads.py``), read on every
public request, so read cheaply: the newest change from a held connection or the
worker's memory, the rest only when that moves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from credit_service.context import Context
from credit_service.dishonesty.models import ListChange
from credit_service.entities.models import Entity
from credit_service.held_connections import HeldQuery
from credit_service.notices import change_notices


@dataclass(frozen=True)
class ListVersion:
    """What the list's validators are made of: the last change, the newest update of any
    entity (a listed one's rename must not be answered 304), and the day (terms end at
    midnight)."""

    last_change_id: int
    last_change_at: datetime | None
    entities_updated_at: datetime | None
    day: date

    @property
    def last_modified(self) -> datetime | None:
        return max(filter(None, (self.last_change_at, self.entities_updated_at)), default=None)


RENAME_TTL = timedelta(seconds=1)


def list_version(ctx: Context) -> ListVersion:
    """The list's version as committed now: an addition or removal changes every
    validator at its commit, in every worker (a removed entry is never answered from a
    copy). The newest change's id comes from ``newest_list_change``. The rest is read
    only when that id moves, or, for the entities' last update, at most once a second per
    process: a renamed entity may show its old name that much longer.

    That update is the newest of all entities, one read of the index on ``updated_at``,
    not of the listed ones only: that aggregate joins every published case, 0.3 s at a
    province's 200,000 listings, and read each second in each worker it set the public
    search's p99 (694 ms, docs/performance.md). The price is a new version, and fewer
    304s, after an update of an entity that is not listed: safe, never stale."""
    now = ctx.now()
    last_id = newest_list_change(ctx)
    known = ctx.extras.get("list_change_known")
    renamed = ctx.extras.get("entities_updated")
    rename_fresh = renamed is not None and timedelta(0) <= now - renamed[0] < RENAME_TTL
    if known is None or known[0] != last_id or not rename_fresh:
        with ctx.replica_session_factory() as session:
            last_at = session.get(ListChange, last_id).at if last_id else None
            updated = session.execute(select(func.max(Entity.updated_at))).scalar_one()
        known, renamed = (last_id, last_at), (now, updated)
        ctx.extras["list_change_known"], ctx.extras["entities_updated"] = known, renamed
    return ListVersion(last_id, known[1], renamed[1], ctx.today())


def newest_list_change(ctx: Context) -> int:
    """The id of the list's newest change (0 for none). Kept by the worker while
    PostgreSQL announces no list change (``notices``; not when this read goes to a
    replica, which may not have the change yet when the notice comes), else one index
    lookup on a connection the thread keeps (``HeldQuery``, one per database)."""
    factory = ctx.replica_session_factory
    notices = change_notices(ctx) if factory is ctx.read_session_factory else None
    generation = notices.generation("list") if notices else None
    kept = ctx.extras.get("list_change_newest")
    if generation is not None and kept is not None and kept[0] == generation:
        return kept[1]
    bind = factory.kw["bind"]
    probes = ctx.extras.setdefault("list_change_probes", {})
    probe = probes.get(bind)
    if probe is None:
        newest = select(func.max(ListChange.id)).compile(dialect=bind.dialect)
        probe = probes[bind] = HeldQuery(bind, str(newest))
    last_id = (probe.first() or (None,))[0] or 0
    if generation is not None:  # read after the generation: a notice since moves it on
        ctx.extras["list_change_newest"] = (generation, last_id)
    return last_id

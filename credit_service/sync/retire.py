"""Retiring a platform that is pushed to no more (docs/retention.md).

Every push position in the database holds the outbox back, whatever the platforms file
says today (``delivered.taken_through``): a file that lost a platform by mistake must not
free the events that platform was still owed. So a platform taken out of the file for
good is retired by an operator's act, which deletes what the service kept for pushing to
it (its position, its batch in flight, its re-queued events and its dead letters not
re-queued), audited, after which the outbox's retention no longer waits for it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from credit_service.access import Actor
from credit_service.audit import services as audit
from credit_service.context import Context
from credit_service.errors import Conflict, NotFound
from credit_service.sync.models import DeadLetter, Requeued, SyncBatch, SyncPosition
from credit_service.sync.platforms import Platform, load_platforms


@dataclass(frozen=True)
class Kept:
    """What the service keeps for pushing to a platform: its position in the outbox
    (None: never pushed to), whether a batch is in flight, how many re-queued events and
    dead letters not re-queued."""

    platform: str
    last_event_id: int | None
    batch_in_flight: bool
    requeued: int
    dead_letters: int


def unlisted(ctx: Context) -> list[Kept]:
    """What is kept for platforms the platforms file does not push to (any more): each
    holds the outbox's retention back until it is retired.

    :raises Conflict: no platforms file (``_platforms``).
    :raises CatalogError: the platforms file cannot be read.
    """
    pushing = {p.id for p in _platforms(ctx).values() if p.pushes}
    waiting = DeadLetter.requeued_at.is_(None)
    with ctx.read_session_factory() as session:
        named: set[str] = set()
        for column, *conditions in (
            (SyncPosition.platform_id,),
            (SyncBatch.platform_id,),
            (Requeued.platform_id,),
            (DeadLetter.platform_id, waiting),
        ):
            named |= set(session.execute(select(column).where(*conditions).distinct()).scalars())
        return [_kept(session, platform) for platform in sorted(named - pushing)]


def retire(ctx: Context, actor: Actor, platform_id: str) -> Kept:
    """Delete what is kept for pushing to ``platform_id``, in one transaction with its
    audit row; what was deleted.

    :raises Conflict: the platforms file still pushes to it (take it out first).
    :raises NotFound: nothing is kept for it.
    :raises Conflict: no platforms file (``_platforms``).
    :raises CatalogError: the platforms file cannot be read.
    """
    platform = _platforms(ctx).get(platform_id)
    if platform is not None and platform.pushes:
        raise Conflict("platform-still-pushed", platform=platform_id)
    with ctx.session_factory.begin() as session:
        kept = _kept(session, platform_id)
        if kept == Kept(platform_id, None, False, 0, 0):
            raise NotFound("platform-not-kept", platform=platform_id)
        waiting = DeadLetter.requeued_at.is_(None)
        session.execute(delete(DeadLetter).where(DeadLetter.platform_id == platform_id, waiting))
        for model in (Requeued, SyncBatch, SyncPosition):
            session.execute(delete(model).where(model.platform_id == platform_id))
        audit.append(
            session,
            actor=actor,
            action="sync.retire",
            now=ctx.now(),
            object_type="platform",
            object_id=platform_id,
            details=_details(kept),
        )
    return kept


def _platforms(ctx: Context) -> dict[str, Platform]:
    """The platforms file's platforms. Without a file (unset, or not at its path: a shell
    with another environment than the scheduler's, say) every platform would look
    retired, so nothing is listed or retired then.

    :raises Conflict: no platforms file.
    :raises CatalogError: the file cannot be read.
    """
    path = ctx.settings.sync_platforms_file
    if path is None or not Path(path).is_file():
        raise Conflict("platforms-file-missing", path=str(path or ""))
    return load_platforms(path)


def _kept(session: Session, platform_id: str) -> Kept:
    def count(condition: Any) -> int:
        return int(session.execute(select(func.count()).where(condition)).scalar_one())

    position = session.get(SyncPosition, platform_id)
    batch = session.execute(select(SyncBatch.id).where(SyncBatch.platform_id == platform_id))
    return Kept(
        platform=platform_id,
        last_event_id=position.last_event_id if position else None,
        batch_in_flight=batch.first() is not None,
        requeued=count(Requeued.platform_id == platform_id),
        dead_letters=count(
            (DeadLetter.platform_id == platform_id) & DeadLetter.requeued_at.is_(None)
        ),
    )


def _details(kept: Kept) -> dict[str, Any]:
    details = asdict(kept)
    del details["platform"]  # the audit row's object
    return details

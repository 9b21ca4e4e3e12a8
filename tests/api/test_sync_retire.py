"""flask sync unlisted | retire: a platform taken out of the platforms file for good
holds the outbox's retention back until an operator retires it (docs/retention.md)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from credit_service.access import Actor
from credit_service.audit.models import AuditEvent
from credit_service.demo.seed import platforms_file
from credit_service.errors import Conflict, NotFound
from credit_service.sync import delivered, retire
from credit_service.sync.models import DeadLetter, SyncPosition
from tests.integration.test_retention_outbox import emit, taken_through

ADMIN = Actor(role="admin", username="sync-admin", via="cli")


@pytest.fixture(autouse=True)
def anhui_pushed_to(ctx, tmp_path):
    path = tmp_path / "platforms.yaml"
    path.write_text(platforms_file(9, "test-secret"), encoding="utf-8")
    ctx.settings = ctx.settings.replace(sync_platforms_file=path)


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=["sync", *args])


def a_retired_city(ctx) -> list[int]:
    """Events 'anhui' took all of, and a platform no longer in the file that took the
    first only, with a dead letter for the second; the events."""
    events = emit(ctx, 3)
    taken_through(ctx, events[-1])
    with ctx.session_factory.begin() as session:
        session.add(SyncPosition(platform_id="old-city", last_event_id=events[0]))
        session.add(
            DeadLetter(platform_id="old-city", event_id=events[1], reason="x", at=ctx.now())
        )
    return events


def taken(ctx) -> int:
    with ctx.session_factory() as session:
        return delivered.taken_through(session, ctx)


def nothing_retired(ctx, events: list[int]) -> None:
    """Both platforms' positions are still there, nothing audited as retired, and the
    old city's position still holds the outbox back."""
    with ctx.session_factory() as session:
        kept = session.execute(select(SyncPosition.platform_id)).scalars().all()
        assert sorted(kept) == ["anhui", "old-city"]
        assert not session.execute(
            select(AuditEvent).where(AuditEvent.action == "sync.retire")
        ).first()
    assert taken(ctx) == events[0]


def test_a_retired_platform_no_longer_holds_the_outbox_back(app, ctx):
    events = a_retired_city(ctx)
    assert taken(ctx) == events[0]  # the old city's position holds every later event

    listed = run(app, "unlisted")
    assert listed.exit_code == 0, listed.output
    assert f"old-city: outbox position {events[0]}" in listed.stdout
    assert "dead letters 1" in listed.stdout
    refused = run(app, "retire", "old-city")
    assert refused.exit_code == 2 and taken(ctx) == events[0]  # nothing without --confirm

    done = run(app, "retire", "old-city", "--confirm")

    assert done.exit_code == 0, done.output
    assert taken(ctx) == events[-1]
    assert retire.unlisted(ctx) == []
    with ctx.session_factory() as session:
        assert session.execute(select(func.count()).select_from(DeadLetter)).scalar_one() == 0
        (row,) = session.execute(
            select(AuditEvent).where(AuditEvent.action == "sync.retire")
        ).scalars()
    assert (row.object_type, row.object_id) == ("platform", "old-city")
    assert row.actor.startswith("cli:")
    assert row.details == {
        "last_event_id": events[0],
        "batch_in_flight": False,
        "requeued": 0,
        "dead_letters": 1,
    }


def test_a_platform_still_pushed_to_or_never_kept_is_not_retired(app, ctx):
    events = a_retired_city(ctx)
    with pytest.raises(Conflict) as still:
        retire.retire(ctx, ADMIN, "anhui")
    assert still.value.code == "platform-still-pushed"
    with pytest.raises(NotFound):
        retire.retire(ctx, ADMIN, "never-kept")
    answer = run(app, "retire", "anhui", "--confirm")
    assert answer.exit_code == 1 and "take it out of the file" in answer.stderr
    nothing_retired(ctx, events)


def test_without_a_platforms_file_nothing_is_listed_or_retired(app, ctx, tmp_path):
    """A shell whose environment names no platforms file (or one not there) would see
    every platform as retired: it is refused, and nothing is deleted."""
    events = a_retired_city(ctx)
    for missing in (None, tmp_path / "nowhere.yaml"):
        ctx.settings = ctx.settings.replace(sync_platforms_file=missing)
        with pytest.raises(Conflict) as refused:
            retire.unlisted(ctx)
        assert refused.value.code == "platforms-file-missing"
        with pytest.raises(Conflict):
            retire.retire(ctx, ADMIN, "anhui")
        answer = run(app, "retire", "anhui", "--confirm")
        assert answer.exit_code == 1 and "no platforms file" in answer.stderr
    nothing_retired(ctx, events)


def test_a_platform_with_only_dead_letters_left_is_listed_and_retired(ctx):
    events = emit(ctx, 2)
    taken_through(ctx, events[-1])
    with ctx.session_factory.begin() as session:
        session.add(
            DeadLetter(platform_id="old-city", event_id=events[0], reason="x", at=ctx.now())
        )
    (kept,) = retire.unlisted(ctx)
    assert (kept.platform, kept.last_event_id, kept.dead_letters) == ("old-city", None, 1)

    assert retire.retire(ctx, ADMIN, "old-city") == kept
    assert retire.unlisted(ctx) == []

"""Pushing the outbox to the simulated provincial platform over real HTTP, on both
databases: outages, flaky answers, Retry-After, rejected events, refused batches and
signed requests. Nothing is lost, nothing is accepted twice.

Time is the test's FixedClock (``live_ctx.clock``): a deferred batch is retried by moving
the clock past its ``next_attempt_at``, never by sleeping.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
import requests
from sqlalchemy import delete, select

from credit_service.access import SYSTEM
from credit_service.audit import sealing, verification
from credit_service.errors import NotFound, read_stored, stored_text
from credit_service.sync import client as client_module
from credit_service.sync import push, signing
from credit_service.sync import services as sync_services
from credit_service.sync.client import CHANGES_PATH, EVENTS_PATH, PlatformClient
from credit_service.sync.models import (
    REASON_LENGTH,
    DeadLetter,
    OutboxEvent,
    Requeued,
    SyncBatch,
    SyncPosition,
)

OUTAGE_EVENTS = 10_000


# --- helpers ----------------------------------------------------------------------------------


def spy(client: PlatformClient) -> list[dict[str, Any]]:
    """Record every push the client makes: its key, its event ids and how it ended."""
    calls: list[dict[str, Any]] = []
    original = client.push

    def push_and_record(batch_key: str, events: list[dict[str, Any]], checkpoint=None) -> dict:
        call = {"key": batch_key, "events": [e["event_id"] for e in events], "outcome": None}
        calls.append(call)
        try:
            answers = original(batch_key, events, checkpoint)
        except Exception as exc:
            call["outcome"] = type(exc).__name__
            raise
        call["outcome"] = "answered"
        return answers

    client.push = push_and_record  # type: ignore[method-assign]
    return calls


def in_flight(ctx, platform) -> SyncBatch | None:
    with ctx.read_session_factory() as session:
        return session.execute(
            select(SyncBatch).where(SyncBatch.platform_id == platform.id)
        ).scalar_one_or_none()


def position(ctx, platform) -> int:
    with ctx.read_session_factory() as session:
        stored = session.get(SyncPosition, platform.id)
        return stored.last_event_id if stored else 0


def last_outbox_id(ctx) -> int:
    with ctx.read_session_factory() as session:
        return session.execute(select(OutboxEvent.id).order_by(OutboxEvent.id.desc())).scalar()


def pending(ctx, platform) -> int:
    return sync_services.sync_status(ctx, {platform.id: platform})[0]["pending"]


def received(platform) -> list[str]:
    response = requests.get(f"{platform.base_url}/sim/events", timeout=10)
    response.raise_for_status()
    return response.json()


def drain(ctx, platform, client, past, *, rounds: int = 500) -> list[push.PushSummary]:
    """Call push_pending until nothing is pending, moving the clock past each retry time;
    the position must never go backwards."""
    summaries, last = [], position(ctx, platform)
    for _ in range(rounds):
        summaries.append(push.push_pending(ctx, platform, client))
        assert position(ctx, platform) >= last
        last = position(ctx, platform)
        batch = in_flight(ctx, platform)
        if batch is None and pending(ctx, platform) == 0:
            with ctx.read_session_factory() as session:
                if not session.execute(select(Requeued.id)).first():
                    return summaries
        if batch is not None:
            past(batch.next_attempt_at)
    pytest.fail(f"not drained after {rounds} rounds")


# --- an outage ----------------------------------------------------------------------------------


def test_an_outage_defers_everything_and_the_backlog_drains_exactly_once(
    live_ctx, simulator, add_events, tuned, past, count_rows
):
    platform, control, _ = simulator
    platform, client = tuned(platform, batch_size=500)
    calls = spy(client)
    control.set_faults(outage_until=time.time() + 3600)

    produced = add_events(OUTAGE_EVENTS // 2)
    first = push.push_pending(live_ctx, platform, client)
    assert first.deferred and first.batches == 0
    assert first.errors[0]["upstream_status"] == 503
    batch = in_flight(live_ctx, platform)
    assert batch.attempts == 1
    assert batch.next_attempt_at > live_ctx.now()
    assert len(batch.event_ids) == 500

    # not due yet: nothing is sent, nothing changes
    assert push.push_pending(live_ctx, platform, client).batches == 0
    assert len(calls) == 1

    produced += add_events(OUTAGE_EVENTS - len(produced))  # the city keeps working
    past(batch.next_attempt_at)
    again = push.push_pending(live_ctx, platform, client)
    assert again.deferred
    retried = in_flight(live_ctx, platform)
    assert (retried.id, retried.batch_key, retried.event_ids) == (
        batch.id,
        batch.batch_key,
        batch.event_ids,
    )
    assert retried.attempts == 2
    assert retried.next_attempt_at > live_ctx.now()
    assert [c["key"] for c in calls] == [batch.batch_key, batch.batch_key]
    assert position(live_ctx, platform) == 0
    assert pending(live_ctx, platform) == OUTAGE_EVENTS
    assert count_rows(OutboxEvent) == OUTAGE_EVENTS

    control.set_faults()  # the platform is back
    past(retried.next_attempt_at)
    done = push.push_pending(live_ctx, platform, client)

    assert not done.deferred
    assert (done.accepted, done.duplicates, done.rejected) == (OUTAGE_EVENTS, 0, 0)
    assert calls[2]["key"] == batch.batch_key  # the batch kept its idempotency key
    stats = control.stats()
    assert stats["distinct_events"] == OUTAGE_EVENTS
    assert stats["extra_deliveries"] == 0
    assert stats["batches"] == OUTAGE_EVENTS // 500
    assert received(platform) == sorted(produced)
    assert in_flight(live_ctx, platform) is None
    assert position(live_ctx, platform) == last_outbox_id(live_ctx)
    assert pending(live_ctx, platform) == 0
    assert count_rows(DeadLetter) == 0
    status = sync_services.sync_status(live_ctx, {platform.id: platform})[0]
    assert status["consecutive_failures"] == 0 and status["last_push_error"] is None


# --- a flaky platform ---------------------------------------------------------------------------


def test_errors_timeouts_and_drops_end_with_every_event_accepted_once(
    live_ctx, simulator, add_events, tuned, past, count_rows
):
    platform, control, _ = simulator
    platform, client = tuned(platform, batch_size=25, timeout_seconds=0.5)
    calls = spy(client)
    produced = add_events(1_000)
    control.set_faults(error_rate=0.3, timeout_rate=0.05, timeout_seconds=1.0, drop_rate=0.03)

    summaries = drain(live_ctx, platform, client, past)

    failures = [c["outcome"] for c in calls if c["outcome"] != "answered"]
    assert failures, "the faults should have made some pushes fail"
    assert sum(s.accepted for s in summaries) == len(produced)
    assert sum(s.duplicates for s in summaries) == 0
    assert sum(s.rejected for s in summaries) == 0
    keys_of: dict[str, set[str]] = {}
    for call in calls:
        for event_id in call["events"]:
            keys_of.setdefault(event_id, set()).add(call["key"])
    # an event travels in one batch only: any repeated delivery is a retry of that batch
    assert {event_id: len(keys) for event_id, keys in keys_of.items() if len(keys) > 1} == {}
    assert set(keys_of) == set(produced)
    stats = control.stats()
    assert stats["distinct_events"] == len(produced)
    assert received(platform) == sorted(produced)
    assert count_rows(DeadLetter) == 0
    assert position(live_ctx, platform) == last_outbox_id(live_ctx)


def test_a_batch_whose_answer_was_lost_is_resent_with_its_key_and_absorbed(
    live_ctx, simulator, add_events, tuned, past
):
    platform, control, _ = simulator
    platform, client = tuned(platform, timeout_seconds=0.5)
    calls = spy(client)
    produced = add_events(40)
    control.set_faults(timeout_rate=1.0, timeout_seconds=1.0)

    lost = push.push_pending(live_ctx, platform, client)

    assert lost.deferred
    assert lost.errors[0] == {
        "code": "upstream-unreachable",
        "platform": platform.id,
        "failure": "ReadTimeout",
    }
    deadline = time.monotonic() + 10
    while control.stats()["deliveries"] < len(produced):  # the platform did take it, late
        assert time.monotonic() < deadline
        time.sleep(0.05)
    control.set_faults()
    past(in_flight(live_ctx, platform).next_attempt_at)
    resent = drain(live_ctx, platform, client, past)  # (a slow machine may time out again)

    assert {c["key"] for c in calls} == {calls[0]["key"]}
    assert sum(s.accepted for s in resent) == len(produced)  # the first answer, again
    assert sum(s.duplicates + s.rejected for s in resent) == 0
    stats = control.stats()
    assert (stats["distinct_events"], stats["batches"]) == (len(produced), 1)
    # each event arrived at least twice (once per send), and was kept once
    assert stats["events_delivered_more_than_once"] == len(produced)
    assert position(live_ctx, platform) == last_outbox_id(live_ctx)


def test_a_platform_retired_while_its_batch_is_out_gets_nothing_back_from_the_answer(
    live_ctx, simulator, add_events, tuned, count_rows
):
    """``flask sync retire`` deletes the batch in flight and the position while a push
    run waits for the platform's answer: the answer then moves no position (one made
    anew would start from 0 and send the whole outbox again), writes no dead letter,
    and the run stops."""
    platform, _, _ = simulator
    platform, client = tuned(platform, batch_size=10)
    add_events(25)
    answer = client.push

    def retired_meanwhile(batch_key, events, checkpoint=None):  # type: ignore[no-untyped-def]
        answers = answer(batch_key, events, checkpoint)
        with live_ctx.session_factory.begin() as session:  # what sync/retire.py deletes
            session.execute(delete(SyncBatch).where(SyncBatch.platform_id == platform.id))
            session.execute(delete(SyncPosition).where(SyncPosition.platform_id == platform.id))
        return {key: {"status": "rejected"} for key in answers}  # would be dead letters

    client.push = retired_meanwhile  # type: ignore[method-assign]
    summary = push.push_pending(live_ctx, platform, client)

    assert (summary.batches, summary.rejected) == (0, 0)
    assert count_rows(SyncPosition) == count_rows(SyncBatch) == count_rows(DeadLetter) == 0


# --- Retry-After and backoff --------------------------------------------------------------------


def test_retry_after_sets_the_next_attempt(live_ctx, simulator, add_events):
    platform, control, client = simulator
    add_events(3)
    control.set_faults(outage_until=time.time() + 3600, retry_after_seconds=120)

    summary = push.push_pending(live_ctx, platform, client)

    assert summary.deferred
    assert in_flight(live_ctx, platform).next_attempt_at == live_ctx.now() + timedelta(seconds=120)
    status = sync_services.sync_status(live_ctx, {platform.id: platform})[0]
    assert status["in_flight_attempts"] == 1 and status["consecutive_failures"] == 1
    assert read_stored(status["last_push_error"])["upstream_status"] == 503

    # without an explicit value the platform says how long the outage lasts
    control.set_faults(outage_until=time.time() + 3600)
    live_ctx.clock.advance(seconds=121)
    push.push_pending(live_ctx, platform, client)
    wait = in_flight(live_ctx, platform).next_attempt_at - live_ctx.now()
    assert timedelta(seconds=3500) < wait <= timedelta(seconds=3601)

    # a platform asking for two days is tried again after an hour
    control.set_faults(outage_until=time.time() + 3600, retry_after_seconds=172_800)
    live_ctx.clock.advance(seconds=3601)
    push.push_pending(live_ctx, platform, client)
    wait = in_flight(live_ctx, platform).next_attempt_at - live_ctx.now()
    assert wait == timedelta(seconds=push.RETRY_AFTER_CAP_SECONDS)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("120", 120.0), ("1.5", 1.5), ("soon", None), ("", None), ("in-the-past", 0.0)],
)
def test_retry_after_is_read_as_seconds_or_as_an_http_date(header, seconds):
    response = requests.Response()
    response.status_code = 503
    if header == "in-the-past":
        header = "Wed, 21 Oct 2015 07:28:00 GMT"
    response.headers["Retry-After"] = header
    assert client_module._retry_after(response) == seconds


def test_an_http_date_retry_after_counts_the_seconds_until_it():
    response = requests.Response()
    when = datetime.now(UTC) + timedelta(minutes=10)
    response.headers["Retry-After"] = format_datetime(when, usegmt=True)
    assert 590 <= client_module._retry_after(response) <= 600


def test_without_retry_after_the_wait_is_a_full_jitter_backoff(
    live_ctx, simulator, add_events, past
):
    platform, control, client = simulator
    add_events(3)
    control.set_faults(error_rate=1.0)
    waits = []
    for attempt in range(1, 7):
        assert push.push_pending(live_ctx, platform, client).deferred
        batch = in_flight(live_ctx, platform)
        assert batch.attempts == attempt
        wait = (batch.next_attempt_at - live_ctx.now()).total_seconds()
        assert 0 <= wait <= min(push.BACKOFF_CAP_SECONDS, push.BACKOFF_BASE_SECONDS * 2**attempt)
        waits.append(wait)
        past(batch.next_attempt_at)
    assert len(set(waits)) > 1  # jittered, not a fixed schedule
    assert control.stats()["distinct_events"] == 0


# --- rejected events and re-queueing ------------------------------------------------------------


def test_rejected_event_types_become_dead_letters_and_requeued_ones_are_delivered(
    live_ctx, simulator, add_events, tuned, past, count_rows
):
    platform, control, _ = simulator
    platform, client = tuned(platform, batch_size=10)
    calls = spy(client)
    filed, corrected = [], []
    for _ in range(3):
        filed += add_events(7)
        corrected += add_events(4, "record.corrected")
    control.set_faults(reject_event_types=["record.corrected"])

    summary = push.push_pending(live_ctx, platform, client)

    assert (summary.accepted, summary.rejected) == (len(filed), len(corrected))
    end = last_outbox_id(live_ctx)
    assert position(live_ctx, platform) == end  # refused events do not hold the others up
    dead = sync_services.list_dead_letters(live_ctx)
    assert sorted(d["event_id"] for d in dead) == sorted(corrected)
    assert {d["reason"] for d in dead} == {
        stored_text(
            {"code": "platform-rejected", "reason": "event type not accepted by this platform"},
            REASON_LENGTH,
        )
    }
    assert {d["event_type"] for d in dead} == {"record.corrected"}
    assert sync_services.sync_status(live_ctx, {platform.id: platform})[0]["dead_letters"] == 12

    # re-queued while the cause is still there: refused again, with a new dead letter
    sync_services.requeue_dead_letter(live_ctx, SYSTEM, dead[0]["id"])
    with pytest.raises(NotFound):
        sync_services.requeue_dead_letter(live_ctx, SYSTEM, dead[0]["id"])
    again = push.push_pending(live_ctx, platform, client)
    assert again.rejected == 1
    assert position(live_ctx, platform) == end
    dead = sync_services.list_dead_letters(live_ctx)
    assert len(dead) == len(corrected)
    assert count_rows(DeadLetter) == len(corrected) + 1

    # the platform accepts the type now: re-queued letters go before new events
    control.set_faults()
    later = add_events(3)
    for letter in dead:
        sync_services.requeue_dead_letter(live_ctx, SYSTEM, letter["id"])
    assert sync_services.list_dead_letters(live_ctx) == []
    sent_before = len(calls)
    drain(live_ctx, platform, client, past)

    assert sorted(calls[sent_before]["events"]) == sorted(d["event_id"] for d in dead[:10])
    assert received(platform) == sorted(filed + corrected + later)
    # sent more than once: only the refused events (once per refusal), never an accepted one
    stats = control.stats()
    assert stats["events_delivered_more_than_once"] == len(corrected)
    assert stats["extra_deliveries"] == len(corrected) + 1
    assert position(live_ctx, platform) == last_outbox_id(live_ctx)
    assert count_rows(Requeued) == 0
    assert sync_services.list_dead_letters(live_ctx) == []


def test_reconciliation_agrees_on_what_was_delivered_and_finds_a_gap(
    live_ctx, simulator, add_events, tuned
):
    platform, control, _ = simulator
    platform, client = tuned(platform, batch_size=10)
    delivered = add_events(15)
    add_events(5, "record.corrected")
    control.set_faults(reject_event_types=["record.corrected"])
    push.push_pending(live_ctx, platform, client)
    control.set_faults()
    day = live_ctx.today()

    agreed = sync_services.reconcile(live_ctx, platform, client, day, SYSTEM)

    assert agreed["matches"]  # dead letters are not counted as delivered
    assert agreed["local_count"] == agreed["remote_count"] == len(delivered)
    [first_dead, *_] = sync_services.list_dead_letters(live_ctx)
    sync_services.requeue_dead_letter(live_ctx, SYSTEM, first_dead["id"])
    waiting = sync_services.reconcile(live_ctx, platform, client, day, SYSTEM)
    assert waiting["matches"]  # re-queued is not delivered yet either
    status = sync_services.sync_status(live_ctx, {platform.id: platform})[0]
    assert (status["pending"], status["dead_letters"]) == (1, 4)

    add_events(1)  # as if an event had been lost on the way: the position passed it
    with live_ctx.session_factory.begin() as session:
        session.get(SyncPosition, platform.id).last_event_id = last_outbox_id(live_ctx)
    gap = sync_services.reconcile(live_ctx, platform, client, day, SYSTEM)

    assert not gap["matches"]
    assert (gap["local_count"], gap["remote_count"]) == (len(delivered) + 1, len(delivered))
    status = sync_services.sync_status(live_ctx, {platform.id: platform})[0]
    assert status["last_reconciliation"]["matches"] is False
    other_day = sync_services.reconcile(live_ctx, platform, client, day - timedelta(1), SYSTEM)
    assert other_day["matches"] and other_day["local_count"] == 0


# --- a batch refused as a whole -----------------------------------------------------------------


class MalformedClient(PlatformClient):
    """Sends its batches in a shape the platform refuses (HTTP 400), signed correctly."""

    def push(self, batch_key: str, events: list[dict[str, Any]], checkpoint=None) -> dict:
        body = json.dumps({"batch_id": batch_key, "events": "not a list"}).encode()
        return self._call("POST", EVENTS_PATH, {}, body)


def test_a_batch_refused_with_400_goes_to_the_dead_letters_and_the_position_moves_on(
    live_ctx, simulator, add_events, tuned, past
):
    platform, control, _ = simulator
    platform, _ = tuned(platform, batch_size=10)
    refused = add_events(25)

    summary = push.push_pending(live_ctx, platform, MalformedClient(platform))

    assert (summary.batches, summary.rejected, summary.deferred) == (0, 25, False)
    assert position(live_ctx, platform) == last_outbox_id(live_ctx)
    assert in_flight(live_ctx, platform) is None
    dead = sync_services.list_dead_letters(live_ctx)
    assert sorted(d["event_id"] for d in dead) == sorted(refused)
    refusals = [read_stored(d["reason"]) for d in dead]
    assert all(r["code"] == "upstream-refused" for r in refusals), refusals[0]
    assert all(r["upstream_status"] == 400 for r in refusals)
    assert "batch_id and events" in refusals[0]["body"]
    assert control.stats()["distinct_events"] == 0

    # corrected (here: a client that sends well-formed batches), the letters are re-sent
    for letter in dead:
        sync_services.requeue_dead_letter(live_ctx, SYSTEM, letter["id"])
    drain(live_ctx, platform, PlatformClient(platform), past)
    assert received(platform) == sorted(refused)
    assert sync_services.list_dead_letters(live_ctx) == []


# --- signed requests ----------------------------------------------------------------------------


def _get_changes(platform, headers: dict[str, str]) -> requests.Response:
    return requests.get(
        platform.base_url + CHANGES_PATH, params={"limit": "5"}, headers=headers, timeout=10
    )


def _signed(platform, *, secret: str | None = None, body: bytes = b"", **kwargs) -> dict:
    return signing.sign(
        platform.app_key,
        secret or platform.secret,
        "GET",
        CHANGES_PATH,
        {"limit": "5"},
        body,
        **kwargs,
    )


def test_the_platform_refuses_bad_signatures_replays_and_old_timestamps(simulator):
    platform, _, _ = simulator
    good = _signed(platform)
    assert _get_changes(platform, good).status_code == 200

    cases = {
        "replayed nonce": good,
        "bad signature": _signed(platform, secret="not-the-secret"),
        "timestamp outside the allowed window": _signed(platform, now=time.time() - 3600),
        "unknown app key": {**_signed(platform), signing.HEADER_KEY: "someone-else"},
        "missing timestamp or nonce": {
            k: v for k, v in _signed(platform).items() if k != signing.HEADER_NONCE
        },
    }
    for detail, headers in cases.items():
        response = _get_changes(platform, headers)
        assert response.status_code == 401, detail
        assert response.json()["detail"] == detail

    # the body is signed too: the same headers over another body are refused
    body = json.dumps({"batch_id": "b1", "events": []}).encode()
    headers = signing.sign(platform.app_key, platform.secret, "POST", EVENTS_PATH, {}, body)
    tampered = requests.post(
        platform.base_url + EVENTS_PATH,
        data=body.replace(b"b1", b"b2"),
        headers={**headers, "Content-Type": "application/json"},
        timeout=10,
    )
    assert (tampered.status_code, tampered.json()["detail"]) == (401, "bad signature")


def test_a_signature_refusal_is_transient_for_the_pusher(live_ctx, simulator, add_events, past):
    platform, control, client = simulator
    produced = add_events(5)
    control.set_faults(bad_signature_rate=1.0)

    summary = push.push_pending(live_ctx, platform, client)

    assert summary.deferred
    assert (summary.errors[0]["code"], summary.errors[0]["upstream_status"]) == (
        "upstream-http-error",
        401,
    )
    assert sync_services.list_dead_letters(live_ctx) == []
    control.set_faults()
    past(in_flight(live_ctx, platform).next_attempt_at)
    assert push.push_pending(live_ctx, platform, client).accepted == 5
    assert received(platform) == sorted(produced)


def test_the_newest_signed_audit_checkpoint_travels_with_each_push(
    live_ctx, simulator, add_events, tmp_path
):
    platform, control, client = simulator
    add_events(2)
    sealed = sealing.seal_log(live_ctx)

    push.push_pending(live_ctx, platform, client)

    copies = requests.get(f"{control.base_url}/sim/audit-checkpoints", timeout=10).text
    kept = [json.loads(line) for line in copies.splitlines()]
    assert kept and json.loads(kept[-1]["statement"])["size"] == sealed.size
    witness = tmp_path / "province.jsonl"
    witness.write_text(copies, encoding="utf-8")
    result = verification.verify_log(live_ctx, [witness])
    assert result.ok and result.witnessed >= 2  # the folder's copy and the province's

"""Pulling changes decided elsewhere from the simulated platform, on both databases:
pages that repeat and arrive shuffled, timestamps shared across page boundaries, stale
revisions, unknown parties, revocations and repairs. The city ends up holding exactly the
platform's records, and nothing pulled is sent back out."""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select

from credit_service.access import Actor
from credit_service.dishonesty import services as dishonesty_services
from credit_service.errors import read_stored
from credit_service.records.models import CreditRecord
from credit_service.sync import incoming
from credit_service.sync import services as sync_services
from credit_service.sync.models import OutboxEvent, PullState, QuarantinedRow
from tests.factories import PENALTY_ITEM, create_entity, penalty_fields, step_papers

PROVINCE = "安徽省市场监督管理局"
PAGE = 20
_numbers = itertools.count(1)
REGULATOR = Actor(role="regulator", username="r-city", region_code="341800", city_code="341800")


@pytest.fixture(autouse=True)
def small_pages(monkeypatch):
    monkeypatch.setattr(sync_services, "PULL_PAGE", PAGE)


# --- helpers ----------------------------------------------------------------------------------


def ref(n: int) -> str:
    return f"皖市监罚〔2026〕{n}号"


def record_change(
    party: dict, n: int, at: str, *, revision: int = 1, facts: str = "销售假冒专利产品", **fields
) -> dict[str, Any]:
    return {
        "change_id": f"record-{n}-r{revision}",
        "kind": "record",
        "revision": revision,
        "updated_at": at,
        "record": {
            "item_code": PENALTY_ITEM,
            "party": {
                "CF_XDR_MC": party["name"],
                "CF_XDR_LB": "法人及非法人组织",
                "CF_XDR_SHXYM": party["identifier"],
            },
            "fields": penalty_fields(CF_WSH=ref(n), CF_CFJG=PROVINCE, CF_SY=facts, **fields),
        },
    }


def decision_change(kind: str, n: int, at: str, **extra) -> dict[str, Any]:
    return {
        "change_id": f"{kind}-{n}",
        "kind": kind,
        "updated_at": at,
        "source_authority": PROVINCE,
        "source_ref": ref(n),
        "decided_on": "2026-11-20",
        **extra,
    }


def stranger(n: int) -> dict:
    return {"name": f"外地未登记企业{n}", "identifier": f"91340100MA00000{n:02d}X"}


def spy_pages(client) -> list:
    pages = []
    original = client.pull

    def pull(cursor, limit):
        page = original(cursor, limit)
        pages.append((cursor, page))
        return page

    client.pull = pull
    return pages


def pull_all(ctx, platform, client, rounds: int = 60) -> Counter:
    """Pull until a pull brings nothing new (the cursor is past the last change)."""
    outcomes: Counter = Counter()
    for _ in range(rounds):
        got = sync_services.pull_changes(ctx, platform, client)
        if not got:
            return outcomes
        outcomes += got
    pytest.fail(f"still pulling after {rounds} rounds")


def records_by_ref(ctx) -> dict[str, CreditRecord]:
    with ctx.read_session_factory() as session:
        rows = session.execute(
            select(CreditRecord).where(CreditRecord.source_authority == PROVINCE)
        ).scalars()
        return {r.source_ref: r for r in rows}


def stored_cursor(ctx, platform) -> str | None:
    with ctx.read_session_factory() as session:
        state = session.get(PullState, platform.id)
        return state.cursor if state else None


def quarantined(ctx) -> list[QuarantinedRow]:
    with ctx.read_session_factory() as session:
        return list(session.execute(select(QuarantinedRow).order_by(QuarantinedRow.id)).scalars())


# --- the whole feed, misbehaving ----------------------------------------------------------------


def test_repeated_shuffled_pages_leave_exactly_the_platforms_records(
    live_ctx, simulator, count_rows
):
    platform, control, client = simulator
    parties = [create_entity(live_ctx) for _ in range(4)]
    changes, expected = [], {}
    numbers = [next(_numbers) for _ in range(90)]
    for i, n in enumerate(numbers):  # 30 changes per second: every page boundary is a tie
        changes.append(record_change(parties[i % 4], n, f"2026-11-01T09:00:{i // 30:02d}"))
        expected[ref(n)] = parties[i % 4]["id"]
    strangers = [
        record_change(stranger(k), next(_numbers), "2026-11-01T09:00:01") for k in range(3)
    ]
    revised = numbers[0]  # revision 3 arrives before the late revision 2
    changes += [
        *strangers,
        record_change(parties[0], revised, "2026-11-01T09:01:00", revision=3, facts="第三版"),
        record_change(parties[0], revised, "2026-11-01T09:02:00", revision=2, facts="第二版"),
    ]
    control.add_changes(changes)
    control.set_faults(duplicate_page_rate=0.5, out_of_order=True)
    pages = spy_pages(client)

    outcomes = pull_all(live_ctx, platform, client)

    held = records_by_ref(live_ctx)
    assert {r: rec.entity_id for r, rec in held.items()} == expected
    assert count_rows(CreditRecord) == len(expected)  # nothing else, nothing twice
    assert outcomes["filed"] == len(expected)
    assert outcomes["corrected"] == 1
    assert outcomes["stale"] >= 1  # the late revision 2 (and every repeated change)
    assert held[ref(revised)].fields["CF_SY"] == "第三版"
    assert held[ref(revised)].source_revision == 3
    assert len(pages) > len(changes) // PAGE + 1, "the platform should have repeated pages"
    assert {c["change_id"] for _, p in pages for c in p.changes} == {
        c["change_id"] for c in changes
    }

    rows = quarantined(live_ctx)
    assert {q.change_id for q in rows} == {c["change_id"] for c in strangers}
    assert len(rows) == len(strangers)  # a repeated page does not quarantine twice
    assert all(read_stored(q.reason) == {"code": "party-not-registered"} for q in rows)
    assert {q.row["record"]["party"]["CF_XDR_SHXYM"] for q in rows} == {
        stranger(k)["identifier"] for k in range(3)
    }
    status = sync_services.sync_status(live_ctx, {platform.id: platform})[0]
    assert status["quarantined"] == len(strangers)
    assert status["last_pull_error"] is None

    # the cursor stored is the last one the platform gave
    assert stored_cursor(live_ctx, platform) == [p.next_cursor for _, p in pages][-1]
    # pulled changes are not sent back to the platforms
    assert count_rows(OutboxEvent) == 0


def test_revocations_and_repairs_decided_elsewhere_are_applied(live_ctx, simulator, count_rows):
    platform, control, client = simulator
    owner = create_entity(live_ctx)
    kept, revoked, repaired = (next(_numbers) for _ in range(3))
    control.add_changes(
        [record_change(owner, n, "2026-11-01T09:00:00") for n in (kept, revoked, repaired)]
        + [
            record_change(stranger(9), 999_000 + kept, "2026-11-01T09:00:00"),
            decision_change("revocation", 999_999, "2026-11-01T10:00:00"),  # unknown record
        ]
    )
    control.set_faults(out_of_order=True)
    first = pull_all(live_ctx, platform, client)
    assert first["filed"] == 3 and first["quarantined"] == 2

    control.add_changes(
        [
            decision_change("revocation", revoked, "2026-11-02T10:00:00", reason="复议撤销"),
            decision_change("repair", repaired, "2026-11-02T10:00:00"),
        ]
    )
    second = pull_all(live_ctx, platform, client)

    assert second == Counter({"revoked": 1, "repaired": 1})
    held = records_by_ref(live_ctx)
    assert held[ref(kept)].status == "active"
    assert (held[ref(revoked)].status, held[ref(revoked)].status_reason) == ("revoked", "复议撤销")
    assert held[ref(repaired)].status == "repaired"
    assert count_rows(OutboxEvent) == 0
    reasons = {q.change_id: q.reason for q in quarantined(live_ctx)}
    assert read_stored(reasons["revocation-999999"]) == {"code": "source-record-not-found"}

    # the same decisions sent again change nothing
    control.add_changes(
        [
            decision_change("revocation", revoked, "2026-11-04T10:00:00"),
            decision_change("repair", repaired, "2026-11-04T10:00:00"),
        ]
    )
    assert pull_all(live_ctx, platform, client) == Counter({"unchanged": 2})


def test_a_record_and_its_revocation_in_one_shuffled_page(live_ctx, simulator):
    """The platform's order is (updated_at, sequence); a shuffled page must still end
    with the record revoked, not with a quarantined revocation and an active record."""
    platform, control, client = simulator
    owner = create_entity(live_ctx)
    numbers = [next(_numbers) for _ in range(6)]
    control.add_changes(
        [record_change(owner, n, "2026-11-01T09:00:00") for n in numbers]
        + [decision_change("revocation", n, "2026-11-02T10:00:00") for n in numbers]
    )
    control.set_faults(out_of_order=True)

    pull_all(live_ctx, platform, client)

    held = records_by_ref(live_ctx)
    assert {held[ref(n)].status for n in numbers} == {"revoked"}
    assert quarantined(live_ctx) == []


def test_a_pulled_revocation_takes_down_the_listing_resting_on_the_record(live_ctx, simulator):
    platform, control, client = simulator
    owner = create_entity(live_ctx)
    n = next(_numbers)
    control.add_changes(
        [record_change(owner, n, "2026-11-01T09:00:00", CF_CFLB=["罚款", "责令停产停业"])]
    )
    pull_all(live_ctx, platform, client)
    record = records_by_ref(live_ctx)[ref(n)]
    case = dishonesty_services.propose(
        live_ctx,
        REGULATOR,
        entity=owner["identifier"],
        record_ids=[record.id],
        reason="当事人故意假冒他人专利，受到责令停产停业的较重行政处罚",
    )
    for step, kwargs in (
        ("serve_notice", {}),
        ("waive", {"reason": "当事人书面放弃陈述、申辩", **step_papers("waive")}),
        ("decide_list", {}),
        ("publish", {}),
    ):
        case = dishonesty_services.advance(live_ctx, REGULATOR, case["id"], step, **kwargs)
    assert case["state"] == "published"

    control.add_changes([decision_change("revocation", n, "2026-11-30T10:00:00")])
    assert pull_all(live_ctx, platform, client) == Counter({"revoked": 1})

    removed = dishonesty_services.get_case(live_ctx, REGULATOR, case["id"])
    assert (removed["state"], removed["removal_reason"]) == ("removed", "revoked")
    # the listing is the city's own: the province hears it came down, though the
    # revocation itself (the province's news) is not sent back
    with live_ctx.read_session_factory() as session:
        sent = session.execute(
            select(OutboxEvent.event_type).where(OutboxEvent.subject == owner["identifier"])
        ).scalars()
        assert sorted(sent) == ["listing.published", "listing.removed"]


def test_a_repeated_page_does_not_quarantine_a_change_twice(live_ctx, simulator):
    platform, control, client = simulator
    owner = create_entity(live_ctx)
    unknown = record_change(stranger(5), next(_numbers), "2026-11-01T09:00:00")
    control.add_changes([record_change(owner, next(_numbers), "2026-11-01T09:00:00"), unknown])
    control.set_faults(duplicate_page_rate=1.0)  # the same page, again and again
    outcomes = sum(
        (sync_services.pull_changes(live_ctx, platform, client) for _ in range(3)), Counter()
    )
    assert outcomes == Counter({"filed": 1, "stale": 2, "quarantined": 3})
    control.set_faults()
    pull_all(live_ctx, platform, client)

    assert [q.change_id for q in quarantined(live_ctx)] == [unknown["change_id"]]


# --- the cursor commits with its page -----------------------------------------------------------


class Crash(Exception):
    """The process dies in the middle of a page."""


def test_a_crash_inside_a_page_keeps_the_previous_cursor_and_none_of_the_page(
    live_ctx, simulator, monkeypatch, count_rows
):
    platform, control, client = simulator
    owner = create_entity(live_ctx)
    numbers = [next(_numbers) for _ in range(50)]
    control.add_changes(
        [record_change(owner, n, f"2026-11-01T09:00:{i // 25:02d}") for i, n in enumerate(numbers)]
    )
    pages = spy_pages(client)
    applied = itertools.count(1)
    original = incoming.apply_change

    def crash_in_the_second_page(*args, **kwargs):
        if next(applied) == PAGE + 7:
            raise Crash
        return original(*args, **kwargs)

    monkeypatch.setattr(incoming, "apply_change", crash_in_the_second_page)
    with pytest.raises(Crash):
        sync_services.pull_changes(live_ctx, platform, client)

    assert len(pages) == 2
    assert stored_cursor(live_ctx, platform) == pages[0][1].next_cursor
    assert count_rows(CreditRecord) == PAGE  # the first page only
    assert set(records_by_ref(live_ctx)) == {
        c["record"]["fields"]["CF_WSH"] for c in pages[0][1].changes
    }

    monkeypatch.setattr(incoming, "apply_change", original)
    pull_all(live_ctx, platform, client)
    assert set(records_by_ref(live_ctx)) == {ref(n) for n in numbers}
    assert pages[2][0] == pages[0][1].next_cursor  # resumed after the committed page
    assert stored_cursor(live_ctx, platform) == pages[-1][1].next_cursor


def test_a_failing_platform_leaves_the_cursor_and_records_the_error(
    live_ctx, simulator, count_rows
):
    platform, control, client = simulator
    owner = create_entity(live_ctx)
    control.add_changes([record_change(owner, next(_numbers), "2026-11-01T09:00:00")])
    control.set_faults(error_rate=1.0)

    assert sync_services.pull_changes(live_ctx, platform, client) == Counter()

    assert stored_cursor(live_ctx, platform) is None
    status = sync_services.sync_status(live_ctx, {platform.id: platform})[0]
    failure = read_stored(status["last_pull_error"])
    assert (failure["code"], failure["upstream_status"] // 100) == ("upstream-http-error", 5)
    control.set_faults()
    assert pull_all(live_ctx, platform, client) == Counter({"filed": 1})
    assert (
        sync_services.sync_status(live_ctx, {platform.id: platform})[0]["last_pull_error"] is None
    )


def test_malformed_changes_are_quarantined_and_the_page_goes_on(live_ctx, simulator):
    platform, control, client = simulator
    owner = create_entity(live_ctx)
    good, bad_revision, bad_date = (next(_numbers) for _ in range(3))
    control.add_changes(
        [
            record_change(owner, good, "2026-11-01T09:00:00"),
            record_change(owner, bad_date, "2026-11-01T09:00:00"),
            {**record_change(owner, bad_revision, "2026-11-01T09:00:01"), "revision": "two"},
            decision_change("revocation", bad_date, "2026-11-01T09:00:02", decided_on="昨天"),
            {"change_id": "odd-1", "kind": "record", "record": ["not", "a", "record"]},
        ]
    )

    outcomes = pull_all(live_ctx, platform, client)

    assert outcomes == Counter({"filed": 2, "quarantined": 3})
    reasons = {q.change_id: q.reason for q in quarantined(live_ctx)}
    assert {change: read_stored(reason)["code"] for change, reason in reasons.items()} == {
        f"record-{bad_revision}-r1": "change-revision-invalid",
        f"revocation-{bad_date}": "change-date-invalid",
        "odd-1": "change-not-objects",
    }
    assert records_by_ref(live_ctx)[ref(bad_date)].status == "active"


def test_a_revocation_dated_out_of_bounds_is_quarantined_not_published(live_ctx, simulator):
    """A platform's revocation dated after today, or before the penalty it revokes, would
    carry that date into the listing's removal: it waits in the quarantine instead."""
    platform, control, client = simulator
    owner = create_entity(live_ctx)
    late, early = next(_numbers), next(_numbers)
    control.add_changes([record_change(owner, n, "2026-11-01T09:00:00") for n in (late, early)])
    pull_all(live_ctx, platform, client)
    control.add_changes(
        [
            decision_change("revocation", late, "2026-11-02T10:00:00", decided_on="2026-12-30"),
            decision_change("revocation", early, "2026-11-02T10:00:00", decided_on="1990-01-01"),
        ]
    )

    assert pull_all(live_ctx, platform, client) == Counter({"quarantined": 2})
    reasons = {q.change_id: q.reason for q in quarantined(live_ctx)}
    assert read_stored(reasons[f"revocation-{late}"]) == {
        "code": "step-date-in-future",
        "errors": {"on": ["step-date-in-future"]},
    }
    assert read_stored(reasons[f"revocation-{early}"])["code"] == "step-date-before-previous"
    held = records_by_ref(live_ctx)
    assert {held[ref(late)].status, held[ref(early)].status} == {"active"}


def test_changes_out_of_the_domain_range_are_quarantined_and_the_page_goes_on(live_ctx, simulator):
    """A revision past the 32-bit column, a decision dated 9999-12-31 or in year 1 and a
    record decided in the future would fail in the database or in date arithmetic and roll
    the page back (every later pull would stop there): they are quarantined instead."""
    platform, control, client = simulator
    owner = create_entity(live_ctx)
    good, huge, later = (next(_numbers) for _ in range(3))
    control.add_changes(
        [
            record_change(owner, good, "2026-11-01T09:00:00"),
            record_change(owner, huge, "2026-11-01T09:00:01", revision=2**63),
            decision_change("revocation", good, "2026-11-01T09:00:02", decided_on="9999-12-31"),
            decision_change("repair", good, "2026-11-01T09:00:03", decided_on="0001-01-01"),
            record_change(owner, later, "2026-11-01T09:00:04", CF_JDRQ="2026-12-25"),
        ]
    )

    outcomes = pull_all(live_ctx, platform, client)

    assert outcomes == Counter({"filed": 1, "quarantined": 4})
    reasons = {q.change_id: q.reason for q in quarantined(live_ctx)}
    kept = {change: read_stored(reason) for change, reason in reasons.items()}
    assert kept[f"record-{huge}-r{2**63}"] == {"code": "change-revision-invalid", "max": 2**31 - 1}
    assert kept[f"revocation-{good}"]["errors"]["decided_on"][0]["code"] == "date-too-late"
    assert kept[f"repair-{good}"] == {
        "code": "change-date-invalid",
        "errors": {"decided_on": [{"code": "date-too-early", "earliest": "1949-10-01"}]},
    }
    assert kept[f"record-{later}-r1"]["code"] == "record-fields-invalid"
    assert kept[f"record-{later}-r1"]["errors"]["fields.CF_JDRQ"] == ["date-in-future"]
    assert records_by_ref(live_ctx)[ref(good)].status == "active"

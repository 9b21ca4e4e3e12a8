"""Outbox event ids are UUIDv7: valid RFC 9562 UUIDs, ordered by time, never repeated."""

from __future__ import annotations

import uuid

from credit_service.event_ids import new_event_id

NOON_2026_11_26 = 1_795_694_400_000_000_000  # ns since the epoch


def test_an_event_id_is_a_version_7_uuid_of_the_rfc_variant():
    value = uuid.UUID(new_event_id())
    assert value.version == 7
    assert value.variant == uuid.RFC_4122


def test_the_id_begins_with_its_millisecond():
    value = uuid.UUID(new_event_id(NOON_2026_11_26))
    assert value.int >> 80 == NOON_2026_11_26 // 1_000_000


def test_ids_of_later_milliseconds_sort_after_earlier_ones():
    ids = [new_event_id(NOON_2026_11_26 + ms * 1_000_000) for ms in range(0, 5000, 7)]
    assert ids == sorted(ids)
    assert len(ids) > 700


def test_ids_of_the_same_millisecond_differ():
    ids = {new_event_id(NOON_2026_11_26) for _ in range(10_000)}
    assert len(ids) == 10_000

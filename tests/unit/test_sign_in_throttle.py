"""The sign-in back-off's pure parts: which source failures count under, how long each
lock lasts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from credit_service.auth.throttle import lock_duration, source_key
from credit_service.config import Settings


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.20", "203.0.113.20"),
        ("::ffff:203.0.113.20", "203.0.113.20"),  # an IPv4 client of a dual-stack socket
        ("2001:db8:1:2::5", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),  # the same /64
        ("2001:db8:1:3::5", "2001:db8:1:3::/64"),
        (None, "unknown"),
        ("", "unknown"),
    ],
)
def test_failures_count_under_the_address_or_its_ipv6_64(address, key):
    assert source_key(address) == key


def test_each_lock_doubles_up_to_the_maximum():
    settings = Settings(login_lock_minutes=30, login_lock_max_minutes=1440)

    minutes = [lock_duration(settings, n) / timedelta(minutes=1) for n in range(8)]

    assert minutes == [30, 60, 120, 240, 480, 960, 1440, 1440]
    assert lock_duration(settings, 10_000) == timedelta(minutes=1440)  # no overflow

"""The send limit: at most ``count`` in the window, per series (subject, address); when one
series is full, the next send waits until its oldest counted send falls out of the window."""

from __future__ import annotations

import datetime as dt

from kobling.core.send_limits import SendLimit

NOW = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)


def test_another_may_go_until_a_series_is_full():
    limit = SendLimit(count=3, window=24 * H)
    assert limit.next_allowed([], now=NOW) is None
    assert limit.next_allowed([NOW - H, NOW - 2 * H], [NOW - 3 * H], now=NOW) is None
    # Sends older than the window do not count.
    assert limit.next_allowed([NOW - H, NOW - 2 * H, NOW - 30 * H], now=NOW) is None


def test_a_full_series_waits_for_its_oldest_counted_send_and_the_longest_wait_wins():
    limit = SendLimit(count=3, window=24 * H)
    subject = [NOW - H, NOW - 5 * H, NOW - 10 * H, NOW - 20 * H]
    assert limit.next_allowed(subject, now=NOW) == NOW - 10 * H + 24 * H
    address = [NOW - 2 * H, NOW - 3 * H, NOW - 4 * H]
    assert limit.next_allowed(subject, address, now=NOW) == NOW - 4 * H + 24 * H
    assert limit.hours == 24

"""How often a link may be sent to the same person: at most ``count`` in a sliding ``window``
(session confirmation links, the participant's card). Each sender counts what it sent — per
subject and per address, under the subject's row lock — and asks here whether another may go and,
if not, from when; the refusal's words stay with the sender."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import formats, timezone


@dataclass(frozen=True)
class SendLimit:
    count: int = 3
    window: dt.timedelta = dt.timedelta(hours=24)

    @property
    def hours(self) -> int:
        return self.window // dt.timedelta(hours=1)

    def next_allowed(self, *sent: Iterable[dt.datetime], now: dt.datetime) -> dt.datetime | None:
        """None when another may be sent now; otherwise when the earliest of each series of
        send times (e.g. to the subject, to the address) falls out of the window — the latest
        of those, since every series must allow it."""
        waits = []
        for series in sent:
            recent = sorted((t for t in series if t > now - self.window), reverse=True)
            if len(recent) >= self.count:
                waits.append(recent[self.count - 1] + self.window)
        return max(waits) if waits else None

    def format_time(self, moment: dt.datetime) -> str:
        return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")

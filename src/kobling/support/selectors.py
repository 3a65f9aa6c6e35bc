"""Reads for supervision: each helper's hours in a year (allowance, pool lines, used,
remaining) and the programme's summary beside the quality checklist. Fixed query counts for any
number of helpers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Q, Sum

from kobling.helpers.choices import HelperStatus
from kobling.helpers.models import Helper
from kobling.support.choices import EntryKind, MeetingStatus
from kobling.support.models import (
    PoolEntry,
    SupervisionEntry,
    SupervisionMeeting,
    SupervisionSettings,
    settings_for,
)
from kobling.support.pool import HelperYear

# Helpers who hold an allowance: trained and not gone.
ALLOWANCE_STATUSES = (HelperStatus.QUALIFIED, HelperStatus.ACTIVE, HelperStatus.PAUSED)
ZERO = Decimal("0.00")


@dataclass
class HelperHours:
    helper: Helper
    base: Decimal
    pool: Decimal
    used: Decimal
    last: dt.date | None

    @property
    def allowance(self) -> Decimal:
        return self.base + self.pool

    @property
    def remaining(self) -> Decimal:
        return self.allowance - self.used


def year_bounds(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def allowances_by_programme(programme_ids: set[int]) -> dict[int, Decimal]:
    """Programme → hours per helper and year (one query; the default where none is set)."""
    from kobling.support.models import DEFAULT_ALLOWANCE_HOURS

    found = dict(
        SupervisionSettings.objects.filter(programme_id__in=programme_ids).values_list(
            "programme_id", "allowance_hours"
        )
    )
    return {pid: found.get(pid, DEFAULT_ALLOWANCE_HOURS) for pid in programme_ids}


def hours_for(
    helpers: list[Helper], year: int, *, until: dt.date | None = None
) -> list[HelperHours]:
    """Each helper's supervision in ``year`` (up to ``until``, when given): three queries."""
    ids = [h.pk for h in helpers]
    start, end = year_bounds(year)
    end = min(end, until) if until else end
    used = dict(
        SupervisionEntry.objects.filter(helper_id__in=ids, date__gte=start, date__lte=end)
        .values("helper_id")
        .annotate(total=Sum("hours"))
        .values_list("helper_id", "total")
        .order_by()
    )
    last = dict(
        SupervisionEntry.objects.filter(helper_id__in=ids)
        .exclude(kind=EntryKind.CORRECTION)
        .filter(correction__isnull=True)
        .values("helper_id")
        .annotate(last=Max("date"))
        .values_list("helper_id", "last")
        .order_by()
    )
    pool = dict(
        PoolEntry.objects.filter(helper_id__in=ids, year=year)
        .values("helper_id")
        .annotate(total=Sum("hours"))
        .values_list("helper_id", "total")
        .order_by()
    )
    bases = allowances_by_programme({h.programme_id for h in helpers})
    return [
        HelperHours(
            helper=h,
            base=bases[h.programme_id],
            pool=pool.get(h.pk) or ZERO,
            used=used.get(h.pk) or ZERO,
            last=last.get(h.pk),
        )
        for h in helpers
    ]


def helpers_with_allowance(programme: Any, year: int) -> list[Helper]:
    """The programme's helpers who hold an allowance, and anyone who got supervision in the
    year (one query)."""
    start, end = year_bounds(year)
    return list(
        Helper.objects.filter(programme=programme)
        .select_related("programme")
        .filter(
            Q(status__in=ALLOWANCE_STATUSES)
            | Q(supervision_entries__date__gte=start, supervision_entries__date__lte=end)
        )
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )


def pool_rows(programme: Any, year: int, on: dt.date) -> list[HelperYear]:
    """The share-out's input: each helper's allowance so far and hours used up to ``on``."""
    rows = hours_for(helpers_with_allowance(programme, year), year, until=on)
    return [HelperYear(r.helper.pk, r.allowance, r.used) for r in rows]


@dataclass(frozen=True)
class Summary:
    helpers: int
    supervised: int
    hours: Decimal
    meetings_held: int
    allowance: Decimal


def summary(programme: Any, year: int) -> Summary:
    """The programme's supervision in ``year``: helpers with an allowance, how many got any,
    the hours and the group meetings held (four queries)."""
    start, end = year_bounds(year)
    helper_ids = [h.pk for h in helpers_with_allowance(programme, year)]
    per_helper = dict(
        SupervisionEntry.objects.filter(programme=programme, date__gte=start, date__lte=end)
        .values("helper_id")
        .annotate(total=Sum("hours"))
        .values_list("helper_id", "total")
        .order_by()
    )
    held = (
        SupervisionMeeting.objects.filter(
            group__programme=programme,
            status=MeetingStatus.HELD,
            date__gte=start,
            date__lte=end,
        )
        .aggregate(n=Count("pk"))
        .get("n")
    )
    return Summary(
        helpers=len(helper_ids),
        supervised=sum(1 for h in helper_ids if (per_helper.get(h) or 0) > 0),
        hours=sum((v for v in per_helper.values() if v), ZERO),
        meetings_held=held or 0,
        allowance=settings_for(programme).allowance_hours,
    )


def meeting_present(meeting: SupervisionMeeting) -> set[int]:
    """The helpers recorded present at a meeting now (their lines net above zero)."""
    return {
        helper_id
        for helper_id, total in SupervisionEntry.objects.filter(meeting=meeting)
        .values("helper_id")
        .annotate(total=Sum("hours"))
        .values_list("helper_id", "total")
        .order_by()
        if total and total > 0
    }

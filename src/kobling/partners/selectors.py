"""Reads for the partner register: the list (fixed query count), CSV rows, and the agreements
that need a look (ending within 60 days or past their review date)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from kobling.lib.spreadsheet import neutralise
from kobling.partners.choices import ENDING_SOON_DAYS, AgreementStatus, BookingStatus
from kobling.partners.models import Agreement, Booking, Partner, Premises, agreement_valid_q

CSV_HEADER = (
    "id",
    "municipality",
    "name",
    "organisation_number",
    "kind",
    "prevention_level",
    "programmes",
    "contact_name",
    "contact_phone",
    "contact_email",
    "active",
    "agreements",
    "agreement_status",
    "agreement_ends_on",
    "agreement_review_on",
)


def partner_list_queryset(queryset: QuerySet) -> QuerySet:
    """Partners with what the list shows, in a fixed number of queries."""
    return queryset.select_related("municipality", "municipal_contact").prefetch_related(
        "programmes",
        Prefetch(
            "agreements",
            queryset=Agreement.objects.prefetch_related("premises").order_by("-starts_on", "-pk"),
        ),
    )


def current_agreement(partner: Partner, today: dt.date) -> Agreement | None:
    """The agreement that says most about the partner today: a valid one (the latest start),
    else the latest (from the prefetched agreements)."""
    agreements = list(partner.agreements.all())
    valid = [
        a
        for a in agreements
        if a.status_on(today) not in (AgreementStatus.EXPIRED, AgreementStatus.UPCOMING)
    ]
    return (valid or agreements or [None])[0]


def partner_csv_rows(partners: Iterable[Partner], today: dt.date) -> Iterator[list[str]]:
    yield list(CSV_HEADER)
    for p in partners:
        agreement = current_agreement(p, today)
        # Names and contact details are typed by users: a spreadsheet must not run them.
        yield [
            str(p.pk),
            neutralise(p.municipality.name),
            neutralise(p.name),
            p.organisation_number,
            p.kind,
            p.prevention_level,
            neutralise("; ".join(sorted(pr.name for pr in p.programmes.all()))),
            neutralise(p.contact_name),
            neutralise(p.contact_phone),
            neutralise(p.contact_email),
            "yes" if p.is_active else "no",
            str(len(p.agreements.all())),
            agreement.status_on(today) if agreement else "",
            agreement.ends_on.isoformat() if agreement and agreement.ends_on else "",
            agreement.review_on.isoformat() if agreement and agreement.review_on else "",
        ]


def agreements_needing_attention(municipality_ids: list[int], today: dt.date) -> QuerySet:
    """Valid agreements that end within :data:`ENDING_SOON_DAYS` days or whose review date has
    come; one query, soonest first."""
    soon = today + dt.timedelta(days=ENDING_SOON_DAYS)
    return (
        Agreement.objects.filter(municipality_id__in=list(municipality_ids))
        .filter(agreement_valid_q(today))
        .filter(Q(ends_on__lte=soon) | Q(review_on__lte=today))
        .select_related("partner", "municipality")
        .order_by("ends_on", "review_on", "pk")
    )


# --- premises calendar ---------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarDay:
    day: dt.date
    bookings: list  # Booking rows that overlap the day, by start
    in_range: bool = True


@dataclass(frozen=True)
class Calendar:
    view: str  # "week" or "month"
    first: dt.date
    last: dt.date
    weeks: list[list[CalendarDay]]
    previous: dt.date
    following: dt.date


def _week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def premises_calendar(premises: Premises, *, view: str, around: dt.date) -> Calendar:
    """The active bookings of ``premises`` for the week (Monday–Sunday) or the month around
    ``around``, laid out in weeks of seven days. One query, whatever the number of bookings."""
    if view == "month":
        first = around.replace(day=1)
        next_month = (first + dt.timedelta(days=32)).replace(day=1)
        last = next_month - dt.timedelta(days=1)
        grid_start, grid_end = _week_start(first), _week_start(last) + dt.timedelta(days=6)
        previous = (first - dt.timedelta(days=1)).replace(day=1)
        following = next_month
    else:
        view = "week"
        first = _week_start(around)
        last = first + dt.timedelta(days=6)
        grid_start, grid_end = first, last
        previous, following = first - dt.timedelta(days=7), first + dt.timedelta(days=7)
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(grid_start, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(grid_end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    bookings = list(
        Booking.objects.filter(
            premises=premises,
            status=BookingStatus.ACTIVE,
            starts_at__lt=end,
            ends_at__gt=start,
        )
        .select_related("partner", "municipality")
        .order_by("starts_at", "pk")
    )
    weeks: list[list[CalendarDay]] = []
    day = grid_start
    while day <= grid_end:
        week = []
        for _i in range(7):
            day_start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
            day_end = day_start + dt.timedelta(days=1)
            week.append(
                CalendarDay(
                    day=day,
                    bookings=[
                        b for b in bookings if b.starts_at < day_end and b.ends_at > day_start
                    ],
                    in_range=first <= day <= last,
                )
            )
            day += dt.timedelta(days=1)
        weeks.append(week)
    return Calendar(view, first, last, weeks, previous, following)


def premises_list_queryset(queryset: QuerySet[Premises]) -> QuerySet[Premises]:
    return queryset.select_related("owner", "municipality").order_by("name", "pk")


def upcoming_bookings(queryset: QuerySet[Booking], now: dt.datetime, limit: int = 50) -> list:
    return list(
        queryset.filter(status=BookingStatus.ACTIVE, ends_at__gte=now)
        .select_related("premises", "partner", "municipality")
        .order_by("starts_at", "pk")[:limit]
    )

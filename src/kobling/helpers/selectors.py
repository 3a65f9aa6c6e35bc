"""Reads about the helper register: lists that keep a fixed number of queries, and the
coordinator's overview."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from kobling.helpers.choices import HelperStatus
from kobling.helpers.models import Activity, AvailabilityWindow, Helper


def helper_list_queryset(queryset: QuerySet[Helper]) -> QuerySet[Helper]:
    """Everything a helper row shows, fetched in a fixed number of queries."""
    return queryset.select_related("municipality", "programme").prefetch_related(
        "activities",
        "target_groups",
        Prefetch(
            "availability", queryset=AvailabilityWindow.objects.order_by("weekday", "start_time")
        ),
    )


def helper_page_queryset(queryset: QuerySet[Helper]) -> QuerySet[Helper]:
    """What a row of the helper list *page* shows: the API's row also carries target groups and
    availability, which the page does not, and each prefetch costs a query and a related
    queryset per row (issue 16's load)."""
    return (
        queryset.select_related("municipality", "programme")
        .only(*HELPER_ROW_FIELDS)
        .prefetch_related("activities")
    )


# What a contact row of the page shows (helpers.templatetags.helpers.helper_row): the rest of a
# contact (contact details, police certificate, coordinates, notes) stays in the database.
HELPER_ROW_FIELDS = (
    "municipality_id",
    "programme_id",
    "first_name",
    "last_name",
    "status",
    "is_unconfirmed",
    "paused_until",
    "home_area",
    "postcode",
    "capacity",
    "municipality__name",
    "programme__name",
)


@dataclass
class HelperOverview:
    total: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    available: int = 0
    free_capacity: int = 0
    unconfirmed: int = 0
    police_expiring: int = 0
    police_expired_active: int = 0
    by_activity: list[tuple[str, str, int]] = field(default_factory=list)
    by_area: list[tuple[str, int]] = field(default_factory=list)


def helper_overview(
    queryset: QuerySet[Helper], *, today: dt.date | None = None, expiring_days: int = 60
) -> HelperOverview:
    """Counts by status, free capacity now, unconfirmed, police certificates expiring soon, and
    contacts by activity and by area — over whatever (already scoped) queryset is given."""
    today = today or timezone.localdate()
    available = Q(status=HelperStatus.ACTIVE, is_unconfirmed=False)
    in_service = Q(status__in=[HelperStatus.ACTIVE, HelperStatus.PAUSED, HelperStatus.QUALIFIED])
    totals = queryset.aggregate(
        total=Count("id"),
        available=Count("id", filter=available),
        # Pairings arrive with the matching issue; until then capacity is all free.
        free_capacity=Sum("capacity", filter=available, default=0),
        unconfirmed=Count("id", filter=Q(status=HelperStatus.ACTIVE, is_unconfirmed=True)),
        police_expiring=Count(
            "id",
            filter=in_service
            & Q(
                police_certificate_expires__gte=today,
                police_certificate_expires__lte=today + dt.timedelta(days=expiring_days),
            ),
        ),
        police_expired_active=Count(
            "id",
            filter=Q(status=HelperStatus.ACTIVE, programme__requires_police_certificate=True)
            & (Q(police_certificate_date__isnull=True) | Q(police_certificate_expires__lt=today)),
        ),
    )
    by_status = dict.fromkeys(HelperStatus.values, 0)
    for row in queryset.order_by().values("status").annotate(n=Count("id")):
        by_status[row["status"]] = row["n"]
    ids = queryset.order_by().values("id")
    by_activity = [
        (a.code, str(a), a.n)
        for a in Activity.objects.filter(helpers__in=ids)
        .annotate(n=Count("helpers", distinct=True))
        .order_by("-n", "position")
    ]
    by_area = [
        (row["home_area"] or row["postcode"], row["n"])
        for row in queryset.order_by()
        .values("home_area", "postcode")
        .annotate(n=Count("id"))
        .order_by("-n", "home_area")
    ]
    merged: dict[str, int] = {}
    for area, n in by_area:
        merged[area] = merged.get(area, 0) + n
    return HelperOverview(
        total=totals["total"],
        by_status=by_status,
        available=totals["available"],
        free_capacity=totals["free_capacity"],
        unconfirmed=totals["unconfirmed"],
        police_expiring=totals["police_expiring"],
        police_expired_active=totals["police_expired_active"],
        by_activity=by_activity,
        by_area=sorted(merged.items(), key=lambda item: (-item[1], item[0])),
    )


def helper_has_valid_qualification(*, helper: Helper, programme, day: dt.date) -> bool:  # noqa: ANN001
    """Whether the helper holds a qualification (courses) for the programme that is valid on
    ``day``. Read through the reverse relation: helpers is below courses."""
    return (
        helper.qualifications.filter(programme=programme, qualified_on__lte=day)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))
        .exists()
    )

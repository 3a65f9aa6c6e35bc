"""Reading workplace coaching: the assignments a user sees with what their lists show, and an
assignment's scale series for the chart and the API."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from kobling.tenancy.models import Municipality
from kobling.workplace.charts import Point
from kobling.workplace.models import STAFF_ROLES, Assignment, CoachingMeeting


def assignments_for(user: Any) -> QuerySet[Assignment]:
    return (
        Assignment.objects.visible_to(user)
        .select_related("workplace", "coach", "adviser", "municipality")
        .annotate(meeting_count=Count("meetings"))
        .order_by("status", "-requested_on", "-pk")
    )


def meetings_of(assignment: Assignment) -> list[CoachingMeeting]:
    return list(CoachingMeeting.objects.filter(assignment=assignment).order_by("held_on", "pk"))


def scale_points(meetings: list[CoachingMeeting]) -> list[Point]:
    return [Point(m.held_on.strftime("%d.%m"), m.scale_low, m.scale_high) for m in meetings]


def staff_municipalities(user: Any) -> list[Municipality]:
    """The municipalities where ``user`` is workplace staff (IA adviser or manager), by name:
    the choices of the pages and the API that are about one municipality, the first the
    default."""
    ids = user.municipality_ids(*STAFF_ROLES)
    return list(Municipality.objects.filter(pk__in=ids).order_by("name", "pk")) if ids else []


def chosen_municipality(municipalities: list[Municipality], wanted: str) -> Municipality | None:
    """The one of ``municipalities`` whose id is ``wanted``; the first when nothing is wanted;
    None when the id is not among them."""
    if not wanted:
        return municipalities[0]
    return next((m for m in municipalities if str(m.pk) == wanted), None)

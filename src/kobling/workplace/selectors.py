"""Reading workplace coaching: the assignments a user sees with what their lists show, and an
assignment's scale series for the chart and the API."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from kobling.workplace.charts import Point
from kobling.workplace.models import Assignment, CoachingMeeting


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

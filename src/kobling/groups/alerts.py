"""The groups' alerts for the coordinators' alerts page (registered in GroupsConfig.ready):

- ``group_absent``: a course enrolled in a group that was recorded absent from its last
  :data:`ABSENT_IN_A_ROW` held meetings of that group;
- ``group_small``: an active group whose enrolled count is below its minimum size.

Each runs a fixed number of queries, however many groups and meetings there are."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kobling.core.alerts import KIND_LABELS, Alert
from kobling.followup.alerts import course_alert
from kobling.groups.choices import EnrolmentStatus, MeetingStatus
from kobling.groups.models import Attendance, GroupEnrolment, GroupOffer
from kobling.referrals.models import Episode

ABSENT_IN_A_ROW = 3
GROUP_ABSENT = "group_absent"
GROUP_SMALL = "group_small"

KIND_LABELS.update(
    {
        GROUP_ABSENT: gettext_lazy("Absent from a group three times in a row"),
        GROUP_SMALL: gettext_lazy("Group below its minimum size"),
    }
)


def absent_in_a_row(municipality_ids: list[int], today: dt.date) -> list[Alert]:
    """Courses still enrolled whose last three recorded meetings of a group were absences. Three
    queries: the ranked entries, the courses, the groups' titles."""
    ranked = (
        Attendance.objects.current()
        .filter(
            municipality_id__in=list(municipality_ids),
            meeting__status=MeetingStatus.HELD,
            is_drop_in=False,
        )
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("episode_id"), F("meeting__offer_id")],
                order_by=[F("meeting__date").desc(), F("meeting_id").desc()],
            )
        )
        .filter(rank__lte=ABSENT_IN_A_ROW)
        .values_list("episode_id", "meeting__offer_id", "attended", "meeting__date")
    )
    seen: dict[tuple[int, int], list[tuple[bool, dt.date]]] = {}
    for episode_id, offer_id, attended, day in ranked:
        seen.setdefault((episode_id, offer_id), []).append((attended, day))
    absent = {
        key: min(day for _came, day in rows)
        for key, rows in seen.items()
        if len(rows) == ABSENT_IN_A_ROW and not any(came for came, _day in rows)
    }
    if not absent:
        return []
    still = set(
        GroupEnrolment.objects.filter(
            status=EnrolmentStatus.ENROLLED,
            episode_id__in=sorted({e for e, _o in absent}),
            offer_id__in=sorted({o for _e, o in absent}),
        ).values_list("episode_id", "offer_id")
    )
    absent = {key: since for key, since in absent.items() if key in still}
    courses = {
        c.pk: c
        for c in Episode.objects.filter(pk__in=[e for e, _o in absent]).select_related(
            "participant", "municipality"
        )
    }
    titles = dict(
        GroupOffer.objects.filter(pk__in=[o for _e, o in absent]).values_list("pk", "title")
    )
    alerts = []
    for (episode_id, offer_id), since in sorted(absent.items(), key=lambda kv: (kv[1], kv[0])):
        text = _("Absent from the last %(n)s meetings of %(group)s.") % {
            "n": ABSENT_IN_A_ROW,
            "group": titles[offer_id],
        }
        alerts.append(course_alert(GROUP_ABSENT, courses[episode_id], None, since, text))
    return alerts


def below_minimum(municipality_ids: list[int], today: dt.date) -> list[Alert]:
    """Active groups in their term with fewer enrolled than their minimum size. One query."""
    groups = (
        GroupOffer.objects.filter(
            municipality_id__in=list(municipality_ids),
            is_active=True,
            minimum_size__gt=0,
            term_end__gte=today,
        )
        .annotate(
            enrolled=Count("enrolments", filter=Q(enrolments__status=EnrolmentStatus.ENROLLED))
        )
        .filter(enrolled__lt=F("minimum_size"))
        .order_by("term_start", "pk")
    )
    return [
        Alert(
            GROUP_SMALL,
            None,
            group.term_start,
            _("%(n)s enrolled; the group needs at least %(min)s.")
            % {"n": group.enrolled, "min": group.minimum_size},
            subject=group.title,
            url=reverse("web:group_offer_detail", args=[group.pk]),
        )
        for group in groups
    ]

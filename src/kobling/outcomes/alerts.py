"""The "goal review due" alert for the coordinators' alerts page (kobling.core.alerts).

:func:`review_due_provider` has the alerts page's provider shape — ``(municipality_ids, today)
-> list[Alert]``, a fixed number of queries — and is registered in ``OutcomesConfig.ready``.
The plain-dict version for other callers is :func:`kobling.outcomes.selectors.review_due_alerts`."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kobling.core.alerts import Alert
from kobling.followup.alerts import AlertKind, course_alert
from kobling.followup.choices import PairingStatus
from kobling.followup.models import Pairing
from kobling.outcomes.choices import ReviewKind
from kobling.outcomes.selectors import next_reviews
from kobling.referrals.choices import EpisodeStatus
from kobling.referrals.models import Episode


def review_due_provider(municipality_ids: list[int], today: dt.date) -> list[Alert]:
    """Started pairings (not paused) whose start, periodic or end review is due — and courses
    (forløp) without any pairing (a group, a provider) whose review is due — oldest first. Four
    queries however many."""
    ids = list(municipality_ids)
    pairings = Pairing.objects.filter(municipality_id__in=ids).exclude(status=PairingStatus.PAUSED)
    due = {pk: v for pk, v in next_reviews(pairings, today).items() if v[1] <= today}
    rows = Pairing.objects.filter(pk__in=list(due)).select_related(
        "participant", "helper", "municipality"
    )
    alerts = [_alert(pairing, *due[pairing.pk]) for pairing in rows]
    courses = (
        Episode.objects.filter(municipality_id__in=ids)
        .exclude(status=EpisodeStatus.PAUSED)
        .exclude(Exists(Pairing.objects.filter(episode=OuterRef("pk"))))
    )
    due = {pk: v for pk, v in next_reviews(courses, today).items() if v[1] <= today}
    for course in Episode.objects.filter(pk__in=list(due)).select_related("participant"):
        kind, since = due[course.pk]
        alert = _alert(None, kind, since)
        alerts.append(course_alert(alert.kind, course, None, since, alert.text))
    return sorted(alerts, key=lambda a: (a.since, (a.pairing or a.episode).pk))


def _alert(pairing: Pairing | None, kind: str, since: dt.date) -> Alert:
    text = _("The %(kind)s review was due on %(day)s.") % {
        "kind": str(ReviewKind(kind).label).lower(),
        "day": date_format(since, "SHORT_DATE_FORMAT"),
    }
    return Alert(AlertKind.GOAL_REVIEW_DUE, pairing, since, text)

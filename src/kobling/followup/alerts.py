"""Coordinator alerts: courses and pairs that need a look, computed from what is logged — never
typed in.

- ``no_session``: an active course (forløp) with no held session in :data:`NO_SESSION_DAYS`
  days (or none since it — or its current pair — started that long ago);
- ``no_shows``: at least 2 of the course's last 3 sessions (entries that stand) were no-shows;
- ``contact_paused`` / ``contact_unconfirmed``: the contact paused, or went silent on a
  check-in, while they still have open pairings (one alert per pairing).

Each kind is a *provider* of the alerts registry in :mod:`kobling.core.alerts`, registered in
``FollowupConfig.ready``; other apps add their own kinds (the goal review due, from the outcomes
app) the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import F, OuterRef, Q, Subquery, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kobling.core.alerts import KIND_LABELS, Alert, AlertProvider
from kobling.followup.choices import (
    OPEN_PAIRING_STATUSES,
    SessionStatus,
)
from kobling.followup.models import Pairing, Session
from kobling.helpers.choices import CheckInStatus, HelperStatus
from kobling.helpers.models import CheckIn
from kobling.referrals.choices import EpisodeStatus
from kobling.referrals.models import Episode

NO_SESSION_DAYS = 21
NO_SHOW_WINDOW = 3
NO_SHOW_LIMIT = 2


class AlertKind:
    NO_SESSION = "no_session"
    NO_SHOWS = "no_shows"
    CONTACT_PAUSED = "contact_paused"
    CONTACT_UNCONFIRMED = "contact_unconfirmed"
    # Provided by the outcomes app (goals and reviews), through register_alert_provider.
    GOAL_REVIEW_DUE = "goal_review_due"


KIND_LABELS.update(
    {
        AlertKind.NO_SESSION: gettext_lazy("No session for three weeks"),
        AlertKind.NO_SHOWS: gettext_lazy("Repeated no-shows"),
        AlertKind.CONTACT_PAUSED: gettext_lazy("Contact paused"),
        AlertKind.CONTACT_UNCONFIRMED: gettext_lazy("Contact unconfirmed"),
        AlertKind.GOAL_REVIEW_DUE: gettext_lazy("Goal review due"),
    }
)


def _day(value: dt.date) -> str:
    return date_format(value, "SHORT_DATE_FORMAT")


def _pairings(municipality_ids: Iterable[int]):  # noqa: ANN202
    return Pairing.objects.filter(municipality_id__in=list(municipality_ids)).select_related(
        "participant", "helper", "municipality"
    )


def _open() -> list[str]:
    return [s.value for s in OPEN_PAIRING_STATUSES]


def _current_pairs(course_ids: Iterable[int]) -> dict[int, Pairing]:
    """The latest pairing of each course (one query); a course without one is left out."""
    found: dict[int, Pairing] = {}
    rows = (
        Pairing.objects.filter(episode_id__in=list(course_ids))
        .select_related("participant", "helper", "municipality")
        .order_by("episode_id", "confirmed_at", "pk")
    )
    for pairing in rows:
        found[pairing.episode_id] = pairing  # the last one wins
    return found


def course_alert(
    kind: str, course: Episode, pair: Pairing | None, since: dt.date | None, text: str
) -> Alert:
    """An alert about a course: shown as its current pair when it has one, else as the person,
    linked to the course's timeline."""
    if pair is not None:
        return Alert(kind, pair, since, text, episode=course)
    return Alert(
        kind,
        None,
        since,
        text,
        subject=course.participant.full_name,
        url=reverse("web:episode_timeline", args=[course.pk]),
        episode=course,
    )


def no_recent_session(municipality_ids: list[int], today: dt.date) -> list[Alert]:
    """Active courses without a held session for three weeks, counted from the later of the last
    held session and the start of the current pair (a new pair gets its three weeks). Two
    queries."""
    cutoff = today - dt.timedelta(days=NO_SESSION_DAYS)
    last_held = (
        Session.objects.held().filter(episode=OuterRef("pk")).order_by("-date").values("date")[:1]
    )
    current = Pairing.objects.filter(episode=OuterRef("pk")).order_by("-confirmed_at", "-pk")
    courses = (
        Episode.objects.filter(
            municipality_id__in=list(municipality_ids), status=EpisodeStatus.ACTIVE
        )
        .select_related("participant", "municipality")
        .annotate(
            last_held=Subquery(last_held), pair_started=Subquery(current.values("started_on")[:1])
        )
        .order_by("pk")
    )
    quiet: list[tuple[Episode, dt.date | None, str]] = []
    for course in courses:
        start = course.pair_started or course.started_on
        held = course.last_held
        if held is not None and (start is None or held >= start):
            if held <= cutoff:
                quiet.append((course, held, _("No session since %(day)s.") % {"day": _day(held)}))
        elif start is None:
            quiet.append((course, None, _("No session logged since the start.")))
        elif start <= cutoff:
            text = _("No session since the start on %(day)s.") % {"day": _day(start)}
            quiet.append((course, start, text))
    pairs = _current_pairs(c.pk for c, _since, _text in quiet)
    alerts = [
        course_alert(AlertKind.NO_SESSION, course, pairs.get(course.pk), since, text)
        for course, since, text in quiet
    ]
    # Oldest first; "since the start" with no date last.
    return sorted(alerts, key=lambda a: (a.since is None, a.since or today, a.episode.pk))


def repeated_no_shows(municipality_ids: list[int], today: dt.date) -> list[Alert]:
    """Open courses where at least 2 of the last 3 standing sessions — whoever the pair — were
    no-shows. One query for the sessions (a window function numbers each course's newest
    entries), one for the courses and one for their pairs."""
    ranked = (
        Session.objects.current()
        .filter(
            municipality_id__in=list(municipality_ids),
            episode__status__in=[EpisodeStatus.ACTIVE, EpisodeStatus.PAUSED],
        )
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("episode_id")],
                order_by=[F("date").desc(), F("start_time").desc(nulls_last=True), F("id").desc()],
            )
        )
        .filter(rank__lte=NO_SHOW_WINDOW)
        .values_list("episode_id", "status", "date")
    )
    no_shows: dict[int, list[dt.date]] = {}
    for course_id, status, day in ranked:
        if status == SessionStatus.NO_SHOW:
            no_shows.setdefault(course_id, []).append(day)
    flagged = {pk: days for pk, days in no_shows.items() if len(days) >= NO_SHOW_LIMIT}
    if not flagged:
        return []
    courses = Episode.objects.filter(pk__in=list(flagged)).select_related(
        "participant", "municipality"
    )
    pairs = _current_pairs(flagged)
    alerts = []
    for course in courses.order_by("pk"):
        days = sorted(flagged[course.pk])
        text = _(
            "%(count)s of the last %(window)s sessions were no-shows (the last on %(day)s)."
        ) % {
            "count": len(days),
            "window": NO_SHOW_WINDOW,
            "day": _day(days[-1]),
        }
        alerts.append(course_alert(AlertKind.NO_SHOWS, course, pairs.get(course.pk), days[0], text))
    return alerts


def contact_unavailable(municipality_ids: list[int], today: dt.date) -> list[Alert]:
    """Open pairings whose contact paused or is unconfirmed (did not answer a check-in). One
    query."""
    lapsed = (
        CheckIn.objects.filter(helper=OuterRef("helper_id"), status=CheckInStatus.LAPSED)
        .order_by("-lapsed_at")
        .values("lapsed_at")[:1]
    )
    rows = (
        _pairings(municipality_ids)
        .filter(status__in=_open())
        .filter(Q(helper__status=HelperStatus.PAUSED) | Q(helper__is_unconfirmed=True))
        .annotate(lapsed_at=Subquery(lapsed))
        .order_by("helper__last_name", "helper__first_name", "pk")
    )
    alerts = []
    for pairing in rows:
        helper = pairing.helper
        if helper.status == HelperStatus.PAUSED:
            since = timezone.localtime(helper.status_since).date()
            text = (
                _("%(name)s is paused until %(day)s.")
                % {"name": helper.full_name, "day": _day(helper.paused_until)}
                if helper.paused_until
                else _("%(name)s is paused.") % {"name": helper.full_name}
            )
            alerts.append(Alert(AlertKind.CONTACT_PAUSED, pairing, since, text))
        else:
            since = timezone.localtime(pairing.lapsed_at).date() if pairing.lapsed_at else None
            text = _("%(name)s has not confirmed being available (no answer to a check-in).") % {
                "name": helper.full_name
            }
            alerts.append(Alert(AlertKind.CONTACT_UNCONFIRMED, pairing, since, text))
    return alerts


# The kinds this app computes (registered in FollowupConfig.ready).
BUILT_IN_PROVIDERS: tuple[AlertProvider, ...] = (
    no_recent_session,
    repeated_no_shows,
    contact_unavailable,
)

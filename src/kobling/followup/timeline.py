"""The course's timeline: its pairs, their sessions month by month, and the notices to the
referrer (kobling.referrals.timeline)."""

from __future__ import annotations

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kobling.followup.choices import SessionStatus
from kobling.followup.models import Pairing, ReferrerNotice, Session
from kobling.referrals.timeline import TimelineEvent


def pairing_events(episode) -> list[TimelineEvent]:  # noqa: ANN001
    events: list[TimelineEvent] = []
    pairings = list(
        Pairing.objects.filter(episode=episode).select_related("helper").order_by("confirmed_at")
    )
    for p in pairings:
        url = reverse("web:pairing_sessions", args=[p.pk])
        events.append(
            TimelineEvent(
                timezone.localtime(p.confirmed_at).date(),
                "pairing",
                _("Paired with %(name)s") % {"name": p.helper.full_name},
                url=url,
                order=6,
            )
        )
        if p.started_on:
            events.append(
                TimelineEvent(
                    p.started_on,
                    "pairing_started",
                    _("The pair started meeting"),
                    p.helper.full_name,
                    url=url,
                    order=7,
                )
            )
        if p.ended_on:
            events.append(
                TimelineEvent(
                    p.ended_on,
                    "pairing_ended",
                    _("The pair ended"),
                    p.get_end_reason_display(),
                    url=url,
                    order=8,
                )
            )
    months = (
        Session.objects.current()
        .filter(episode=episode)
        .annotate(month=TruncMonth("date"))
        .values("month")
        .annotate(
            held=Count("id", filter=Q(status=SessionStatus.HELD)),
            minutes=Sum("minutes", filter=Q(status=SessionStatus.HELD)),
            cancelled=Count("id", filter=Q(status=SessionStatus.CANCELLED)),
            no_show=Count("id", filter=Q(status=SessionStatus.NO_SHOW)),
        )
        .order_by("month")
    )
    for row in months:
        month = row["month"]
        events.append(
            TimelineEvent(
                month,
                "sessions",
                _("Sessions in %(month)s") % {"month": date_format(month, "YEAR_MONTH_FORMAT")},
                _("%(held)s held (%(minutes)s min), %(cancelled)s cancelled, %(no_show)s no-show")
                % {
                    "held": row["held"],
                    "minutes": row["minutes"] or 0,
                    "cancelled": row["cancelled"],
                    "no_show": row["no_show"],
                },
                order=6,
            )
        )
    for notice in ReferrerNotice.objects.filter(episode=episode).order_by("created_at"):
        events.append(
            TimelineEvent(
                timezone.localtime(notice.created_at).date(),
                "notice",
                _("Notice to the referrer: %(kind)s") % {"kind": notice.get_kind_display()},
                order=9,
            )
        )
    return events

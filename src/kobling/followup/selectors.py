"""Reads about pairings: lists at a fixed number of queries, and the one FilterSet shared by the
pairing page and the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.db.models import CharField, Count, F, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils.translation import gettext_lazy as _

from kobling.core.choices import MessageStatus
from kobling.core.filters import ListFilterSet
from kobling.core.models import OutboxMessage
from kobling.followup.choices import OPEN_PAIRING_STATUSES, Intensity, PairingStatus, SessionStatus
from kobling.followup.models import Pairing, ReferrerNotice, Session, _sharing_consent_in_force
from kobling.tenancy.choices import Role

# PostgreSQL plans a query of eight joined tables by searching the join orders: ~25 ms of
# planning for a page whose execution takes 1 ms (issue 16's load; any six tables take ~4 ms,
# five under 1 ms). So the rarely filled or repeated ones come by id in a query of their own —
# cheap for a to-one relation (no queryset per row).
PAIRING_ROW_JOINS = ("programme", "participant", "helper", "referral")


def pairing_list_queryset(queryset: QuerySet[Pairing]) -> QuerySet[Pairing]:
    """Everything a pairing row shows, in a fixed number of queries."""
    return queryset.select_related(*PAIRING_ROW_JOINS).prefetch_related(
        "municipality", "confirmed_by", "handover_partner"
    )


def pairing_page_queryset(queryset: QuerySet[Pairing]) -> QuerySet[Pairing]:
    """What a row of the pairing list *page* shows (followup.templatetags.followup.pairing_row
    and the view's ``shape_for``): the pair, the programme and the municipality, in one query.
    The API's row also carries the referral, who confirmed and the handover partner; the page
    shows none of them, nor the rest of the participant's and the contact's record."""
    return queryset.select_related("programme", "participant", "helper", "municipality").only(
        "municipality_id",
        "programme_id",
        "participant_id",
        "helper_id",
        "status",
        "confirmed_at",
        "intro_meeting_at",
        "started_on",
        "ended_on",
        "municipality__name",
        "programme__name",
        "participant__first_name",
        "participant__last_name",
        "helper__first_name",
        "helper__last_name",
        "helper__user_id",
    )


def open_pairings(queryset: QuerySet[Pairing]) -> QuerySet[Pairing]:
    return queryset.filter(status__in=[s.value for s in OPEN_PAIRING_STATUSES])


class PairingFilterSet(ListFilterSet):
    # Plain numbers: a filter must not confirm that an id exists in another municipality.
    municipality = django_filters.NumberFilter(
        field_name="municipality_id", label=_("Municipality")
    )
    programme = django_filters.NumberFilter(field_name="programme_id", label=_("Programme"))
    helper = django_filters.NumberFilter(field_name="helper_id", label=_("Training contact"))
    referral = django_filters.NumberFilter(field_name="referral_id", label=_("Referral"))
    status = django_filters.MultipleChoiceFilter(choices=PairingStatus.choices, label=_("Status"))
    open = django_filters.BooleanFilter(method="filter_open", label=_("Open"))

    class Meta:
        model = Pairing
        fields = ["municipality", "programme", "helper", "referral", "status", "open"]

    def filter_open(self, queryset: QuerySet[Pairing], name: str, value: bool | None):  # noqa: ANN201
        if value is None:
            return queryset
        statuses = [s.value for s in OPEN_PAIRING_STATUSES]
        return (
            queryset.filter(status__in=statuses) if value else queryset.exclude(status__in=statuses)
        )


# --- sessions --------------------------------------------------------------------------------

DEFAULT_MINUTES = 60


def _held_of_pairing() -> QuerySet[Session]:
    return Session.objects.held().filter(pairing=OuterRef("pk"))


def with_session_summary(queryset: QuerySet[Pairing], *, today: dt.date) -> QuerySet[Pairing]:
    """Each pairing with its last held session (date, minutes, activity, intensity), the number
    of held sessions this month and of held sessions not confirmed yet — in the same query."""
    last = _held_of_pairing().order_by("-date", "-start_time", "-id")
    month = _held_of_pairing().filter(date__gte=today.replace(day=1), date__lte=today)
    unconfirmed = _held_of_pairing().filter(confirmed_at__isnull=True)

    def count(sessions: QuerySet[Session]) -> Coalesce:
        return Coalesce(
            Subquery(
                sessions.order_by().values("pairing").annotate(n=Count("pk")).values("n")[:1],
                output_field=IntegerField(),
            ),
            0,
        )

    return queryset.annotate(
        last_held=Subquery(last.values("date")[:1]),
        last_minutes=Subquery(last.values("minutes")[:1]),
        last_activity_id=Subquery(last.values("activity_id")[:1]),
        last_intensity=Subquery(last.values("intensity")[:1]),
        held_this_month=count(month),
        unconfirmed_count=count(unconfirmed),
    )


def contact_pairings(user: Any, *, today: dt.date) -> QuerySet[Pairing]:
    """The training contact's open pairings (in municipalities where they are a contact), with
    the session summary, by the participant's first name."""
    contact_in = sorted(user.municipality_ids(Role.TRAINING_CONTACT))
    return with_session_summary(
        open_pairings(
            Pairing.objects.filter(helper__user=user, municipality_id__in=contact_in)
        ).select_related("participant", "helper", "municipality"),
        today=today,
    ).order_by("participant__first_name", "pk")


def session_initial(pairing: Pairing, *, today: dt.date) -> dict[str, Any]:
    """Sensible defaults for the next session of an annotated pairing (see
    :func:`with_session_summary`): today, held, the pair's usual minutes and activity (the last
    held session's; 60 minutes when none) and its intensity (moderate when none)."""
    return {
        "date": today,
        "status": SessionStatus.HELD,
        "minutes": getattr(pairing, "last_minutes", None) or DEFAULT_MINUTES,
        "activity": getattr(pairing, "last_activity_id", None),
        "intensity": getattr(pairing, "last_intensity", None) or Intensity.MODERATE,
    }


def session_history(pairing: Pairing) -> QuerySet[Session]:
    """Every entry of the pair, corrections and withdrawn ones included, newest first."""
    return (
        Session.objects.filter(pairing=pairing)
        .select_related("activity", "logged_by", "superseded_by", "supersedes")
        .order_by("-date", "-start_time", "-id")
    )


def referrer_referrals(user: Any) -> QuerySet:
    """ "My referrals": the referrals ``user`` made where they are a referrer, newest first, each
    with its latest pairing, the latest notice sent about it, and whether the participant's
    consent lets the referrer read the report (the rule of ``followup.access``) — in one query."""
    from kobling.followup.notices import PURPOSE as NOTICE_PURPOSE
    from kobling.referrals.models import Referral

    referrer_in = sorted(user.municipality_ids(Role.REFERRER))
    pairings = Pairing.objects.filter(referral=OuterRef("pk")).order_by("-confirmed_at", "-pk")
    # When a notice went out is kept by the outbox (subject "referrer-notice:<id>").
    notice_sent_at = OutboxMessage.objects.filter(
        purpose=NOTICE_PURPOSE,
        subject_key=Concat(Value(f"{NOTICE_PURPOSE}:"), Cast(OuterRef("pk"), CharField())),
        status=MessageStatus.SENT,
    ).values("sent_at")[:1]
    notices = (
        ReferrerNotice.objects.filter(episode__referral=OuterRef("pk"))
        .annotate(sent_at=Subquery(notice_sent_at))
        .filter(sent_at__isnull=False)
        .order_by("-sent_at", "-pk")
    )
    return (
        Referral.objects.visible_to(user)
        .filter(referrer=user, municipality__in=referrer_in)
        .select_related("participant", "programme", "municipality")
        .annotate(
            pairing_id=Subquery(pairings.values("pk")[:1]),
            course_id=F("episode__id"),
            course_started=F("episode__started_on"),
            notice_sent_at=Subquery(notices.values("sent_at")[:1]),
            notice_kind=Subquery(notices.values("kind")[:1]),
            report_shared=_sharing_consent_in_force("pk"),
        )
        .order_by("-received_at", "-pk")
    )

"""Telling the referrer that there is something to read: when the course (forløp) of a person
they referred starts, every four weeks while it runs, and when it ends. The e-mail says only
that a report is ready and links to the course's report (sign-in required) — not even the
participant's name, no sessions, no health details.

The notices follow the course, whatever delivers it (a pairing, a group, a provider): a re-match
inside a one-to-one course is not an end and a new start for the referrer, only for the
coordinator. A notice still names the pairing that was current when it was made, where there
is one.

``referrer_notices_tick`` (run by the worker's tick) creates the notices that are due and
puts their e-mail in the outbox (:mod:`kobling.core.outbox`, purpose ``referrer-notice``),
which sends each one exactly once. Nothing
is created while the participant's consent to share with the referrer is not in force, or when
the referrer has no e-mail address or is no longer a referrer in the municipality. A course
that ended before this notice existed is not announced after the fact (``END_WITHIN``)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef, Subquery
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from kobling.core import outbox
from kobling.core.models import OutboxMessage
from kobling.followup.models import Pairing, ReferrerNotice
from kobling.referrals.choices import EpisodeStatus
from kobling.referrals.models import Episode, sharing_consent_in_force
from kobling.tenancy.choices import Role
from kobling.tenancy.models import Membership

EVERY = dt.timedelta(weeks=4)
END_WITHIN = dt.timedelta(days=14)  # an end older than this is not announced any more
PURPOSE = "referrer-notice"


def _candidates():  # noqa: ANN202
    """Started courses whose referrer may read the report now."""
    still_referrer = Membership.objects.filter(
        user=OuterRef("referral__referrer"),
        municipality=OuterRef("municipality"),
        role=Role.REFERRER,
    )
    return (
        Episode.objects.filter(started_on__isnull=False)
        .exclude(referral__referrer__isnull=True)
        .exclude(referral__referrer__email="")
        .filter(referral__referrer__is_active=True)
        .filter(Exists(still_referrer))
        .filter(sharing_consent_in_force("referral"))
        .select_related("referral__referrer")
    )


def _notices(kind: str | None = None):  # noqa: ANN202
    rows = ReferrerNotice.objects.filter(episode=OuterRef("pk"))
    return rows if kind is None else rows.filter(kind=kind)


def due_notices(*, today: dt.date) -> list[tuple[Episode, str, int]]:
    """(course, kind, sequence) of every notice due today and not yet created."""
    last = _notices().values("episode").annotate(at=Max("created_at")).values("at")
    periodic = (
        _notices(ReferrerNotice.Kind.PERIODIC)
        .values("episode")
        .annotate(n=Max("sequence"))
        .values("n")
    )
    # The pairing current on the course (the latest confirmed), named on its notice.
    current = Pairing.objects.filter(episode=OuterRef("pk")).order_by("-confirmed_at", "-pk")
    courses = _candidates().annotate(
        has_start=Exists(_notices(ReferrerNotice.Kind.START)),
        has_end=Exists(_notices(ReferrerNotice.Kind.END)),
        periodic=Subquery(periodic),
        last_at=Subquery(last),
        current_pairing_id=Subquery(current.values("pk")[:1]),
    )
    due: list[tuple[Episode, str, int]] = []
    for course in courses.order_by("pk"):
        if course.status == EpisodeStatus.ENDED:
            if not course.has_end and course.ended_on and today - course.ended_on <= END_WITHIN:
                due.append((course, ReferrerNotice.Kind.END, 0))
            continue
        if not course.has_start:
            due.append((course, ReferrerNotice.Kind.START, 0))
            continue
        if course.status != EpisodeStatus.ACTIVE or course.last_at is None:
            continue
        if today - timezone.localtime(course.last_at).date() >= EVERY:
            due.append((course, ReferrerNotice.Kind.PERIODIC, (course.periodic or 0) + 1))
    return due


def referrer_notices_tick(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Create the notices that are due and queue their e-mail (on commit). Idempotent: a second
    tick finds nothing new; a concurrent one loses on the unique constraint."""
    now = now or timezone.now()
    created = 0
    for course, kind, sequence in due_notices(today=timezone.localdate(now)):
        try:
            with transaction.atomic():
                notice = ReferrerNotice.objects.create(
                    municipality_id=course.municipality_id,
                    episode=course,
                    pairing_id=course.current_pairing_id,
                    kind=kind,
                    sequence=sequence,
                    recipient=course.referral.referrer.email,
                    created_at=now,
                )
                referrer = course.referral.referrer
                outbox.message_queue(
                    purpose=PURPOSE,
                    subject=outbox.subject_key(PURPOSE, notice.pk),
                    recipient=notice.recipient,
                    municipality_id=notice.municipality_id,
                    language=referrer.preferred_language or "nb",
                    template="emails/referrer_notice.txt",
                    now=now,
                )
        except IntegrityError:
            continue
        created += 1
    return {"referrer_notices": created}


def report_link(course: Episode) -> str:
    return settings.KOBLING_BASE_URL.rstrip("/") + reverse("web:episode_report", args=[course.pk])


def referrer_notice_message(notice: ReferrerNotice) -> EmailMultiAlternatives:
    course = notice.episode
    referrer = course.referral.referrer
    language = referrer.preferred_language or "nb"
    with translation.override(language):
        context = {
            "notice": notice,
            "referrer": referrer,
            "municipality": course.municipality,
            "programme": course.programme,
            "delivery": course.delivery,
            "link": report_link(course),
        }
        subject = render_to_string("emails/referrer_notice_subject.txt", context).strip()
        body = render_to_string("emails/referrer_notice.txt", context)
    return EmailMultiAlternatives(subject=subject, body=body, to=[notice.recipient])


# --- sending (through the outbox) ------------------------------------------------------------


def _notice_of(message: OutboxMessage) -> ReferrerNotice:
    return ReferrerNotice.objects.select_related(
        "episode__referral__referrer", "episode__municipality", "episode__programme"
    ).get(pk=message.subject_id)


def _settle(message: OutboxMessage, now: dt.datetime) -> str | None:
    """Not sent when the consent was withdrawn (or the referrer left) since it was created."""
    notice = _notice_of(message)
    return None if _candidates().filter(pk=notice.episode_id).exists() else "cancelled"


def _render(message: OutboxMessage, now: dt.datetime) -> EmailMultiAlternatives:
    return referrer_notice_message(_notice_of(message))


outbox.purpose_register(
    outbox.Purpose(
        name=PURPOSE,
        label=gettext_lazy("Notice to the referrer"),
        render=_render,
        settle=_settle,
        delivery=outbox.Delivery.AT_MOST_ONCE,
    )
)

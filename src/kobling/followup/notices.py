"""Telling the referrer that there is something to read: at the start of a pairing they
referred, every four weeks while it runs, and at the end. The e-mail says only that a report
is ready and links to it (sign-in required) — not even the participant's name, no sessions,
no health details.

``referrer_notices_tick`` (run by the worker's tick) creates the notices that are due and
puts their e-mail in the outbox (:mod:`kobling.core.outbox`, purpose ``referrer-notice``),
which sends each one exactly once. Nothing
is created while the participant's consent to share with the referrer is not in force, or when
the referrer has no e-mail address or is no longer a referrer in the municipality. A pairing
that ended before this notice existed is not announced after the fact (``END_WITHIN``)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from kobling.core import outbox
from kobling.core.models import OutboxMessage
from kobling.followup.choices import PairingStatus
from kobling.followup.models import Pairing, ReferrerNotice, _sharing_consent_in_force
from kobling.tenancy.choices import Role
from kobling.tenancy.models import Membership

EVERY = dt.timedelta(weeks=4)
END_WITHIN = dt.timedelta(days=14)  # an end older than this is not announced any more
PURPOSE = "referrer-notice"


def _candidates():  # noqa: ANN202
    """Started pairings whose referrer may read the report now."""
    still_referrer = Membership.objects.filter(
        user=OuterRef("referral__referrer"),
        municipality=OuterRef("municipality"),
        role=Role.REFERRER,
    )
    return (
        Pairing.objects.filter(started_on__isnull=False)
        .exclude(referral__referrer__isnull=True)
        .exclude(referral__referrer__email="")
        .filter(referral__referrer__is_active=True)
        .filter(Exists(still_referrer))
        .filter(_sharing_consent_in_force())
        .select_related("referral__referrer")
    )


def due_notices(*, today: dt.date) -> list[tuple[Pairing, str, int]]:
    """(pairing, kind, sequence) of every notice due today and not yet created."""
    last = (
        ReferrerNotice.objects.filter(pairing=OuterRef("pk"))
        .values("pairing")
        .annotate(at=Max("created_at"))
        .values("at")
    )
    pairings = _candidates().annotate(
        has_start=Exists(
            ReferrerNotice.objects.filter(pairing=OuterRef("pk"), kind=ReferrerNotice.Kind.START)
        ),
        has_end=Exists(
            ReferrerNotice.objects.filter(pairing=OuterRef("pk"), kind=ReferrerNotice.Kind.END)
        ),
        periodic=Max(
            "referrer_notices__sequence",
            filter=Q(referrer_notices__kind=ReferrerNotice.Kind.PERIODIC),
        ),
        last_at=last,
    )
    due: list[tuple[Pairing, str, int]] = []
    for pairing in pairings.order_by("pk"):
        if pairing.status == PairingStatus.ENDED:
            if not pairing.has_end and pairing.ended_on and today - pairing.ended_on <= END_WITHIN:
                due.append((pairing, ReferrerNotice.Kind.END, 0))
            continue
        if not pairing.has_start:
            due.append((pairing, ReferrerNotice.Kind.START, 0))
            continue
        if pairing.status != PairingStatus.ACTIVE or pairing.last_at is None:
            continue
        if today - timezone.localtime(pairing.last_at).date() >= EVERY:
            due.append((pairing, ReferrerNotice.Kind.PERIODIC, (pairing.periodic or 0) + 1))
    return due


def referrer_notices_tick(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Create the notices that are due and queue their e-mail (on commit). Idempotent: a second
    tick finds nothing new; a concurrent one loses on the unique constraint."""
    now = now or timezone.now()
    created = 0
    for pairing, kind, sequence in due_notices(today=timezone.localdate(now)):
        try:
            with transaction.atomic():
                notice = ReferrerNotice.objects.create(
                    municipality_id=pairing.municipality_id,
                    pairing=pairing,
                    kind=kind,
                    sequence=sequence,
                    recipient=pairing.referral.referrer.email,
                    created_at=now,
                )
                referrer = pairing.referral.referrer
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


def report_link(pairing: Pairing) -> str:
    return settings.KOBLING_BASE_URL.rstrip("/") + reverse("web:referrer_report", args=[pairing.pk])


def referrer_notice_message(notice: ReferrerNotice) -> EmailMultiAlternatives:
    pairing = notice.pairing
    referrer = pairing.referral.referrer
    language = referrer.preferred_language or "nb"
    with translation.override(language):
        context = {
            "notice": notice,
            "referrer": referrer,
            "municipality": pairing.municipality,
            "programme": pairing.programme,
            "link": report_link(pairing),
        }
        subject = render_to_string("emails/referrer_notice_subject.txt", context).strip()
        body = render_to_string("emails/referrer_notice.txt", context)
    return EmailMultiAlternatives(subject=subject, body=body, to=[notice.recipient])


# --- sending (through the outbox) ------------------------------------------------------------


def _notice_of(message: OutboxMessage) -> ReferrerNotice:
    return ReferrerNotice.objects.select_related(
        "pairing__participant",
        "pairing__referral__referrer",
        "pairing__municipality",
        "pairing__programme",
    ).get(pk=message.subject_id)


def _settle(message: OutboxMessage, now: dt.datetime) -> str | None:
    """Not sent when the consent was withdrawn (or the referrer left) since it was created."""
    notice = _notice_of(message)
    return None if _candidates().filter(pk=notice.pairing_id).exists() else "cancelled"


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

"""Telling the referrer that there is something to read: at the start of a pairing they
referred, every four weeks while it runs, and at the end. The e-mail says only that a report
is ready and links to it (sign-in required) — not even the participant's name, no sessions,
no health details.

``referrer_notices_tick`` (run by the worker's tick) creates the notices that are due and
queues their e-mail; ``referrer_notice_send`` (the task) sends each one exactly once. Nothing
is created while the participant's consent to share with the referrer is not in force, or when
the referrer has no e-mail address or is no longer a referrer in the municipality. A pairing
that ended before this notice existed is not announced after the fact (``END_WITHIN``)."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks_db.utils import exclusive_transaction

from kobling.followup.choices import PairingStatus
from kobling.followup.models import Pairing, ReferrerNotice, _sharing_consent_in_force
from kobling.tenancy.choices import Role
from kobling.tenancy.models import Membership

logger = logging.getLogger(__name__)

EVERY = dt.timedelta(weeks=4)
END_WITHIN = dt.timedelta(days=14)  # an end older than this is not announced any more
MAX_SEND_ATTEMPTS = 4
RETRY_DELAYS = (dt.timedelta(minutes=1), dt.timedelta(minutes=10), dt.timedelta(hours=1))


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
    from kobling.followup.tasks import send_referrer_notice

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
                transaction.on_commit(
                    lambda pk=notice.pk: send_referrer_notice.enqueue(notice_id=pk)
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


def referrer_notice_send(*, notice_id: int) -> tuple[str, dt.timedelta | None]:
    """Send the notice exactly once: ("sent" | "skipped" | "failed" | "gave_up", retry in).
    Skipped when the consent was withdrawn since the notice was created."""
    with exclusive_transaction():
        locked = (
            ReferrerNotice.objects.select_for_update(of=("self",))
            .select_related(
                "pairing__participant",
                "pairing__referral__referrer",
                "pairing__municipality",
                "pairing__programme",
            )
            .filter(pk=notice_id)
            .first()
        )
        if locked is None or locked.sent_at is not None:
            return "skipped", None
        if not _candidates().filter(pk=locked.pairing_id).exists():
            return "skipped", None
        if locked.send_attempts >= MAX_SEND_ATTEMPTS:
            return "gave_up", None
        try:
            referrer_notice_message(locked).send(fail_silently=False)
        except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
            locked.send_attempts += 1
            locked.last_error = f"{type(exc).__name__}: {exc}"[:300]
            locked.save(update_fields=["send_attempts", "last_error"])
            logger.warning("Could not e-mail referrer notice %s: %s", notice_id, locked.last_error)
            if locked.send_attempts >= MAX_SEND_ATTEMPTS:
                return "gave_up", None
            return "failed", RETRY_DELAYS[min(locked.send_attempts, len(RETRY_DELAYS)) - 1]
        locked.send_attempts += 1
        locked.sent_at = timezone.now()
        locked.last_error = ""
        locked.save(update_fields=["send_attempts", "sent_at", "last_error"])
    return "sent", None

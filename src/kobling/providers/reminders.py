"""Reminding a trainer (or, without an address, the provider) that a certificate expires soon,
through the outbox (purpose ``certificate-expiry``): a daily scheduler job queues one e-mail per
certificate expiring within 30 days, unless the trainer already holds a newer certificate of
the same kind. Queuing the same certificate again is a no-op (the outbox's subject key)."""

from __future__ import annotations

import datetime as dt

from django.core.mail import EmailMultiAlternatives
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from kobling.core import outbox
from kobling.core.models import OutboxMessage
from kobling.providers.choices import CERTIFICATE_REMINDER_DAYS
from kobling.providers.models import TrainerCertificate

PURPOSE = "certificate-expiry"


def _recipient(certificate: TrainerCertificate) -> str:
    return certificate.trainer.email or certificate.trainer.provider.contact_email


def certificates_expiring(today: dt.date) -> list[TrainerCertificate]:
    """Certificates of active trainers expiring within the reminder window and not followed by a
    newer one of the same kind (one query)."""
    newer = TrainerCertificate.objects.filter(
        trainer=OuterRef("trainer"), kind=OuterRef("kind"), expires_on__gt=OuterRef("expires_on")
    )
    return list(
        TrainerCertificate.objects.filter(
            trainer__is_active=True,
            expires_on__gte=today,
            expires_on__lte=today + dt.timedelta(days=CERTIFICATE_REMINDER_DAYS),
        )
        .exclude(Exists(newer))
        .select_related("trainer__provider")
        .order_by("expires_on", "pk")
    )


def certificate_reminders_tick(today: dt.date | None = None) -> dict[str, int]:
    """The scheduler job: queue a reminder for every certificate about to expire."""
    today = today or timezone.localdate()
    queued = 0
    for certificate in certificates_expiring(today):
        recipient = _recipient(certificate)
        if not recipient:
            continue
        before = OutboxMessage.objects.filter(
            purpose=PURPOSE, subject_key=outbox.subject_key("certificate", certificate.pk)
        ).exists()
        outbox.message_queue(
            purpose=PURPOSE,
            subject=outbox.subject_key("certificate", certificate.pk),
            recipient=recipient,
            municipality_id=certificate.municipality_id,
            template="emails/certificate_expiry.txt",
        )
        queued += 0 if before else 1
    return {"queued": queued}


def _certificate_of(message: OutboxMessage) -> TrainerCertificate | None:
    return (
        TrainerCertificate.objects.select_related("trainer__provider")
        .filter(pk=message.subject_id)
        .first()
    )


def _settle(message: OutboxMessage, now: dt.datetime) -> str | None:
    certificate = _certificate_of(message)
    if certificate is None or not certificate.trainer.is_active:
        return "cancelled"
    renewed = TrainerCertificate.objects.filter(
        trainer_id=certificate.trainer_id,
        kind=certificate.kind,
        expires_on__gt=certificate.expires_on,
    )
    return "cancelled" if renewed.exists() else None


def _render(message: OutboxMessage, now: dt.datetime) -> EmailMultiAlternatives:
    certificate = _certificate_of(message)
    assert certificate is not None
    with translation.override(message.language or "nb"):
        context = {
            "trainer": certificate.trainer,
            "provider": certificate.trainer.provider,
            "certificate": certificate,
        }
        subject = render_to_string("emails/certificate_expiry_subject.txt", context).strip()
        body = render_to_string("emails/certificate_expiry.txt", context)
    return EmailMultiAlternatives(subject=subject, body=body, to=[message.recipient])


outbox.purpose_register(
    outbox.Purpose(
        name=PURPOSE,
        label=gettext_lazy("Trainer certificate expiring"),
        render=_render,
        settle=_settle,
        delivery=outbox.Delivery.AT_MOST_ONCE,
    )
)

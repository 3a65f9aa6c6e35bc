"""Background work for pairings: telling the contact and the participant about a new pair and
its introduction meeting. Queued on commit by :mod:`kobling.followup.services`; e-mails carry
no health details, only what is needed and a link to sign in."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django_tasks import task

CONTACT_EVENTS = ("confirmed", "intro")


def _pairing(pairing_id: int):  # noqa: ANN202
    from kobling.followup.models import Pairing

    return (
        Pairing.objects.select_related("helper__user", "participant", "municipality")
        .filter(pk=pairing_id)
        .first()
    )


@task()
def send_pairing_contact_email(*, pairing_id: int, event: str) -> None:
    """To the contact: you have a new participant (or: the introduction meeting is set); sign in
    to see the details. Only the participant's first name — nothing about their health."""
    pairing = _pairing(pairing_id)
    if pairing is None or event not in CONTACT_EVENTS or not pairing.helper.email:
        return
    helper = pairing.helper
    language = (helper.user.preferred_language if helper.user else "") or "nb"
    link = settings.KOBLING_BASE_URL.rstrip("/") + reverse("web:pairing_detail", args=[pairing.pk])
    with translation.override(language):
        context = {"pairing": pairing, "helper": helper, "event": event, "link": link}
        subject = render_to_string("emails/pairing_contact_subject.txt", context).strip()
        body = render_to_string("emails/pairing_contact.txt", context)
    EmailMultiAlternatives(subject=subject, body=body, to=[helper.email]).send()


@task()
def send_pairing_participant_email(*, pairing_id: int) -> None:
    """To the participant (or a minor's guardian) when they have an e-mail address: the time and
    place of the introduction meeting and the contact's first name."""
    pairing = _pairing(pairing_id)
    if pairing is None or pairing.intro_meeting_at is None:
        return
    participant = pairing.participant
    to = participant.email or (participant.guardian_email if participant.is_minor else "")
    if not to:
        return
    with translation.override("nb"):
        context = {
            "pairing": pairing,
            "participant": participant,
            "contact_first_name": pairing.helper.first_name,
            "municipality": pairing.municipality,
        }
        subject = render_to_string("emails/pairing_participant_subject.txt", context).strip()
        body = render_to_string("emails/pairing_participant.txt", context)
    EmailMultiAlternatives(subject=subject, body=body, to=[to]).send()

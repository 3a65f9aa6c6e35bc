"""Telling the contact and the participant about a new pair and its introduction meeting,
through the outbox (:mod:`kobling.core.outbox`), which sends each e-mail once after the
change commits. The e-mails carry no health details, only what is needed and a link to sign in.

Purposes: ``pairing-confirmed`` and ``pairing-intro`` to the contact, ``pairing-participant``
to the participant (or a minor's guardian). Each new e-mail about the same pairing and purpose
(the meeting moved) is the next ``sequence``."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy

from kobling.core import outbox
from kobling.core.models import OutboxMessage
from kobling.followup.models import Pairing

CONTACT_EVENTS = ("confirmed", "intro")
TO_PARTICIPANT = "pairing-participant"


def pairing_mail_queue(*, pairing: Pairing, contact_event: str | None, participant: bool) -> None:
    """Queue the e-mails of a change to ``pairing`` (sent once the transaction commits)."""
    helper = pairing.helper
    if contact_event in CONTACT_EVENTS and helper.email:
        language = (helper.user.preferred_language if helper.user_id else "") or "nb"
        _queue(f"pairing-{contact_event}", pairing, helper.email, language)
    if participant and pairing.intro_meeting_at is not None:
        person = pairing.participant
        to = person.email or (person.guardian_email if person.is_minor else "")
        if to:
            _queue(TO_PARTICIPANT, pairing, to, "nb")


def _queue(purpose: str, pairing: Pairing, to: str, language: str) -> None:
    about = outbox.subject_key("pairing", pairing.pk)
    outbox.message_queue(
        purpose=purpose,
        subject=about,
        sequence=OutboxMessage.objects.filter(purpose=purpose, subject_key=about).count(),
        recipient=to,
        municipality_id=pairing.municipality_id,
        language=language,
        template="emails/pairing_participant.txt"
        if purpose == TO_PARTICIPANT
        else "emails/pairing_contact.txt",
    )


def _pairing_of(message: OutboxMessage) -> Pairing:
    return Pairing.objects.select_related("helper__user", "participant", "municipality").get(
        pk=message.subject_id
    )


def _render_to_contact(message: OutboxMessage, now: dt.datetime) -> EmailMultiAlternatives:
    """You have a new participant (or: the introduction meeting is set); sign in to see the
    details. Only the participant's first name — nothing about their health."""
    pairing = _pairing_of(message)
    event = message.purpose.removeprefix("pairing-")
    link = settings.KOBLING_BASE_URL.rstrip("/") + reverse("web:pairing_detail", args=[pairing.pk])
    with translation.override(message.language):
        context = {"pairing": pairing, "helper": pairing.helper, "event": event, "link": link}
        subject = render_to_string("emails/pairing_contact_subject.txt", context).strip()
        body = render_to_string("emails/pairing_contact.txt", context)
    return EmailMultiAlternatives(subject=subject, body=body, to=[message.recipient])


def _render_to_participant(message: OutboxMessage, now: dt.datetime) -> EmailMultiAlternatives:
    """The time and place of the introduction meeting and the contact's first name."""
    pairing = _pairing_of(message)
    with translation.override("nb"):
        context = {
            "pairing": pairing,
            "participant": pairing.participant,
            "contact_first_name": pairing.helper.first_name,
            "municipality": pairing.municipality,
        }
        subject = render_to_string("emails/pairing_participant_subject.txt", context).strip()
        body = render_to_string("emails/pairing_participant.txt", context)
    return EmailMultiAlternatives(subject=subject, body=body, to=[message.recipient])


def _meeting_still_set(message: OutboxMessage, now: dt.datetime) -> str | None:
    return None if _pairing_of(message).intro_meeting_at is not None else "cancelled"


outbox.purpose_register(
    outbox.Purpose(
        name="pairing-confirmed",
        label=gettext_lazy("New pair, to the contact"),
        render=_render_to_contact,
        delivery=outbox.Delivery.AT_MOST_ONCE,
    )
)
outbox.purpose_register(
    outbox.Purpose(
        name="pairing-intro",
        label=gettext_lazy("Introduction meeting, to the contact"),
        render=_render_to_contact,
        delivery=outbox.Delivery.AT_MOST_ONCE,
    )
)
outbox.purpose_register(
    outbox.Purpose(
        name=TO_PARTICIPANT,
        label=gettext_lazy("Introduction meeting, to the participant"),
        render=_render_to_participant,
        settle=_meeting_still_set,
        # The participant has no account to look the meeting up in: a copy too many beats none.
        delivery=outbox.Delivery.AT_LEAST_ONCE,
    )
)

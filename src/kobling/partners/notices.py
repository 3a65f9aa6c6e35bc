"""The partners' e-mails, through the outbox (:mod:`kobling.core.outbox`):

* ``partner-meeting-invitation`` — a partner invited to a dialogue or network meeting, with the
  meeting as an .ics file (:mod:`kobling.lib.ics`)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kobling.core import outbox
from kobling.core.models import OutboxMessage
from kobling.lib import ics

INVITATION = "partner-meeting-invitation"


def invitation_queue(*, invitation) -> OutboxMessage:  # noqa: ANN001
    return outbox.message_queue(
        purpose=INVITATION,
        subject=outbox.subject_key("meeting-invitation", invitation.pk),
        recipient=invitation.email,
        municipality_id=invitation.municipality_id,
        template="partners/emails/meeting_invitation.txt",
    )


def meeting_ics(meeting, *, stamp: dt.datetime) -> str:  # noqa: ANN001
    host = settings.KOBLING_BASE_URL.split("//")[-1].split("/")[0] or "kobling"
    return ics.calendar(
        ics.Event(
            uid=f"meeting-{meeting.pk}@{host}",
            starts_at=meeting.starts_at,
            ends_at=meeting.ends_at,
            summary=meeting.title,
            location=meeting.place_text(),
            description=meeting.agenda,
            organiser_email=meeting.municipality.contact_email or "",
            sequence=meeting.version,
        ),
        stamp=stamp,
    )


def _invitation_render(message: OutboxMessage, now: dt.datetime) -> EmailMultiAlternatives:
    from kobling.partners.models import MeetingInvitation

    invitation = MeetingInvitation.objects.select_related(
        "meeting__municipality", "meeting__booking__premises", "partner__municipal_contact"
    ).get(pk=message.subject_id)
    meeting = invitation.meeting
    municipality = meeting.municipality
    start, end = timezone.localtime(meeting.starts_at), timezone.localtime(meeting.ends_at)
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "meeting": meeting,
            "municipality": municipality,
            "when": f"{start:%d.%m.%Y %H:%M}–{end:%H:%M}",
            "place": meeting.place_text(),
            "contact": invitation.partner.municipal_contact,
        }
        subject = _("Invitation: %(title)s, %(date)s") % {
            "title": meeting.title,
            "date": f"{start:%d.%m.%Y}",
        }
        body = render_to_string("partners/emails/meeting_invitation.txt", context)
    email = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.recipient],
        reply_to=[municipality.contact_email] if municipality.contact_email else None,
        headers={"Auto-Submitted": "auto-generated"},
    )
    email.attach("invitasjon.ics", meeting_ics(meeting, stamp=now), "text/calendar; method=REQUEST")
    return email


outbox.purpose_register(
    outbox.Purpose(
        name=INVITATION,
        label=gettext_lazy("Meeting invitation to a partner"),
        render=_invitation_render,
        delivery=outbox.Delivery.AT_MOST_ONCE,
    )
)

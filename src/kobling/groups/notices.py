"""Telling those enrolled that a meeting is cancelled, through the outbox (purpose
``group-meeting-cancelled``): one e-mail per meeting and enrolment (the outbox's subject is the
meeting, its sequence the enrolment, so cancelling twice sends nothing new). Sent to the
participant's own address (a minor's guardian's); a person without one is told by the group's
leader. The e-mail names the group, the day and the time and the municipality to contact —
nothing about anyone's health."""

from __future__ import annotations

import datetime as dt

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy

from kobling.core import outbox
from kobling.core.models import OutboxMessage
from kobling.groups.choices import EnrolmentStatus, MeetingStatus
from kobling.groups.models import GroupEnrolment, Meeting

PURPOSE = "group-meeting-cancelled"


def _address(participant) -> str:  # noqa: ANN001
    minor = participant.birth_date is not None and participant.is_minor
    return participant.email or (participant.guardian_email if minor else "")


def cancellation_queue(*, meeting: Meeting) -> int:
    """Queue the notice to every course enrolled in the meeting's group (sent on commit).
    Returns how many were queued."""
    enrolled = (
        GroupEnrolment.objects.filter(offer_id=meeting.offer_id, status=EnrolmentStatus.ENROLLED)
        .select_related("episode__participant")
        .order_by("pk")
    )
    queued = 0
    for enrolment in enrolled:
        to = _address(enrolment.episode.participant)
        if not to:
            continue
        outbox.message_queue(
            purpose=PURPOSE,
            subject=outbox.subject_key("meeting", meeting.pk),
            sequence=enrolment.pk,
            recipient=to,
            municipality_id=meeting.municipality_id,
            template="emails/group_meeting_cancelled.txt",
        )
        queued += 1
    return queued


def _render(message: OutboxMessage, now: dt.datetime) -> EmailMultiAlternatives:
    meeting = Meeting.objects.select_related("offer", "municipality").get(pk=message.subject_id)
    with translation.override(message.language or "nb"):
        context = {"meeting": meeting, "offer": meeting.offer, "municipality": meeting.municipality}
        subject = render_to_string("emails/group_meeting_cancelled_subject.txt", context).strip()
        body = render_to_string("emails/group_meeting_cancelled.txt", context)
    return EmailMultiAlternatives(subject=subject, body=body, to=[message.recipient])


def _settle(message: OutboxMessage, now: dt.datetime) -> str | None:
    """Not sent when the meeting is on again, or the person left the group meanwhile."""
    meeting = Meeting.objects.filter(pk=message.subject_id).first()
    still = GroupEnrolment.objects.filter(
        pk=message.sequence, status=EnrolmentStatus.ENROLLED
    ).exists()
    if meeting is None or meeting.status != MeetingStatus.CANCELLED or not still:
        return "cancelled"
    return None


outbox.purpose_register(
    outbox.Purpose(
        name=PURPOSE,
        label=gettext_lazy("Group meeting cancelled"),
        render=_render,
        settle=_settle,
        # Someone who does not hear of it comes to a closed door: a copy too many beats none.
        delivery=outbox.Delivery.AT_LEAST_ONCE,
    )
)

"""Participants confirm their own group attendance by link, where the programme asks for it
(``Programme.attendance_confirmation_by_participant``).

1. When the leader marks a meeting held (:func:`kobling.groups.services.attendance_record`),
   every entry recorded as present — enrolled or drop-in — gets a link (:func:`links_queue`),
   e-mailed through the outbox after commit (purpose ``attendance-confirmation``, at least
   once) to the participant or a minor's guardian. Without an address, or over the send limit
   (:data:`LIMIT` per course and per address), there is no link: the leader is told how many
   and whom, and the list shows them as *no link*.
2. The link opens a page (no sign-in) with the first name, the group's title, the date and the
   minutes — nothing about health, no benefit group — where the person answers "I was there"
   or "I was not there" (:func:`attendance_answer`). The answer is written once onto the
   attendance entry (the row guard allows exactly that). The link works once, for
   :data:`LINK_VALID_DAYS` days, and closes when the leader corrects that entry meanwhile.
3. "I was not there" does not change the attendance: it is an alert on the coordinators'
   alerts page (:func:`disputed`) and shows on the meeting's list until the leader records the
   person again as absent, or keeps the entry as present with a reason
   (:func:`kobling.groups.services.attendance_dispute_keep`) — each a new, superseding entry.

The mechanism is the one session confirmations use (:mod:`kobling.core.confirmation_links`)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kobling.core import confirmation_links
from kobling.core.alerts import KIND_LABELS, Alert
from kobling.core.send_limits import SendLimit
from kobling.groups.choices import AttendanceAnswer
from kobling.groups.models import Attendance, AttendanceConfirmationLink, Meeting
from kobling.referrals.models import Episode

if TYPE_CHECKING:
    from kobling.tenancy.models import User

PURPOSE = "attendance-confirmation"
LINK_VALID_DAYS = 14
# As for session confirmations: a course in two groups on one day gets both, a script or a
# leader saving again and again does not flood anyone's inbox.
LIMIT = SendLimit(count=3, window=dt.timedelta(hours=24))
VIA_LINK = "attendance confirmation link"
DISPUTED = "group_attendance_disputed"

LinkState = confirmation_links.LinkState
LinkClosedError = confirmation_links.LinkClosedError

KIND_LABELS[DISPUTED] = gettext_lazy("Group attendance disputed by the participant")


def _email_context(link: AttendanceConfirmationLink) -> dict:
    """First name, the group, the day and the minutes: nothing else about anyone."""
    meeting = link.attendance.meeting
    return {
        "first_name": link.episode.participant.first_name,
        "group": meeting.offer.title,
        "date": meeting.date,
        "start_time": meeting.start_time,
        "minutes": meeting.minutes,
    }


def _still_open(link: AttendanceConfirmationLink) -> bool:
    """The entry the link asks about still stands, as present and unanswered: once the leader
    corrected it, the question is no longer the one e-mailed."""
    return Attendance.objects.filter(
        pk=link.attendance_id,
        superseded_by__isnull=True,
        attended=True,
        answered_at__isnull=True,
    ).exists()


LINKS = confirmation_links.ConfirmationLinks(
    purpose=PURPOSE,
    model=AttendanceConfirmationLink,
    label=gettext_lazy("Group attendance confirmation"),
    url_name="web:group_attendance_confirmation",
    subject_template="groups/emails/attendance_confirmation_subject.txt",
    body_template="groups/emails/attendance_confirmation.txt",
    context=_email_context,
    related=("attendance__meeting__offer", "episode__participant"),
    valid_days=LINK_VALID_DAYS,
    limit=LIMIT,
    via=VIA_LINK,
    still_open=_still_open,
)


LinksQueued = confirmation_links.LinksQueued


def asks_for_confirmation(meeting: Meeting) -> bool:
    return bool(meeting.offer.programme.attendance_confirmation_by_participant)


def links_queue(
    *, meeting: Meeting, entries: list[Attendance], by: User | None, now: dt.datetime
) -> LinksQueued:
    """A link for each new entry recorded as present, when the meeting's programme asks for it
    (call inside the transaction that records them; the e-mails go after commit). The courses'
    rows are locked while the send limit is counted."""
    present = [e for e in entries if e.attended]
    if not present or not asks_for_confirmation(meeting):
        return LinksQueued()
    courses = {
        c.pk: c
        for c in Episode.objects.select_for_update(of=("self",))
        .filter(pk__in=sorted({e.episode_id for e in present}))
        .select_related("participant")
        .order_by("pk")
    }
    return LINKS.issue_each(
        entries=[(entry, courses[entry.episode_id]) for entry in present],
        municipality_id=meeting.municipality_id,
        by=by,
        now=now,
        owner=lambda course: Q(episode_id=course.pk),
        fields=lambda entry, course: {"attendance": entry, "episode": course},
        audit=lambda entry, course: {
            "meeting": meeting.pk,
            "episode": course.pk,
            "attendance": entry.pk,
        },
    )


def link_from_token(token: str) -> AttendanceConfirmationLink | None:
    return LINKS.from_token(token)


def attendance_answer(
    *,
    link: AttendanceConfirmationLink,
    was_there: bool,
    entry_id: int | None = None,
    now: dt.datetime | None = None,
) -> Attendance:
    """The participant's answer about the link's entry: "I was there" confirms it, "I was not
    there" disputes it (the attendance stays as recorded; the coordinators get an alert). The
    link is used up. ``entry_id``, when given (the page's), must be the link's own entry.
    Raises :class:`LinkClosedError` for a used, expired or corrected link; on any error nothing
    changes."""
    now = now or timezone.now()
    if entry_id is not None and entry_id != link.attendance_id:
        raise ValidationError(
            _("This answer is about another meeting. Open the link in your e-mail again.")
        )

    return LINKS.answer_entry(
        link=link,
        model=Attendance,
        entry_id=link.attendance_id,
        confirmed=was_there,
        key="attendance",
        now=now,
    )


def meeting_of(link: AttendanceConfirmationLink) -> dict:
    """What the page shows: the first name, the group, the day, the minutes."""
    meeting = link.attendance.meeting
    return {
        "first_name": link.episode.participant.first_name,
        "group": meeting.offer.title,
        "meeting": meeting,
        "entry": link.attendance_id,
    }


# --- the coordinators' alert -------------------------------------------------------------------


def disputed(municipality_ids: list[int], today: dt.date) -> list[Alert]:
    """Entries recorded as present that the participant says were not, until the leader
    corrects the entry or keeps it after a look (both a new entry). One query."""
    entries = (
        Attendance.objects.current()
        .filter(
            municipality_id__in=list(municipality_ids),
            attended=True,
            confirmation=AttendanceAnswer.DISPUTED,
        )
        .select_related("meeting__offer", "episode__participant")
        .order_by("meeting__date", "pk")
    )
    return [
        Alert(
            DISPUTED,
            None,
            entry.meeting.date,
            _("Says they were not at %(group)s on %(date)s, where they are recorded as present.")
            % {
                "group": entry.meeting.offer.title,
                "date": formats.date_format(entry.meeting.date, "SHORT_DATE_FORMAT"),
            },
            subject=entry.episode.participant.full_name,
            url=reverse("web:group_meeting_attendance", args=[entry.meeting_id]),
            episode=entry.episode,
        )
        for entry in entries
    ]

"""Reading group attendance: a course's share of its dose from the groups it was in (for the
referrer report of the course), loaded into plain rows and computed by a pure function."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from kobling.followup.report import ActivityPart, MonthRow
from kobling.groups.choices import AttendanceAnswer, EnrolmentStatus, MeetingStatus
from kobling.groups.models import (
    Attendance,
    AttendanceConfirmationLink,
    GroupEnrolment,
    GroupOffer,
    Meeting,
)


@dataclass(frozen=True)
class Span:
    """A time the course was enrolled in a group (``end`` None: still enrolled)."""

    offer_id: int
    start: dt.date
    end: dt.date | None


@dataclass(frozen=True)
class HeldMeeting:
    pk: int
    offer_id: int
    date: dt.date
    minutes: int


def offered_meetings(
    spans: list[Span],
    meetings: list[HeldMeeting],
    entries: dict[int, bool],
    today: dt.date,
) -> dict[int, HeldMeeting]:
    """The meetings offered to a course (pure): the held meetings of a group while it was
    enrolled in it, and any meeting it came to (a drop-in)."""
    offered: dict[int, HeldMeeting] = {}
    by_offer: dict[int, list[Span]] = defaultdict(list)
    for span in spans:
        by_offer[span.offer_id].append(span)
    for meeting in meetings:
        enrolled = any(
            s.start <= meeting.date <= (s.end or today) for s in by_offer.get(meeting.offer_id, ())
        )
        if enrolled or entries.get(meeting.pk):
            offered[meeting.pk] = meeting
    return offered


def group_part(
    spans: list[Span],
    meetings: list[HeldMeeting],
    entries: dict[int, bool],
    today: dt.date,
    confirmed: Collection[int] = (),
) -> ActivityPart | None:
    """The course's attendance as one part of its dose (pure). ``meetings`` are the held meetings
    of its groups, ``entries`` the standing attendance (meeting id → came). Offered: the held
    meetings of a group while the course was enrolled in it, and any meeting it came to (a
    drop-in); attended: those it came to; absent: those recorded as not come; confirmed: those
    attended that the participant confirmed (``confirmed``: meeting ids) by link."""
    offered = offered_meetings(spans, meetings, entries, today)
    if not offered and not spans:
        return None
    came = [m for pk, m in offered.items() if entries.get(pk)]
    absent = sum(1 for pk in offered if entries.get(pk) is False)
    months: dict[dt.date, MonthRow] = {}
    for meeting in came:
        first_day = meeting.date.replace(day=1)
        row = months.setdefault(first_day, MonthRow(first_day, 0, 0))
        row.sessions_held += 1
        row.minutes_total += meeting.minutes
    starts = [s.start for s in spans] + [m.date for m in came]
    open_ended = any(s.end is None for s in spans)
    ends = [s.end for s in spans if s.end] + [m.date for m in came]
    dates = sorted(m.date for m in came)
    return ActivityPart(
        start=min(starts) if starts else today,
        end=None if open_ended or not ends else max(ends),
        planned=len(offered),
        held=len(came),
        cancelled=0,
        cancelled_not_participant=0,
        no_show=absent,
        minutes=sum(m.minutes for m in came),
        confirmed=sum(1 for m in came if m.pk in confirmed),
        first=dates[0] if dates else None,
        last=dates[-1] if dates else None,
        months=tuple(months[m] for m in sorted(months)),
        kind="meetings",
    )


def attendance_parts(episode: Any, today: dt.date) -> list[ActivityPart]:
    """The course's group attendance as a part of its referrer report (three queries)."""
    spans = [
        Span(offer_id, start, end)
        for offer_id, start, end in GroupEnrolment.objects.filter(
            episode=episode, enrolled_on__isnull=False
        )
        .exclude(status=EnrolmentStatus.WAITING)
        .values_list("offer_id", "enrolled_on", "left_on")
    ]
    rows = list(
        Attendance.objects.current()
        .filter(episode=episode)
        .values_list("meeting_id", "attended", "confirmation")
    )
    entries = {meeting: attended for meeting, attended, _answer in rows}
    confirmed = {m for m, _attended, answer in rows if answer == AttendanceAnswer.CONFIRMED}
    offers = {s.offer_id for s in spans}
    if not offers and not entries:
        return []
    meetings = _held_meetings(offers, list(entries), today)
    part = group_part(spans, meetings, entries, today, confirmed)
    return [part] if part is not None else []


def _held_meetings(offers: set[int], attended: list[int], today: dt.date) -> list[HeldMeeting]:
    """The held meetings of the course's groups and those it came to as a drop-in."""
    return [
        HeldMeeting(*row)
        for row in Meeting.objects.filter(status=MeetingStatus.HELD, date__lte=today)
        .filter(Q(offer_id__in=sorted(offers)) | Q(pk__in=attended))
        .values_list("pk", "offer_id", "date", "minutes")
        .order_by("date", "pk")
    ]


def enrolled_on(meeting: Meeting) -> list[int]:
    """The courses enrolled in the meeting's group on its day."""
    return list(
        GroupEnrolment.objects.filter(
            offer_id=meeting.offer_id,
            enrolled_on__lte=meeting.date,
        )
        .exclude(left_on__lt=meeting.date)
        .exclude(status=EnrolmentStatus.WAITING)
        .values_list("episode_id", flat=True)
    )


@dataclass(frozen=True)
class RosterRow:
    episode: int
    name: str
    enrolled: bool
    attended: bool | None
    is_drop_in: bool
    # The participant's own answer: "confirmed", "disputed", "awaiting" (a link is out),
    # "no_link" (the programme asks, but no link could go: no address, or over the limit),
    # "kept" (disputed, and kept as present by the leader after a look); None when there is
    # nothing to confirm.
    confirmation: str | None = None


def confirmation_state(entry: Attendance | None, *, asks: bool) -> str | None:
    """The participant's answer about a standing entry, as the leader's list shows it (pure,
    given ``has_link``)."""
    if entry is None:
        return None
    if entry.confirmation:
        return entry.confirmation
    if not entry.attended:
        return None
    if getattr(entry, "kept_after_dispute", False):
        return "kept"
    if getattr(entry, "has_link", False):
        return "awaiting"
    return "no_link" if asks else None


def meeting_roster(meeting: Meeting) -> list[RosterRow]:
    """Everyone on the meeting's list: the courses enrolled in the group that day, and anyone
    recorded as a drop-in, each with what is recorded (``None``: nothing yet) and the
    participant's answer, by name. Three queries."""
    from kobling.referrals.models import Episode

    asks = bool(meeting.offer.programme.attendance_confirmation_by_participant)
    standing = {
        a.episode_id: a
        for a in Attendance.objects.current()
        .filter(meeting=meeting)
        .annotate(
            has_link=Exists(AttendanceConfirmationLink.objects.filter(attendance=OuterRef("pk"))),
            kept_after_dispute=Exists(
                Attendance.objects.filter(
                    pk=OuterRef("supersedes_id"), confirmation=AttendanceAnswer.DISPUTED
                )
            ),
        )
    }
    enrolled = set(enrolled_on(meeting))
    courses = Episode.objects.filter(pk__in=sorted(enrolled | set(standing))).select_related(
        "participant"
    )
    rows = [
        RosterRow(
            episode=course.pk,
            name=course.participant.full_name,
            enrolled=course.pk in enrolled,
            attended=standing[course.pk].attended if course.pk in standing else None,
            is_drop_in=bool(course.pk in standing and standing[course.pk].is_drop_in),
            confirmation=confirmation_state(standing.get(course.pk), asks=asks),
        )
        for course in courses
    ]
    return sorted(rows, key=lambda r: (not r.enrolled, r.name.lower(), r.episode))


def offers_with_counts(queryset: QuerySet[GroupOffer]) -> QuerySet[GroupOffer]:
    """Offers with what a row shows (pages and API alike): places taken (``enrolled``), the
    waiting list (``waiting``), the programme, leaders and weekly times — a fixed number of
    queries. Ordered as the model is (a grouped query does not take the model's ordering by
    itself, and pages of an unordered list may repeat or skip rows)."""
    return (
        queryset.order_by(*GroupOffer._meta.ordering)
        .select_related("programme")
        .prefetch_related("leaders", "times")
        .annotate(
            enrolled=Count(
                "enrolments",
                filter=Q(enrolments__status=EnrolmentStatus.ENROLLED),
                distinct=True,
            ),
            waiting=Count(
                "enrolments", filter=Q(enrolments__status=EnrolmentStatus.WAITING), distinct=True
            ),
        )
    )

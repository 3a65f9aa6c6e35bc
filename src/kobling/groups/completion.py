"""When a course (forløp) counts as *completed*: the programme's rule (docs/groups.md,
"Completion"), decided by a pure function over plain numbers, and a selector that decides it for
many courses in a fixed number of queries (the course report, the dashboards).

The rule is set per programme (``Programme.completion_min_attendance_pct`` and
``completion_needs_end_conversation``; the frisklivsresept starts with 75 % and the end
conversation). A course is completed when it has ended and meets every condition its programme
sets; a programme that sets none has no rule, and its courses are neither completed nor not
(``None``)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from kobling.groups.choices import EnrolmentStatus, MeetingStatus
from kobling.groups.models import Attendance, GroupEnrolment, Meeting
from kobling.groups.selectors import HeldMeeting, Span, offered_meetings


@dataclass(frozen=True)
class CompletionRule:
    min_attendance_pct: int | None = None
    needs_end_conversation: bool = False

    @property
    def defined(self) -> bool:
        return self.needs_end_conversation or self.min_attendance_pct is not None

    def describe(self) -> str:
        """The rule in words, in the active language."""
        pct = self.min_attendance_pct
        if self.needs_end_conversation and pct is not None:
            return _(
                "Completed: the course has ended, its end conversation was held and at least "
                "%(pct)s %% of the group meetings offered were attended."
            ) % {"pct": pct}
        if self.needs_end_conversation:
            return _("Completed: the course has ended and its end conversation was held.")
        if pct is not None:
            return _(
                "Completed: the course has ended and at least %(pct)s %% of the group meetings "
                "offered were attended."
            ) % {"pct": pct}
        return _("The programme has no completion rule.")


def rule_of(programme: Any) -> CompletionRule:
    return CompletionRule(
        min_attendance_pct=programme.completion_min_attendance_pct,
        needs_end_conversation=programme.completion_needs_end_conversation,
    )


@dataclass(frozen=True)
class CourseFacts:
    """What the rule looks at, for one course."""

    ended: bool
    end_conversation: bool
    offered: int
    attended: int


def is_completed(rule: CompletionRule, course: CourseFacts) -> bool | None:
    """The rule applied (pure): ``None`` when the programme has no rule; otherwise whether the
    course has ended and meets each condition set. A share of meetings needs meetings: a course
    offered none does not meet a share above 0 %."""
    if not rule.defined:
        return None
    if not course.ended:
        return False
    if rule.needs_end_conversation and not course.end_conversation:
        return False
    if rule.min_attendance_pct:
        if course.offered <= 0:
            return False
        if course.attended * 100 < rule.min_attendance_pct * course.offered:
            return False
    return True


@dataclass(frozen=True)
class Offered:
    """A meeting offered to a course and whether it came."""

    meeting: HeldMeeting
    came: bool


def offered_by_course(
    *,
    today: dt.date,
    episode_ids: Iterable[int] | None = None,
    municipality_id: int | None = None,
) -> dict[int, list[Offered]]:
    """The meetings offered to each course (the same definition as its report's
    ``meetings_offered``), for the courses ``episode_ids`` or every course of
    ``municipality_id``: three queries whatever the number of courses."""
    enrolments = GroupEnrolment.objects.filter(enrolled_on__isnull=False).exclude(
        status=EnrolmentStatus.WAITING
    )
    attendance = Attendance.objects.current()
    meetings = Meeting.objects.filter(status=MeetingStatus.HELD, date__lte=today)
    if municipality_id is not None:
        enrolments = enrolments.filter(municipality_id=municipality_id)
        attendance = attendance.filter(municipality_id=municipality_id)
        meetings = meetings.filter(municipality_id=municipality_id)
    else:
        ids = sorted(set(episode_ids or ()))
        enrolments = enrolments.filter(episode_id__in=ids)
        attendance = attendance.filter(episode_id__in=ids)
    spans: dict[int, list[Span]] = defaultdict(list)
    for episode_id, offer_id, start, end in enrolments.values_list(
        "episode_id", "offer_id", "enrolled_on", "left_on"
    ).order_by():
        spans[episode_id].append(Span(offer_id, start, end))
    entries: dict[int, dict[int, bool]] = defaultdict(dict)
    for episode_id, meeting_id, came in attendance.values_list(
        "episode_id", "meeting_id", "attended"
    ).order_by():
        entries[episode_id][meeting_id] = came
    if not spans and not entries:
        return {}
    if municipality_id is None:
        offers = sorted({s.offer_id for rows in spans.values() for s in rows})
        came_to = sorted({m for rows in entries.values() for m in rows})
        meetings = meetings.filter(Q(offer_id__in=offers) | Q(pk__in=came_to))
    by_offer: dict[int, list[HeldMeeting]] = defaultdict(list)
    by_pk: dict[int, HeldMeeting] = {}
    for row in meetings.values_list("pk", "offer_id", "date", "minutes").order_by("date", "pk"):
        meeting = HeldMeeting(*row)
        by_offer[meeting.offer_id].append(meeting)
        by_pk[meeting.pk] = meeting
    result: dict[int, list[Offered]] = {}
    for episode_id in set(spans) | set(entries):
        mine = entries.get(episode_id, {})
        candidates = {m.pk: m for s in spans.get(episode_id, ()) for m in by_offer[s.offer_id]}
        candidates.update({pk: by_pk[pk] for pk in mine if pk in by_pk})
        ordered = sorted(candidates.values(), key=lambda m: (m.date, m.pk))
        offered = offered_meetings(spans.get(episode_id, []), ordered, mine, today)
        result[episode_id] = [
            Offered(meeting, bool(mine.get(pk))) for pk, meeting in offered.items()
        ]
    return result


@dataclass(frozen=True)
class Completion:
    completed: bool | None
    offered: int
    attended: int
    end_conversation: bool


def completions(
    episode_ids: Iterable[int], *, today: dt.date, municipality_id: int | None = None
) -> dict[int, Completion]:
    """Whether each course is completed under its programme's rule, with what it was decided
    on: five queries however many courses (the courses with their programme's rule, their end
    conversations, and :func:`offered_by_course`)."""
    from kobling.referrals.choices import ConversationKind
    from kobling.referrals.models import Conversation, Episode

    ids = sorted(set(episode_ids))
    courses = list(
        Episode.objects.filter(pk__in=ids).values_list(
            "pk",
            "ended_on",
            "programme__completion_min_attendance_pct",
            "programme__completion_needs_end_conversation",
        )
    )
    ended_talks = set(
        Conversation.objects.filter(episode_id__in=ids, kind=ConversationKind.END).values_list(
            "episode_id", flat=True
        )
    )
    offered = (
        offered_by_course(today=today, municipality_id=municipality_id)
        if municipality_id is not None
        else offered_by_course(today=today, episode_ids=ids)
    )
    result = {}
    for pk, ended_on, pct, needs_talk in courses:
        rows = offered.get(pk, [])
        facts = CourseFacts(
            ended=ended_on is not None,
            end_conversation=pk in ended_talks,
            offered=len(rows),
            attended=sum(1 for r in rows if r.came),
        )
        result[pk] = Completion(
            completed=is_completed(CompletionRule(pct, needs_talk), facts),
            offered=facts.offered,
            attended=facts.attended,
            end_conversation=facts.end_conversation,
        )
    return result


def completion_fields(episode: Any, figures: dict[str, Any]) -> dict[str, Any]:
    """The course report's ``completed`` and ``completion_rule``, from the figures the report
    already summed (its meetings offered and attended) and one query for the end conversation."""
    from kobling.referrals.choices import ConversationKind
    from kobling.referrals.models import Conversation

    rule = rule_of(episode.programme)
    if not rule.defined:
        return {"completed": None, "completion_rule": rule.describe()}
    talk = (
        rule.needs_end_conversation
        and Conversation.objects.filter(episode=episode, kind=ConversationKind.END).exists()
    )
    facts = CourseFacts(
        ended=episode.ended_on is not None,
        end_conversation=bool(talk),
        offered=figures.get("meetings_offered", 0),
        attended=figures.get("meetings_attended", 0),
    )
    return {"completed": is_completed(rule, facts), "completion_rule": rule.describe()}


def timeline_completion(episode: Any) -> list[Any]:
    """The course's timeline: on the day an ended course ended, whether it is completed under
    its programme's rule, with what it was decided on (a fixed number of queries)."""
    from django.utils import timezone

    from kobling.referrals.timeline import TimelineEvent

    rule = rule_of(episode.programme)
    if episode.ended_on is None or not rule.defined:
        return []
    done = completions([episode.pk], today=timezone.localdate())[episode.pk]
    detail = [
        _("%(attended)s of %(offered)s group meetings attended")
        % {"attended": done.attended, "offered": done.offered}
    ]
    if rule.needs_end_conversation:
        detail.append(
            _("end conversation held") if done.end_conversation else _("no end conversation")
        )
    return [
        TimelineEvent(
            day=episode.ended_on,
            kind="completion",
            title=(
                _("Completed under the programme's rule")
                if done.completed
                else _("Not completed under the programme's rule")
            ),
            detail=" · ".join(str(d) for d in detail),
            order=90,
        )
    ]


def completed_of(ids: list[int], today: dt.date) -> dict[int, bool | None]:
    """For the course lists (:func:`kobling.referrals.episodes.register_completion_source`)."""
    return {pk: c.completed for pk, c in completions(ids, today=today).items()}

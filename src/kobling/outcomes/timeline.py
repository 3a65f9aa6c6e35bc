"""The course's timeline: goals set, reviews that stand and the follow-ups after the end
(kobling.referrals.timeline). Goals show the person's words, shortened; reviews no notes."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from kobling.outcomes.models import FollowUp, Goal, Review
from kobling.referrals.timeline import TimelineEvent


def outcome_events(episode) -> list[TimelineEvent]:  # noqa: ANN001
    events = [
        TimelineEvent(
            timezone.localtime(goal.created_at).date(),
            "goal",
            _("Goal set"),
            goal.text[:120],
            order=5,
        )
        for goal in Goal.objects.filter(episode=episode).order_by("created_at")
    ]
    reviews = Review.objects.filter(
        episode=episode, superseded_by__isnull=True, is_void=False
    ).order_by("date", "pk")
    events += [
        TimelineEvent(
            review.date, "review", _("Review: %(kind)s") % {"kind": review.get_kind_display()}
        )
        for review in reviews
    ]
    events += [
        TimelineEvent(
            follow_up.due_on,
            "follow_up",
            _("Follow-up after %(months)s months") % {"months": follow_up.months},
            follow_up.get_status_display(),
            order=10,
        )
        for follow_up in FollowUp.objects.filter(episode=episode).order_by("due_on")
    ]
    return events

"""Reads about goals, reviews and follow-ups: which instruments a programme uses, which reviews
are due, and the plain summaries the referrer report and the dashboards build on.

The summary selectors (:func:`goal_progress`, :func:`latest_review`, :func:`outcome_summary`,
:func:`maintenance`) check no access and write no audit entries: the caller decides who may see
them (for the referrer: only within the participant's consent) and audits the read. They return
plain dicts and lists of plain values (``Decimal`` for scores, ``datetime.date`` for dates)."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import django_filters
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kobling.core.filters import BaseFilterSet
from kobling.followup.choices import PairingStatus
from kobling.followup.models import Pairing
from kobling.outcomes.choices import (
    ACTIVITY_MINUTES,
    ADULT_AGE,
    ADULT_WEEKLY_MINUTES,
    FOLLOW_UP_MONTHS,
    YOUTH_WEEKLY_MINUTES,
    FollowUpStatus,
    GoalStatus,
    InstrumentKind,
    ReviewKind,
)
from kobling.outcomes.models import (
    FollowUp,
    Goal,
    Instrument,
    ProgrammeInstruments,
    Review,
    ReviewScore,
    outcome_scope_q,
)
from kobling.referrals.choices import EpisodeStatus

# An ended pair's end review counts as due for this long after the end; then it is let go.
END_REVIEW_GRACE = dt.timedelta(weeks=8)


# --- dates --------------------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later; the last day of the month when it has no such day
    (31 January + 1 month = 28/29 February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- instruments --------------------------------------------------------------------------------


def enabled_instruments(programme_id: int) -> list[Instrument]:
    """The instruments the programme's reviews use, in display order with their scale points:
    the programme's own choice, or the core instruments when it has made none."""
    base = Instrument.objects.filter(is_active=True).prefetch_related("items")
    chosen = ProgrammeInstruments.objects.filter(programme_id=programme_id).first()
    if chosen is None:
        return list(base.filter(is_core=True))
    return list(base.filter(pk__in=chosen.instruments.values("pk")))


def recommended_weekly_minutes(age: int) -> int:
    """The activity recommendation: adults 150 minutes of moderate activity a week; children
    and youth (under 18) 60 minutes a day, i.e. 420 a week."""
    return YOUTH_WEEKLY_MINUTES if age < ADULT_AGE else ADULT_WEEKLY_MINUTES


# --- due reviews --------------------------------------------------------------------------------


def next_reviews(subjects: QuerySet, today: dt.date) -> dict[int, tuple[str, dt.date]]:
    """For each started pairing — or course (forløp) without a pairing — in ``subjects``: which
    review comes next and when it is (or was) due. The start review is due when the pair (the
    course) starts; then a periodic review every ``Programme.review_interval_weeks`` after the
    latest review; the end review when it ends (for :data:`END_REVIEW_GRACE` after it). Those
    not started, and ended ones with their end review or past the grace, have none. Two queries
    whatever the number."""
    through = "pairing" if subjects.model is Pairing else "episode"
    # Not started yet: a confirmed pair, a waiting course.
    not_started = PairingStatus.CONFIRMED if through == "pairing" else EpisodeStatus.WAITING
    current = Review.objects.filter(
        **{through: OuterRef("pk")}, superseded_by__isnull=True, is_void=False
    )
    rows = (
        subjects.filter(started_on__isnull=False)
        .exclude(status=not_started)
        .annotate(
            has_start=Exists(current.filter(kind=ReviewKind.START)),
            has_end=Exists(current.filter(kind=ReviewKind.END)),
            last_review=Subquery(current.order_by("-date").values("date")[:1]),
        )
        .values_list(
            "pk",
            "status",
            "started_on",
            "ended_on",
            "programme__review_interval_weeks",
            "has_start",
            "has_end",
            "last_review",
        )
        .order_by()
    )
    found: dict[int, tuple[str, dt.date]] = {}
    for pk, status, started, ended, weeks, has_start, has_end, last in rows:
        if status == PairingStatus.ENDED:  # "ended" for a pairing and a course alike
            if ended is not None and not has_end and ended >= today - END_REVIEW_GRACE:
                found[pk] = (ReviewKind.END, ended)
        elif not has_start:
            found[pk] = (ReviewKind.START, started)
        else:
            found[pk] = (ReviewKind.PERIODIC, (last or started) + dt.timedelta(weeks=weeks or 6))
    return found


def reviews_due(pairings: QuerySet[Pairing], today: dt.date) -> dict[int, dt.date]:
    """``{pairing id: the date the review became due}`` for the pairings whose next review is
    due today or earlier. Paused pairs are left out (they are not meeting)."""
    due = next_reviews(pairings.exclude(status=PairingStatus.PAUSED), today)
    return {pk: day for pk, (_kind, day) in due.items() if day <= today}


def review_due_alerts(
    user: Any, municipality_ids: Iterable[int], today: dt.date | None = None
) -> list[dict[str, Any]]:
    """Alerts for the alerts page: one per pairing the user may record reviews for (the
    municipality's coordinators and admins; a contact their own pairs) in ``municipality_ids``
    whose review is due, oldest first. Each is a plain dict: ``kind`` ("review_due"),
    ``pairing_id``, ``municipality_id``, ``due_on``, ``review_kind`` and ``url`` (the review
    form)."""
    from django.utils import timezone

    today = today or timezone.localdate()
    scope = outcome_scope_q(user, pairing_field="")
    if scope is None:
        return []
    pairings = Pairing.objects.filter(scope, municipality_id__in=sorted(set(municipality_ids)))
    kinds = next_reviews(pairings.exclude(status=PairingStatus.PAUSED), today)
    municipality_of = dict(
        Pairing.objects.filter(pk__in=list(kinds)).values_list("pk", "municipality_id")
    )
    alerts = [
        {
            "kind": "review_due",
            "pairing_id": pk,
            "municipality_id": municipality_of[pk],
            "due_on": day,
            "review_kind": kind,
            "url": reverse("web:review_create", args=[pk]),
        }
        for pk, (kind, day) in kinds.items()
        if day <= today
    ]
    return sorted(alerts, key=lambda a: (a["due_on"], a["pairing_id"]))


# --- summaries for the referrer report ----------------------------------------------------------


def _of(subject: Any) -> dict[str, Any]:
    """The filter for the rows of a pairing, or of a whole course (``referrals.Episode``: every
    pairing of it and what no pairing delivers)."""
    return {"pairing": subject} if isinstance(subject, Pairing) else {"episode": subject}


def current_reviews(pairing: Pairing | Any) -> QuerySet[Review]:
    """The reviews that stand of a pairing (or a course), newest first, with their scores."""
    return (
        Review.objects.current()
        .filter(**_of(pairing))
        .prefetch_related(
            Prefetch(
                "scores",
                queryset=ReviewScore.objects.select_related("instrument").order_by(
                    "instrument__position", "goal_id", "pk"
                ),
            )
        )
        .order_by("-date", "-recorded_at", "-pk")
    )


def _score_dict(score: ReviewScore) -> dict[str, Any]:
    return {
        "instrument": score.instrument_code,
        "name": score.instrument.name,
        "version": score.instrument_version,
        "value": score.value,
        "unit": score.unit,
        "goal_id": score.goal_id,
    }


def review_dict(review: Review, participant: Any) -> dict[str, Any]:
    """One review as plain data, with whether the weekly minutes reported meet the
    recommendation for the participant's age on the review date (``None`` without minutes)."""
    scores = list(review.scores.all())
    minutes = next(
        (s.value for s in scores if s.instrument_code == ACTIVITY_MINUTES and s.goal_id is None),
        None,
    )
    recommended = recommended_weekly_minutes(participant.age_on(review.date))
    return {
        "id": review.pk,
        "date": review.date,
        "kind": review.kind,
        "kind_label": str(review.get_kind_display()),
        "note": review.note,
        "scores": [_score_dict(s) for s in scores],
        "weekly_minutes": minutes,
        "recommended_minutes": recommended,
        "meets_recommendation": None if minutes is None else minutes >= recommended,
    }


def latest_review(pairing: Pairing | Any) -> dict[str, Any] | None:
    """The latest review that stands (``None`` when there is none): ``date``, ``kind``,
    ``scores`` (``instrument`` code, ``name``, ``version``, ``value``, ``unit``, ``goal_id``) and
    ``meets_recommendation`` (``True``/``False``, or ``None`` when no minutes were reported)."""
    review = current_reviews(pairing).first()
    return None if review is None else review_dict(review, pairing.participant)


def goal_progress(pairing: Pairing | Any) -> list[dict[str, Any]]:
    """The goals of a pairing (or a course) in the order they were set: ``text`` (the
    participant's words),
    ``status``, ``target_date`` and ``latest_attainment`` (``value``, ``label`` and ``date`` of
    the latest goal-attainment score that stands, or ``None``)."""
    goals = list(Goal.objects.filter(**_of(pairing)).order_by("created_at", "pk"))
    scores = (
        ReviewScore.objects.filter(
            goal__in=goals, review__superseded_by__isnull=True, review__is_void=False
        )
        .select_related("review", "instrument")
        .prefetch_related("instrument__items")
        .order_by("goal_id", "-review__date", "-review__recorded_at", "-review_id")
    )
    latest: dict[int, ReviewScore] = {}
    for score in scores:
        latest.setdefault(score.goal_id, score)
    result = []
    for goal in goals:
        score = latest.get(goal.pk)
        attainment = None
        if score is not None:
            label = next(
                (i.label for i in score.instrument.items.all() if i.value == score.value), ""
            )
            attainment = {"value": score.value, "label": label, "date": score.review.date}
        result.append(
            {
                "id": goal.pk,
                "text": goal.text,
                "status": goal.status,
                "status_label": str(GoalStatus(goal.status).label),
                "target_date": goal.target_date,
                "latest_attainment": attainment,
            }
        )
    return result


def outcome_summary(pairing: Pairing) -> dict[str, Any]:
    """Start against latest against end: the three reviews as :func:`latest_review` gives them
    (each ``None`` when missing) and, per instrument scored both at the start and in the latest
    review, the change (latest − start). Goal attainment is per goal (see
    :func:`goal_progress`), so it is not in ``changes``."""
    reviews = list(current_reviews(pairing))
    participant = pairing.participant
    start = next((r for r in reversed(reviews) if r.kind == ReviewKind.START), None)
    end = next((r for r in reviews if r.kind == ReviewKind.END), None)
    latest = reviews[0] if reviews else None
    changes = []
    if start is not None and latest is not None and latest.pk != start.pk:
        first = {s.instrument_code: s for s in start.scores.all() if s.goal_id is None}
        for score in latest.scores.all():
            before = first.get(score.instrument_code)
            if score.goal_id is not None or before is None:
                continue
            if score.instrument.kind == InstrumentKind.GOAL:
                continue
            changes.append(
                {
                    "instrument": score.instrument_code,
                    "name": score.instrument.name,
                    "unit": score.unit,
                    "start": before.value,
                    "latest": score.value,
                    "change": score.value - before.value,
                    "same_version": before.instrument_version == score.instrument_version,
                }
            )
    return {
        "start": None if start is None else review_dict(start, participant),
        "latest": None if latest is None else review_dict(latest, participant),
        "end": None if end is None else review_dict(end, participant),
        "changes": changes,
    }


# --- maintenance after the end ------------------------------------------------------------------


def maintenance(municipality_id: int, programme_id: int | None = None) -> dict[int, dict[str, Any]]:
    """Maintenance figures from the follow-up questionnaires, per month after the end (3, 6,
    12): ``asked`` (sent, reminded or answered), ``answered``, ``active`` (answered that they are
    still active), ``share`` (active ÷ answered, 3 decimals, ``None`` when nobody answered),
    ``response_rate`` (answered ÷ asked) and ``median_minutes`` among the active. Counts are not
    suppressed here: whoever publishes them must hide small cells."""
    followups = FollowUp.objects.filter(municipality_id=municipality_id)
    if programme_id is not None:
        followups = followups.filter(pairing__programme_id=programme_id)
    answered = Q(status=FollowUpStatus.ANSWERED)
    asked = Q(status__in=[FollowUpStatus.SENT, FollowUpStatus.REMINDED, FollowUpStatus.ANSWERED])
    counts = {
        row["months"]: row
        for row in followups.values("months")
        .annotate(
            asked=Count("pk", filter=asked),
            answered=Count("pk", filter=answered),
            active=Count("pk", filter=answered & Q(still_active=True)),
        )
        .order_by()
    }
    minutes: dict[int, list[int]] = {}
    for months, value in followups.filter(answered, still_active=True).values_list(
        "months", "minutes_per_week"
    ):
        if value is not None:
            minutes.setdefault(months, []).append(value)
    result = {}
    for months in FOLLOW_UP_MONTHS:
        row = counts.get(months, {})
        n_asked, n_answered, n_active = (
            row.get("asked", 0),
            row.get("answered", 0),
            row.get("active", 0),
        )
        result[months] = {
            "asked": n_asked,
            "answered": n_answered,
            "active": n_active,
            "share": round(n_active / n_answered, 3) if n_answered else None,
            "response_rate": round(n_answered / n_asked, 3) if n_asked else None,
            "median_minutes": _median(minutes.get(months, [])),
        }
    return result


def _median(values: list[int]) -> Decimal | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return Decimal(ordered[middle])
    return (Decimal(ordered[middle - 1]) + Decimal(ordered[middle])) / 2


# --- filters for the API lists ------------------------------------------------------------------

# Plain numbers, as for pairings: a filter must not confirm that an id exists in another
# municipality (a model choice filter answers 400 for an unknown id, 200 for someone else's).


class GoalFilterSet(BaseFilterSet):
    pairing = django_filters.NumberFilter(field_name="pairing_id", label=_("Pairing"))

    class Meta:
        model = Goal
        fields = ["pairing", "status"]


class ReviewFilterSet(BaseFilterSet):
    pairing = django_filters.NumberFilter(field_name="pairing_id", label=_("Pairing"))

    class Meta:
        model = Review
        fields = ["pairing", "kind"]


class FollowUpFilterSet(BaseFilterSet):
    pairing = django_filters.NumberFilter(field_name="pairing_id", label=_("Pairing"))
    municipality = django_filters.NumberFilter(
        field_name="municipality_id", label=_("Municipality")
    )

    class Meta:
        model = FollowUp
        fields = ["pairing", "months", "status", "municipality"]


def referrer_report_part(pairing: Pairing | Any) -> dict[str, Any]:
    """The goals and the latest review that stands, of a pairing or a whole course, for the
    referrer report
    (kobling.followup.report; registered in OutcomesConfig.ready). The review's free-text note
    stays out: the referrer gets figures, not notes."""
    review = latest_review(pairing)
    if review is not None:
        review = {key: value for key, value in review.items() if key != "note"}
    return {"goals": goal_progress(pairing), "latest_review": review}

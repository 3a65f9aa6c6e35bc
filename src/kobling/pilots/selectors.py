"""The pilot's courses and its health account.

:func:`load_rows` reads the courses a pilot covers into plain :class:`~kobling.pilots.calc.CourseRow`
in a fixed number of queries (not one per course); :func:`pilot_report` computes the account
(:mod:`kobling.pilots.calc`) and puts **every** cell through the dashboards' small-cell rule
(:mod:`kobling.dashboards.suppression`), so the page, the CSV, the PDF and the API can only show
what may leave the municipality.

Which courses belong to a pilot (docs/pilots.md): those of the pilot's municipalities, in its
programmes (none chosen: every course delivered by a provider), that *started* within the
pilot's period. A course that waits for a start is not yet a participant."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kobling.dashboards.suppression import (
    SUPPRESSED,
    THRESHOLD,
    derived,
    describing,
    hidden,
    part_of,
    suppress,
    suppress_group,
)
from kobling.followup.choices import SessionStatus
from kobling.followup.models import Session
from kobling.groups.choices import MeetingStatus
from kobling.groups.models import Attendance
from kobling.outcomes.choices import FollowUpStatus, ReviewKind
from kobling.outcomes.models import FollowUp, ReviewScore
from kobling.pay.costs import course_costs
from kobling.pilots import calc
from kobling.pilots.models import Pilot
from kobling.providers.models import ProviderVisit
from kobling.referrals.choices import EndReason, EpisodeStatus
from kobling.referrals.episodes import completed_by_course
from kobling.referrals.models import Episode
from kobling.tenancy.choices import Delivery
from kobling.tenancy.models import Municipality


def pilot_courses(pilot: Pilot) -> QuerySet[Episode]:
    """The courses the pilot covers (see the module's docstring)."""
    courses = Episode.objects.filter(
        municipality__in=pilot.municipalities.all(),
        started_on__gte=pilot.period_start,
        started_on__lte=pilot.period_end,
    )
    programme_ids = list(pilot.programmes.values_list("pk", flat=True))
    if programme_ids:
        return courses.filter(programme_id__in=programme_ids)
    return courses.filter(delivery=Delivery.PROVIDER)


def _scores(ids: list[int]) -> dict[tuple[int, str], dict[str, float]]:
    """(course, review kind) → measure → value: the first start review and the last end review
    that stand; goal attainment is the mean over the goals scored in that review."""
    by_review: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    review_of: dict[int, tuple[int, str, dt.date]] = {}
    for row in ReviewScore.objects.filter(
        review__episode_id__in=ids,
        review__superseded_by__isnull=True,
        review__is_void=False,
        review__kind__in=(ReviewKind.START, ReviewKind.END),
        instrument_code__in=calc.MEASURES,
    ).values(
        "review_id",
        "review__episode_id",
        "review__kind",
        "review__date",
        "instrument_code",
        "value",
    ):
        review_of[row["review_id"]] = (
            row["review__episode_id"],
            row["review__kind"],
            row["review__date"],
        )
        by_review[row["review_id"]][row["instrument_code"]].append(float(row["value"]))
    chosen: dict[tuple[int, str], tuple[dt.date, int]] = {}
    for review_id, (episode_id, kind, day) in review_of.items():
        key = (episode_id, kind)
        mine = (day, review_id)
        if key not in chosen or (
            mine < chosen[key] if kind == ReviewKind.START else mine > chosen[key]
        ):
            chosen[key] = mine
    return {
        key: {code: sum(v) / len(v) for code, v in by_review[review_id].items()}
        for key, (_day, review_id) in chosen.items()
    }


def load_rows(pilot: Pilot, *, today: dt.date | None = None) -> list[calc.CourseRow]:
    """One plain row per course of the pilot."""
    today = today or timezone.localdate()
    courses = list(pilot_courses(pilot).values("pk", "municipality_id", "status", "end_reason"))
    ids = [c["pk"] for c in courses]
    if not ids:
        return []
    completion = completed_by_course(ids, today=today)
    attended: dict[int, int] = defaultdict(int)
    recorded: dict[int, int] = defaultdict(int)
    for row in (
        ProviderVisit.objects.current()
        .filter(episode_id__in=ids)
        .values("episode_id")
        .annotate(n=Count("pk"), came=Count("pk", filter=Q(attended=True)))
        .order_by()
    ):
        attended[row["episode_id"]] += row["came"]
        recorded[row["episode_id"]] += row["n"]
    for row in (
        Session.objects.current()
        .filter(episode_id__in=ids, status__in=(SessionStatus.HELD, SessionStatus.NO_SHOW))
        .values("episode_id")
        .annotate(n=Count("pk"), came=Count("pk", filter=Q(status=SessionStatus.HELD)))
        .order_by()
    ):
        attended[row["episode_id"]] += row["came"]
        recorded[row["episode_id"]] += row["n"]
    # Group meetings (a programme that delivers in groups): the entries that stand at meetings
    # that were held, as the referrer report counts them.
    for row in (
        Attendance.objects.current()
        .filter(episode_id__in=ids, meeting__status=MeetingStatus.HELD)
        .values("episode_id")
        .annotate(n=Count("pk"), came=Count("pk", filter=Q(attended=True)))
        .order_by()
    ):
        attended[row["episode_id"]] += row["came"]
        recorded[row["episode_id"]] += row["n"]
    scores = _scores(ids)
    answers: dict[int, list[calc.FollowUpAnswer]] = defaultdict(list)
    for row in FollowUp.objects.filter(episode_id__in=ids, status=FollowUpStatus.ANSWERED).values(
        "episode_id", "months", "still_active", "minutes_per_week"
    ):
        answers[row["episode_id"]].append(
            calc.FollowUpAnswer(row["months"], row["still_active"], row["minutes_per_week"])
        )
    costs = course_costs(ids)
    rows = []
    for c in courses:
        pk = c["pk"]
        ended = c["status"] == EpisodeStatus.ENDED
        done = completion.get(pk)
        if done is None:  # the programme has no completion rule: ended with its goal reached
            done = ended and c["end_reason"] == EndReason.GOAL_REACHED
        rows.append(
            calc.CourseRow(
                municipality_id=c["municipality_id"],
                ended=ended,
                completed=bool(ended and done),
                attended=attended[pk],
                recorded=recorded[pk],
                start=scores.get((pk, ReviewKind.START), {}),
                end=scores.get((pk, ReviewKind.END), {}),
                follow_ups=tuple(answers[pk]),
                cost=costs[pk].total if pk in costs else Decimal(0),
            )
        )
    return rows


# --- the suppressed report ------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One figure as it may be shown: ``n`` (persons it rests on), ``value`` and the interval —
    each a number, ``"<5"`` (suppressed) or ``None`` (nothing to show)."""

    n: Any
    value: Any = None
    low: Any = None
    high: Any = None


@dataclass(frozen=True)
class Line:
    key: str
    label: str
    unit: str
    cells: tuple[Cell, ...]  # one per group: the municipalities, then all


@dataclass(frozen=True)
class Report:
    pilot: Pilot
    groups: tuple[str, ...]  # municipality names, then "All"
    group_codes: tuple[str, ...]
    lines: tuple[Line, ...]
    courses: int
    today: dt.date
    threshold: int = THRESHOLD
    suppressed_as: str = SUPPRESSED


def _round(value: float | Decimal | None, places: int) -> float | None:
    return None if value is None else round(float(value), places)


def _interval(value: Any, ci: Any, scale: float, places: int) -> tuple[Any, Any]:
    if hidden(value) or value is None or ci is None:
        return (SUPPRESSED, SUPPRESSED) if hidden(value) else (None, None)
    return round(ci.low * scale, places), round(ci.high * scale, places)


def _counts(values: Sequence[int]) -> list[Any]:
    """The municipalities' counts (adding up to the overall one: rule 2), then the overall."""
    return [*suppress_group(values[:-1]), suppress(values[-1])]


def _mean_line(
    key: str, label: str, unit: str, means: Sequence[calc.Mean], places: int = 1
) -> Line:
    ns = _counts([m.n for m in means])
    cells = []
    for m, n in zip(means, ns, strict=True):
        value = derived(_round(m.mean, places), n)
        low, high = _interval(value, m.ci, 1, places)
        cells.append(Cell(n, value, low, high))
    return Line(key, label, unit, tuple(cells))


def _share_line(key: str, label: str, shares: Sequence[calc.Share]) -> Line:
    bases = _counts([s.n for s in shares])
    cells = []
    for s, base in zip(shares, bases, strict=True):
        part = part_of(s.k, s.n)
        value = derived(_round(s.share * 100 if s.share is not None else None, 1), base, part)
        low, high = _interval(value, s.ci, 100, 1)
        cells.append(Cell(base, value, low, high))
    return Line(key, label, "%", tuple(cells))


MEASURE_LABELS = {
    "activity_minutes": (_("Change in activity, start to end"), _("min/week")),
    "self_rated_health": (_("Change in self-rated health, start to end"), _("points")),
    "goal_attainment": (_("Change in goal attainment, start to end"), _("points")),
}


def report_lines(account: calc.Account) -> list[Line]:
    groups = [*account.by_municipality.values(), account.overall]
    participants = _counts([g.participants for g in groups])
    lines = [
        Line("participants", str(_("Participants")), "", tuple(Cell(n, n) for n in participants)),
        Line(
            "ended",
            str(_("Courses ended")),
            "",
            tuple(Cell(n, n) for n in _counts([g.ended for g in groups])),
        ),
        _share_line(
            "completion", str(_("Completed, of the ended courses")), [g.completed for g in groups]
        ),
        _mean_line(
            "attendance",
            str(_("Attendance (attended of recorded appointments)")),
            "%",
            [g.attendance for g in groups],
        ),
        Line(
            "attended",
            str(_("Attended visits, sessions and group meetings")),
            "",
            tuple(
                Cell(n, describing(g.attended_total, g.participants))
                for g, n in zip(groups, participants, strict=True)
            ),
        ),
    ]
    for measure in calc.MEASURES:
        label, unit = MEASURE_LABELS[measure]
        lines.append(
            _mean_line(
                f"change_{measure}",
                str(label),
                str(unit),
                [g.change_at_end[measure] for g in groups],
            )
        )
    for months in calc.FOLLOW_UP_MONTHS:
        lines.append(
            _mean_line(
                f"minutes_change_{months}m",
                str(
                    _("Change in activity, start to %(months)s months after the end")
                    % {"months": months}
                ),
                str(_("min/week")),
                [g.minutes_change_after[months] for g in groups],
            )
        )
        lines.append(
            _share_line(
                f"still_active_{months}m",
                str(_("Still active %(months)s months after the end") % {"months": months}),
                [g.still_active_after[months] for g in groups],
            )
        )
    lines.append(
        Line(
            "cost_total",
            str(_("Cost in all")),
            "NOK",
            tuple(
                Cell(n, describing(_round(g.cost_total, 2), g.participants))
                for g, n in zip(groups, participants, strict=True)
            ),
        )
    )
    lines.append(
        _mean_line(
            "cost_per_participant",
            str(_("Cost per participant")),
            "NOK",
            [g.cost_per_participant for g in groups],
            2,
        )
    )
    completers = _counts([g.completed.k for g in groups])
    lines.append(
        Line(
            "cost_per_completer",
            str(_("Cost per completed course")),
            "NOK",
            tuple(
                Cell(n, derived(_round(g.cost_per_completer, 2), n))
                for g, n in zip(groups, completers, strict=True)
            ),
        )
    )
    return lines


def pilot_report(pilot: Pilot, *, today: dt.date | None = None) -> Report:
    """The pilot's health account, every cell small-cell safe."""
    today = today or timezone.localdate()
    municipalities = list(
        Municipality.objects.filter(pk__in=pilot.municipalities.all()).order_by("name")
    )
    rows = load_rows(pilot, today=today)
    account = calc.account(rows, [m.pk for m in municipalities])
    return Report(
        pilot=pilot,
        groups=(*(m.name for m in municipalities), str(_("All"))),
        group_codes=(*(m.code for m in municipalities), ""),
        lines=tuple(report_lines(account)),
        courses=len(rows),
        today=today,
    )

"""The pilot's health account, computed from plain rows (no Django, no models).

:mod:`kobling.pilots.selectors` loads one :class:`CourseRow` per participant's course in the
pilot; :func:`account` turns them into raw figures per municipality and overall. The raw
figures never leave the app as they are: :func:`kobling.pilots.selectors.pilot_report` puts
every cell through the small-cell rule before a page, file or endpoint shows it.

Definitions (docs/pilots.md):

* participants: courses in the pilot (one course = one participant in one programme);
* completion: completed of the courses that have *ended*;
* attendance: per course, attended / recorded appointments (provider visits, sessions, group
  meetings) in per cent — the mean over courses with any recorded, with its t interval;
* change: per course, the later value minus the start value of the same measure (activity
  minutes per week, self-rated health, goal attainment): the mean paired change over the
  courses that have both, with its t interval; after the end (3/6/12 months) the minutes the
  follow-up questionnaire reported, against the start review;
* still active at 3/6/12 months: the share of the answered follow-ups, with Wilson's interval;
* cost per participant: the mean cost of a course (t interval); per completer: the total cost
  divided by the completed courses (a ratio, no interval)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from kobling.lib.intervals import Interval, mean_ci, proportion_ci

FOLLOW_UP_MONTHS = (3, 6, 12)
# The measures whose change from the start review is reported, in order.
MEASURES = ("activity_minutes", "self_rated_health", "goal_attainment")


@dataclass(frozen=True)
class FollowUpAnswer:
    months: int
    still_active: bool | None
    minutes: int | None


@dataclass(frozen=True)
class CourseRow:
    """One participant's course in the pilot, as plain numbers."""

    municipality_id: int
    ended: bool
    completed: bool
    attended: int = 0
    recorded: int = 0  # attended + recorded as not come
    start: dict[str, float] = field(default_factory=dict)  # measure → value at the start review
    end: dict[str, float] = field(default_factory=dict)  # measure → value at the end review
    follow_ups: tuple[FollowUpAnswer, ...] = ()
    cost: Decimal = Decimal(0)


@dataclass(frozen=True)
class Mean:
    n: int
    mean: float | None
    ci: Interval | None


@dataclass(frozen=True)
class Share:
    k: int
    n: int
    share: float | None
    ci: Interval | None


@dataclass(frozen=True)
class Figures:
    """The raw figures of one group (a municipality, or all)."""

    participants: int
    ended: int
    completed: Share
    attendance: Mean  # per cent
    attended_total: int
    change_at_end: dict[str, Mean]
    minutes_change_after: dict[int, Mean]  # months → change from start in minutes per week
    still_active_after: dict[int, Share]  # months → share still active of those who answered
    cost_total: Decimal
    cost_per_participant: Mean
    cost_per_completer: Decimal | None


def mean_of(values: Sequence[float]) -> Mean:
    if not values:
        return Mean(0, None, None)
    return Mean(len(values), sum(values) / len(values), mean_ci(values))


def share_of(k: int, n: int) -> Share:
    return Share(k, n, (k / n) if n else None, proportion_ci(k, n))


def figures(rows: Sequence[CourseRow]) -> Figures:
    ended = [r for r in rows if r.ended]
    completed = sum(1 for r in ended if r.completed)
    rates = [100 * r.attended / r.recorded for r in rows if r.recorded]
    change_at_end = {
        m: mean_of([r.end[m] - r.start[m] for r in rows if m in r.start and m in r.end])
        for m in MEASURES
    }
    minutes_after: dict[int, Mean] = {}
    active_after: dict[int, Share] = {}
    for months in FOLLOW_UP_MONTHS:
        answers = [(r, a) for r in rows for a in r.follow_ups if a.months == months]
        minutes_after[months] = mean_of(
            [
                a.minutes - r.start["activity_minutes"]
                for r, a in answers
                if a.minutes is not None and "activity_minutes" in r.start
            ]
        )
        said = [a.still_active for _r, a in answers if a.still_active is not None]
        active_after[months] = share_of(sum(1 for s in said if s), len(said))
    total = sum((r.cost for r in rows), Decimal(0))
    return Figures(
        participants=len(rows),
        ended=len(ended),
        completed=share_of(completed, len(ended)),
        attendance=mean_of(rates),
        attended_total=sum(r.attended for r in rows),
        change_at_end=change_at_end,
        minutes_change_after=minutes_after,
        still_active_after=active_after,
        cost_total=total,
        cost_per_participant=mean_of([float(r.cost) for r in rows]),
        cost_per_completer=(total / completed).quantize(Decimal("0.01")) if completed else None,
    )


@dataclass(frozen=True)
class Account:
    by_municipality: dict[int, Figures]  # in the order of the municipalities given
    overall: Figures


def account(rows: Iterable[CourseRow], municipality_ids: Sequence[int]) -> Account:
    """The figures per municipality (every municipality of the pilot, also one with no
    courses) and overall."""
    rows = list(rows)
    return Account(
        by_municipality={
            m: figures([r for r in rows if r.municipality_id == m]) for m in municipality_ids
        },
        overall=figures(rows),
    )

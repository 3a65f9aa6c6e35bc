"""The dashboard figures of one municipality, computed from plain rows: no Django, no ORM.

:mod:`kobling.dashboards.refresh` loads the rows (:func:`~kobling.dashboards.refresh.load_input`
returns a :class:`FactsInput`) and stores what :func:`compute` returns; this module only counts.
Every date here is already a local date (the loader converts the moments). The codes below are
the values of the Django choices they name; ``tests/dashboards/test_facts.py`` checks that they
still are. docs/dashboards.md describes each figure."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

# Grains (dashboards.models.Grain).
MONTH, YEAR, NOW = "month", "year", "now"
# Ending for one of these counts as dropping out (not goal reached, not moved, not the contact
# leaving, which is the scheme's loss rather than the participant's). followup.choices.EndReason.
GOAL_REACHED = "goal_reached"
DROP_OUT_REASONS = ("participant_stopped", "no_chemistry")
PAIRING_ENDED = "ended"  # followup.choices.PairingStatus.ENDED
REVIEW_START, REVIEW_END = "start", "end"  # outcomes.choices.ReviewKind
ACTIVITY_MINUTES = "activity_minutes"  # outcomes.choices.ACTIVITY_MINUTES
# Helpers who have been trained (qualified at some point) and may be doing the work now
# (helpers.choices.HelperStatus).
HELPER_ACTIVE, HELPER_LEFT = "active", "left"
TRAINED_NOW = ("qualified", HELPER_ACTIVE, "paused")

AGE_BANDS = ((0, 17, "0-17"), (18, 29, "18-29"), (30, 49, "30-49"), (50, 66, "50-66"))
OLDEST_BAND = "67+"

FactKey = tuple[int, str, dt.date, str, str, str]


def age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def age_band(birth: dt.date, on: dt.date) -> str:
    years = age(birth, on)
    for low, high, label in AGE_BANDS:
        if low <= years <= high:
            return label
    return OLDEST_BAND


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def year_of(day: dt.date) -> dt.date:
    return dt.date(day.year, 1, 1)


class Facts:
    """Collects (programme, grain, period, metric, dimension, key) → value."""

    def __init__(self) -> None:
        self.values: dict[FactKey, Decimal] = defaultdict(Decimal)

    def add(
        self,
        programme: int,
        grain: str,
        period: dt.date,
        metric: str,
        value: Any = 1,
        dimension: str = "",
        key: Any = "",
    ) -> None:
        self.values[(programme, grain, period, metric, dimension, str(key))] += Decimal(value)

    def month(self, programme: int, day: dt.date, metric: str, value: Any = 1, **by: Any) -> None:
        self.add(programme, MONTH, month_of(day), metric, value, **by)

    def broken_down(
        self, programme: int, day: dt.date, metric: str, groups: dict[str, Iterable[str]]
    ) -> None:
        """Count one person under ``metric`` in total and under each of their groups."""
        self.month(programme, day, metric)
        for dimension, keys in groups.items():
            for key in keys:
                self.month(programme, day, metric, dimension=dimension, key=key)


# --- the plain rows -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferralRow:
    id: int
    programme_id: int
    source: str
    received_on: dt.date
    granted_on: dt.date | None
    gender: str
    birth_date: dt.date
    organisation: str = ""
    target_groups: tuple[str, ...] = ()
    first_decision_on: dt.date | None = None  # first granted or refused decision


@dataclass(frozen=True)
class PairingRow:
    """One pairing, in the order they were confirmed (the first of a course comes first)."""

    id: int
    course_id: int | None
    programme_id: int
    referral_id: int
    confirmed_on: dt.date
    started_on: dt.date | None = None
    ended_on: dt.date | None = None
    status: str = ""
    end_reason: str = ""
    first_held_on: dt.date | None = None
    # The activity recommendation (minutes a week) at the participant's age when the pair
    # started; None when it has not started.
    weekly_minutes_needed: int | None = None
    handover_destination: str = ""
    handover_partner_id: int | None = None
    handover_partner_kind: str = ""


@dataclass(frozen=True)
class SessionMonth:
    """The current session entries of a programme and month, counted in SQL (the big table)."""

    programme_id: int
    month: dt.date
    planned: int
    held: int
    no_show: int
    cancelled: int
    minutes: int
    participants: int  # distinct
    helpers: int  # distinct, held sessions only


@dataclass(frozen=True)
class SessionYear:
    """Distinct people with a held session in a programme and year (not the sum of months)."""

    programme_id: int
    year: dt.date
    participants: int
    helpers: int


@dataclass(frozen=True)
class Score:
    """One score of a standing review, in review date order."""

    pairing_id: int
    instrument: str
    review_kind: str
    review_on: dt.date
    review_id: int
    value: Decimal


@dataclass(frozen=True)
class FollowUpMonth:
    programme_id: int
    month: dt.date
    months: int  # after the end
    asked: int
    answered: int
    active: int


@dataclass(frozen=True)
class HelperRow:
    id: int
    programme_id: int
    status: str
    qualified: bool


@dataclass(frozen=True)
class PartnerRow:
    """A partner with an agreement valid today; ``programme_ids`` empty: every programme."""

    id: int
    kind: str
    programme_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class CostYear:
    """A programme's cost of a calendar year, from :mod:`kobling.pay.cost_calc`."""

    programme_id: int
    year: dt.date
    pay: Decimal
    expenses: Decimal
    courses: Decimal
    coordination: Decimal


@dataclass(frozen=True)
class GroupMeetingRow:
    """A held group meeting of a programme, at its venue (``venue_key``)."""

    programme_id: int
    meeting_id: int
    day: dt.date
    venue: str


@dataclass(frozen=True)
class GroupVisitRow:
    """A held group meeting offered to a course (groups.completion.offered_by_course), whether
    the person came, with what the breakdowns need of the person."""

    programme_id: int
    course_id: int
    person_id: int
    meeting_id: int
    day: dt.date
    came: bool
    venue: str
    gender: str = ""
    birth_date: dt.date | None = None


@dataclass(frozen=True)
class BenefitCheckRow:
    """A benefit check of a course's referral (referrals.BenefitCheck)."""

    course_id: int
    verified_on: dt.date
    benefit: str
    id: int = 0


@dataclass(frozen=True)
class CourseEndRow:
    """An ended course of a programme with a completion rule, completed or not."""

    programme_id: int
    course_id: int
    ended_on: dt.date
    completed: bool


@dataclass(frozen=True)
class FactsInput:
    today: dt.date
    referrals: Sequence[ReferralRow] = ()
    pairings: Sequence[PairingRow] = ()
    session_months: Sequence[SessionMonth] = ()
    session_years: Sequence[SessionYear] = ()
    scores: Sequence[Score] = ()
    follow_ups: Sequence[FollowUpMonth] = ()
    helpers: Sequence[HelperRow] = ()
    programme_ids: Sequence[int] = ()  # every programme of the municipality
    partners: Sequence[PartnerRow] = ()
    costs: Sequence[CostYear] = field(default_factory=tuple)
    group_meetings: Sequence[GroupMeetingRow] = ()
    group_visits: Sequence[GroupVisitRow] = ()
    benefit_checks: Sequence[BenefitCheckRow] = ()
    course_ends: Sequence[CourseEndRow] = ()


# --- the figures --------------------------------------------------------------------------------


def compute(data: FactsInput) -> Facts:
    """Every dashboard figure of one municipality from its rows."""
    facts = Facts()
    referrals = {r.id: r for r in data.referrals}
    reach(facts, referrals, data.pairings)
    dose(facts, data.session_months, data.session_years)
    effectiveness(facts, data.pairings, data.scores)
    maintenance(facts, data.follow_ups)
    adoption(facts, data.today, data.helpers)
    partner_uptake(facts, data.today, data.programme_ids, data.partners, data.pairings)
    referring_organisations(facts, data.referrals)
    costs(facts, data.costs)
    groups(facts, data.group_meetings, data.group_visits, data.benefit_checks)
    completion(facts, data.course_ends)
    return facts


def _groups(r: ReferralRow) -> dict[str, Iterable[str]]:
    return {
        "gender": [r.gender],
        "age_band": [age_band(r.birth_date, r.received_on)],
        "source": [r.source],
        "target_group": list(r.target_groups) or ["none"],
    }


def reach(facts: Facts, referrals: dict[int, ReferralRow], pairings: Iterable[PairingRow]) -> None:
    """Referrals, decisions, starts and endings, by group. A course counts once (its first
    pairing) for the days to pairing and the start; the endings are the pairings'."""
    for r in referrals.values():
        facts.broken_down(r.programme_id, r.received_on, "referred", _groups(r))
        if r.granted_on:
            facts.broken_down(r.programme_id, r.granted_on, "granted", _groups(r))
        if r.first_decision_on:
            days = max(0, (r.first_decision_on - r.received_on).days)
            facts.month(
                r.programme_id, r.received_on, "days_to_decision", dimension="days", key=days
            )
    seen: set[Any] = set()
    started: set[Any] = set()
    for pr in pairings:
        r = referrals.get(pr.referral_id)
        if r is None:
            continue
        p = pr.programme_id
        course = pr.course_id if pr.course_id is not None else ("referral", pr.referral_id)
        if course not in seen:  # the first pairing of the course
            seen.add(course)
            days = max(0, (pr.confirmed_on - r.received_on).days)
            facts.month(p, r.received_on, "days_to_pairing", dimension="days", key=days)
        if pr.started_on and course not in started:
            started.add(course)
            facts.broken_down(p, pr.started_on, "started", _groups(r))
        if pr.first_held_on is not None:
            days = max(0, (pr.first_held_on - r.received_on).days)
            facts.month(p, r.received_on, "days_to_first_session", dimension="days", key=days)
        if pr.status == PAIRING_ENDED and pr.ended_on:
            facts.month(p, pr.ended_on, "ended")
            if pr.end_reason == GOAL_REACHED:
                facts.month(p, pr.ended_on, "completed")
            if pr.end_reason in DROP_OUT_REASONS:
                facts.broken_down(p, pr.ended_on, "dropped_out", _groups(r))


def dose(facts: Facts, months: Iterable[SessionMonth], years: Iterable[SessionYear]) -> None:
    """Implementation: sessions planned, held, missed, minutes, people — per month and year."""
    for row in months:
        p, month = row.programme_id, month_of(row.month)
        for name in ("planned", "held", "no_show", "cancelled", "participants", "helpers"):
            facts.add(p, MONTH, month, f"sessions_{name}", getattr(row, name))
        facts.add(p, MONTH, month, "minutes_held", row.minutes or 0)
    for row in years:
        p, year = row.programme_id, year_of(row.year)
        facts.add(p, YEAR, year, "participants_served", row.participants)
        facts.add(p, YEAR, year, "helpers_active", row.helpers)


def effectiveness(facts: Facts, pairings: Iterable[PairingRow], scores: Iterable[Score]) -> None:
    """Start vs latest vs end per instrument, by the pair's start month. Goal attainment has one
    score per goal: a review's value is their mean."""
    by_pairing = {pr.id: pr for pr in pairings}
    per_review: dict[tuple[int, str], dict[tuple[str, dt.date, int], list[Decimal]]] = defaultdict(
        dict
    )
    for s in scores:
        per_review[(s.pairing_id, s.instrument)].setdefault(
            (s.review_kind, s.review_on, s.review_id), []
        ).append(s.value)
    for (pairing_id, code), reviews in per_review.items():
        pr = by_pairing.get(pairing_id)
        if pr is None or not pr.started_on:
            continue
        ordered = [(kind, sum(values) / len(values)) for (kind, _, _), values in reviews.items()]
        start = next((v for kind, v in ordered if kind == REVIEW_START), None)
        if start is None:
            continue
        later = [(kind, v) for kind, v in ordered if kind != REVIEW_START]
        p, month = pr.programme_id, pr.started_on
        need = pr.weekly_minutes_needed or 0
        by = {"dimension": "instrument", "key": code}
        if later:
            latest = later[-1][1]
            facts.month(p, month, "eff_n", **by)
            facts.month(p, month, "eff_start_sum", start, **by)
            facts.month(p, month, "eff_latest_sum", latest, **by)
            if code == ACTIVITY_MINUTES:
                facts.month(p, month, "eff_meets_start", int(start >= need), **by)
                facts.month(p, month, "eff_meets_latest", int(latest >= need), **by)
        end = next((v for kind, v in reversed(later) if kind == REVIEW_END), None)
        if end is not None:
            facts.month(p, month, "eff_end_n", **by)
            facts.month(p, month, "eff_end_start_sum", start, **by)
            facts.month(p, month, "eff_end_sum", end, **by)
            if code == ACTIVITY_MINUTES:
                facts.month(p, month, "eff_meets_end", int(end >= need), **by)


def maintenance(facts: Facts, follow_ups: Iterable[FollowUpMonth]) -> None:
    """Follow-ups after the end, by the month they fell due and months after the end."""
    for row in follow_ups:
        p, month = row.programme_id, month_of(row.month)
        for name in ("asked", "answered", "active"):
            facts.add(p, MONTH, month, f"followup_{name}", getattr(row, name), "months", row.months)


def adoption(facts: Facts, today: dt.date, helpers: Iterable[HelperRow]) -> None:
    """The contacts now: by status, and those trained, retained and active."""
    for h in helpers:
        facts.add(h.programme_id, NOW, today, "helpers", 1, "status", h.status)
        if h.qualified or h.status in TRAINED_NOW:
            facts.add(h.programme_id, NOW, today, "helpers_trained")
            if h.status != HELPER_LEFT:
                facts.add(h.programme_id, NOW, today, "helpers_trained_retained")
            if h.status == HELPER_ACTIVE:
                facts.add(h.programme_id, NOW, today, "helpers_trained_active")


def partner_uptake(
    facts: Facts,
    today: dt.date,
    programme_ids: Sequence[int],
    partners: Iterable[PartnerRow],
    pairings: Iterable[PairingRow],
) -> None:
    """Adoption → partner uptake (docs/dashboards.md). Counts of *organisations* and *persons*:

    - ``partners_in_agreement`` (now, by ``kind``): partners with an agreement valid today. A
      partner counts for each of its programmes, or for every programme of the municipality
      when it lists none (it works with the scheme as a whole). Organisations.
    - ``handovers`` (month, by ``destination``) and ``handovers_to_partner`` (month, by the
      partner's ``kind``): ended pairings by where the participant went on, and those handed
      over to a partner. Persons.
    - ``handover_partners`` (year, by ``kind``): distinct partners that took participants over
      in the year. Organisations."""
    for partner in partners:
        for p in partner.programme_ids or programme_ids:
            facts.add(p, NOW, today, "partners_in_agreement")
            facts.add(p, NOW, today, "partners_in_agreement", 1, "kind", partner.kind)

    took_over: dict[tuple[int, dt.date], dict[int, str]] = defaultdict(dict)
    for pr in pairings:
        if pr.status != PAIRING_ENDED or pr.ended_on is None:
            continue
        p, ended_on = pr.programme_id, pr.ended_on
        destination = pr.handover_destination or "unknown"
        facts.month(p, ended_on, "handovers", dimension="destination", key=destination)
        if pr.handover_partner_id is not None:
            facts.month(p, ended_on, "handovers_to_partner")
            facts.month(
                p, ended_on, "handovers_to_partner", dimension="kind", key=pr.handover_partner_kind
            )
            took_over[(p, year_of(ended_on))][pr.handover_partner_id] = pr.handover_partner_kind
    for (p, year), taken in took_over.items():
        facts.add(p, YEAR, year, "handover_partners", len(taken))
        for kind, n in Counter(taken.values()).items():
            facts.add(p, YEAR, year, "handover_partners", n, "kind", kind)


def referring_organisations(facts: Facts, referrals: Iterable[ReferralRow]) -> None:
    """``referring_organisations`` (year, by ``source``; the total is distinct over sources):
    distinct non-blank referring organisations (trimmed, case-insensitive) by the year the
    referral was received. Organisations."""
    organisations: dict[tuple[int, dt.date], dict[str, set[str]]] = defaultdict(
        lambda: defaultdict(set)
    )
    for r in referrals:
        name = " ".join((r.organisation or "").split()).casefold()
        if name:
            organisations[(r.programme_id, year_of(r.received_on))][r.source].add(name)
    for (p, year), by_source in organisations.items():
        facts.add(p, YEAR, year, "referring_organisations", len(set().union(*by_source.values())))
        for source, names in by_source.items():
            facts.add(p, YEAR, year, "referring_organisations", len(names), "source", source)


def costs(facts: Facts, years: Iterable[CostYear]) -> None:
    """The cost of each programme and calendar year, by kind."""
    for c in years:
        for name in ("pay", "expenses", "courses", "coordination"):
            facts.add(c.programme_id, YEAR, c.year, f"cost_{name}", getattr(c, name))


# --- group programmes ---------------------------------------------------------------------------

NOT_CHECKED = "not_checked"  # no benefit check on or before the end of the year
NO_VENUE = "none"


def benefit_in_year(checks: Sequence[BenefitCheckRow], year: int) -> str:
    """The benefit group of a course in a calendar year: its latest check verified on or before
    the year's last day (a later check does not rewrite an earlier year); ``not_checked`` when
    there is none."""
    last_day = dt.date(year, 12, 31)
    known = [c for c in checks if c.verified_on <= last_day]
    if not known:
        return NOT_CHECKED
    return max(known, key=lambda c: (c.verified_on, c.id)).benefit


def groups(
    facts: Facts,
    meetings: Iterable[GroupMeetingRow],
    visits: Iterable[GroupVisitRow],
    checks: Iterable[BenefitCheckRow],
) -> None:
    """Group attendance (docs/dashboards.md, "Group programmes"):

    - ``group_meetings`` (month, total and by ``venue``): held meetings. Meetings, not persons.
    - ``group_offered`` and ``group_attended`` (month, total and by ``venue`` and ``benefit``):
      meetings offered to courses and those they came to; their ratio is the attendance rate.
    - ``group_persons_month`` (month): distinct persons who came in the month.
    - ``group_persons`` (year, total and by ``benefit``, ``venue``, ``gender``, ``age_band``):
      distinct persons who came at least once in the year. A person counts once per breakdown
      key: at each venue they came to, under their latest course's benefit group in the year,
      at their age on their first meeting of the year."""
    for m in meetings:
        facts.month(m.programme_id, m.day, "group_meetings")
        facts.month(m.programme_id, m.day, "group_meetings", dimension="venue", key=m.venue)
    by_course: dict[int, list[BenefitCheckRow]] = defaultdict(list)
    for c in checks:
        by_course[c.course_id].append(c)
    benefit_cache: dict[tuple[int, int], str] = {}

    def benefit(course: int, year: int) -> str:
        if (course, year) not in benefit_cache:
            benefit_cache[(course, year)] = benefit_in_year(by_course.get(course, ()), year)
        return benefit_cache[(course, year)]

    month_persons: dict[tuple[int, dt.date], set[int]] = defaultdict(set)
    # (programme, year, person) → [first visit, latest visit, venues]
    year_persons: dict[tuple[int, dt.date, int], list[Any]] = {}
    for v in sorted(visits, key=lambda v: (v.day, v.meeting_id, v.course_id)):
        p, group = v.programme_id, benefit(v.course_id, v.day.year)
        by = {"venue": [v.venue], "benefit": [group]}
        metrics = ("group_offered", "group_attended") if v.came else ("group_offered",)
        for metric in metrics:
            facts.month(p, v.day, metric)
            for dimension, keys in by.items():
                for key in keys:
                    facts.month(p, v.day, metric, dimension=dimension, key=key)
        if not v.came:
            continue
        month_persons[(p, month_of(v.day))].add(v.person_id)
        seen = year_persons.setdefault((p, year_of(v.day), v.person_id), [v, v, set()])
        seen[1] = v
        seen[2].add(v.venue)
    for (p, month), persons in month_persons.items():
        facts.add(p, MONTH, month, "group_persons_month", len(persons))
    for (p, year, _person), (first, latest, venues) in year_persons.items():
        facts.add(p, YEAR, year, "group_persons")
        facts.add(
            p, YEAR, year, "group_persons", 1, "benefit", benefit(latest.course_id, year.year)
        )
        for venue in sorted(venues):
            facts.add(p, YEAR, year, "group_persons", 1, "venue", venue)
        facts.add(p, YEAR, year, "group_persons", 1, "gender", first.gender or "unknown")
        if first.birth_date is not None:
            facts.add(
                p, YEAR, year, "group_persons", 1, "age_band", age_band(first.birth_date, first.day)
            )


def completion(facts: Facts, ends: Iterable[CourseEndRow]) -> None:
    """``group_courses_ended`` and ``group_courses_completed`` (month of the end): the ended
    courses of programmes with a completion rule, and those completed under it (groups.completion;
    docs/groups.md). Courses, which are persons here: one course per person and programme at a
    time."""
    for e in ends:
        facts.month(e.programme_id, e.ended_on, "group_courses_ended")
        if e.completed:
            facts.month(e.programme_id, e.ended_on, "group_courses_completed")

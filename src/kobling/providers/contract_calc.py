"""A concession contract's numbers on plain data: no Django, no ORM (a pure calculator, like
:mod:`kobling.pay.cost_calc`).

Two things are computed here:

* **the requirements' measures** (:data:`MEASURES`, a fixed list): each turns the contract's
  placements, visits, trainers' certificates, sites and follow-ups in one measurement period
  into a share (numerator / denominator, in per cent), which :func:`judge` compares with the
  requirement's target — met, not met, no data, or (outside the municipality) too few to
  measure under the small-cell rule of :mod:`kobling.lib.suppression`;
* **a reimbursement claim's lines** (:func:`claim_lines`): the attended, eligible visits under
  the contract's price model and the cap per person per period.

:mod:`kobling.providers.contracts` loads the rows and stores what these functions return. The
codes below are the values of ``kobling.providers.choices``; ``tests/providers/
test_contract_calc.py`` checks that they still are. See docs/providers.md."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from kobling.lib.money import ZERO, money
from kobling.lib.suppression import is_small

# Measures (RequirementMeasure) and their kinds (RequirementKind).
CERTIFIED_TRAINER = "certified_trainer"  # quality
SITES_ACCESSIBLE = "sites_accessible"  # access
ANSWERED_IN_TIME = "answered_in_time"  # access
PLAN_WITHIN_14_DAYS = "plan_within_14_days"  # content
ATTENDANCE_75 = "attendance_75"  # results
ACTIVE_6_MONTHS = "active_6_months"  # results

MEASURES: dict[str, str] = {
    CERTIFIED_TRAINER: "quality",
    SITES_ACCESSIBLE: "access",
    ANSWERED_IN_TIME: "access",
    PLAN_WITHIN_14_DAYS: "content",
    ATTENDANCE_75: "results",
    ACTIVE_6_MONTHS: "results",
}
# Measures whose counts are of persons (placements, follow-ups) or describe persons (visits):
# outside the municipality they go through the small-cell rule. Sites are not persons.
PERSON_MEASURES = frozenset(MEASURES) - {SITES_ACCESSIBLE}

PLAN_DAYS = 14
ATTENDED_SHARE = Decimal("0.75")
ACTIVE_MONTHS = 6

# Price models (PriceModel).
PER_PARTICIPANT = "per_participant"
PER_SESSION = "per_session"
FIXED_FEE = "fixed_fee"

# Line kinds (ClaimLineKind).
LINE_SESSION = "session"
LINE_PARTICIPANT = "participant"
LINE_FIXED = "fixed"
LINE_ADJUSTMENT = "adjustment"

# Results (RequirementResult).
MET = "met"
NOT_MET = "not_met"
NO_DATA = "no_data"
TOO_FEW = "too_few"


# --- periods ----------------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the first of the month stays the first)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    last = [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31, 30]
    last += [31, 31, 30, 31, 30, 31]
    return dt.date(year, month, min(day.day, last[month - 1]))


def periods(
    start: dt.date, end: dt.date | None, months: int, today: dt.date
) -> list[tuple[dt.date, dt.date]]:
    """The measurement periods of ``months`` months from the contract's start, up to the
    period that holds the earlier of its end and ``today`` (the current period is partial)."""
    stop = min(end, today) if end else today
    found: list[tuple[dt.date, dt.date]] = []
    first = start
    while first <= stop:
        last = add_months(first, months) - dt.timedelta(days=1)
        found.append((first, min(last, end) if end else last))
        first = last + dt.timedelta(days=1)
    return found


def period_index(start: dt.date, months: int, day: dt.date) -> int:
    """Which period (0, 1, …) of ``months`` months from ``start`` holds ``day``."""
    index = ((day.year - start.year) * 12 + day.month - start.month) // months
    if add_months(start, index * months) > day:
        index -= 1
    return max(index, 0)


# --- facts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlacementFact:
    id: int
    episode_id: int
    placed_on: dt.date
    starts_on: dt.date
    ends_on: dt.date
    answer_by: dt.date
    answered_on: dt.date | None
    accepted: bool  # accepted, now or before the course ended
    first_goal_on: dt.date | None  # the course's first goal (its individual plan), if any


@dataclass(frozen=True)
class VisitFact:
    placement_id: int
    day: dt.date
    attended: bool
    trainer_id: int | None  # the visit's trainer, else the placement's assigned trainer


@dataclass(frozen=True)
class CertificateFact:
    trainer_id: int
    kind: str
    valid_from: dt.date | None
    expires_on: dt.date


@dataclass(frozen=True)
class SiteFact:
    active: bool
    accessibility_described: bool


@dataclass(frozen=True)
class FollowUpFact:
    episode_id: int
    months: int
    answered_on: dt.date
    still_active: bool


@dataclass(frozen=True)
class Facts:
    """Everything of one contract the measures read (standing visits only)."""

    placements: tuple[PlacementFact, ...] = ()
    visits: tuple[VisitFact, ...] = ()
    certificates: tuple[CertificateFact, ...] = ()
    sites: tuple[SiteFact, ...] = ()
    follow_ups: tuple[FollowUpFact, ...] = ()
    required_kinds: frozenset[str] = frozenset()
    sessions_per_week: Decimal = Decimal(2)


@dataclass(frozen=True)
class Measured:
    numerator: int
    denominator: int
    persons: int  # the persons the counts describe (for the small-cell rule)

    @property
    def value(self) -> Decimal | None:
        """The share in per cent, one decimal; None with nothing to measure."""
        if not self.denominator:
            return None
        return (Decimal(100) * self.numerator / self.denominator).quantize(Decimal("0.1"))


def planned_sessions(start: dt.date, end: dt.date, per_week: Decimal) -> int:
    """Sessions planned over a placement's period: its weeks times the contract's sessions a
    week, rounded up (a provider's own schedule is not in Kobling)."""
    weeks = Decimal((end - start).days + 1) / 7
    return max(1, math.ceil(weeks * per_week))


def _certified(certs: list[CertificateFact], kinds: frozenset[str], day: dt.date) -> bool:
    return any(
        (not kinds or c.kind in kinds)
        and (c.valid_from is None or c.valid_from <= day)
        and c.expires_on >= day
        for c in certs
    )


def measure(code: str, facts: Facts, start: dt.date, end: dt.date, today: dt.date) -> Measured:
    """One measure over the period ``start``–``end`` (see docs/providers.md for each)."""
    inside = lambda day: start <= day <= end  # noqa: E731
    if code == CERTIFIED_TRAINER:
        certs: dict[int, list[CertificateFact]] = defaultdict(list)
        for c in facts.certificates:
            certs[c.trainer_id].append(c)
        visits = [v for v in facts.visits if v.attended and inside(v.day)]
        ok = [
            v
            for v in visits
            if v.trainer_id is not None
            and _certified(certs[v.trainer_id], facts.required_kinds, v.day)
        ]
        return Measured(len(ok), len(visits), len({v.placement_id for v in visits}))
    if code == SITES_ACCESSIBLE:
        sites = [s for s in facts.sites if s.active]
        ok = [s for s in sites if s.accessibility_described]
        return Measured(len(ok), len(sites), 0)
    if code == ANSWERED_IN_TIME:
        placed = [p for p in facts.placements if inside(p.placed_on)]
        ok = [p for p in placed if p.answered_on is not None and p.answered_on <= p.answer_by]
        # A placement still within its answer time is not yet measurable.
        placed = [p for p in placed if p.answered_on is not None or p.answer_by < today]
        return Measured(len(ok), len(placed), len(placed))
    if code == PLAN_WITHIN_14_DAYS:
        due = [
            p
            for p in facts.placements
            if p.accepted and inside(p.starts_on) and p.starts_on + dt.timedelta(PLAN_DAYS) < today
        ]
        limit = dt.timedelta(days=PLAN_DAYS)
        ok = [p for p in due if p.first_goal_on and p.first_goal_on <= p.starts_on + limit]
        return Measured(len(ok), len(due), len(due))
    if code == ATTENDANCE_75:
        ended = [
            p for p in facts.placements if p.accepted and inside(p.ends_on) and p.ends_on < today
        ]
        attended: dict[int, int] = defaultdict(int)
        for v in facts.visits:
            if v.attended:
                attended[v.placement_id] += 1
        ok = [
            p
            for p in ended
            if attended[p.id]
            >= ATTENDED_SHARE * planned_sessions(p.starts_on, p.ends_on, facts.sessions_per_week)
        ]
        return Measured(len(ok), len(ended), len(ended))
    if code == ACTIVE_6_MONTHS:
        courses = {p.episode_id for p in facts.placements if p.accepted}
        answers = [
            f
            for f in facts.follow_ups
            if f.months == ACTIVE_MONTHS and f.episode_id in courses and inside(f.answered_on)
        ]
        ok = [f for f in answers if f.still_active]
        return Measured(len(ok), len(answers), len(answers))
    raise ValueError(code)


@dataclass(frozen=True)
class Judged:
    value: Decimal | None  # None when not shown (no data, too few)
    numerator: int | None
    denominator: int | None
    target: Decimal
    result: str  # MET, NOT_MET, NO_DATA, TOO_FEW


def judge(code: str, measured: Measured, target: Decimal, *, outside: bool) -> Judged:
    """The measured share against the target (met when at least the target). ``outside``: the
    figures leave the municipality (the PDF for the contract meeting, the provider's view):
    a share built on 1–4 persons, or of which 1–4 are counted, is "too few to measure"."""
    if not measured.denominator:
        return Judged(None, 0, 0, target, NO_DATA)
    if outside and code in PERSON_MEASURES:
        small = is_small(measured.persons) or is_small(measured.denominator)
        if small or is_small(measured.numerator):
            return Judged(None, None, None, target, TOO_FEW)
    value = measured.value
    assert value is not None
    result = MET if value >= target else NOT_MET
    return Judged(value, measured.numerator, measured.denominator, target, result)


# --- claims -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Terms:
    model: str
    price: Decimal
    period_months: int
    cap_per_person: Decimal | None  # per person per period; None: no cap
    contract_start: dt.date


@dataclass(frozen=True)
class ClaimVisit:
    """A standing, attended visit on no claim line yet."""

    visit_id: int
    placement_id: int
    episode_id: int
    day: dt.date
    eligible: bool  # benefit group verified and valid on the day


@dataclass(frozen=True)
class Paid:
    """What other claims' lines (not rejected) already claim for a person (placement) or for the
    contract (``placement_id`` None: the fixed fee) in one period; adjustments included."""

    placement_id: int | None
    period: int
    amount: Decimal


@dataclass(frozen=True)
class LineOut:
    kind: str
    placement_id: int | None
    episode_id: int | None
    visit_id: int | None
    day: dt.date | None
    quantity: int
    unit_price: Decimal
    amount: Decimal
    note: str = ""  # code: "late" for a visit of an earlier month, "capped"


@dataclass(frozen=True)
class Skipped:
    visit_id: int
    reason: str  # "not_eligible", "cap_reached", "already_claimed"


def claim_lines(
    terms: Terms,
    month: dt.date,
    visits: Iterable[ClaimVisit],
    paid: Iterable[Paid],
) -> tuple[list[LineOut], list[Skipped]]:
    """The lines of the claim for ``month`` (its first day): visits of the month, and those of
    earlier months that no claim carries yet as adjustment lines ("late"). Per session: a line
    per visit at the price; per participant: one line per person per period, with the first
    visit; fixed fee: one line per period. Each is cut to what is left of the cap per person
    per period; a person with nothing left is skipped, as is a visit of a person whose benefit
    is not verified on the day."""
    month_end = add_months(month, 1) - dt.timedelta(days=1)
    left: dict[tuple[int | None, int], Decimal] = defaultdict(lambda: ZERO)
    for p in paid:
        left[(p.placement_id, p.period)] += p.amount
    lines: list[LineOut] = []
    skipped: list[Skipped] = []

    def room(key: tuple[int | None, int], amount: Decimal) -> Decimal:
        if terms.cap_per_person is None or key[0] is None:
            return amount
        return max(ZERO, min(amount, terms.cap_per_person - left[key]))

    if terms.model == FIXED_FEE:
        for index, (first, _last) in enumerate(
            periods(terms.contract_start, None, terms.period_months, month_end)
        ):
            if left[(None, index)] > ZERO or first > month_end:
                continue
            kind = LINE_FIXED if first >= month else LINE_ADJUSTMENT
            price = money(terms.price)
            lines.append(LineOut(kind, None, None, None, first, 1, price, price))
            left[(None, index)] += price
        return lines, skipped

    for v in sorted(visits, key=lambda v: (v.day, v.visit_id)):
        if v.day > month_end or v.day < terms.contract_start:
            continue
        if not v.eligible:
            skipped.append(Skipped(v.visit_id, "not_eligible"))
            continue
        key = (v.placement_id, period_index(terms.contract_start, terms.period_months, v.day))
        if terms.model == PER_PARTICIPANT and left[key] > ZERO:
            skipped.append(Skipped(v.visit_id, "already_claimed"))
            continue
        price = money(terms.price)
        amount = room(key, price)
        if amount <= ZERO:
            skipped.append(Skipped(v.visit_id, "cap_reached"))
            continue
        late = v.day < month
        kind = (
            LINE_ADJUSTMENT
            if late
            else (LINE_SESSION if terms.model == PER_SESSION else LINE_PARTICIPANT)
        )
        note = "late" if late else ("capped" if amount < price else "")
        lines.append(
            LineOut(kind, v.placement_id, v.episode_id, v.visit_id, v.day, 1, price, amount, note)
        )
        left[key] += amount
    return lines, skipped


def total(amounts: Iterable[Decimal]) -> Decimal:
    return money(sum(amounts, ZERO))

"""The cost formulas, on plain data: no Django, no ORM.

:mod:`kobling.pay.costs` loads the rows (sessions as :class:`Entry`, approved lines as
:class:`PaidLine`, sums of expenses, course runs and pay settings) and returns what these
functions compute. Every figure carries its *basis*: **approved** parts come from approved
timesheets and approved expenses (the rate used is the one frozen on the sheet); **estimated**
parts come from what is logged but not yet approved. The status codes below are the values of
``kobling.pay.choices``; ``tests/pay/test_cost_calc.py`` checks that they still are. See
docs/pay.md for the rules, including how course costs are shared out."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from kobling.lib.money import ZERO, money

APPROVED = "approved"  # ExpenseStatus.APPROVED, TimesheetStatus.APPROVED
OPEN = "open"  # ExpenseStatus.OPEN, TimesheetStatus.OPEN


@dataclass(frozen=True)
class Cost:
    """A cost split by kind and basis (NOK, 2 decimals)."""

    pay_approved: Decimal = ZERO
    pay_estimated: Decimal = ZERO
    expenses_approved: Decimal = ZERO
    expenses_estimated: Decimal = ZERO
    courses: Decimal = ZERO
    coordination: Decimal = ZERO
    # Approved reimbursement claims of activity providers (gyms) for the course's visits.
    providers: Decimal = ZERO

    @property
    def pay(self) -> Decimal:
        return self.pay_approved + self.pay_estimated

    @property
    def expenses(self) -> Decimal:
        return self.expenses_approved + self.expenses_estimated

    @property
    def estimated(self) -> Decimal:
        return self.pay_estimated + self.expenses_estimated

    @property
    def total(self) -> Decimal:
        return self.pay + self.expenses + self.courses + self.coordination + self.providers

    @property
    def basis(self) -> str:
        """ "approved" when nothing in it is an estimate, "estimated" when nothing is approved
        (courses and coordination are recorded costs, not estimates), else "mixed"."""
        has_estimate = bool(self.pay_estimated or self.expenses_estimated)
        has_approved = bool(self.pay_approved or self.expenses_approved or self.providers)
        if not has_estimate:
            return "approved"
        return "mixed" if has_approved else "estimated"

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            pay_approved=self.pay_approved + other.pay_approved,
            pay_estimated=self.pay_estimated + other.pay_estimated,
            expenses_approved=self.expenses_approved + other.expenses_approved,
            expenses_estimated=self.expenses_estimated + other.expenses_estimated,
            courses=self.courses + other.courses,
            coordination=self.coordination + other.coordination,
            providers=self.providers + other.providers,
        )

    def as_dict(self) -> dict[str, str]:
        return {
            "pay_approved": str(self.pay_approved),
            "pay_estimated": str(self.pay_estimated),
            "expenses_approved": str(self.expenses_approved),
            "expenses_estimated": str(self.expenses_estimated),
            "courses": str(self.courses),
            "coordination": str(self.coordination),
            "providers": str(self.providers),
            "total": str(self.total),
            "basis": self.basis,
        }


# --- pay per pairing ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One session entry (a correction is an entry that supersedes another)."""

    id: int
    supersedes_id: int | None
    pairing_id: int
    helper_id: int
    programme_id: int
    minutes: int
    held: bool  # held and not a withdrawal


@dataclass(frozen=True)
class PaidLine:
    """What an approved timesheet paid for one entry of a chain, at that sheet's rate."""

    origin_id: int
    minutes: int
    extra_minutes: int
    rate: Decimal


def chain_pay(
    entries: Iterable[Entry],
    paid: Iterable[PaidLine],
    *,
    rates: Mapping[int, Decimal],
    extra_minutes: Mapping[int, int],
) -> dict[int, tuple[Decimal, Decimal]]:
    """Pay per pairing as ``(approved, estimated)``.

    Approved: every line of an approved timesheet for the pairing's sessions, minutes plus
    preparation/travel minutes at that sheet's rate. Estimated: for each session (a chain of
    entries), what its standing entry should be paid minus what approved sheets paid, at the
    helper's current rate (``rates``: helper → NOK/h), with the programme's current extra
    minutes (``extra_minutes``: programme → minutes) for sessions not paid before."""
    entries = list(entries)
    by_id = {e.id: e for e in entries}
    successor = {e.supersedes_id: e.id for e in entries if e.supersedes_id is not None}

    def origin_of(entry: Entry) -> int:
        node, seen = entry, set()
        while (
            node.supersedes_id is not None and node.supersedes_id in by_id and node.id not in seen
        ):
            seen.add(node.id)
            node = by_id[node.supersedes_id]
        return node.supersedes_id if node.supersedes_id is not None else node.id

    paid_by_origin: dict[int, list[PaidLine]] = defaultdict(list)
    for line in paid:
        paid_by_origin[line.origin_id].append(line)

    approved: dict[int, Decimal] = defaultdict(Decimal)
    estimated: dict[int, Decimal] = defaultdict(Decimal)
    for entry in entries:
        if entry.id in successor:
            continue  # not the standing entry of its chain
        origin = origin_of(entry)
        lines = paid_by_origin.get(origin, [])
        paid_m = sum(line.minutes for line in lines)
        paid_e = sum(line.extra_minutes for line in lines)
        for line in lines:
            approved[entry.pairing_id] += (
                Decimal(line.minutes + line.extra_minutes) * line.rate / Decimal(60)
            )
        want_m, want_e = 0, 0
        if entry.held:
            want_m = entry.minutes
            want_e = paid_e if paid_m > 0 else extra_minutes.get(entry.programme_id, 0)
        open_minutes = (want_m - paid_m) + (want_e - paid_e)
        if open_minutes:
            estimated[entry.pairing_id] += (
                Decimal(open_minutes) * rates.get(entry.helper_id, ZERO) / Decimal(60)
            )
    keys = set(approved) | set(estimated)
    return {k: (money(approved[k]), money(estimated[k])) for k in keys}


# --- course and coordination shares -------------------------------------------------------------


def course_share(course_cost: Decimal, pairings: int) -> Decimal:
    """A helper's qualifying course cost shared equally over every pairing they have had."""
    if pairings <= 0:
        return ZERO
    return money(course_cost / Decimal(pairings))


def coordination_share(per_year: Decimal, start: dt.date, end: dt.date) -> Decimal:
    """The yearly coordination cost for the days from ``start`` to ``end`` (inclusive)."""
    days = (end - start).days + 1
    if days <= 0 or not per_year:
        return ZERO
    return money(per_year * Decimal(days) / Decimal(365))


@dataclass(frozen=True)
class Completion:
    """A helper's completed enrolment on a qualifying course run that was not cancelled."""

    helper_id: int
    run_id: int
    run_cost: Decimal


def helper_course_costs(
    completions: Iterable[Completion], trainees: Mapping[int, int]
) -> dict[int, Decimal]:
    """Each helper's qualifying course cost: for every run they completed, the run's cost to
    the municipality divided by its trainees (``trainees``: run → enrolments but the
    withdrawn; a run without any counts as one)."""
    costs: dict[int, Decimal] = defaultdict(Decimal)
    for c in completions:
        count = trainees.get(c.run_id) or 1
        costs[c.helper_id] += Decimal(c.run_cost) / Decimal(count)
    return {h: money(c) for h, c in costs.items()}


# --- cost per pairing, participant, course ------------------------------------------------------


@dataclass(frozen=True)
class PairingRef:
    id: int
    helper_id: int


@dataclass(frozen=True)
class ExpenseSum:
    """The expenses of one owner (a pairing, or a helper) with one status, summed."""

    owner_id: int
    status: str
    total: Decimal


def pairing_costs(
    pairings: Iterable[PairingRef],
    *,
    pay: Mapping[int, tuple[Decimal, Decimal]],
    expenses: Iterable[ExpenseSum],
    course_costs: Mapping[int, Decimal],
    pairings_had: Mapping[int, int],
) -> dict[int, Cost]:
    """Cost per pairing: its pay (``pay`` from :func:`chain_pay`), its expenses (approved, and
    awaiting approval as estimated) and its share of the helper's course cost (``course_costs``
    per helper, shared over ``pairings_had``, every pairing the helper has had)."""
    by_status = {(e.owner_id, e.status): e.total for e in expenses}
    result: dict[int, Cost] = {}
    for p in pairings:
        approved, estimated = pay.get(p.id, (ZERO, ZERO))
        result[p.id] = Cost(
            pay_approved=approved,
            pay_estimated=estimated,
            expenses_approved=money(by_status.get((p.id, APPROVED), ZERO)),
            expenses_estimated=money(by_status.get((p.id, OPEN), ZERO)),
            courses=course_share(
                course_costs.get(p.helper_id, ZERO), pairings_had.get(p.helper_id, 0)
            ),
        )
    return result


def with_providers(costs: Mapping[int, Cost], claimed: Mapping[int, Decimal]) -> dict[int, Cost]:
    """``costs`` per course or participant with their approved provider claims added."""
    result = dict(costs)
    for owner, amount in claimed.items():
        if owner in result:
            result[owner] = result[owner] + Cost(providers=money(amount))
    return result


def costs_by(
    costs: Mapping[int, Cost], owner_of: Mapping[int, int], owners: Iterable[int]
) -> dict[int, Cost]:
    """Per-pairing costs summed per owner (a participant, a course): every one of ``owners``
    appears, with a zero cost when none of its pairings has one."""
    result: dict[int, Cost] = {owner: Cost() for owner in owners}
    for pairing_id, cost in costs.items():
        owner = owner_of.get(pairing_id)
        if owner in result:
            result[owner] = result[owner] + cost
    return result


# --- totals of a period -------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetRow:
    id: int
    helper_id: int
    month: dt.date
    status: str
    pay_amount: Decimal | None  # frozen on approval


@dataclass(frozen=True)
class OpenMonth:
    """A helper-month whose pay is an estimate: logged sessions or an open sheet, not approved."""

    helper_id: int
    month: dt.date
    sheet_id: int | None


def open_months(
    sheets: Iterable[SheetRow], logged: Iterable[tuple[int, dt.date]]
) -> list[OpenMonth]:
    """The helper-months with held sessions (``logged``: helper, first of month) or an open
    sheet, less those with an approved sheet, in helper and month order."""
    sheets = list(sheets)
    approved = {(s.helper_id, s.month) for s in sheets if s.status == APPROVED}
    open_sheet = {(s.helper_id, s.month): s.id for s in sheets if s.status != APPROVED}
    return [
        OpenMonth(h, m, open_sheet.get((h, m)))
        for h, m in sorted(set(logged) | set(open_sheet))
        if (h, m) not in approved
    ]


@dataclass(frozen=True)
class PeriodCost:
    municipality_id: int
    programme_id: int
    cost: Cost


@dataclass(frozen=True)
class Recorded:
    """A recorded cost of a municipality and programme: the course runs' cost to the
    municipality summed, or the yearly coordination cost."""

    municipality_id: int
    programme_id: int
    amount: Decimal


def period_totals(
    *,
    start: dt.date,
    end: dt.date,
    helper_keys: Mapping[int, tuple[int, int]],
    sheets: Iterable[SheetRow],
    estimated: Iterable[tuple[int, Decimal]],
    expenses: Iterable[ExpenseSum],
    courses: Iterable[Recorded],
    coordination_per_year: Iterable[Recorded],
    providers: Iterable[Recorded] = (),
) -> list[PeriodCost]:
    """Totals per municipality and programme for the days from ``start`` to ``end`` (whole
    months, first to last day). ``helper_keys``: helper → (municipality, programme). Pay: an
    approved sheet's frozen pay (``sheets``), else the estimate of the month (``estimated``:
    helper, amount, one per open month). Expenses (per helper and status, by their date):
    approved, else estimated. Courses (the runs starting in the period) as recorded;
    coordination: the yearly cost for the days of the period; providers: the approved lines of
    approved reimbursement claims of the months in the period. A kind appears in a total only
    when something of it was there (a zero included)."""
    parts: dict[tuple[int, int], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for sheet in sheets:
        if sheet.status == APPROVED:
            parts[helper_keys[sheet.helper_id]]["pay_approved"] += sheet.pay_amount or ZERO
    for helper_id, amount in estimated:
        parts[helper_keys[helper_id]]["pay_estimated"] += amount
    for e in expenses:
        name = "expenses_approved" if e.status == APPROVED else "expenses_estimated"
        parts[helper_keys[e.owner_id]][name] += e.total
    for c in courses:
        parts[(c.municipality_id, c.programme_id)]["courses"] += c.amount
    for r in providers:
        parts[(r.municipality_id, r.programme_id)]["providers"] += r.amount
    for s in coordination_per_year:
        share = coordination_share(s.amount, start, end)
        if share:
            parts[(s.municipality_id, s.programme_id)]["coordination"] += share
    return [
        PeriodCost(
            municipality_id=m,
            programme_id=p,
            cost=Cost(**{name: money(value) for name, value in values.items()}),
        )
        for (m, p), values in sorted(parts.items())
    ]

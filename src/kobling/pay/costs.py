"""What the scheme costs, for the evaluation dashboards: per pairing, per participant, and per
municipality/programme/period split into helper pay, expenses, courses and coordination.

Read-only. The formulas are pure functions on plain data (:func:`chain_pay`,
:func:`course_share`, :func:`coordination_share`); the selectors below load that data. Every
figure carries its *basis*: **approved** parts come from approved timesheets and approved
expenses (the rate used is the one frozen on the sheet); **estimated** parts come from what is
logged but not yet approved (at the helper's current rate, with the programme's current
preparation/travel minutes). See docs/pay.md for the rules, including how course costs are
shared out."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum

from kobling.courses.choices import EnrolmentStatus, RunStatus
from kobling.courses.models import CourseRun, Enrolment
from kobling.followup.choices import SessionStatus
from kobling.followup.models import Pairing, Session
from kobling.helpers.models import Helper
from kobling.pay import ledger
from kobling.pay.choices import ExpenseStatus, LineKind, TimesheetStatus
from kobling.pay.ledger import money
from kobling.pay.models import Expense, PaySettings, Timesheet, TimesheetLine
from kobling.pay.months import last_day, month_of

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Cost:
    """A cost split by kind and basis (NOK, 2 decimals)."""

    pay_approved: Decimal = ZERO
    pay_estimated: Decimal = ZERO
    expenses_approved: Decimal = ZERO
    expenses_estimated: Decimal = ZERO
    courses: Decimal = ZERO
    coordination: Decimal = ZERO

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
        return self.pay + self.expenses + self.courses + self.coordination

    @property
    def basis(self) -> str:
        """ "approved" when nothing in it is an estimate, "estimated" when nothing is approved
        (courses and coordination are recorded costs, not estimates), else "mixed"."""
        has_estimate = bool(self.pay_estimated or self.expenses_estimated)
        has_approved = bool(self.pay_approved or self.expenses_approved)
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
        )

    def as_dict(self) -> dict[str, str]:
        return {
            "pay_approved": str(self.pay_approved),
            "pay_estimated": str(self.pay_estimated),
            "expenses_approved": str(self.expenses_approved),
            "expenses_estimated": str(self.expenses_estimated),
            "courses": str(self.courses),
            "coordination": str(self.coordination),
            "total": str(self.total),
            "basis": self.basis,
        }


# --- pure formulas ---------------------------------------------------------------------------


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
    rates: dict[int, Decimal],
    extra_minutes: dict[int, int],
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


# --- loading ----------------------------------------------------------------------------------


def helper_course_costs(helper_ids: Iterable[int]) -> dict[int, Decimal]:
    """Each helper's qualifying course cost: for every qualifying course run they completed
    (not cancelled), the run's cost to the municipality divided by the trainees on it (all
    enrolments but the withdrawn)."""
    ids = set(helper_ids)
    if not ids:
        return {}
    enrolments = list(
        Enrolment.objects.filter(
            helper_id__in=ids,
            status=EnrolmentStatus.COMPLETED,
            run__template__qualifies=True,
        )
        .exclude(run__status=RunStatus.CANCELLED)
        .values("helper_id", "run_id", "run__cost_to_municipality")
    )
    trainees = dict(
        CourseRun.objects.filter(pk__in={e["run_id"] for e in enrolments})
        .annotate(n=Count("enrolments", filter=~Q(enrolments__status=EnrolmentStatus.WITHDRAWN)))
        .values_list("pk", "n")
    )
    costs: dict[int, Decimal] = defaultdict(Decimal)
    for e in enrolments:
        count = trainees.get(e["run_id"]) or 1
        costs[e["helper_id"]] += Decimal(e["run__cost_to_municipality"]) / Decimal(count)
    return {h: money(c) for h, c in costs.items()}


def _entries(pairing_ids: set[int]) -> list[Entry]:
    return [
        Entry(
            id=row["pk"],
            supersedes_id=row["supersedes_id"],
            pairing_id=row["pairing_id"],
            helper_id=row["helper_id"],
            programme_id=row["pairing__programme_id"],
            minutes=row["minutes"],
            held=row["status"] == SessionStatus.HELD and not row["is_void"],
        )
        for row in Session.objects.filter(pairing_id__in=pairing_ids).values(
            "pk",
            "supersedes_id",
            "pairing_id",
            "helper_id",
            "pairing__programme_id",
            "minutes",
            "status",
            "is_void",
        )
    ]


def _approved_lines(pairing_ids: set[int]) -> list[PaidLine]:
    return [
        PaidLine(
            origin_id=row["origin_id"],
            minutes=row["minutes"],
            extra_minutes=row["extra_minutes"],
            rate=row["timesheet__hourly_rate"],
        )
        for row in TimesheetLine.objects.filter(
            session__pairing_id__in=pairing_ids,
            kind__in=[LineKind.SESSION, LineKind.ADJUSTMENT],
            timesheet__status=TimesheetStatus.APPROVED,
            origin__isnull=False,
        ).values("origin_id", "minutes", "extra_minutes", "timesheet__hourly_rate")
    ]


def pairing_costs(pairing_ids: Iterable[int]) -> dict[int, Cost]:
    """Cost per pairing: pay for its held sessions (with preparation/travel minutes), the
    expenses linked to it, and its share of the helper's course cost."""
    ids = set(pairing_ids)
    if not ids:
        return {}
    pairings = list(Pairing.objects.filter(pk__in=ids).values("pk", "helper_id", "programme_id"))
    helper_ids = {p["helper_id"] for p in pairings}
    rates = dict(Helper.objects.filter(pk__in=helper_ids).values_list("pk", "hourly_rate"))
    extras = ledger.extra_minutes_by_programme(p["programme_id"] for p in pairings)
    pay = chain_pay(_entries(ids), _approved_lines(ids), rates=rates, extra_minutes=extras)

    expenses: dict[tuple[int, str], Decimal] = {
        (row["pairing_id"], row["status"]): row["total"]
        for row in Expense.objects.filter(pairing_id__in=ids)
        .values("pairing_id", "status")
        .annotate(total=Sum("amount"))
        .order_by()
    }
    course_costs = helper_course_costs(helper_ids)
    pairings_had = dict(
        Pairing.objects.filter(helper_id__in=helper_ids)
        .values("helper_id")
        .annotate(n=Count("pk"))
        .values_list("helper_id", "n")
        .order_by()
    )
    result: dict[int, Cost] = {}
    for p in pairings:
        approved, estimated = pay.get(p["pk"], (ZERO, ZERO))
        result[p["pk"]] = Cost(
            pay_approved=approved,
            pay_estimated=estimated,
            expenses_approved=money(expenses.get((p["pk"], ExpenseStatus.APPROVED), ZERO)),
            expenses_estimated=money(expenses.get((p["pk"], ExpenseStatus.OPEN), ZERO)),
            courses=course_share(
                course_costs.get(p["helper_id"], ZERO), pairings_had.get(p["helper_id"], 0)
            ),
        )
    return result


def participant_costs(participant_ids: Iterable[int]) -> dict[int, Cost]:
    """Cost per participant: the sum over all their pairings."""
    ids = set(participant_ids)
    owners = dict(
        Pairing.objects.filter(participant_id__in=ids).values_list("pk", "participant_id")
    )
    result: dict[int, Cost] = {pid: Cost() for pid in ids}
    for pairing_id, cost in pairing_costs(owners).items():
        result[owners[pairing_id]] = result[owners[pairing_id]] + cost
    return result


@dataclass(frozen=True)
class PeriodCost:
    municipality_id: int
    programme_id: int
    cost: Cost


def period_costs(
    *,
    municipality_ids: Iterable[int],
    start: dt.date,
    end: dt.date,
    programme_id: int | None = None,
) -> list[PeriodCost]:
    """Totals per municipality and programme for the months from ``start`` to ``end``
    (inclusive, whole months). Helper pay is counted by timesheet month: an approved sheet's
    frozen pay (which includes the adjustments it carried), else the estimate of the month as
    logged. Expenses are counted by their date. Courses: the cost to the municipality of the
    course runs starting in the period (cancelled runs excluded). Coordination: the programme's
    yearly coordination cost for the days of the period."""
    m_ids = set(municipality_ids)
    first, last_month = month_of(start), month_of(end)
    period_end = last_day(last_month)
    key_of: dict[int, tuple[int, int]] = {}  # helper → (municipality, programme)
    helpers_q = Helper.objects.filter(municipality_id__in=m_ids)
    if programme_id is not None:
        helpers_q = helpers_q.filter(programme_id=programme_id)
    helpers = {
        h.pk: h for h in helpers_q.only("pk", "municipality_id", "programme_id", "hourly_rate")
    }
    for h in helpers.values():
        key_of[h.pk] = (h.municipality_id, h.programme_id)
    parts: dict[tuple[int, int], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))

    # Pay: approved sheets as frozen; the other helper-months as estimated.
    approved_months: set[tuple[int, dt.date]] = set()
    open_sheet: dict[tuple[int, dt.date], int] = {}
    for sheet in Timesheet.objects.filter(
        helper_id__in=helpers, month__gte=first, month__lte=last_month
    ).values("pk", "helper_id", "month", "status", "pay_amount"):
        if sheet["status"] == TimesheetStatus.APPROVED:
            approved_months.add((sheet["helper_id"], sheet["month"]))
            parts[key_of[sheet["helper_id"]]]["pay_approved"] += sheet["pay_amount"] or ZERO
        else:
            open_sheet[(sheet["helper_id"], sheet["month"])] = sheet["pk"]
    logged = {
        (h, month_of(d))
        for h, d in Session.objects.held()
        .filter(helper_id__in=helpers, date__gte=first, date__lte=period_end)
        .values_list("helper_id", "date")
    }
    keys = [
        ledger.Key(h, m, open_sheet.get((h, m)))
        for h, m in sorted(logged | set(open_sheet))
        if (h, m) not in approved_months
    ]
    for key, view in ledger.compute_open(keys, helpers, names=False).items():
        parts[key_of[key.helper_id]]["pay_estimated"] += view.figures.pay_amount

    # Expenses by date.
    for row in (
        Expense.objects.filter(helper_id__in=helpers, date__gte=first, date__lte=period_end)
        .values("helper_id", "status")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        name = (
            "expenses_approved" if row["status"] == ExpenseStatus.APPROVED else "expenses_estimated"
        )
        parts[key_of[row["helper_id"]]][name] += row["total"]

    # Courses started in the period.
    runs = CourseRun.objects.filter(
        municipality_id__in=m_ids, starts_on__gte=first, starts_on__lte=period_end
    ).exclude(status=RunStatus.CANCELLED)
    if programme_id is not None:
        runs = runs.filter(programme_id=programme_id)
    for row in (
        runs.values("municipality_id", "programme_id")
        .annotate(total=Sum("cost_to_municipality"))
        .order_by()
    ):
        parts[(row["municipality_id"], row["programme_id"])]["courses"] += row["total"]

    # Coordination for the days of the period.
    settings_q = PaySettings.objects.filter(municipality_id__in=m_ids)
    if programme_id is not None:
        settings_q = settings_q.filter(programme_id=programme_id)
    for s in settings_q.values("municipality_id", "programme_id", "coordination_cost_per_year"):
        share = coordination_share(s["coordination_cost_per_year"], first, period_end)
        if share:
            parts[(s["municipality_id"], s["programme_id"])]["coordination"] += share

    return [
        PeriodCost(
            municipality_id=m,
            programme_id=p,
            cost=Cost(**{name: money(value) for name, value in values.items()}),
        )
        for (m, p), values in sorted(parts.items())
    ]


__all__ = [
    "Cost",
    "Entry",
    "PaidLine",
    "PeriodCost",
    "chain_pay",
    "coordination_share",
    "course_share",
    "helper_course_costs",
    "pairing_costs",
    "participant_costs",
    "period_costs",
]

"""What the scheme costs, for the evaluation dashboards: per pairing, per participant, per
course, and per municipality/programme/period split into helper pay, expenses, courses and
coordination.

Read-only. This module loads rows into plain data; the formulas are pure functions in
:mod:`kobling.pay.cost_calc` (no Django), which also says what is *approved* and what is
*estimated*. Unapproved pay of a period is priced by the pay ledger
(:func:`kobling.pay.ledger.compute_open`), as on the timesheets. See docs/pay.md for the rules,
including how course costs are shared out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Count, Q, Sum

from kobling.courses.choices import EnrolmentStatus, RunStatus
from kobling.courses.models import CourseRun, Enrolment
from kobling.followup.choices import SessionStatus
from kobling.followup.models import Pairing, Session
from kobling.helpers.models import Helper
from kobling.pay import cost_calc, ledger
from kobling.pay.choices import LineKind, TimesheetStatus
from kobling.pay.cost_calc import (
    Cost,
    Entry,
    ExpenseSum,
    PaidLine,
    PeriodCost,
    Recorded,
    SheetRow,
    chain_pay,
    coordination_share,
    course_share,
)
from kobling.pay.models import Expense, PaySettings, Timesheet, TimesheetLine
from kobling.pay.months import last_day, month_of
from kobling.providers.contract_selectors import approved_claim_amounts, approved_claims_by_month
from kobling.referrals.models import Episode

# --- loading ----------------------------------------------------------------------------------


def helper_course_costs(helper_ids: Iterable[int]) -> dict[int, Decimal]:
    """Each helper's qualifying course cost (:func:`kobling.pay.cost_calc.helper_course_costs`)
    from their completed enrolments on qualifying runs that were not cancelled."""
    ids = set(helper_ids)
    if not ids:
        return {}
    completions = [
        cost_calc.Completion(e["helper_id"], e["run_id"], e["run__cost_to_municipality"])
        for e in Enrolment.objects.filter(
            helper_id__in=ids,
            status=EnrolmentStatus.COMPLETED,
            run__template__qualifies=True,
        )
        .exclude(run__status=RunStatus.CANCELLED)
        .values("helper_id", "run_id", "run__cost_to_municipality")
    ]
    trainees = dict(
        CourseRun.objects.filter(pk__in={c.run_id for c in completions})
        .annotate(n=Count("enrolments", filter=~Q(enrolments__status=EnrolmentStatus.WITHDRAWN)))
        .values_list("pk", "n")
    )
    return cost_calc.helper_course_costs(completions, trainees)


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
    expenses = [
        ExpenseSum(row["pairing_id"], row["status"], row["total"])
        for row in Expense.objects.filter(pairing_id__in=ids)
        .values("pairing_id", "status")
        .annotate(total=Sum("amount"))
        .order_by()
    ]
    pairings_had = dict(
        Pairing.objects.filter(helper_id__in=helper_ids)
        .values("helper_id")
        .annotate(n=Count("pk"))
        .values_list("helper_id", "n")
        .order_by()
    )
    return cost_calc.pairing_costs(
        [cost_calc.PairingRef(p["pk"], p["helper_id"]) for p in pairings],
        pay=chain_pay(_entries(ids), _approved_lines(ids), rates=rates, extra_minutes=extras),
        expenses=expenses,
        course_costs=helper_course_costs(helper_ids),
        pairings_had=pairings_had,
    )


def participant_costs(participant_ids: Iterable[int]) -> dict[int, Cost]:
    """Cost per participant: the sum over all their pairings."""
    ids = set(participant_ids)
    owners = dict(
        Pairing.objects.filter(participant_id__in=ids).values_list("pk", "participant_id")
    )
    result = cost_calc.costs_by(pairing_costs(owners), owners, ids)
    # A course at a provider (gym) costs what its approved claims paid.
    episodes = dict(
        Episode.objects.filter(participant_id__in=ids).values_list("pk", "participant_id")
    )
    claimed: dict[int, Decimal] = {}
    for episode_id, amount in approved_claim_amounts(set(episodes)).items():
        person = episodes[episode_id]
        claimed[person] = claimed.get(person, Decimal(0)) + amount
    return cost_calc.with_providers(result, claimed)


def course_costs(episode_ids: Iterable[int]) -> dict[int, Cost]:
    """Cost per participant's course (``referrals.Episode``): the sum over its pairings (a
    re-match adds one to the same course)."""
    ids = set(episode_ids)
    owners = dict(Pairing.objects.filter(episode_id__in=ids).values_list("pk", "episode_id"))
    result = cost_calc.costs_by(pairing_costs(owners), owners, ids)
    # A course at a provider (gym) costs what its approved claims paid.
    return cost_calc.with_providers(result, approved_claim_amounts(ids))


def period_costs(
    *,
    municipality_ids: Iterable[int],
    start: dt.date,
    end: dt.date,
    programme_id: int | None = None,
) -> list[PeriodCost]:
    """Totals per municipality and programme for the months from ``start`` to ``end``
    (inclusive, whole months; :func:`kobling.pay.cost_calc.period_totals`). Helper pay is
    counted by timesheet month: an approved sheet's frozen pay (which includes the adjustments
    it carried), else the estimate of the month as logged (priced by the pay ledger). Expenses
    are counted by their date. Courses: the cost to the municipality of the course runs
    starting in the period (cancelled runs excluded). Coordination: the programme's yearly
    coordination cost for the days of the period."""
    m_ids = set(municipality_ids)
    first, last_month = month_of(start), month_of(end)
    period_end = last_day(last_month)
    helpers_q = Helper.objects.filter(municipality_id__in=m_ids)
    if programme_id is not None:
        helpers_q = helpers_q.filter(programme_id=programme_id)
    helpers = {
        h.pk: h for h in helpers_q.only("pk", "municipality_id", "programme_id", "hourly_rate")
    }
    sheets = [
        SheetRow(row["pk"], row["helper_id"], row["month"], row["status"], row["pay_amount"])
        for row in Timesheet.objects.filter(
            helper_id__in=helpers, month__gte=first, month__lte=last_month
        ).values("pk", "helper_id", "month", "status", "pay_amount")
    ]
    logged = {
        (h, month_of(d))
        for h, d in Session.objects.held()
        .filter(helper_id__in=helpers, date__gte=first, date__lte=period_end)
        .values_list("helper_id", "date")
    }
    # Group meetings the helpers led are paid on the same sheets.
    logged |= {(h, m) for h, m in ledger.meeting_months(helpers) if first <= m <= last_month}
    keys = [
        ledger.Key(o.helper_id, o.month, o.sheet_id) for o in cost_calc.open_months(sheets, logged)
    ]
    estimated = [
        (key.helper_id, view.figures.pay_amount)
        for key, view in ledger.compute_open(keys, helpers, names=False).items()
    ]
    expenses = [
        ExpenseSum(row["helper_id"], row["status"], row["total"])
        for row in Expense.objects.filter(
            helper_id__in=helpers, date__gte=first, date__lte=period_end
        )
        .values("helper_id", "status")
        .annotate(total=Sum("amount"))
        .order_by()
    ]
    runs = CourseRun.objects.filter(
        municipality_id__in=m_ids, starts_on__gte=first, starts_on__lte=period_end
    ).exclude(status=RunStatus.CANCELLED)
    settings_q = PaySettings.objects.filter(municipality_id__in=m_ids)
    if programme_id is not None:
        runs = runs.filter(programme_id=programme_id)
        settings_q = settings_q.filter(programme_id=programme_id)
    courses = [
        Recorded(row["municipality_id"], row["programme_id"], row["total"])
        for row in runs.values("municipality_id", "programme_id")
        .annotate(total=Sum("cost_to_municipality"))
        .order_by()
    ]
    coordination = [
        Recorded(*row)
        for row in settings_q.values_list(
            "municipality_id", "programme_id", "coordination_cost_per_year"
        )
    ]
    providers = [
        Recorded(m, p, amount)
        for m, p, amount in approved_claims_by_month(m_ids, first, last_month, programme_id)
    ]
    return cost_calc.period_totals(
        providers=providers,
        start=first,
        end=period_end,
        helper_keys={h.pk: (h.municipality_id, h.programme_id) for h in helpers.values()},
        sheets=sheets,
        estimated=estimated,
        expenses=expenses,
        courses=courses,
        coordination_per_year=coordination,
    )


__all__ = [
    "Cost",
    "Entry",
    "PaidLine",
    "PeriodCost",
    "chain_pay",
    "coordination_share",
    "course_costs",
    "course_share",
    "helper_course_costs",
    "pairing_costs",
    "participant_costs",
    "period_costs",
]

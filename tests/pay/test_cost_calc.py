"""The cost formulas from hand-built plain rows: no database (kobling.pay.cost_calc)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from kobling.pay import cost_calc as c
from kobling.pay.choices import ExpenseStatus, TimesheetStatus

D = Decimal
JAN, FEB, DEC = dt.date(2025, 1, 1), dt.date(2025, 2, 1), dt.date(2024, 12, 1)


def test_the_codes_are_those_of_the_choices():
    assert c.APPROVED == ExpenseStatus.APPROVED == TimesheetStatus.APPROVED
    assert c.OPEN == ExpenseStatus.OPEN == TimesheetStatus.OPEN


def test_nothing_to_pay_gives_nothing():
    assert c.chain_pay([], [], rates={}, extra_minutes={}) == {}
    assert c.pairing_costs([], pay={}, expenses=[], course_costs={}, pairings_had={}) == {}
    assert c.helper_course_costs([], {}) == {}
    assert c.open_months([], []) == []
    assert (
        c.period_totals(
            start=JAN,
            end=dt.date(2025, 1, 31),
            helper_keys={},
            sheets=[],
            estimated=[],
            expenses=[],
            courses=[],
            coordination_per_year=[],
        )
        == []
    )


def test_a_session_withdrawn_after_approval_is_paid_back_as_a_negative_estimate():
    entries = [
        c.Entry(1, None, pairing_id=5, helper_id=2, programme_id=1, minutes=60, held=True),
        c.Entry(2, 1, pairing_id=5, helper_id=2, programme_id=1, minutes=60, held=False),
    ]
    paid = [c.PaidLine(origin_id=1, minutes=60, extra_minutes=0, rate=D("120"))]
    assert c.chain_pay(entries, paid, rates={2: D("180")}, extra_minutes={1: 30}) == {
        5: (D("120.00"), D("-180.00"))
    }


def test_an_unpaid_session_gets_the_programmes_extra_minutes_at_the_current_rate():
    entries = [c.Entry(1, None, pairing_id=5, helper_id=2, programme_id=1, minutes=45, held=True)]
    assert c.chain_pay(entries, [], rates={2: D("200")}, extra_minutes={1: 15}) == {
        5: (D("0.00"), D("200.00"))
    }


def test_a_course_run_is_shared_by_its_trainees_and_one_without_counts_as_one():
    completions = [
        c.Completion(helper_id=1, run_id=10, run_cost=D("9000")),
        c.Completion(helper_id=2, run_id=10, run_cost=D("9000")),
        c.Completion(helper_id=2, run_id=11, run_cost=D("1000")),
    ]
    assert c.helper_course_costs(completions, {10: 3, 11: 0}) == {1: D("3000.00"), 2: D("4000.00")}


def test_cost_per_pairing_adds_expenses_by_status_and_the_course_share():
    got = c.pairing_costs(
        [c.PairingRef(1, helper_id=7), c.PairingRef(2, helper_id=8)],
        pay={1: (D("100.00"), D("50.00"))},
        expenses=[
            c.ExpenseSum(1, "approved", D("10.004")),
            c.ExpenseSum(1, "open", D("5")),
            c.ExpenseSum(2, "open", D("1")),
        ],
        course_costs={7: D("1000"), 8: D("500")},
        pairings_had={7: 3},  # helper 8 has had none on record: no share
    )
    assert got[1] == c.Cost(
        pay_approved=D("100.00"),
        pay_estimated=D("50.00"),
        expenses_approved=D("10.00"),
        expenses_estimated=D("5.00"),
        courses=D("333.33"),
    )
    assert got[1].basis == "mixed"
    assert got[2] == c.Cost(expenses_estimated=D("1.00"))
    assert got[2].basis == "estimated"


def test_costs_by_owner_sum_their_pairings_and_keep_owners_without_any():
    per_pairing = {1: c.Cost(pay_approved=D("1")), 2: c.Cost(pay_approved=D("2")), 3: c.Cost()}
    got = c.costs_by(per_pairing, {1: 100, 2: 100, 3: 200}, [100, 300])
    assert got == {100: c.Cost(pay_approved=D("3")), 300: c.Cost()}


def test_open_months_leave_out_approved_months_and_keep_open_sheets_without_sessions():
    sheets = [
        c.SheetRow(1, helper_id=5, month=DEC, status="approved", pay_amount=D("10")),
        c.SheetRow(2, helper_id=5, month=FEB, status="open", pay_amount=None),
    ]
    logged = [(5, DEC), (5, JAN), (6, JAN)]
    assert c.open_months(sheets, logged) == [
        c.OpenMonth(5, JAN, None),
        c.OpenMonth(5, FEB, 2),
        c.OpenMonth(6, JAN, None),
    ]


def test_period_totals_split_by_kind_and_basis_per_municipality_and_programme():
    got = c.period_totals(
        start=JAN,
        end=dt.date(2025, 1, 31),
        helper_keys={5: (1, 10), 6: (1, 11)},
        sheets=[
            c.SheetRow(1, 5, JAN, "approved", D("100.00")),
            c.SheetRow(2, 6, JAN, "approved", None),  # approved before pay was frozen
            c.SheetRow(3, 6, FEB, "open", D("999")),  # open: priced by the estimate instead
        ],
        estimated=[(6, D("40.00"))],
        expenses=[c.ExpenseSum(5, "approved", D("7")), c.ExpenseSum(6, "open", D("3"))],
        courses=[c.Recorded(1, 10, D("0"))],
        coordination_per_year=[c.Recorded(1, 10, D("36500")), c.Recorded(1, 11, D("0"))],
    )
    assert got == [
        c.PeriodCost(
            1,
            10,
            c.Cost(
                pay_approved=D("100.00"),
                expenses_approved=D("7.00"),
                courses=D("0.00"),
                coordination=D("3100.00"),  # 31 days of 36 500 a year
            ),
        ),
        c.PeriodCost(
            1,
            11,
            c.Cost(pay_approved=D("0.00"), pay_estimated=D("40.00"), expenses_estimated=D("3.00")),
        ),
    ]


def test_coordination_is_shared_by_days_across_a_month_boundary_and_never_backwards():
    assert c.coordination_share(D("36500"), dt.date(2025, 1, 31), dt.date(2025, 2, 1)) == D(
        "200.00"
    )
    assert c.coordination_share(D("36500"), dt.date(2025, 2, 1), dt.date(2025, 1, 31)) == D("0.00")
    assert c.coordination_share(D("0"), JAN, dt.date(2025, 12, 31)) == D("0.00")

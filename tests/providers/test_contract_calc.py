"""The contract calculator on plain data (kobling.providers.contract_calc): measurement periods,
each measure, the judgement against the target with the small-cell rule outside the
municipality, and claim lines under the three price models with the cap."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kobling.providers import contract_calc as calc
from kobling.providers.choices import (
    ClaimLineKind,
    PriceModel,
    RequirementKind,
    RequirementMeasure,
    RequirementResult,
)

D = dt.date
TODAY = D(2026, 12, 4)


def test_the_codes_are_the_choices():
    assert set(calc.MEASURES) == set(RequirementMeasure.values)
    assert set(calc.MEASURES.values()) == set(RequirementKind.values)
    assert {calc.PER_PARTICIPANT, calc.PER_SESSION, calc.FIXED_FEE} == set(PriceModel.values)
    assert {calc.LINE_SESSION, calc.LINE_PARTICIPANT, calc.LINE_FIXED, calc.LINE_ADJUSTMENT} == set(
        ClaimLineKind.values
    )
    assert {calc.MET, calc.NOT_MET, calc.NO_DATA, calc.TOO_FEW} == set(RequirementResult.values)


def test_periods_run_from_the_contract_start_to_the_period_that_holds_today():
    assert calc.periods(D(2026, 1, 15), None, 3, D(2026, 7, 1)) == [
        (D(2026, 1, 15), D(2026, 4, 14)),
        (D(2026, 4, 15), D(2026, 7, 14)),
    ]
    assert calc.periods(D(2026, 1, 1), D(2026, 2, 10), 1, TODAY) == [
        (D(2026, 1, 1), D(2026, 1, 31)),
        (D(2026, 2, 1), D(2026, 2, 10)),
    ]
    assert calc.period_index(D(2026, 1, 15), 3, D(2026, 4, 14)) == 0
    assert calc.period_index(D(2026, 1, 15), 3, D(2026, 4, 15)) == 1
    assert calc.add_months(D(2026, 1, 31), 1) == D(2026, 2, 28)


def placement(i, *, start=D(2026, 1, 5), end=D(2026, 2, 1), goal=None, answered=None, **kw):
    return calc.PlacementFact(
        id=i,
        episode_id=100 + i,
        placed_on=kw.get("placed", start),
        starts_on=start,
        ends_on=end,
        answer_by=kw.get("answer_by", start),
        answered_on=answered,
        accepted=kw.get("accepted", True),
        first_goal_on=goal,
    )


def test_certified_trainer_counts_attended_visits_with_a_valid_required_certificate():
    facts = calc.Facts(
        visits=(
            calc.VisitFact(1, D(2026, 1, 5), True, 7),
            calc.VisitFact(1, D(2026, 3, 5), True, 7),  # certificate expired
            calc.VisitFact(2, D(2026, 1, 6), True, None),  # no trainer
            calc.VisitFact(2, D(2026, 1, 7), False, 7),  # did not come: not counted
        ),
        certificates=(calc.CertificateFact(7, "personal_trainer", None, D(2026, 2, 1)),),
        required_kinds=frozenset({"personal_trainer"}),
    )
    m = calc.measure(calc.CERTIFIED_TRAINER, facts, D(2026, 1, 1), D(2026, 12, 31), TODAY)
    assert (m.numerator, m.denominator, m.persons, m.value) == (1, 3, 2, Decimal("33.3"))
    wrong_kind = calc.Facts(
        visits=facts.visits, certificates=facts.certificates, required_kinds=frozenset({"x"})
    )
    assert (
        calc.measure(calc.CERTIFIED_TRAINER, wrong_kind, D(2026, 1, 1), TODAY, TODAY).numerator == 0
    )


def test_attendance_counts_ended_placements_with_three_quarters_of_the_planned_sessions():
    # 4 weeks at 2 a week: 8 planned, 6 needed.
    visits = tuple(calc.VisitFact(1, D(2026, 1, 5 + i), True, None) for i in range(6))
    visits += tuple(calc.VisitFact(2, D(2026, 1, 5 + i), True, None) for i in range(5))
    facts = calc.Facts(
        placements=(
            placement(1, end=D(2026, 2, 1)),
            placement(2, end=D(2026, 2, 1)),
            placement(3, end=D(2027, 2, 1)),  # not ended: not measured
        ),
        visits=visits,
    )
    assert calc.planned_sessions(D(2026, 1, 5), D(2026, 2, 1), Decimal(2)) == 8
    m = calc.measure(calc.ATTENDANCE_75, facts, D(2026, 1, 1), TODAY, TODAY)
    assert (m.numerator, m.denominator) == (1, 2)


def test_plan_within_two_weeks_uses_the_first_goal_on_the_course():
    facts = calc.Facts(
        placements=(
            placement(1, goal=D(2026, 1, 10)),
            placement(2, goal=D(2026, 1, 30)),
            placement(3),
            placement(4, start=D(2026, 11, 30), end=D(2027, 1, 1)),  # two weeks not yet over
        )
    )
    m = calc.measure(calc.PLAN_WITHIN_14_DAYS, facts, D(2026, 1, 1), TODAY, TODAY)
    assert (m.numerator, m.denominator) == (1, 3)


def test_answered_in_time_sites_and_active_at_six_months():
    facts = calc.Facts(
        placements=(
            placement(1, answered=D(2026, 1, 5), answer_by=D(2026, 1, 6)),
            placement(2, answered=D(2026, 1, 9), answer_by=D(2026, 1, 6)),
            placement(3, answered=None, answer_by=D(2026, 12, 9), placed=D(2026, 12, 2)),
        ),
        sites=(calc.SiteFact(True, True), calc.SiteFact(True, False), calc.SiteFact(False, False)),
        follow_ups=(
            calc.FollowUpFact(101, 6, D(2026, 8, 1), True),
            calc.FollowUpFact(102, 6, D(2026, 8, 1), False),
            calc.FollowUpFact(102, 3, D(2026, 5, 1), True),  # 3 months: another measure
            calc.FollowUpFact(999, 6, D(2026, 8, 1), True),  # not placed here
        ),
    )
    whole = (D(2026, 1, 1), TODAY)
    m = calc.measure(calc.ANSWERED_IN_TIME, facts, *whole, TODAY)
    assert (m.numerator, m.denominator) == (1, 2)
    m = calc.measure(calc.SITES_ACCESSIBLE, facts, *whole, TODAY)
    assert (m.numerator, m.denominator) == (1, 2)
    m = calc.measure(calc.ACTIVE_6_MONTHS, facts, *whole, TODAY)
    assert (m.numerator, m.denominator, m.value) == (1, 2, Decimal("50.0"))


def test_judge_compares_with_the_target_and_hides_small_cells_only_outside():
    measured = calc.Measured(numerator=3, denominator=4, persons=4)
    inside = calc.judge(calc.ATTENDANCE_75, measured, Decimal(60), outside=False)
    assert (inside.value, inside.result) == (Decimal("75.0"), calc.MET)
    outside = calc.judge(calc.ATTENDANCE_75, measured, Decimal(60), outside=True)
    assert (outside.value, outside.numerator, outside.result) == (None, None, calc.TOO_FEW)
    big = calc.Measured(numerator=5, denominator=10, persons=10)
    assert calc.judge(calc.ATTENDANCE_75, big, Decimal(60), outside=True).result == calc.NOT_MET
    # 1–4 counted of many is small too (it would name the few).
    few = calc.Measured(numerator=2, denominator=10, persons=10)
    assert calc.judge(calc.ATTENDANCE_75, few, Decimal(10), outside=True).result == calc.TOO_FEW
    # Sites are not persons.
    sites = calc.Measured(numerator=1, denominator=2, persons=0)
    assert calc.judge(calc.SITES_ACCESSIBLE, sites, Decimal(50), outside=True).result == calc.MET
    nothing = calc.Measured(0, 0, 0)
    assert (
        calc.judge(calc.ATTENDANCE_75, nothing, Decimal(60), outside=False).result == calc.NO_DATA
    )


def terms(model, price="100", months=1, cap=None):
    return calc.Terms(model, Decimal(price), months, Decimal(cap) if cap else None, D(2026, 1, 1))


def visit(i, day, placement=1, eligible=True):
    return calc.ClaimVisit(i, placement, 100 + placement, day, eligible)


def test_per_session_lines_are_capped_per_person_per_period_and_skip_the_ineligible():
    visits = [visit(1, D(2026, 3, 2)), visit(2, D(2026, 3, 4)), visit(3, D(2026, 3, 6))]
    visits += [visit(4, D(2026, 3, 9), placement=2, eligible=False)]
    paid = [calc.Paid(1, 2, Decimal("50"))]  # March is period 2; 50 already claimed
    lines, skipped = calc.claim_lines(
        terms(calc.PER_SESSION, "100", cap="200"), D(2026, 3, 1), visits, paid
    )
    assert [(ln.visit_id, ln.amount, ln.note) for ln in lines] == [
        (1, Decimal("100.00"), ""),
        (2, Decimal("50.00"), "capped"),
    ]
    assert [(s.visit_id, s.reason) for s in skipped] == [(3, "cap_reached"), (4, "not_eligible")]


def test_per_participant_is_one_line_per_person_per_period_and_late_visits_are_adjustments():
    visits = [visit(1, D(2026, 2, 20)), visit(2, D(2026, 3, 4)), visit(3, D(2026, 3, 6), 2)]
    lines, skipped = calc.claim_lines(
        terms(calc.PER_PARTICIPANT, "900", months=3), D(2026, 3, 1), visits, []
    )
    # Quarter 1 (Jan–Mar): person 1 once (February's visit, late), person 2 once.
    assert [(ln.kind, ln.placement_id, ln.visit_id, ln.note) for ln in lines] == [
        (calc.LINE_ADJUSTMENT, 1, 1, "late"),
        (calc.LINE_PARTICIPANT, 2, 3, ""),
    ]
    assert [(s.visit_id, s.reason) for s in skipped] == [(2, "already_claimed")]


def test_fixed_fee_is_one_line_per_period_not_yet_claimed():
    lines, _ = calc.claim_lines(
        terms(calc.FIXED_FEE, "5000", months=3), D(2026, 4, 1), [], [calc.Paid(None, 0, Decimal(1))]
    )
    assert [(ln.kind, ln.day, ln.amount) for ln in lines] == [
        (calc.LINE_FIXED, D(2026, 4, 1), Decimal("5000.00"))
    ]
    lines, _ = calc.claim_lines(terms(calc.FIXED_FEE, "5000", months=3), D(2026, 5, 1), [], [])
    assert [ln.kind for ln in lines] == [calc.LINE_ADJUSTMENT, calc.LINE_ADJUSTMENT]


@pytest.mark.parametrize("model", [calc.PER_SESSION, calc.PER_PARTICIPANT])
def test_visits_after_the_month_or_before_the_contract_are_not_claimed(model):
    visits = [visit(1, D(2026, 4, 1)), visit(2, D(2025, 12, 31))]
    lines, skipped = calc.claim_lines(terms(model), D(2026, 3, 1), visits, [])
    assert lines == [] and skipped == []

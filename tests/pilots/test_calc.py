"""The pilot's health account, pure: hand-built rows, no database."""

from __future__ import annotations

import math
from decimal import Decimal

from kobling.lib.intervals import MIN_N, mean_ci, proportion_ci
from kobling.pilots import calc
from kobling.pilots.calc import CourseRow, FollowUpAnswer


def row(
    m=1,
    *,
    ended=True,
    completed=True,
    attended=8,
    recorded=10,
    start=None,
    end=None,
    fu=(),
    cost=1000,
):
    return CourseRow(
        municipality_id=m,
        ended=ended,
        completed=completed,
        attended=attended,
        recorded=recorded,
        start=start or {},
        end=end or {},
        follow_ups=tuple(fu),
        cost=Decimal(cost),
    )


def test_wilson_interval_matches_the_textbook_value_and_stays_within_0_and_1():
    ci = proportion_ci(8, 10)
    assert math.isclose(ci.low, 0.4902, abs_tol=1e-3) and math.isclose(
        ci.high, 0.9433, abs_tol=1e-3
    )
    everyone = proportion_ci(10, 10)
    assert math.isclose(everyone.high, 1.0) and everyone.high <= 1.0 and everyone.low < 1.0
    assert proportion_ci(2, MIN_N - 1) is None


def test_t_interval_of_a_mean_matches_the_textbook_value():
    ci = mean_ci([10, 12, 14, 16, 18])
    # mean 14, sd 3.162, t(0.975, 4) = 2.776 → 14 ± 3.93
    assert math.isclose(ci.low, 10.07, abs_tol=0.01) and math.isclose(ci.high, 17.93, abs_tol=0.01)
    assert mean_ci([1, 2, 3, 4]) is None


def test_completion_counts_only_ended_courses_and_cost_per_completer_divides_the_total():
    rows = (
        [row(completed=True)] * 3 + [row(completed=False)] * 2 + [row(ended=False, completed=False)]
    )
    f = calc.figures(rows)
    assert (f.participants, f.ended, f.completed.k, f.completed.n) == (6, 5, 3, 5)
    assert f.cost_total == Decimal(6000)
    assert f.cost_per_completer == Decimal("2000.00")
    assert f.cost_per_participant.mean == 1000


def test_changes_are_paired_per_course_and_follow_ups_count_against_the_start():
    rows = [
        row(
            start={"activity_minutes": 60, "self_rated_health": 2},
            end={"activity_minutes": 150},
            fu=[FollowUpAnswer(6, True, 120)],
        ),
        row(
            start={"activity_minutes": 30},
            end={"activity_minutes": 90, "self_rated_health": 4},
            fu=[FollowUpAnswer(6, False, None)],
        ),
        # No start: counts in nothing paired.
        row(end={"activity_minutes": 500}, fu=[FollowUpAnswer(6, True, 400)]),
    ]
    f = calc.figures(rows)
    assert f.change_at_end["activity_minutes"].n == 2
    assert f.change_at_end["activity_minutes"].mean == 75  # (90 + 60) / 2
    assert f.change_at_end["self_rated_health"].n == 0
    assert f.minutes_change_after[6].n == 1 and f.minutes_change_after[6].mean == 60
    assert (f.still_active_after[6].k, f.still_active_after[6].n) == (2, 3)
    assert f.minutes_change_after[3].n == 0


def test_attendance_is_the_mean_of_each_course_rate_in_per_cent():
    rows = [
        row(attended=5, recorded=10),
        row(attended=10, recorded=10),
        row(attended=0, recorded=0),
    ]
    f = calc.figures(rows)
    assert f.attendance.n == 2 and f.attendance.mean == 75
    assert f.attended_total == 15


def test_every_municipality_gets_a_group_even_without_courses():
    account = calc.account([row(1), row(1)], [1, 2])
    assert account.by_municipality[2].participants == 0
    assert account.overall.participants == 2


def test_the_report_suppresses_small_cells_and_their_intervals():
    from kobling.dashboards.suppression import SUPPRESSED
    from kobling.pilots.selectors import report_lines

    rows = [
        row(1, start={"activity_minutes": 60}, end={"activity_minutes": 100 + i}) for i in range(7)
    ]
    rows += [row(2, start={"activity_minutes": 60}, end={"activity_minutes": 90}) for _ in range(3)]
    lines = {line.key: line for line in report_lines(calc.account(rows, [1, 2]))}
    participants = [c.value for c in lines["participants"].cells]
    # 7 and 3: the 3 is small, so the 7 is hidden too (it could be found from the total 10).
    assert participants == [SUPPRESSED, SUPPRESSED, 10]
    change = lines["change_activity_minutes"].cells
    assert change[1].value == SUPPRESSED and change[1].low == SUPPRESSED
    assert change[2].value == round(sum([40 + i for i in range(7)] + [30] * 3) / 10, 1)
    assert change[2].low is not None and change[2].low < change[2].value < change[2].high
    cost = lines["cost_per_completer"].cells
    assert cost[2].value == 1000.0 and cost[1].value == SUPPRESSED

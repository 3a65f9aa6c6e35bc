"""The chi-square of the profile comparison, checked against values computed by hand (the
arithmetic is written out), against scipy's chi2_contingency(correction=False) as an independent
implementation, on the edge cases (an empty column, tiny counts, an empty group, everything in
one cell), and as a property over random tables (hypothesis)."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2_contingency

from kobling.profiles.stats import (
    MIN_EXPECTED,
    REASON_EMPTY_GROUP,
    REASON_ONE_CATEGORY,
    compare,
    stars,
)


def row(better, same, worse):
    return {"better": better, "same": same, "worse": worse}


def test_a_hand_computed_table_gives_chi2_6_25_and_p_exp_minus_3_125():
    # with = 10 / 20 / 10 (40), without = 30 / 20 / 10 (60); columns 40 / 40 / 20; N = 100.
    # Expected: with 40·40/100 = 16, 16, 40·20/100 = 8; without 24, 24, 12.
    # chi2 = 6²/16 + 4²/16 + 2²/8 + 6²/24 + 4²/24 + 2²/12
    #      = 2.25 + 1 + 0.5 + 1.5 + 0.6667 + 0.3333 = 6.25
    # df = (2−1)(3−1) = 2, and for df = 2 the survival function is exp(−chi2/2) = exp(−3.125).
    result = compare(row(10, 20, 10), row(30, 20, 10))
    assert result.chi2 == pytest.approx(6.25)
    assert result.df == 2
    assert result.p == pytest.approx(math.exp(-3.125))  # 0.04394
    assert result.stars == "*"
    assert result.expected == {
        "with": {"better": 16, "same": 16, "worse": 8},
        "without": {"better": 24, "same": 24, "worse": 12},
    }
    assert result.percent["with"] == {"better": 25.0, "same": 50.0, "worse": 25.0}
    assert result.percent["without"] == {
        "better": 50.0,
        "same": pytest.approx(100 / 3),
        "worse": pytest.approx(100 / 6),
    }
    assert result.warnings == ()
    assert result.reason is None


def test_a_strong_difference_gets_three_stars():
    # with 40 / 10 / 10, without 10 / 10 / 40: rows 60 / 60, columns 50 / 20 / 50, N = 120.
    # Expected 25 / 10 / 25 in both rows; chi2 = 4 × 15²/25 + 2 × 0 = 36; p = exp(−18).
    result = compare(row(40, 10, 10), row(10, 10, 40))
    assert result.chi2 == pytest.approx(36.0)
    assert result.p == pytest.approx(math.exp(-18))
    assert result.stars == "***"


def test_identical_row_proportions_give_chi2_zero_and_p_one():
    result = compare(row(2, 4, 6), row(4, 8, 12))
    assert result.chi2 == pytest.approx(0.0)
    assert result.p == pytest.approx(1.0)
    assert result.stars == ""


def test_an_empty_column_is_dropped_and_df_becomes_1_without_continuity_correction():
    # worse is 0 in both groups → a 2×2 table: with 5 / 5 (10), without 15 / 5 (20), N = 30,
    # columns 20 / 10. chi2 = N(ad − bc)² / (r1 r2 c1 c2) = 30 (25 − 75)² / (10·20·20·10)
    # = 75000 / 40000 = 1.875. df = 1; for df = 1, p = erfc(sqrt(chi2 / 2)).
    # (With Yates' correction it would be 30 (|25 − 75| − 15)² / 40000 = 0.91875.)
    result = compare(row(5, 5, 0), row(15, 5, 0))
    assert result.dropped == ("worse",)
    assert result.df == 1
    assert result.chi2 == pytest.approx(1.875)
    assert result.p == pytest.approx(math.erfc(math.sqrt(1.875 / 2)))
    assert result.expected["with"]["worse"] is None
    # Expected with/same = 10·10/30 = 3.33 < 5: one warning, and only for that cell.
    assert [(w.group, w.category) for w in result.warnings] == [("with", "same")]
    assert result.warnings[0].expected == pytest.approx(10 / 3)


def test_tiny_counts_are_computed_with_a_warning_for_every_small_cell():
    # with 1 / 0 / 1 (2), without 0 / 1 / 0 (1); columns 1 / 1 / 1; N = 3.
    # Expected: with 2/3 each, without 1/3 each.
    # chi2 = (1/3)²/(2/3) + (2/3)²/(2/3) + (1/3)²/(2/3) + (1/3)²/(1/3) + (2/3)²/(1/3) + (1/3)²/(1/3)
    #      = 1/6 + 2/3 + 1/6 + 1/3 + 4/3 + 1/3 = 3; p = exp(−1.5) = 0.2231.
    result = compare(row(1, 0, 1), row(0, 1, 0))
    assert result.chi2 == pytest.approx(3.0)
    assert result.df == 2
    assert result.p == pytest.approx(math.exp(-1.5))
    assert len(result.warnings) == 6
    assert all(w.expected < MIN_EXPECTED for w in result.warnings)
    assert "expected count 0.67 < 5" in str(result.warnings[0])


def test_a_group_without_units_gives_no_test_and_says_why():
    result = compare(row(3, 4, 5), row(0, 0, 0))
    assert (result.chi2, result.df, result.p, result.expected) == (None, None, None, None)
    assert result.reason == REASON_EMPTY_GROUP
    assert result.stars == ""
    assert result.percent["without"] == {"better": None, "same": None, "worse": None}
    assert result.counts["with"] == row(3, 4, 5)


def test_everything_in_one_cell_gives_no_test():
    result = compare(row(7, 0, 0), row(0, 0, 0))
    assert result.chi2 is None and result.reason == REASON_EMPTY_GROUP
    result = compare(row(7, 0, 0), row(3, 0, 0))
    assert result.chi2 is None and result.reason == REASON_ONE_CATEGORY
    assert result.dropped == ("same", "worse")
    assert result.percent["with"]["better"] == 100.0


def test_an_all_zero_table_gives_no_test():
    result = compare(row(0, 0, 0), row(0, 0, 0))
    assert result.chi2 is None and result.n == 0


def test_missing_categories_count_as_zero_and_unknown_ones_are_refused():
    assert compare({"better": 2}, {"worse": 2}).counts["with"] == row(2, 0, 0)
    with pytest.raises(ValueError):
        compare({"good": 1}, {})
    with pytest.raises(ValueError):
        compare({"better": -1}, {})


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        (None, ""),
        (0.5, ""),
        (0.05, ""),
        (0.0499, "*"),
        (0.01, "*"),
        (0.0099, "**"),
        (0.001, "**"),
        (0.000999, "***"),
        (0.0, "***"),
    ],
)
def test_stars_follow_the_thresholds_strictly(p, expected):
    assert stars(p) == expected


@pytest.mark.parametrize(
    ("with_", "without"),
    [
        ((12, 30, 8), (20, 25, 30)),
        ((1, 2, 3), (3, 2, 1)),
        ((100, 3, 1), (80, 10, 9)),
        ((0, 9, 4), (6, 2, 7)),
    ],
)
def test_agrees_with_scipys_chi2_contingency_without_correction(with_, without):
    ours = compare(row(*with_), row(*without))
    chi2, p, df, expected = chi2_contingency([with_, without], correction=False)
    assert ours.chi2 == pytest.approx(chi2)
    assert ours.p == pytest.approx(p)
    assert ours.df == df
    for i, group in enumerate(("with", "without")):
        for j, category in enumerate(("better", "same", "worse")):
            assert ours.expected[group][category] == pytest.approx(expected[i][j])


counts = st.integers(min_value=0, max_value=60)


@settings(max_examples=300, deadline=None)
@given(st.tuples(counts, counts, counts), st.tuples(counts, counts, counts))
def test_chi2_is_never_negative_p_is_a_probability_and_matches_scipy(with_, without):
    ours = compare(row(*with_), row(*without))
    kept = [j for j in range(3) if with_[j] + without[j] > 0]
    if sum(with_) == 0 or sum(without) == 0 or len(kept) < 2:
        assert ours.chi2 is None and ours.p is None and ours.df is None
        assert ours.reason in (REASON_EMPTY_GROUP, REASON_ONE_CATEGORY)
        return
    assert ours.chi2 >= 0
    assert 0.0 <= ours.p <= 1.0
    table = [[with_[j] for j in kept], [without[j] for j in kept]]
    chi2, p, df, _expected = chi2_contingency(table, correction=False)
    assert ours.df == df == len(kept) - 1
    assert ours.chi2 == pytest.approx(chi2, rel=1e-9, abs=1e-9)
    assert ours.p == pytest.approx(p, rel=1e-9, abs=1e-12)
    assert ours.stars == stars(p)

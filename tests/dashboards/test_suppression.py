"""The suppression rules on their own (kobling.dashboards.suppression)."""

from decimal import Decimal

from kobling.dashboards.suppression import (
    SUPPRESSED,
    derived,
    describing,
    suppress,
    suppress_group,
    suppress_rows,
)


def test_one_to_four_persons_are_hidden_zero_and_five_are_shown():
    assert [suppress(n) for n in (0, 1, 4, 5, 12)] == [0, "<5", "<5", 5, 12]
    assert suppress(Decimal("3")) == SUPPRESSED
    assert suppress(Decimal("7.00")) == 7
    assert suppress(None) is None


def test_a_lone_hidden_cell_takes_the_next_smallest_non_zero_cell_with_it():
    assert suppress_group([20, 3, 0, 9, 12]) == [20, "<5", 0, "<5", 12]


def test_two_hidden_cells_need_nothing_more():
    assert suppress_group([20, 3, 2, 9]) == [20, "<5", "<5", 9]


def test_a_lone_hidden_cell_with_only_zeros_beside_it_stays_alone():
    assert suppress_group([0, 3, 0]) == [0, "<5", 0]


def test_a_group_without_small_cells_is_untouched():
    assert suppress_group([5, 6, 0]) == [5, 6, 0]


def test_rows_describing_few_people_are_hidden_with_one_more():
    assert suppress_rows([6, 3, 5, 0, 8]) == [False, True, True, False, False]


def test_a_derived_value_needs_a_base_of_five_and_shown_inputs():
    assert derived(Decimal("50.0"), 10, 5) == Decimal("50.0")
    assert derived(Decimal("20.0"), 10, "<5") == SUPPRESSED  # the numerator is hidden
    assert derived(Decimal("75.0"), 4, 3) == SUPPRESSED
    assert derived(Decimal("75.0"), "<5") == SUPPRESSED
    assert derived(None, 0) is None
    assert derived(Decimal("0.0"), 8, 0) == Decimal("0.0")


def test_a_value_describing_few_people_is_hidden():
    assert describing(Decimal("1234.00"), 3) == SUPPRESSED
    assert describing(Decimal("1234.00"), 5) == Decimal("1234.00")
    assert describing(Decimal("0.00"), 0) == Decimal("0.00")


def test_a_part_is_hidden_when_the_rest_of_its_whole_is_small():
    from kobling.dashboards.suppression import part_of

    assert part_of(9, 10) == SUPPRESSED  # one person is the rest
    assert part_of(5, 10) == 5
    assert part_of(3, 10) == SUPPRESSED
    assert part_of(0, 6) == 0
    assert part_of(6, 6) == 6


def test_a_stage_a_few_persons_short_of_the_one_before_is_hidden():
    from kobling.dashboards.suppression import suppress_chain

    # 7 referred, 6 granted would tell that one person was refused.
    assert suppress_chain([7, 6, 6]) == [7, "<5", "<5"]  # 6 started is 1 short of 7 shown too
    assert suppress_chain([12, 6, 5]) == [12, 6, "<5"]
    assert suppress_chain([12, 6, 0]) == [12, 6, 0]
    assert suppress_chain([12, 12, 6]) == [12, 12, 6]  # equal stages tell nothing new
    assert suppress_chain([12, 9, 4]) == [12, "<5", "<5"]
    assert suppress_chain([12, 3, 0]) == [12, "<5", 0]


def test_a_table_of_chains_is_suppressed_until_no_subtraction_is_left():
    from kobling.dashboards.suppression import suppress_table

    rows = [[20, 18, 10], [30, 25, 20], [12, 12, 11]]
    cells = suppress_table(rows)
    # Row 0: 18 is 2 short of 20 → hidden; column 1 then needs a second hidden cell (the
    # next smallest, 12); row 2's 11 is 1 short of 12 → hidden; column 2 needs one more, the
    # next smallest there (row 0's 10).
    assert cells == [[20, "<5", "<5"], [30, 25, 20], [12, "<5", "<5"]]
    for c in range(3):
        assert sum(1 for row in cells if row[c] == SUPPRESSED) != 1


def test_a_table_without_small_differences_is_untouched():
    from kobling.dashboards.suppression import suppress_table

    assert suppress_table([[20, 10, 5], [30, 25, 0]]) == [[20, 10, 5], [30, 25, 0]]
    assert suppress_table([]) == []

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

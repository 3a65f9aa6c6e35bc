"""The pool's share-out on hand-computed rows (pure: no database)."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from kobling.support.pool import HelperYear, share_out


def test_unused_hours_return_and_are_shared_in_proportion_to_use():
    # Allowance 6 each. A used 6, B 2, C 0, D 3 → returned: B 4, C 6, D 3 = 13 h.
    # Use 6 + 2 + 3 = 11: A 13·6/11 = 7.0909, B 13·2/11 = 2.3636, D 13·3/11 = 3.5454.
    # Hundredths: 709 + 236 + 354 = 1299; the one left goes to the largest remainder (D .54).
    rows = [
        HelperYear(1, D(6), D(6)),
        HelperYear(2, D(6), D(2)),
        HelperYear(3, D(6), D(0)),
        HelperYear(4, D(6), D(3)),
    ]
    result = share_out(rows)
    assert result.returned == {2: D("4.00"), 3: D("6.00"), 4: D("3.00")}
    assert result.pool == D("13.00")
    assert result.shared == {1: D("7.09"), 2: D("2.36"), 4: D("3.55")}
    assert sum(result.shared.values()) == result.pool


def test_equal_use_shares_equally_and_ties_go_to_the_lower_id():
    # Three helpers used 1 h each of 2 h: 3 h return, 1 h each comes back.
    rows = [HelperYear(i, D(2), D(1)) for i in (5, 6, 7)]
    assert share_out(rows).shared == {5: D("1.00"), 6: D("1.00"), 7: D("1.00")}
    # 1 h returned by a helper who used nothing, three equal users: 0.33 each, +0.01 to id 1.
    rows = [HelperYear(1, D(1), D(1)), HelperYear(2, D(1), D(1)), HelperYear(3, D(1), D(1))]
    rows.append(HelperYear(9, D(1), D(0)))
    assert share_out(rows).shared == {1: D("0.34"), 2: D("0.33"), 3: D("0.33")}


def test_nobody_used_supervision_so_nothing_returns():
    result = share_out([HelperYear(1, D(6), D(0)), HelperYear(2, D(6), D(0))])
    assert result.returned == {} and result.shared == {} and result.pool == 0


def test_overuse_returns_nothing_but_counts_as_use():
    # A used 8 of 6 (over), B 1 of 6 → 5 returned; shared 8:1 → 4.44 and 0.56 (0.5555 → .56).
    result = share_out([HelperYear(1, D(6), D(8)), HelperYear(2, D(6), D(1))])
    assert result.returned == {2: D("5.00")}
    assert result.shared == {1: D("4.44"), 2: D("0.56")}


@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=1200), st.integers(min_value=0, max_value=1200)
        ),
        min_size=1,
        max_size=40,
    )
)
def test_the_shares_always_add_up_to_the_pool(pairs):
    rows = [HelperYear(i, D(a) / 100, D(u) / 100) for i, (a, u) in enumerate(pairs)]
    result = share_out(rows)
    if any(u for _a, u in pairs):
        assert sum(result.shared.values(), D(0)) == result.pool
    else:
        assert result.pool == 0
    assert all(v > 0 for v in result.shared.values())

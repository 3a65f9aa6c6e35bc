"""Pearson's chi-square on the 2×3 table of a public-health-profile comparison.

Pure: plain numbers in, a plain dataclass out; no Django. Rows are the two groups of units —
with a scheme and without — and columns the profile categories *better*, *same* and *worse*
(than the national average). The test is the one the 2016 mapping used (DOMAIN §4): Pearson's
chi-square without continuity correction, p from the chi-square distribution.

Rules for degenerate tables (also in docs/profiles.md):

- a category (column) that no unit in either group has is dropped before anything is computed,
  so df = (rows − 1) × (remaining columns − 1); a 2×3 table with one empty column is a 2×2
  table with df = 1 (still without continuity correction);
- with fewer than two remaining columns, or when a group has no units at all, there is nothing
  to test: ``chi2``, ``df``, ``p`` and ``expected`` are ``None`` and ``reason`` says why;
- a warning is given for every (kept) cell whose expected count is below 5, where the
  chi-square approximation is poor; the result is still computed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from scipy.stats import chi2 as chi2_distribution

CATEGORIES: tuple[str, ...] = ("better", "same", "worse")
GROUPS: tuple[str, ...] = ("with", "without")

# Below this expected count a cell gets a warning (the usual rule of thumb).
MIN_EXPECTED = 5.0

# Why there is no test (``Comparison.reason``).
REASON_EMPTY_GROUP = "empty_group"
REASON_ONE_CATEGORY = "fewer_than_two_categories"
REASONS = {
    REASON_EMPTY_GROUP: "a group has no units, so there is nothing to compare",
    REASON_ONE_CATEGORY: "fewer than two categories occur, so there is nothing to compare",
}


@dataclass(frozen=True)
class LowExpected:
    """A cell whose expected count is below :data:`MIN_EXPECTED`."""

    group: str
    category: str
    expected: float

    def __str__(self) -> str:
        return (
            f"expected count {self.expected:.2f} < {MIN_EXPECTED:g} "
            f"({self.group} scheme, {self.category})"
        )


@dataclass(frozen=True)
class Comparison:
    """The table and its test. ``counts``/``percent``/``expected`` are keyed group → category;
    ``percent`` holds row percentages (None for an empty group), ``expected`` None when there is
    no test, and ``dropped`` the categories left out because no unit has them."""

    counts: dict[str, dict[str, int]]
    percent: dict[str, dict[str, float | None]]
    expected: dict[str, dict[str, float | None]] | None
    chi2: float | None
    df: int | None
    p: float | None
    stars: str
    dropped: tuple[str, ...] = ()
    warnings: tuple[LowExpected, ...] = field(default_factory=tuple)
    reason: str | None = None

    @property
    def n(self) -> int:
        return sum(sum(row.values()) for row in self.counts.values())

    def row_total(self, group: str) -> int:
        return sum(self.counts[group].values())


def stars(p: float | None) -> str:
    """``***`` for p < 0.001, ``**`` for p < 0.01, ``*`` for p < 0.05, else (and for None) ``""``."""
    if p is None:
        return ""
    if p < 0.001:
        return "***"
    if p < 0.01:
        return "**"
    if p < 0.05:
        return "*"
    return ""


def _row(counts: Mapping[str, int]) -> dict[str, int]:
    unknown = set(counts) - set(CATEGORIES)
    if unknown:
        raise ValueError(f"unknown categories: {sorted(unknown)}")
    row = {c: int(counts.get(c, 0)) for c in CATEGORIES}
    if any(v < 0 for v in row.values()):
        raise ValueError("counts cannot be negative")
    return row


def compare(with_scheme: Mapping[str, int], without_scheme: Mapping[str, int]) -> Comparison:
    """Counts, row percentages and Pearson's chi-square (no continuity correction) for one
    indicator. Each argument maps category (better/same/worse; missing = 0) → number of units."""
    counts = {"with": _row(with_scheme), "without": _row(without_scheme)}
    row_totals = {g: sum(counts[g].values()) for g in GROUPS}
    percent: dict[str, dict[str, float | None]] = {
        g: {
            c: (100.0 * counts[g][c] / row_totals[g] if row_totals[g] else None) for c in CATEGORIES
        }
        for g in GROUPS
    }
    column_totals = {c: counts["with"][c] + counts["without"][c] for c in CATEGORIES}
    kept = [c for c in CATEGORIES if column_totals[c] > 0]
    dropped = tuple(c for c in CATEGORIES if column_totals[c] == 0)

    def no_test(reason: str) -> Comparison:
        return Comparison(counts, percent, None, None, None, None, "", dropped, (), reason)

    if any(total == 0 for total in row_totals.values()):
        return no_test(REASON_EMPTY_GROUP)
    if len(kept) < 2:
        return no_test(REASON_ONE_CATEGORY)

    n = sum(row_totals.values())
    expected: dict[str, dict[str, float | None]] = {g: {} for g in GROUPS}
    chi2 = 0.0
    warnings = []
    for g in GROUPS:
        for c in CATEGORIES:
            if c not in kept:
                expected[g][c] = None
                continue
            e = row_totals[g] * column_totals[c] / n
            expected[g][c] = e
            chi2 += (counts[g][c] - e) ** 2 / e
            if e < MIN_EXPECTED:
                warnings.append(LowExpected(g, c, e))
    df = (len(GROUPS) - 1) * (len(kept) - 1)
    p = float(chi2_distribution.sf(chi2, df))
    return Comparison(
        counts, percent, expected, chi2, df, p, stars(p), dropped, tuple(warnings), None
    )

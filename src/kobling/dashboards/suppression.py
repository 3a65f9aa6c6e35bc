"""Small-cell suppression: the one place that decides what may leave the coordinator's own case
view. Every dashboard output (pages, CSV, the yearly PDF, the API) is built from a report whose
cells went through these functions, so none of them can show a raw small count.

Rules (docs/dashboards.md):

1. A count of persons from 1 to 4 is shown as ``"<5"``; 0 and 5 or more are shown as they are.
2. Complementary suppression: in a group of cells that add up to a shown total (a column of a
   breakdown, the months of a year), if exactly one cell is suppressed, the next smallest cell
   that is not zero is suppressed too, so the hidden one cannot be found by subtraction.
3. A derived value (share, mean, median, cost per person) is shown only when every count it is
   computed from is shown and its base is at least 5; otherwise it is ``"<5"`` too.
4. A cell that is not a count of persons but *describes* them (sessions and minutes in a month,
   the pay of the contacts) is suppressed when the persons it describes are fewer than 5."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

THRESHOLD = 5
SUPPRESSED = "<5"

Number = int | Decimal | float


def is_small(n: Number | None) -> bool:
    return n is not None and 0 < n < THRESHOLD


def suppress(n: Number | None) -> Any:
    """Rule 1 for one count of persons."""
    if n is None:
        return None
    if is_small(n):
        return SUPPRESSED
    return int(n) if isinstance(n, Decimal) and n == n.to_integral_value() else n


def hidden(cell: Any) -> bool:
    return cell == SUPPRESSED


def suppress_group(counts: Sequence[Number]) -> list[Any]:
    """Rules 1 and 2 for counts that add up to a total that is shown elsewhere."""
    cells = [suppress(n) for n in counts]
    small = [i for i, n in enumerate(counts) if is_small(n)]
    if len(small) == 1:
        others = [(counts[i], i) for i in range(len(counts)) if i not in small and counts[i] > 0]
        if others:
            cells[min(others)[1]] = SUPPRESSED
    return cells


def suppress_rows(persons: Sequence[Number]) -> list[bool]:
    """Rules 2 and 4 for rows (e.g. months) each describing ``persons``: which rows to hide."""
    return [hidden(c) for c in suppress_group(persons)]


def part_of(part: Number, whole: Number) -> Any:
    """Rule 2 for a count shown next to the whole it is part of (still active of those who
    answered): hidden when it, or the rest of the whole, is 1–4 persons."""
    return SUPPRESSED if is_small(part) or is_small(whole - part) else suppress(part)


def derived(value: Any, base: Any, *inputs: Any) -> Any:
    """Rule 3: ``value`` (a share, mean, median … over ``base`` persons) when the base is at
    least 5 and neither it nor any other cell it is computed from (``inputs``, e.g. the numerator
    of a share) is suppressed; ``None`` when the base is 0 (nothing to compute); else ``"<5"``."""
    if hidden(base) or any(hidden(cell) for cell in inputs):
        return SUPPRESSED
    if base is None or base == 0:
        return None
    if base < THRESHOLD:
        return SUPPRESSED
    return value


def describing(value: Any, persons: Number | None) -> Any:
    """Rule 4: ``value`` unless it describes 1–4 persons."""
    return SUPPRESSED if is_small(persons) else value

"""Small-cell suppression: the one place that decides what may leave the coordinator's own case
view. It lives in lib (framework-free) so that every domain app applies the same rules: the
dashboards, quality, and the providers' contract follow-up (below the dashboards). Every
dashboard output (pages, CSV, the yearly PDF, the API) is built from a report whose cells went
through these functions, so none of them can show a raw small count.

Rules (docs/dashboards.md):

1. A count of persons from 1 to 4 is shown as ``"<5"``; 0 and 5 or more are shown as they are.
2. Complementary suppression: in a group of cells that add up to a shown total (a column of a
   breakdown, the months of a year), if exactly one cell is suppressed, the next smallest cell
   that is not zero is suppressed too, so the hidden one cannot be found by subtraction.
3. A derived value (share, mean, median, cost per person) is shown only when every count it is
   computed from is shown and its base is at least 5; otherwise it is ``"<5"`` too.
4. A cell that is not a count of persons but *describes* them (sessions and minutes in a month,
   the pay of the contacts) is suppressed when the persons it describes are fewer than 5.
5. Nested counts (referred ⊇ granted ⊇ started): a count is hidden too when it differs from the
   nearest *shown* count before it by 1–4 persons, so the few who dropped off between two
   stages cannot be found by subtraction. In a table whose rows are such chains and whose
   columns are groups (rule 2), both rules are applied until nothing more changes."""

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


def _chain_hides(counts: Sequence[Number], hide: set[int]) -> set[int]:
    """Rule 5 for one chain, given the cells already hidden: the indices to hide."""
    hide = set(hide) | {i for i, n in enumerate(counts) if is_small(n)}
    last_shown: Number | None = None
    for i, n in enumerate(counts):
        if i in hide:
            continue
        if last_shown is not None and is_small(last_shown - n):
            hide.add(i)
            continue
        last_shown = n
    return hide


def suppress_chain(counts: Sequence[Number]) -> list[Any]:
    """Rules 1 and 5 for counts where each is a subset of the one before."""
    hide = _chain_hides(counts, set())
    return [SUPPRESSED if i in hide else suppress(n) for i, n in enumerate(counts)]


def suppress_table(rows: Sequence[Sequence[Number]]) -> list[list[Any]]:
    """Rules 1, 2 and 5 for a table whose rows are nested chains (e.g. a target group's
    referred, granted, started) and whose columns each add up to a shown total."""
    hidden_cells: set[tuple[int, int]] = set()
    width = max((len(r) for r in rows), default=0)
    while True:
        before = len(hidden_cells)
        for r, row in enumerate(rows):
            mine = {c for (rr, c) in hidden_cells if rr == r}
            hidden_cells |= {(r, c) for c in _chain_hides(row, mine)}
        for c in range(width):
            column = [row[c] for row in rows]
            mine = [r for r in range(len(rows)) if (r, c) in hidden_cells]
            if len(mine) == 1:
                others = [
                    (column[r], r) for r in range(len(rows)) if r not in mine and column[r] > 0
                ]
                if others:
                    hidden_cells.add((min(others)[1], c))
        if len(hidden_cells) == before:
            break
    return [
        [SUPPRESSED if (r, c) in hidden_cells else suppress(n) for c, n in enumerate(row)]
        for r, row in enumerate(rows)
    ]


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

"""Timing a pure calculator on its own (``kobling bench facts|costs|research``).

Each calculator is timed against a *baseline* measured in the same run on the same rows: one
pass over every input row with one dictionary update each, the least any calculation over those
rows must do. The ratio says how many such passes the calculator costs, which is comparable
across machines and sizes where the seconds are not. Both are the best of ``repeat`` runs,
interleaved so that a busy moment on the machine hits both alike."""

from __future__ import annotations

import gc
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CalcBench:
    calculator: str
    participants: int
    rows: int
    seed: int
    repeat: int
    calc_s: float
    baseline_s: float
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.calc_s / self.baseline_s if self.baseline_s > 0 else float("inf")

    def as_json(self) -> dict[str, Any]:
        return {
            "calculator": self.calculator,
            "participants": self.participants,
            "rows": self.rows,
            "calc_ms": round(self.calc_s * 1000, 2),
            "baseline_ms": round(self.baseline_s * 1000, 2),
            "ratio": round(self.ratio, 2),
            **self.detail,
        }

    def lines(self) -> list[str]:
        return [
            f"{self.calculator} benchmark: {self.participants} participants, {self.rows} input "
            f"rows (seed {self.seed}, best of {self.repeat})",
            f"  calculator:          {self.calc_s * 1000:.1f} ms",
            f"  baseline (one pass): {self.baseline_s * 1000:.1f} ms",
            f"  ratio:               {self.ratio:.2f}",
            *(f"  {name}: {value}" for name, value in self.detail.items()),
        ]


def one_pass(tables: Sequence[Iterable[Any]]) -> Counter[type]:
    """The baseline: every row of every table touched once, one dictionary update each."""
    seen: Counter[type] = Counter()
    for table in tables:
        for row in table:
            seen[row.__class__] += 1
    return seen


def measure(
    calc: Callable[[], Any], baseline: Callable[[], Any], repeat: int
) -> tuple[float, float, Any]:
    """Best seconds of ``calc`` and of ``baseline`` (interleaved), and ``calc``'s last result."""
    best_calc = best_base = float("inf")
    result = None
    for _ in range(max(1, repeat)):
        gc.collect()
        start = time.perf_counter()
        result = calc()
        best_calc = min(best_calc, time.perf_counter() - start)
        gc.collect()
        start = time.perf_counter()
        baseline()
        best_base = min(best_base, time.perf_counter() - start)
    return best_calc, best_base, result

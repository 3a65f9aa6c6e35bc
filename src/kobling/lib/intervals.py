"""Confidence intervals for the small numbers a municipality or a pilot has (no Django).

* :func:`proportion_ci` — Wilson's score interval for a share (k of n): it stays inside 0–1 and
  behaves at k = 0 or k = n and for small n, where the textbook normal interval does not.
* :func:`mean_ci` — Student's t interval for a mean (or a mean paired change: pass the
  differences), from the sample standard deviation with n − 1 degrees of freedom.

Both return ``None`` when ``n`` is below :data:`MIN_N`: with fewer values an interval says
nothing useful (and a figure over so few persons is suppressed anyway)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy.stats import norm, t

# Fewest values an interval is computed from (also the small-cell threshold).
MIN_N = 5
LEVEL = 0.95


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


def proportion_ci(k: int, n: int, *, level: float = LEVEL) -> Interval | None:
    """Wilson's score interval for the share ``k / n``."""
    if n < MIN_N or not 0 <= k <= n:
        return None
    z = float(norm.ppf(0.5 + level / 2))
    p = k / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


def mean_ci(values: Sequence[float], *, level: float = LEVEL) -> Interval | None:
    """Student's t interval for the mean of ``values``."""
    n = len(values)
    if n < MIN_N:
        return None
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = float(t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
    return Interval(mean - half, mean + half)

"""Participation and completion rates (pure: plain rows in, plain cells out; no Django).

A course counts in the period (quarter) of its **index event**, as the eligible population it is
compared with does: of the persons eligible after an event in 2025Q1, how many started
rehabilitation (``participation = started / eligible``) and how many of those completed it under
their programme's rule (``completion = completed / started``), and the median wait from the
index event to the start. Rates are percentages with one
decimal; ``None`` when the base is 0."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

LEVELS = ("unit", "region", "national")
GRAINS = ("quarter", "year")


@dataclass(frozen=True)
class CourseRow:
    unit_id: int
    region_id: int | None
    diagnosis: str
    year: int
    quarter: int
    sex: str
    age_band: str
    started: bool
    completed: bool
    wait_days: int | None = None  # index event to start, for a started course
    icd10: str = ""
    index_event: str = ""
    # The course's follow-ups after its end that are due: (months, answered, still active).
    followups: tuple[tuple[int, bool, bool], ...] = ()


@dataclass(frozen=True)
class DenominatorRow:
    unit_id: int
    region_id: int | None
    diagnosis: str
    year: int
    quarter: int
    sex: str
    age_band: str
    eligible: int


@dataclass
class Cell:
    eligible: int = 0
    courses: int = 0  # registered, started or not
    started: int = 0
    completed: int = 0
    units: set[int] = field(default_factory=set)
    waits: list[int] = field(default_factory=list)
    # Per month after the end (3, 6, 12): [due, answered, answered still active], over the
    # started courses.
    followups: dict[int, list[int]] = field(default_factory=dict)

    def followup(self, months: int) -> list[int]:
        """[due, answered, still active] at ``months`` after the end (zeros when none)."""
        return self.followups.get(months, [0, 0, 0])

    @property
    def median_wait_days(self) -> float | None:
        """Median days from the index event to the start, over the started courses."""
        if not self.waits:
            return None
        ordered = sorted(self.waits)
        mid = len(ordered) // 2
        if len(ordered) % 2:
            return float(ordered[mid])
        return (ordered[mid - 1] + ordered[mid]) / 2

    @property
    def participation_rate(self) -> float | None:
        return rate(self.started, self.eligible)

    @property
    def completion_rate(self) -> float | None:
        return rate(self.completed, self.started)


def rate(part: int, whole: int) -> float | None:
    return None if not whole else round(100 * part / whole, 1)


def period_of(year: int, quarter: int, grain: str) -> str:
    return str(year) if grain == "year" else f"{year}Q{quarter}"


def _group(row: CourseRow | DenominatorRow, level: str) -> int | None:
    if level == "unit":
        return row.unit_id
    if level == "region":
        return row.region_id
    return None


Key = tuple[int | None, str, str]  # (unit or region id, or None for the nation; diagnosis; period)


def aggregate(
    courses: Iterable[CourseRow],
    denominators: Iterable[DenominatorRow],
    *,
    level: str = "unit",
    grain: str = "quarter",
    sex: str | None = None,
    age_band: str | None = None,
) -> dict[Key, Cell]:
    """Sum the eligible, started and completed per group (unit, region or the nation),
    diagnosis group and period, keeping only ``sex`` and ``age_band`` when given."""
    if level not in LEVELS or grain not in GRAINS:
        raise ValueError(f"unknown level or grain: {level}, {grain}")
    cells: dict[Key, Cell] = {}

    def cell_for(row: CourseRow | DenominatorRow) -> Cell | None:
        if (sex and row.sex != sex) or (age_band and row.age_band != age_band):
            return None
        key = (_group(row, level), row.diagnosis, period_of(row.year, row.quarter, grain))
        found = cells.setdefault(key, Cell())
        found.units.add(row.unit_id)
        return found

    for d in denominators:
        target = cell_for(d)
        if target is not None:
            target.eligible += d.eligible
    for c in courses:
        target = cell_for(c)
        if target is not None:
            target.courses += 1
        if target is not None and c.started:
            target.started += 1
            target.completed += int(c.completed)
            if c.wait_days is not None:
                target.waits.append(c.wait_days)
            for months, answered, active in c.followups:
                counts = target.followups.setdefault(months, [0, 0, 0])
                counts[0] += 1
                counts[1] += int(answered)
                counts[2] += int(answered and active)
    return cells


# Funnel plot limits around the national participation rate: 95 % and 99.8 % (z 1.96 and 3.09).
Z95, Z998 = 1.96, 3.09


def funnel_limits(national: float, eligible: float, z: float) -> tuple[float, float]:
    """The funnel plot's limits (proportions, within 0–1) around the national rate for a unit
    of ``eligible``: p ± z·√(p(1−p)/n)."""
    spread = (national * (1 - national) / eligible) ** 0.5
    return max(0.0, national - z * spread), min(1.0, national + z * spread)


def funnel_flag(started: int, eligible: int, national: float | None) -> str:
    """Where a unit's participation lies against the national rate (a proportion 0–1) on a
    funnel plot: ``"high_998"``/``"low_998"`` outside the 99.8 % limits, ``"high_95"``/
    ``"low_95"`` outside the 95 % limits, ``""`` inside (or nothing to compare)."""
    if not eligible or national is None or not 0 < national < 1:
        return ""
    share = started / eligible
    for z, name in ((Z998, "998"), (Z95, "95")):
        low, high = funnel_limits(national, eligible, z)
        if share > high:
            return f"high_{name}"
        if share < low:
            return f"low_{name}"
    return ""

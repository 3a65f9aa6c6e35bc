"""Training evaluated at Kirkpatrick's level 3, *behaviour*, from the data (DOMAIN §5): of a
course run's qualified trainees, how many got a participant within 3 months of qualifying, and
of those how many stayed active for 6 months. Pure (no Django): the loader in
:mod:`kobling.support.kirkpatrick_load` reads the rows.

A trainee is judged only when enough time has passed: "placed within 3 months" counts trainees
qualified at least :data:`PLACED_WITHIN` ago; "stayed 6 months" counts placed trainees whose
first start is at least :data:`STAYED_FOR` ago. The others are "too early to say"."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

PLACED_WITHIN = dt.timedelta(days=91)
STAYED_FOR = dt.timedelta(days=182)


@dataclass(frozen=True)
class Trainee:
    helper_id: int
    qualified_on: dt.date
    # What the helper carried after qualifying: (started, ended or None), from every source
    # (pairings; later workplace assignments).
    spells: tuple[tuple[dt.date, dt.date | None], ...]


@dataclass(frozen=True)
class Behaviour:
    qualified: int
    judged_placed: int
    placed: int
    judged_stayed: int
    stayed: int


def _first_start(trainee: Trainee) -> dt.date | None:
    starts = [s for s, _e in trainee.spells if s >= trainee.qualified_on]
    return min(starts) if starts else None


def _active_on(trainee: Trainee, day: dt.date) -> bool:
    return any(s <= day and (e is None or e >= day) for s, e in trainee.spells)


def behaviour(trainees: list[Trainee], today: dt.date) -> Behaviour:
    judged_placed = placed = judged_stayed = stayed = 0
    for t in trainees:
        first = _first_start(t)
        if t.qualified_on + PLACED_WITHIN <= today:
            judged_placed += 1
            if first is not None and first <= t.qualified_on + PLACED_WITHIN:
                placed += 1
                if first + STAYED_FOR <= today:
                    judged_stayed += 1
                    if _active_on(t, first + STAYED_FOR):
                        stayed += 1
    return Behaviour(len(trainees), judged_placed, placed, judged_stayed, stayed)

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


# --- Levels 1 and 2: reaction and learning, from the trainees' own answers --------------------
#
# The items are defined once, here: a small fixed list (scale 1–5, 5 best), so every course run
# and every provider is measured the same way and runs can be compared. The "after" form asks the
# reaction items and the learning items together; the "before" form (at enrolment, before the
# course starts) asks the learning items only. Labels are translated where they are shown
# (:mod:`kobling.support.training_forms`).

SCALE = (1, 2, 3, 4, 5)
REACTION_ITEMS = ("overall", "useful", "ready_to_start", "recommend")
LEARNING_ITEMS = ("knows_role", "first_meeting", "motivating", "when_to_ask")


@dataclass(frozen=True)
class ItemMean:
    item: str
    answers: int
    mean: float | None


@dataclass(frozen=True)
class Reaction:
    answered: int
    items: tuple[ItemMean, ...]


def reaction(answers: list[dict[str, int]]) -> Reaction:
    """The mean of each reaction item over the answers that have it (one answer per trainee)."""
    items = []
    for item in REACTION_ITEMS:
        values = [a[item] for a in answers if a.get(item) is not None]
        items.append(ItemMean(item, len(values), sum(values) / len(values) if values else None))
    return Reaction(len(answers), tuple(items))


@dataclass(frozen=True)
class ItemChange:
    item: str
    pairs: int
    before: float | None
    after: float | None
    change: float | None


@dataclass(frozen=True)
class Learning:
    before: int
    after: int
    pairs: int
    items: tuple[ItemChange, ...]
    # The mean over the pairs of each trainee's mean change across the items both answered.
    change: float | None


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def learning(before: dict[int, dict[str, int]], after: dict[int, dict[str, int]]) -> Learning:
    """Paired per trainee (key: the enrolment): only trainees who answered both count in the
    change; per item, only pairs where both answers have the item."""
    paired = sorted(set(before) & set(after))
    items = []
    for item in LEARNING_ITEMS:
        both = [
            (before[k][item], after[k][item])
            for k in paired
            if before[k].get(item) is not None and after[k].get(item) is not None
        ]
        items.append(
            ItemChange(
                item,
                len(both),
                _mean([b for b, _a in both]),
                _mean([a for _b, a in both]),
                _mean([a - b for b, a in both]),
            )
        )
    per_trainee = []
    for k in paired:
        diffs = [
            after[k][i] - before[k][i]
            for i in LEARNING_ITEMS
            if before[k].get(i) is not None and after[k].get(i) is not None
        ]
        if diffs:
            per_trainee.append(sum(diffs) / len(diffs))
    return Learning(len(before), len(after), len(per_trainee), tuple(items), _mean(per_trainee))


# --- Level 4: results, the outcomes of the participants the trainees carried -----------------


@dataclass(frozen=True)
class Carried:
    """One participant's pairing with a trainee (after the trainee qualified): whether it has
    ended and whether it ended with the goal reached, and the activity minutes per week at the
    start review and at the latest later review (``None`` when not measured)."""

    participant_id: int
    ended: bool
    goal_reached: bool
    start_minutes: float | None
    latest_minutes: float | None


@dataclass(frozen=True)
class Results:
    participants: int
    ended: int
    goal_reached: int
    measured: int
    minutes_change: float | None


def results(carried: list[Carried]) -> Results:
    """Participants counted once each (a participant carried twice counts once; their pairings
    are judged together: ended when all ended, goal reached when any did; the change is the
    first measured pairing's)."""
    people: dict[int, list[Carried]] = {}
    for c in carried:
        people.setdefault(c.participant_id, []).append(c)
    ended = goal = 0
    changes = []
    for rows in people.values():
        if all(r.ended for r in rows):
            ended += 1
            if any(r.goal_reached for r in rows):
                goal += 1
        measured = [r for r in rows if r.start_minutes is not None and r.latest_minutes is not None]
        if measured:
            changes.append(measured[0].latest_minutes - measured[0].start_minutes)
    return Results(len(people), ended, goal, len(changes), _mean(changes))

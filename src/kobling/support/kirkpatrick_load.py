"""The loader for :mod:`kobling.support.kirkpatrick`: for a set of course runs (one run, or a
provider's runs), the trainees' answers to the forms (levels 1–2), the qualified trainees and
what they carried after (level 3) and the outcomes of the participants they carried (level 4) —
a fixed number of queries — and :func:`report`, the small-cell rule over them for pages and API. What counts as "carried" is a registry: the
pairings of followup are registered here; workplace assignments can add their own source with
:func:`register_spell_source` in their AppConfig.ready."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from kobling.courses.models import Qualification
from kobling.followup.models import Pairing
from kobling.lib.suppression import derived, hidden, part_of, suppress
from kobling.outcomes.choices import ReviewKind
from kobling.outcomes.models import ReviewScore
from kobling.referrals.choices import EndReason
from kobling.support.choices import TrainingForm
from kobling.support.kirkpatrick import (
    Behaviour,
    Carried,
    Learning,
    Reaction,
    Results,
    Trainee,
    behaviour,
    learning,
    reaction,
    results,
)
from kobling.support.models import TrainingAnswer

# The outcome measure the results use: the core activity measure (minutes per week).
ACTIVITY = "activity_minutes"

Spell = tuple[dt.date, dt.date | None]
SpellSource = Callable[[set[int]], Iterable[tuple[int, dt.date, dt.date | None]]]
SPELL_SOURCES: list[SpellSource] = []


def register_spell_source(source: SpellSource) -> SpellSource:
    """Add a kind of work a helper carries (idempotent): ``source(helper_ids)`` yields
    ``(helper_id, started, ended or None)`` in a fixed number of queries."""
    if source not in SPELL_SOURCES:
        SPELL_SOURCES.append(source)
    return source


def pairing_spells(helper_ids: set[int]) -> Iterable[tuple[int, dt.date, dt.date | None]]:
    """Pairings that started (one query)."""
    return Pairing.objects.filter(helper_id__in=helper_ids, started_on__isnull=False).values_list(
        "helper_id", "started_on", "ended_on"
    )


register_spell_source(pairing_spells)


def _qualified(runs: Any) -> dict[int, dt.date]:
    """Each trainee qualified by these runs, with the first day they qualified (one query)."""
    qualified: dict[int, dt.date] = {}
    for helper_id, day in Qualification.objects.filter(enrolment__run__in=runs).values_list(
        "helper_id", "qualified_on"
    ):
        if helper_id not in qualified or day < qualified[helper_id]:
            qualified[helper_id] = day
    return qualified


def _behaviour(qualified: dict[int, dt.date], today: dt.date) -> Behaviour:
    spells: dict[int, list[Spell]] = {h: [] for h in qualified}
    for source in SPELL_SOURCES:
        for helper_id, started, ended in source(set(qualified)):
            spells[helper_id].append((started, ended))
    return behaviour(
        [Trainee(h, q, tuple(sorted(spells[h], key=lambda s: s[0]))) for h, q in qualified.items()],
        today,
    )


def run_behaviour(run: Any, today: dt.date) -> Behaviour:
    """Level 3 for one course run."""
    return _behaviour(_qualified([run.pk]), today)


def _results(qualified: dict[int, dt.date]) -> Results:
    """Level 4: the participants the trainees carried after qualifying (two queries)."""
    rows = [
        row
        for row in Pairing.objects.filter(
            helper_id__in=sorted(qualified), started_on__isnull=False
        ).values_list("pk", "helper_id", "participant_id", "started_on", "ended_on", "end_reason")
        if row[3] >= qualified[row[1]]
    ]
    minutes: dict[int, dict[str, tuple[dt.date, float]]] = {}
    scores = (
        ReviewScore.objects.filter(
            review__pairing_id__in=[r[0] for r in rows],
            review__is_void=False,
            review__superseded_by__isnull=True,
            instrument_code=ACTIVITY,
            goal__isnull=True,
        )
        .values_list("review__pairing_id", "review__kind", "review__date", "value")
        .order_by("review__date", "review_id")
    )
    for pairing_id, kind, day, value in scores:
        seen = minutes.setdefault(pairing_id, {})
        if kind == ReviewKind.START:
            seen.setdefault("start", (day, float(value)))
        elif "start" in seen:
            seen["latest"] = (day, float(value))
    return results(
        [
            Carried(
                participant_id=participant_id,
                ended=ended is not None,
                goal_reached=reason == EndReason.GOAL_REACHED,
                start_minutes=minutes.get(pk, {}).get("start", (None, None))[1],
                latest_minutes=minutes.get(pk, {}).get("latest", (None, None))[1],
            )
            for pk, _h, participant_id, _s, ended, reason in rows
        ]
    )


def _answers(runs: Any) -> tuple[list[dict[str, int]], dict, dict, list[str]]:
    """The trainees' answers to the forms (one query): the after-forms' scores, the paired
    before/after scores by enrolment, and the comments."""
    after: dict[int, dict[str, int]] = {}
    before: dict[int, dict[str, int]] = {}
    comments: list[str] = []
    for enrolment_id, form, scores, comment in (
        TrainingAnswer.objects.filter(enrolment__run__in=runs)
        .values_list("enrolment_id", "form", "scores", "comment")
        .order_by("answered_at", "pk")
    ):
        (before if form == TrainingForm.BEFORE else after)[enrolment_id] = scores
        if comment:
            comments.append(comment)
    return list(after.values()), before, after, comments


@dataclass(frozen=True)
class Evaluation:
    """All four levels for a set of course runs (one run, or a provider's runs)."""

    runs: int
    reaction: Reaction
    learning: Learning
    behaviour: Behaviour
    results: Results
    comments: tuple[str, ...]


def evaluation(runs: Any, today: dt.date) -> Evaluation:
    """The four levels over ``runs`` (ids or a queryset of course runs), in a fixed number of
    queries however many runs and trainees."""
    run_ids = sorted(runs.values_list("pk", flat=True)) if hasattr(runs, "values_list") else runs
    qualified = _qualified(run_ids)
    reactions, before, after, comments = _answers(run_ids)
    return Evaluation(
        runs=len(run_ids),
        reaction=reaction(reactions),
        learning=learning(before, after),
        behaviour=_behaviour(qualified, today),
        results=_results(qualified),
        comments=tuple(comments),
    )


def _round(value: float | None, places: int = 1) -> float | None:
    return None if value is None else round(value, places)


def report(found: Evaluation) -> dict[str, Any]:
    """The four levels as they may be shown (pages and API alike): counts of 1–4 persons as
    ``"<5"``, a mean or share only over 5 or more persons (``lib/suppression.py``); comments only
    when 5 or more answered, in alphabetical order (not the order they came in)."""
    r, learn, b, res = found.reaction, found.learning, found.behaviour, found.results
    answered = suppress(r.answered)
    placed = part_of(b.placed, b.judged_placed)
    stayed = part_of(b.stayed, b.judged_stayed)
    ended = part_of(res.ended, res.participants)
    goal = part_of(res.goal_reached, res.ended)

    def share(part: int, whole: int, cell: object) -> object:
        return derived(round(100 * part / whole) if whole else None, suppress(whole), cell)

    return {
        "runs": found.runs,
        "reaction": {
            "answered": answered,
            "items": [
                {
                    "item": i.item,
                    "answers": suppress(i.answers),
                    "mean": derived(_round(i.mean), suppress(i.answers)),
                }
                for i in r.items
            ],
            "comments": sorted(found.comments) if not hidden(answered) and r.answered else [],
        },
        "learning": {
            "before": suppress(learn.before),
            "after": suppress(learn.after),
            "pairs": suppress(learn.pairs),
            "change": derived(_round(learn.change, 2), suppress(learn.pairs)),
            "items": [
                {
                    "item": i.item,
                    "pairs": suppress(i.pairs),
                    "before": derived(_round(i.before), suppress(i.pairs)),
                    "after": derived(_round(i.after), suppress(i.pairs)),
                    "change": derived(_round(i.change, 2), suppress(i.pairs)),
                }
                for i in learn.items
            ],
        },
        "behaviour": {
            "qualified": suppress(b.qualified),
            "judged_placed": suppress(b.judged_placed),
            "placed": placed,
            "placed_share": share(b.placed, b.judged_placed, placed),
            "judged_stayed": suppress(b.judged_stayed),
            "stayed": stayed,
            "stayed_share": share(b.stayed, b.judged_stayed, stayed),
        },
        "results": {
            "participants": suppress(res.participants),
            "ended": ended,
            "goal_reached": goal,
            "goal_reached_share": share(res.goal_reached, res.ended, goal),
            "measured": suppress(res.measured),
            "minutes_change": derived(_round(res.minutes_change, 0), suppress(res.measured)),
        },
    }

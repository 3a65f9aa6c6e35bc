"""The ranked list of a round's applications against its budget — a pure calculator (no
Django): the selector loads plain rows, this ranks them.

The weighted score of an application is, per criterion, the mean of the officers' scores, then
the weighted mean over the criteria that have any score (weights as the scheme sets them), on
the officers' scale. Applications without any score come last. The running total adds up the
amounts asked for in rank order; ``within_budget`` says whether the total still fits."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class ScoreRow:
    application_id: int
    criterion_id: int
    value: int


@dataclass(frozen=True)
class Candidate:
    application_id: int
    requested: Decimal


@dataclass(frozen=True)
class Ranked:
    rank: int
    application_id: int
    requested: Decimal
    weighted_score: float | None
    scorers: int
    running_total: Decimal
    within_budget: bool


def weighted_scores(
    scores: Iterable[ScoreRow], weights: Mapping[int, int]
) -> dict[int, tuple[float, int]]:
    """Application → (weighted score, number of score rows). Scores for unknown criteria are
    ignored."""
    by_app: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    counts: dict[int, int] = defaultdict(int)
    for row in scores:
        if row.criterion_id in weights:
            by_app[row.application_id][row.criterion_id].append(row.value)
            counts[row.application_id] += 1
    result = {}
    for app_id, per_criterion in by_app.items():
        total_weight = sum(weights[c] for c in per_criterion)
        value = sum(weights[c] * sum(v) / len(v) for c, v in per_criterion.items())
        result[app_id] = (round(value / total_weight, 2), counts[app_id])
    return result


def rank(
    candidates: Iterable[Candidate],
    scores: Iterable[ScoreRow],
    weights: Mapping[int, int],
    budget: Decimal,
) -> list[Ranked]:
    """The candidates in rank order (highest weighted score first; ties and unscored ones by
    the smaller amount asked, then the earlier application)."""
    computed = weighted_scores(scores, weights)

    def key(c: Candidate) -> tuple:
        score = computed.get(c.application_id)
        return (score is None, -(score[0] if score else 0), c.requested, c.application_id)

    ranked: list[Ranked] = []
    total = Decimal(0)
    for position, candidate in enumerate(sorted(candidates, key=key), start=1):
        total += candidate.requested
        score = computed.get(candidate.application_id)
        ranked.append(
            Ranked(
                rank=position,
                application_id=candidate.application_id,
                requested=candidate.requested,
                weighted_score=score[0] if score else None,
                scorers=score[1] if score else 0,
                running_total=total,
                within_budget=total <= budget,
            )
        )
    return ranked

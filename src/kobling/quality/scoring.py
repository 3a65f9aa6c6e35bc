"""Scores of a self-assessment, pure: plain answers in, plain numbers out.

Per domain: the points (sum of the item scores), the most possible (3 × items) and the percent of
that; the same for the whole checklist; and how many items are *not in place* (score 0).
Unanswered items count 0 points but are not counted as "not in place" (they are counted as
unanswered) — a draft's score is shown as provisional. The trend compares each domain's percent
with the year before."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from kobling.quality.checklist import MAX_SCORE, Checklist


def percent(points: int, most: int) -> Decimal | None:
    if not most:
        return None
    return (Decimal(100) * points / most).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass(frozen=True)
class DomainScore:
    code: str
    number: int
    title: str
    points: int
    max_points: int
    answered: int
    items: int
    not_in_place: int

    @property
    def percent(self) -> Decimal | None:
        return percent(self.points, self.max_points)


@dataclass(frozen=True)
class Scores:
    domains: tuple[DomainScore, ...]
    points: int
    max_points: int
    answered: int
    items: int
    not_in_place: int

    @property
    def percent(self) -> Decimal | None:
        return percent(self.points, self.max_points)

    @property
    def complete(self) -> bool:
        return self.answered == self.items

    def domain(self, code: str) -> DomainScore | None:
        return next((d for d in self.domains if d.code == code), None)


def score(checklist: Checklist, answers: Mapping[str, int]) -> Scores:
    """The scores of ``answers`` (item code → 0–3) on ``checklist``; codes not in it are ignored."""
    domains = []
    for domain in checklist.domains:
        given = [answers[i.code] for i in domain.items if answers.get(i.code) is not None]
        domains.append(
            DomainScore(
                code=domain.code,
                number=domain.number,
                title=str(domain.title),
                points=sum(given),
                max_points=MAX_SCORE * len(domain.items),
                answered=len(given),
                items=len(domain.items),
                not_in_place=sum(1 for s in given if s == 0),
            )
        )
    return Scores(
        domains=tuple(domains),
        points=sum(d.points for d in domains),
        max_points=sum(d.max_points for d in domains),
        answered=sum(d.answered for d in domains),
        items=sum(d.items for d in domains),
        not_in_place=sum(d.not_in_place for d in domains),
    )


UP, DOWN, SAME = "up", "down", "same"


def direction(now: Decimal | None, before: Decimal | None) -> str | None:
    """ "up", "down" or "same" against the year before; None when either is missing."""
    if now is None or before is None:
        return None
    return UP if now > before else DOWN if now < before else SAME


@dataclass(frozen=True)
class TrendYear:
    year: int
    assessment_id: int
    scores: Scores
    # Domain code → "up"/"down"/"same" against the previous *assessed* year (None for the first).
    changes: dict[str, str | None] = field(default_factory=dict)
    total_change: str | None = None
    previous_year: int | None = None


def trend(years: Sequence[tuple[int, int, Scores]]) -> list[TrendYear]:
    """``years``: (year, assessment id, scores), any order → oldest first, each compared with the
    assessed year before it."""
    out: list[TrendYear] = []
    previous: TrendYear | None = None
    for year, pk, scores in sorted(years, key=lambda t: t[0]):
        changes = {
            d.code: direction(
                d.percent, previous.scores.domain(d.code).percent if previous else None
            )
            if previous and previous.scores.domain(d.code)
            else None
            for d in scores.domains
        }
        row = TrendYear(
            year=year,
            assessment_id=pk,
            scores=scores,
            changes=changes,
            total_change=direction(scores.percent, previous.scores.percent if previous else None),
            previous_year=previous.year if previous else None,
        )
        out.append(row)
        previous = row
    return out

"""The matching engine: pure Python/numpy/scipy, no Django.

Entry point: ``match(participants, contacts, weights=Weights(), constraints=Constraints(),
min_score=0.0) -> MatchResult`` (see engine/types.py for the data, docs/matching.md for the
factors, the hard constraints, the assignment and the reason codes).

``match_with_problem`` returns the same result together with the assignment problem the engine
solved (its cost matrix), for the benchmark and for tests.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import reasons
from .assign import AssignmentProblem, RowStats, build_problem, solve
from .scoring import (
    Encoded,
    PairExplanation,
    explain_pair,
    pair_violations,
    validate_weights,
)
from .types import (
    FACTORS,
    Constraints,
    ContactSpec,
    FactorScore,
    MatchResult,
    ParticipantSpec,
    Proposal,
    TimeWindow,
    Unmatched,
    Weights,
)

__all__ = [
    "FACTORS",
    "AssignmentProblem",
    "Constraints",
    "ContactSpec",
    "FactorScore",
    "MatchResult",
    "PairExplanation",
    "ParticipantSpec",
    "Proposal",
    "Solved",
    "TimeWindow",
    "Unmatched",
    "Weights",
    "explain_pair",
    "match",
    "match_with_problem",
    "reasons",
]


@dataclass
class Solved:
    """A match result with the assignment problem behind it. ``locked_score`` is the score of
    the locked pairs, which are placed before (and outside) the cost matrix, so a solution
    (rows, cols) of ``problem`` is worth ``locked_score + problem.objective(rows, cols)``."""

    result: MatchResult
    problem: AssignmentProblem
    locked_score: float


def match(
    participants: Sequence[ParticipantSpec],
    contacts: Sequence[ContactSpec],
    weights: Weights = Weights(),  # noqa: B008 - frozen dataclasses, safe as defaults
    constraints: Constraints = Constraints(),  # noqa: B008
    min_score: float = 0.0,
) -> MatchResult:
    """Propose at most one contact to each participant, maximising the total score of all
    proposals at once (docs/matching.md).

    Locked pairs (``constraints.locked``) are placed first and take one of the contact's
    places; a participant whose lock breaks a hard constraint or finds no place is left
    unmatched ("locked_pair_not_possible"). Everyone else gets a contact only if the pair
    breaks no hard constraint (musts, travel limit, avoided contact, forbidden pair), scores at
    least ``min_score`` and the contact has a place left; otherwise they are unmatched with
    the reason. The result is sorted by participant id and does not depend on input order.
    Raises ValueError for duplicate ids, negative weights or a malformed time window."""
    return match_with_problem(participants, contacts, weights, constraints, min_score).result


def match_with_problem(
    participants: Sequence[ParticipantSpec],
    contacts: Sequence[ContactSpec],
    weights: Weights = Weights(),  # noqa: B008
    constraints: Constraints = Constraints(),  # noqa: B008
    min_score: float = 0.0,
) -> Solved:
    """``match``, also returning the assignment problem that was solved."""
    validate_weights(weights)
    if not math.isfinite(min_score):
        raise ValueError(f"min_score must be a finite number, got {min_score!r}")
    # Work in id order, so the result does not depend on the order of the input.
    ps = sorted(participants, key=lambda p: p.id)
    by_id = sorted(contacts, key=lambda c: c.id)
    _check_unique(ps, "participant")
    _check_unique(by_id, "contact")
    places = np.fromiter((c.capacity for c in by_id), np.int64, len(by_id))
    locked, lock_failed = _apply_locks(ps, by_id, constraints, places)

    free = np.asarray([i for i in range(len(ps)) if i not in locked and i not in lock_failed], int)
    # Contacts with the most places first (then by id): every further slot block of the cost
    # matrix is then a prefix of the first, copied as a slice (assign.build_problem).
    order = np.argsort(-np.minimum(np.maximum(places, 0), len(free)), kind="stable")
    cs = [by_id[j] for j in order.tolist()]
    places = places[order]
    position = np.empty_like(order)
    position[order] = np.arange(len(order))
    locked = {i: int(position[j]) for i, j in locked.items()}
    encoded = Encoded(ps, cs)
    scorer = encoded.scorer(weights, free, constraints.forbidden, sign=-1.0)
    problem, stats = build_problem(scorer, places, min_score)

    row_ind, col_ind = solve(problem)
    pairs = dict(problem.pairs(row_ind, col_ind))
    left = places - np.bincount(
        np.fromiter(pairs.values(), np.int64, len(pairs)), minlength=len(cs)
    )
    _fill_zero_score_places(problem, stats, pairs, left)

    chosen = sorted(
        [(i, j, True) for i, j in locked.items()] + [(i, j, False) for i, j in pairs.items()]
    )
    explained = encoded.explain([i for i, _, _ in chosen], [j for _, j, _ in chosen], weights)
    proposals = [
        Proposal(
            participant_id=ps[i].id,
            contact_id=cs[j].id,
            score=math.fsum(f.contribution for f in factors),
            factors=factors,
            locked=is_locked,
        )
        for (i, j, is_locked), factors in zip(chosen, explained, strict=True)
    ]
    unmatched = list(lock_failed.values())
    unmatched += _unmatched(ps, free, pairs, scorer.excluded, stats, min_score)
    unmatched.sort(key=lambda u: u.participant_id)
    result = MatchResult(
        proposals=tuple(proposals),
        unmatched=tuple(unmatched),
        objective=math.fsum(p.score for p in proposals),
    )
    locked_score = math.fsum(p.score for p in proposals if p.locked)
    return Solved(result=result, problem=problem, locked_score=locked_score)


def _check_unique(items: Sequence[ParticipantSpec] | Sequence[ContactSpec], what: str) -> None:
    for a, b in zip(items, items[1:], strict=False):
        if a.id == b.id:
            raise ValueError(f"{what} id {a.id} appears twice")


def _apply_locks(
    ps: Sequence[ParticipantSpec],
    cs: Sequence[ContactSpec],
    constraints: Constraints,
    places: np.ndarray,
) -> tuple[dict[int, int], dict[int, Unmatched]]:
    """Locked pairs first, in participant then contact order; each takes a place. A
    participant whose locks are all impossible stays unmatched (the coordinator asked for that
    pair, so no other contact is proposed silently)."""
    p_at = {p.id: i for i, p in enumerate(ps)}
    c_at = {c.id: j for j, c in enumerate(cs)}
    locked: dict[int, int] = {}
    failed: dict[int, Unmatched] = {}
    for pid, cid in sorted(constraints.locked):
        i = p_at.get(pid)
        if i is None or i in locked:
            continue
        j = c_at.get(cid)
        if j is None:
            why: tuple[str, ...] = (reasons.CONTACT_NOT_IN_RUN,)
        else:
            why = pair_violations(ps[i], cs[j], constraints.forbidden)
            if not why and places[j] <= 0:
                why = (reasons.NO_PLACES,)
        if why:
            details = {"contact_id": cid, "why": list(why)}
            failed.setdefault(i, Unmatched(pid, reasons.LOCKED_PAIR_NOT_POSSIBLE, details))
            continue
        locked[i] = j
        failed.pop(i, None)
        places[j] -= 1
    return locked, failed


def _fill_zero_score_places(
    problem: AssignmentProblem, stats: RowStats, pairs: dict[int, int], left: np.ndarray
) -> None:
    """A pair scoring exactly 0 neither helps nor hurts the objective, so the solver may leave
    it out; give such places anyway rather than leave someone waiting next to a free place.
    (Scores are >= 0, so any other acceptable pair with a place left would have been chosen.)"""
    if not (left > 0).any():
        return
    for k, i in enumerate(problem.rows.tolist()):
        if i in pairs or not stats.acceptable[k]:
            continue
        options = problem.open_acceptable(k)
        options = options[left[options] > 0]
        if len(options):
            pairs[i] = j = int(options[0])
            left[j] -= 1


def _unmatched(
    ps: Sequence[ParticipantSpec],
    free: np.ndarray,
    pairs: dict[int, int],
    excluded: dict[str, np.ndarray],
    stats: RowStats,
    min_score: float,
) -> list[Unmatched]:
    out = []
    for k, i in enumerate(free.tolist()):
        if i in pairs:
            continue
        pid = ps[i].id
        if not stats.feasible[k]:
            counts = {name: int(n[k]) for name, n in excluded.items() if n[k]}
            out.append(Unmatched(pid, reasons.NO_ACCEPTABLE_CONTACT, {"excluded_by": counts}))
        elif not stats.acceptable[k]:
            details = {"best_score": round(float(stats.best[k]), 3), "min_score": min_score}
            out.append(Unmatched(pid, reasons.BELOW_MINIMUM_SCORE, details))
        else:
            details = {"acceptable_contacts": int(stats.acceptable[k])}
            out.append(Unmatched(pid, reasons.NO_CAPACITY, details))
    return out

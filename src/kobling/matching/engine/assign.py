"""Optimal assignment of participants to contact places.

Every contact with k places left becomes min(k, number of participants) identical columns
("slots"); every participant also gets an "unmatched" column. The cost of a real pair is
−score, of an unacceptable pair (a hard constraint broken, or a score below the minimum)
``UNACCEPTABLE`` (> 0), of staying unmatched 0. ``linear_sum_assignment`` then maximises the
total score over all participants at once, and leaves a participant unmatched rather than give
an unacceptable pair: a free unmatched column, costing less, is always there.

So the solver sees a rectangular n × (slots + n) matrix. Identical slots make this a
transportation problem; as an assignment on expanded columns it stays simple and exact
(docs/matching.md has the measurements).

The matrix is written in one streaming pass: a block of rows is scored into its place in the
first column block (every open contact's first slot), checked, then copied into the further
slot blocks while it is still in the cache. The engine orders contacts by places, most
first, so every further block is a prefix of the first and the copies are plain slices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy.optimize import linear_sum_assignment

from .scoring import SCORE_EPS, block_rows

# Any positive cost would do (a free unmatched column always costs 0); 1e3 keeps it obvious.
UNACCEPTABLE = 1e3


class BlockScorer(Protocol):
    """What build_problem needs from scoring.RowScorer (made with sign = −1)."""

    rows: np.ndarray
    n_contacts: int

    def block(self, k0: int, k1: int, out: np.ndarray, blocked: np.ndarray) -> None: ...


@dataclass
class AssignmentProblem:
    """The cost matrix the solver sees and how to read its columns back."""

    cost: np.ndarray  # len(rows) × (len(slot_contact) + len(rows)), float64, C-contiguous
    rows: np.ndarray  # participant index of each cost row
    slot_contact: np.ndarray  # contact index of each real column; the rest are "unmatched"
    open_contacts: np.ndarray  # contacts with a place, in the order of the first column block

    def pairs(self, row_ind: np.ndarray, col_ind: np.ndarray) -> list[tuple[int, int]]:
        """(participant index, contact index) of the real, acceptable pairs of a solution."""
        real = col_ind < len(self.slot_contact)
        row_ind, col_ind = row_ind[real], col_ind[real]
        ok = self.cost[row_ind, col_ind] < UNACCEPTABLE / 2
        return list(
            zip(
                self.rows[row_ind[ok]].tolist(),
                self.slot_contact[col_ind[ok]].tolist(),
                strict=True,
            )
        )

    def objective(self, row_ind: np.ndarray, col_ind: np.ndarray) -> float:
        """Total score of a solution (of any solver) on this cost matrix."""
        return -float(self.cost[row_ind, col_ind].sum())

    def open_acceptable(self, k: int) -> np.ndarray:
        """Contacts (indices) with a place that row k may take."""
        head = self.cost[k, : len(self.open_contacts)]
        return self.open_contacts[head < UNACCEPTABLE / 2]


@dataclass
class RowStats:
    """Per cost row, gathered while the matrix is built (for the reasons of the unmatched)."""

    feasible: np.ndarray  # contacts breaking no hard constraint (with or without places)
    acceptable: np.ndarray  # of those, contacts scoring at least the minimum
    best: np.ndarray  # best feasible score (NaN if none; only computed when min_score > 0)


def build_problem(
    scorer: BlockScorer, places: np.ndarray, min_score: float
) -> tuple[AssignmentProblem, RowStats]:
    """The cost matrix for the scorer's rows and the contacts with ``places`` left.

    Contacts ordered by places, most first, make every further slot block a prefix of the
    first: a slice copy instead of a column gather (any order is correct, that one is faster)."""
    n, n_c = len(scorer.rows), scorer.n_contacts
    slots = np.minimum(np.maximum(places, 0), n)
    blocks = [np.flatnonzero(slots >= k) for k in range(1, int(slots.max(initial=0)) + 1)]
    open_contacts = blocks[0] if blocks else np.zeros(0, np.int64)
    slot_contact = np.concatenate(blocks) if blocks else np.zeros(0, np.int64)
    n_open, n_slots = len(open_contacts), len(slot_contact)
    # Per further block: None when it is a prefix of the first block, else its columns there.
    at = [
        None if np.array_equal(b, open_contacts[: len(b)]) else np.searchsorted(open_contacts, b)
        for b in blocks[1:]
    ]
    stats = RowStats(
        feasible=np.zeros(n, np.int64),
        acceptable=np.zeros(n, np.int64),
        best=np.full(n, np.nan),
    )
    # Zero-filled lazily by the OS: the unmatched columns are never written (they stay 0).
    cost = np.zeros((n, n_slots + n))
    step = block_rows(n_c)
    # Written straight into the matrix when the open contacts are all contacts, in order.
    direct = n_open == n_c
    head_is_prefix = np.array_equal(open_contacts, np.arange(n_open))
    check_min = min_score > SCORE_EPS
    buf = None if direct and head_is_prefix else np.empty((min(step, n), n_c))
    blocked_buf = np.empty((min(step, n), n_c), bool)
    for k0 in range(0, n if n_c else 0, step):
        k1 = min(k0 + step, n)
        head = cost[k0:k1, :n_open]
        neg = head if buf is None else buf[: k1 - k0]  # −score of all contacts
        blocked = blocked_buf[: k1 - k0]
        scorer.block(k0, k1, neg, blocked)
        stats.feasible[k0:k1] = n_c - np.count_nonzero(blocked, axis=1)
        if check_min:
            stats.best[k0:k1] = np.where(blocked, -np.inf, -neg).max(axis=1)
            np.logical_or(blocked, neg > SCORE_EPS - min_score, out=blocked)
            stats.acceptable[k0:k1] = n_c - np.count_nonzero(blocked, axis=1)
        else:
            stats.acceptable[k0:k1] = stats.feasible[k0:k1]
        np.copyto(neg, UNACCEPTABLE, where=blocked)
        if buf is not None and head_is_prefix:
            np.copyto(head, neg[:, :n_open])
        elif buf is not None:
            np.take(neg, open_contacts, axis=1, out=head, mode="clip")
        offset = n_open
        for block, cols in zip(blocks[1:], at, strict=True):
            out = cost[k0:k1, offset : offset + len(block)]
            if cols is None:
                np.copyto(out, head[:, : len(block)])
            else:
                np.take(head, cols, axis=1, out=out, mode="clip")
            offset += len(block)
    stats.best[stats.feasible == 0] = np.nan
    problem = AssignmentProblem(
        cost=cost,
        rows=np.asarray(scorer.rows),
        slot_contact=slot_contact,
        open_contacts=open_contacts,
    )
    return problem, stats


def solve(problem: AssignmentProblem) -> tuple[np.ndarray, np.ndarray]:
    """Run the solver (minimising cost). scipy releases the GIL while it works."""
    if not problem.cost.size:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return linear_sum_assignment(problem.cost)

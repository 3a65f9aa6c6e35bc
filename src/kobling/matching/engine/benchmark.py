"""The matching benchmark, without Django: the engine end to end against the bare solver on
the same cost matrix (``kobling bench matching`` prints it; docs/matching.md has the numbers).

Both timings are the best of ``repeat`` runs (interleaved, so that a busy moment on the machine
hits both alike), measured with time.perf_counter. The engine's time covers everything from the
participants and contacts to the MatchResult: features, scores, hard constraints, the cost
matrix, the solver, proposals with their factors and the reasons of the unmatched. Generating
the synthetic problem is not timed.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass

from scipy.optimize import linear_sum_assignment

from . import match_with_problem
from .synthetic import generate

OPTIMAL_TOLERANCE = 1e-6


@dataclass(frozen=True)
class BenchResult:
    n: int
    m: int
    seed: int
    repeat: int
    total_s: float
    solver_only_s: float
    objective: float
    solver_objective: float
    rows: int
    columns: int
    slots: int
    matched: int
    unmatched: int
    locked: int

    @property
    def ratio(self) -> float:
        return self.total_s / self.solver_only_s if self.solver_only_s > 0 else float("inf")

    @property
    def optimal(self) -> bool:
        return abs(self.objective - self.solver_objective) <= OPTIMAL_TOLERANCE * max(
            1.0, abs(self.objective)
        )

    def as_json(self) -> dict:
        """Exactly the keys of the issue's one-line report."""
        return {
            "n": self.n,
            "m": self.m,
            "total_s": round(self.total_s, 4),
            "solver_only_s": round(self.solver_only_s, 4),
            "ratio": round(self.ratio, 3),
            "optimal": self.optimal,
        }


def run(n: int, m: int, seed: int = 0, repeat: int = 3) -> BenchResult:
    problem = generate(n, m, seed)
    total = solver = float("inf")
    for _ in range(max(1, repeat)):
        gc.collect()
        start = time.perf_counter()
        solved = match_with_problem(
            problem.participants, problem.contacts, constraints=problem.constraints
        )
        total = min(total, time.perf_counter() - start)
        cost = solved.problem.cost
        start = time.perf_counter()
        rows, cols = linear_sum_assignment(cost)
        solver = min(solver, time.perf_counter() - start)
        del cost
    result = solved.result
    return BenchResult(
        n=n,
        m=m,
        seed=seed,
        repeat=max(1, repeat),
        total_s=total,
        solver_only_s=solver,
        objective=result.objective,
        solver_objective=solved.locked_score + solved.problem.objective(rows, cols),
        rows=solved.problem.cost.shape[0],
        columns=solved.problem.cost.shape[1],
        slots=len(solved.problem.slot_contact),
        matched=len(result.proposals),
        unmatched=len(result.unmatched),
        locked=sum(p.locked for p in result.proposals),
    )

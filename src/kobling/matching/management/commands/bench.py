"""``kobling bench matching --participants N --contacts M [--json] [--seed S] [--repeat R]``:
the matching engine end to end on a deterministic synthetic problem, against
``scipy.optimize.linear_sum_assignment`` alone on the engine's own cost matrix.

With ``--json`` the last line is ``{"n", "m", "total_s", "solver_only_s", "ratio", "optimal"}``.
The work is in kobling.matching.engine.benchmark (pure); this command only prints."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kobling.matching.engine import benchmark


class Command(BaseCommand):
    help = "Benchmarks. `bench matching`: the matching engine end to end against the bare solver."
    requires_system_checks: list[str] = []  # no database, no settings needed

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["matching"], help="what to benchmark")
        parser.add_argument("--participants", type=int, default=2000, help="N (default 2000)")
        parser.add_argument("--contacts", type=int, default=2000, help="M (default 2000)")
        parser.add_argument("--seed", type=int, default=0, help="synthetic problem seed")
        parser.add_argument(
            "--repeat", type=int, default=3, help="runs; the best time of each is kept"
        )
        parser.add_argument("--json", action="store_true", help="end with one JSON line")

    def handle(self, *args: object, **options: object) -> None:
        n, m = int(options["participants"]), int(options["contacts"])  # type: ignore[call-overload]
        if n < 1 or m < 1:
            raise CommandError("--participants and --contacts must be at least 1.")
        result = benchmark.run(n, m, seed=int(options["seed"]), repeat=int(options["repeat"]))  # type: ignore[call-overload]
        if options["json"]:
            self.stdout.write(json.dumps(result.as_json()))
            return
        verdict = "optimal" if result.optimal else "NOT OPTIMAL"
        lines = [
            f"Matching benchmark: {n} participants x {m} contacts "
            f"(seed {result.seed}, best of {result.repeat})",
            f"  cost matrix:    {result.rows} x {result.columns} "
            f"({result.slots} slots + {result.rows} unmatched columns)",
            f"  engine, end to end:  {result.total_s:.3f} s",
            f"  solver alone:        {result.solver_only_s:.3f} s",
            f"  ratio:               {result.ratio:.2f}",
            f"  objective:           {result.objective:.4f} "
            f"(solver alone {result.solver_objective:.4f}: {verdict})",
            f"  proposals:           {result.matched} ({result.locked} locked), "
            f"unmatched {result.unmatched}",
        ]
        self.stdout.write("\n".join(lines))

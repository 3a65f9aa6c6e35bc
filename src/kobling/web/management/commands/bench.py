"""``kobling bench matching --participants N --contacts M [--json] [--seed S] [--repeat R]``:
the matching engine end to end on a deterministic synthetic problem, against
``scipy.optimize.linear_sum_assignment`` alone on the engine's own cost matrix.

With ``--json`` the last line is ``{"n", "m", "total_s", "solver_only_s", "ratio", "optimal"}``.
The work is in kobling.matching.engine.benchmark (pure); this command only prints. It lives in
the composition layer (web) because it dispatches to more than one app's bench module.

``kobling bench dashboard [--participants 5000 --contacts 1500 --sessions 500000] [--json]``:
the evaluation dashboard against the equivalent SQL over the base tables
(kobling.dashboards.bench; last line ``{"participants", "contacts", "sessions",
"dashboard_ms", "direct_sql_ms", "ratio"}``).

``kobling bench facts|costs|research [--participants 5000] [--json]``: one pure calculator alone
(the dashboard facts, the cost formulas, the research dataset's rows) on synthetic plain rows, no
database, against one pass over the same rows measured in the same run
(kobling.lib.calcbench; last line ``{"calculator", "participants", "rows", "calc_ms",
"baseline_ms", "ratio", …}``).

``kobling bench attendance [--participants 15] [--weeks 12] [--json]``: the group leader's
attendance screen for a group with a term of meetings behind it — the page, saving the ticks, the
API's attendance list and a course's report — against the floor of ``/healthz`` in the same run,
with the queries of each (kobling.groups.bench; last line ``{"page_ms", "floor_ms", "ratio",
"page_queries", …}``).

``kobling bench provider [--rows 10000] [--checkins 1000] [--json]``: visits from a gym's own
system — a CSV file through the importer and single check-ins through the provider API — each
against a bare bulk insert of the same rows in the same run (kobling.providers.bench; last line
``{"csv_ms", "csv_bare_ms", "csv_ratio", "api_ms", "api_bare_ms", "api_ratio", …}``).

``kobling bench load [--users 100] [--seconds 60] [--smoke] [--json]``: the production server
(gunicorn) under a mix of simulated users (locust, headless) — coordinators browsing the lists,
the waiting list and the dashboard, contacts logging sessions on the phone screen, referrers
reading reports, API clients — on a database of its own with a large municipality as `bench
dashboard` builds it and ``--small`` small ones, first with one web process, then with two
(kobling.web.load; last line ``{"p50_ms", "p95_ms", "p99_ms", "rps", "errors",
"rps_by_processes", "scale_out", …}``). PostgreSQL when DATABASE_URL points at it; SQLite is
not representative. Exits non-zero on any failed request. docs/performance.md has the figures."""

from __future__ import annotations

import importlib
import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kobling.matching.engine import benchmark

# The pure calculators, each with its benchmark module (``run(participants, seed, repeat)``).
CALCULATORS = {
    "facts": "kobling.dashboards.facts_bench",
    "costs": "kobling.pay.cost_bench",
    "research": "kobling.research.rows_bench",
}


def _size(value: object, default: int) -> int:
    return default if value is None else int(value)  # type: ignore[call-overload]


class Command(BaseCommand):
    help = (
        "Benchmarks. `bench matching`: the matching engine end to end against the bare solver. "
        "`bench dashboard`: the evaluation dashboard against direct SQL on the base tables. "
        "`bench facts|costs|research`: one pure calculator alone against one pass over its rows. "
        "`bench attendance`: a group leader's attendance screen against the /healthz floor. "
        "`bench provider`: provider visits by CSV and by API against a bare bulk insert. "
        "`bench load`: the production server under simulated users, one web process vs two."
    )
    requires_system_checks: list[str] = []  # no database, no settings needed

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "what",
            choices=["matching", "dashboard", "attendance", "provider", *CALCULATORS, "load"],
            help="what to benchmark",
        )
        parser.add_argument(
            "--participants",
            type=int,
            default=None,
            help="N (default 2000; dashboard and the calculators 5000)",
        )
        parser.add_argument(
            "--contacts", type=int, default=None, help="M (default 2000; dashboard 1500)"
        )
        parser.add_argument(
            "--sessions",
            type=int,
            default=None,
            help="dashboard (default 500000) and load (100000)",
        )
        parser.add_argument("--seed", type=int, default=0, help="synthetic problem seed")
        parser.add_argument(
            "--weeks", type=int, default=None, help="attendance: weeks of meetings held (12)"
        )
        parser.add_argument(
            "--rows", type=int, default=None, help="provider: rows in the CSV file (10000)"
        )
        parser.add_argument(
            "--checkins", type=int, default=None, help="provider: single API check-ins (1000)"
        )
        parser.add_argument(
            "--repeat", type=int, default=3, help="runs; the best time of each is kept"
        )
        parser.add_argument("--json", action="store_true", help="end with one JSON line")
        load = parser.add_argument_group("load")
        load.add_argument("--users", type=int, default=None, help="simulated users (100)")
        load.add_argument("--seconds", type=float, default=None, help="measured time per run (60)")
        load.add_argument(
            "--warmup", type=float, default=None, help="users start, not measured (10)"
        )
        load.add_argument(
            "--small", type=int, default=None, help="small municipalities beside the large (20)"
        )
        load.add_argument(
            "--processes",
            default=None,
            help="web processes per run, comma-separated (1,2: the scale-out ratio)",
        )
        load.add_argument("--threads", type=int, default=2, help="threads per web process (2)")
        load.add_argument(
            "--think",
            default=None,
            help="seconds each user waits between requests, MIN,MAX (0.5,1.5 as the issue's "
            "outside measurement; a person at a screen takes longer)",
        )
        load.add_argument(
            "--smoke",
            action="store_true",
            help="10 users, 20 s, small data, one process: that it runs without errors",
        )
        load.add_argument(
            "--in-place",
            action="store_true",
            help="use the configured database as it is (data is added and left), not a new one",
        )

    def handle(self, *args: object, **options: object) -> None:
        if options["what"] == "load":
            from kobling.web.load.command import handle_load

            handle_load(self, options)
            return
        if options["what"] == "dashboard":
            self._dashboard(options)
            return
        if options["what"] == "attendance":
            self._attendance(options)
            return
        if options["what"] == "provider":
            self._provider(options)
            return
        if options["what"] in CALCULATORS:
            self._calculator(options)
            return
        n = _size(options["participants"], 2000)
        m = _size(options["contacts"], 2000)
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

    def _calculator(self, options: dict[str, object]) -> None:
        n = _size(options["participants"], 5000)
        if n < 1:
            raise CommandError("--participants must be at least 1.")
        bench = importlib.import_module(CALCULATORS[str(options["what"])])
        result = bench.run(n, seed=int(options["seed"]), repeat=int(options["repeat"]))  # type: ignore[call-overload]
        if not options["json"]:
            self.stdout.write("\n".join(result.lines()))
        self.stdout.write(json.dumps(result.as_json()))

    def _attendance(self, options: dict[str, object]) -> None:
        from kobling.groups import bench as attendance_bench

        n = _size(options["participants"], 15)
        weeks = _size(options["weeks"], 12)
        if n < 1 or weeks < 0:
            raise CommandError("--participants must be at least 1 and --weeks at least 0.")
        result = attendance_bench.run(
            participants=n,
            weeks=weeks,
            repeat=int(options["repeat"]),  # type: ignore[call-overload]
        )
        if not options["json"]:
            self.stdout.write("\n".join(result.lines()))
        self.stdout.write(json.dumps(result.as_json()))

    def _provider(self, options: dict[str, object]) -> None:
        from kobling.providers import bench as provider_bench

        rows = _size(options["rows"], 10_000)
        checkins = _size(options["checkins"], 1_000)
        if rows < 1 or checkins < 1:
            raise CommandError("--rows and --checkins must be at least 1.")
        result = provider_bench.run(
            csv_rows=rows,
            checkins=checkins,
            repeat=int(options["repeat"]),  # type: ignore[call-overload]
        )
        if not options["json"]:
            self.stdout.write("\n".join(result.lines()))
        self.stdout.write(json.dumps(result.as_json()))

    def _dashboard(self, options: dict[str, object]) -> None:
        from kobling.dashboards import bench as dashboard_bench

        n = _size(options["participants"], 5000)
        m = _size(options["contacts"], 1500)
        s = _size(options["sessions"], 500_000)
        if n < 1 or m < 1 or s < 0:
            raise CommandError("--participants and --contacts must be at least 1.")
        r = dashboard_bench.run(
            participants=n,
            contacts=m,
            sessions=s,
            seed=int(options["seed"]),  # type: ignore[call-overload]
            repeat=int(options["repeat"]),  # type: ignore[call-overload]
        )
        if not options["json"]:
            self.stdout.write(
                "\n".join(
                    [
                        f"Dashboard benchmark ({r.vendor}): {n} participants, {m} contacts, "
                        f"{s} sessions (best of {options['repeat']})",
                        f"  built in:            {r.build_s:.1f} s",
                        f"  aggregates refresh:  {r.refresh_ms:.0f} ms ({r.facts} figures)",
                        f"  dashboard page:      {r.dashboard_ms:.1f} ms",
                        f"  direct SQL:          {r.direct_sql_ms:.1f} ms",
                        f"  ratio:               {r.ratio:.3f}",
                    ]
                )
            )
        self.stdout.write(json.dumps(r.as_json()))

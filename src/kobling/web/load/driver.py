"""``python -m kobling.web.load.driver --host URL --users N --seconds S --warmup W --out F``:
locust headless through its library API (Environment + LocalRunner), in a process of its own
(gevent patches the interpreter it is imported in). The users come from kobling.web.load.users
and their accounts from the plan in ``KOBLING_LOAD_PLAN``. The statistics after the warm-up go
to ``--out`` as JSON: per page kind the count, failures and p50/p95/p99 (ms), and the totals."""

from __future__ import annotations

import argparse
import json
import sys
import time

import gevent
from locust.env import Environment
from locust.stats import StatsEntry

from kobling.web.load.users import ApiClient, Contact, Coordinator, Monitor, Referrer


def _entry(e: StatsEntry, seconds: float) -> dict[str, float | int]:
    return {
        "count": e.num_requests,
        "failures": e.num_failures,
        "p50": e.get_response_time_percentile(0.5) if e.num_requests else 0,
        "p95": e.get_response_time_percentile(0.95) if e.num_requests else 0,
        "p99": e.get_response_time_percentile(0.99) if e.num_requests else 0,
        "mean": round(e.avg_response_time, 1),
        "rps": round(e.num_requests / seconds, 1) if seconds else 0.0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", required=True)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=10)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)

    env = Environment(
        user_classes=[Monitor, Coordinator, Contact, Referrer, ApiClient],
        host=args.host,
        events=None,
    )
    runner = env.create_local_runner()
    # All users within the first half of the warm-up (or at once without one).
    rate = args.users / max(args.warmup / 2, 0.1) if args.warmup else args.users
    runner.start(args.users, spawn_rate=rate)
    gevent.sleep(args.warmup)
    env.stats.reset_all()
    started = time.monotonic()
    gevent.sleep(args.seconds)
    seconds = time.monotonic() - started
    runner.quit()

    kinds = {
        name: _entry(entry, seconds) for (name, _method), entry in sorted(env.stats.entries.items())
    }
    errors = sorted(
        (
            {"kind": e.name, "error": str(e.error), "occurrences": e.occurrences}
            for e in env.stats.errors.values()
        ),
        key=lambda e: -e["occurrences"],
    )
    result = {
        "users": args.users,
        "seconds": round(seconds, 1),
        "kinds": kinds,
        "total": _entry(env.stats.total, seconds),
        "errors": errors[:20],
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())

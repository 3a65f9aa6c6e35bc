"""`kobling bench load` (called from the `bench` command): the options, the scratch database,
the data, the runs, the report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from kobling.web.load import scratch
from kobling.web.load.data import generate
from kobling.web.load.runner import LoadError, serve_and_load


def _pick(options: dict[str, Any], name: str, smoke: bool, small: Any, full: Any) -> Any:  # noqa: ANN401
    value = options.get(name)
    if value is not None:
        return value
    return small if smoke else full


def resolve(options: dict[str, Any]) -> dict[str, Any]:
    """The options with the defaults of a full run or of ``--smoke`` filled in."""
    smoke = bool(options.get("smoke"))
    processes = options.get("processes")
    return {
        "users": int(_pick(options, "users", smoke, 10, 100)),
        "seconds": float(_pick(options, "seconds", smoke, 20, 60)),
        "warmup": float(_pick(options, "warmup", smoke, 3, 10)),
        "small": int(_pick(options, "small", smoke, 2, 20)),
        "participants": int(_pick(options, "participants", smoke, 300, 5000)),
        "contacts": int(_pick(options, "contacts", smoke, 100, 1500)),
        "sessions": int(_pick(options, "sessions", smoke, 3000, 100_000)),
        "processes": tuple(int(p) for p in str(processes).split(","))
        if processes
        else ((1,) if smoke else (1, 2)),
        "threads": int(options.get("threads") or 2),
        "think": parse_think(options.get("think") or "0.5,1.5"),
        "seed": int(options.get("seed") or 0),
    }


def parse_think(value: str) -> tuple[float, float]:
    """``MIN,MAX`` seconds between a user's requests."""
    try:
        low, high = (float(part) for part in str(value).split(","))
    except ValueError:
        raise CommandError("--think is MIN,MAX in seconds, e.g. 0.5,1.5.") from None
    if not 0 <= low <= high:
        raise CommandError("--think needs 0 <= MIN <= MAX.")
    return low, high


def handle_load(command: BaseCommand, options: dict[str, Any]) -> None:
    o = resolve(options)
    if o["users"] < 1 or o["seconds"] <= 0 or min(o["processes"]) < 1:
        raise CommandError("--users, --seconds and --processes must be positive.")
    if not options.get("in_place"):
        _in_scratch_database(command, o, as_json=bool(options.get("json")))
        return
    say = command.stdout.write if not options.get("json") else (lambda line: None)
    if connection.vendor != "postgresql":
        say("SQLite: not representative of production (one writer at a time); use PostgreSQL.")
    call_command("migrate", interactive=False, verbosity=0)
    say(
        f"generating: {o['participants']} participants, {o['contacts']} contacts, "
        f"{o['sessions']} sessions + {o['small']} small municipalities ..."
    )
    plan = generate(
        participants=o["participants"],
        contacts=o["contacts"],
        sessions=o["sessions"],
        small=o["small"],
        seed=o["seed"],
        people=o["users"],
    )
    say(f"  built in {plan.build_s:.0f} s")
    try:
        result = serve_and_load(
            plan=plan,
            database_url=scratch.configured_url(),
            users=o["users"],
            seconds=o["seconds"],
            warmup=o["warmup"],
            processes=o["processes"],
            threads=o["threads"],
            think=o["think"],
            vendor=connection.vendor,
            progress=say,
        )
    except LoadError as error:
        raise CommandError(str(error)) from error
    if not options.get("json"):
        command.stdout.write("\n".join(result.lines()))
    command.stdout.write(json.dumps(result.as_json()))
    if result.errors:
        raise CommandError(f"{result.errors} request(s) failed.")


def _in_scratch_database(command: BaseCommand, o: dict[str, Any], *, as_json: bool) -> None:
    """Run ourselves again, ``--in-place`` on a new database, and remove it afterwards."""
    url, drop = scratch.create()
    argv = [
        sys.executable,
        "-m",
        "kobling.manage",
        "bench",
        "load",
        "--in-place",
        f"--users={o['users']}",
        f"--seconds={o['seconds']}",
        f"--warmup={o['warmup']}",
        f"--small={o['small']}",
        f"--participants={o['participants']}",
        f"--contacts={o['contacts']}",
        f"--sessions={o['sessions']}",
        f"--processes={','.join(map(str, o['processes']))}",
        f"--threads={o['threads']}",
        f"--think={o['think'][0]},{o['think'][1]}",
        f"--seed={o['seed']}",
    ]
    if as_json:
        argv.append("--json")
    else:
        command.stdout.write(f"a database of its own: {url.rsplit('/', 1)[-1]} (migrating ...)")
        command.stdout.flush()
    try:
        code = subprocess.call(argv, env={**os.environ, "DATABASE_URL": url})  # noqa: S603
    finally:
        connection.close()
        drop()
    if code:
        raise CommandError(f"the load run failed (exit {code}).")

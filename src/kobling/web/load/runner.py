"""`kobling bench load`'s run: for each number of web processes, the production server
(`kobling serve --production`, gunicorn) on a free port against ``database_url``, then the load
generator (kobling.web.load.driver, locust headless) against it for a set time, then the server
stopped. The result holds each run's statistics and the scale-out ratio between the first and
the last (two processes against one: throughput and p95)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kobling.web.load.data import Plan


class LoadError(Exception):
    """The server or the load generator did not run (not: requests failed)."""


@dataclass
class LoadRun:
    processes: int
    threads: int
    stats: dict[str, Any]

    @property
    def total(self) -> dict[str, Any]:
        return self.stats["total"]


@dataclass
class LoadResult:
    vendor: str
    users: int
    seconds: float
    runs: list[LoadRun] = field(default_factory=list)
    build_s: float = 0.0
    think: tuple[float, float] = (0.5, 1.5)

    @property
    def errors(self) -> int:
        return sum(int(r.total["failures"]) for r in self.runs)

    @property
    def scale_out(self) -> float:
        """Throughput with the most processes over throughput with the fewest."""
        if len(self.runs) < 2 or not self.runs[0].total["rps"]:
            return 0.0
        return float(self.runs[-1].total["rps"]) / float(self.runs[0].total["rps"])

    def as_json(self) -> dict[str, Any]:
        last = self.runs[-1].total if self.runs else {}
        return {
            "vendor": self.vendor,
            "users": self.users,
            "think_s": list(self.think),
            "seconds": self.seconds,
            "p50_ms": last.get("p50"),
            "p95_ms": last.get("p95"),
            "p99_ms": last.get("p99"),
            "rps": last.get("rps"),
            "errors": self.errors,
            "processes": [r.processes for r in self.runs],
            "rps_by_processes": [r.total["rps"] for r in self.runs],
            "p95_by_processes": [r.total["p95"] for r in self.runs],
            "scale_out": round(self.scale_out, 2),
        }

    def lines(self) -> list[str]:
        out = []
        for run in self.runs:
            out.append(
                f"{run.processes} web process(es) x {run.threads} threads, {self.users} users "
                f"({self.think[0]:g}-{self.think[1]:g} s between requests), "
                f"{run.stats['seconds']:.0f} s ({self.vendor}):"
            )
            out.append(
                f"  {'kind':<20} {'requests':>8} {'errors':>6} {'p50':>6} {'p95':>6} {'p99':>6}"
                f" {'req/s':>6}"
            )
            for name, k in [*run.stats["kinds"].items(), ("all", run.total)]:
                out.append(
                    f"  {name:<20} {k['count']:>8} {k['failures']:>6} {k['p50']:>6} "
                    f"{k['p95']:>6} {k['p99']:>6} {k['rps']:>6}"
                )
            for error in run.stats["errors"]:
                out.append(f"  error: {error['kind']}: {error['error']} x{error['occurrences']}")
        if len(self.runs) > 1:
            first, last = self.runs[0], self.runs[-1]
            out.append(
                f"scale-out {first.processes} -> {last.processes} processes: throughput x "
                f"{self.scale_out:.2f}, p95 {first.total['p95']} -> {last.total['p95']} ms"
            )
        return out


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - our own
            return response.status == 200
    except (OSError, urllib.error.HTTPError):
        return False


def server_env(database_url: str, workdir: Path, secret_key: str) -> dict[str, str]:
    """The production profile behind one trusted proxy, on ``database_url``, with the
    ``secret_key`` the prepared sessions are signed with."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("EMAIL_", "KOBLING_", "TASKS_", "DATABASE_", "GUNICORN_", "DEBUG"))
    }
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="kobling.config.settings",
        KOBLING_ENV="production",
        SECRET_KEY=secret_key,
        ALLOWED_HOSTS="127.0.0.1",
        KOBLING_TRUSTED_PROXY_COUNT="1",
        KOBLING_VAR_DIR=str(workdir / "var"),
        STATIC_ROOT=str(workdir / "static"),
        DB_CONN_MAX_AGE="60",
        PYTHONUNBUFFERED="1",
    )
    return env


def serve_and_load(
    *,
    plan: Plan,
    database_url: str,
    users: int,
    seconds: float,
    warmup: float,
    processes: tuple[int, ...] = (1, 2),
    threads: int = 2,
    think: tuple[float, float] = (0.5, 1.5),
    vendor: str = "",
    progress: Any = None,  # noqa: ANN401 - a callable taking one line, or None
) -> LoadResult:
    """Run the load against a server with each number of ``processes`` in turn."""
    result = LoadResult(
        vendor=vendor, users=users, seconds=seconds, build_s=plan.build_s, think=think
    )
    with tempfile.TemporaryDirectory(prefix="kobling-load-") as tmp:
        workdir = Path(tmp)
        plan_file = workdir / "plan.json"
        plan_file.write_text(json.dumps(plan.as_json()), encoding="utf-8")
        env = server_env(database_url, workdir, plan.secret_key)
        collect = True
        for count in processes:
            if progress:
                progress(f"load: {count} web process(es), {users} users for {seconds:.0f} s ...")
            stats = _one_run(
                env=env,
                workdir=workdir,
                plan_file=plan_file,
                processes=count,
                threads=threads,
                think=think,
                users=users,
                seconds=seconds,
                warmup=warmup,
                collect=collect,
            )
            collect = False  # the static files are there from the first run
            result.runs.append(LoadRun(processes=count, threads=threads, stats=stats))
    return result


def _one_run(
    *,
    env: dict[str, str],
    workdir: Path,
    plan_file: Path,
    processes: int,
    threads: int,
    think: tuple[float, float],
    users: int,
    seconds: float,
    warmup: float,
    collect: bool,
) -> dict[str, Any]:
    port = _free_port()
    host = f"http://127.0.0.1:{port}"
    log = workdir / f"server-{processes}.log"
    command = [
        sys.executable,
        "-m",
        "kobling.manage",
        "serve",
        "--production",
        "--port",
        str(port),
        "--workers",
        str(processes),
        "--threads",
        str(threads),
    ]
    if not collect:
        command.append("--no-collectstatic")
    with log.open("w") as out:
        server = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        deadline = time.monotonic() + 120
        while not _healthy(f"{host}/healthz"):
            if server.poll() is not None or time.monotonic() > deadline:
                raise LoadError(f"the server did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        out_file = workdir / f"stats-{processes}.json"
        driver = subprocess.run(  # noqa: S603
            [
                sys.executable,
                "-m",
                "kobling.web.load.driver",
                "--host",
                host,
                "--users",
                str(users),
                "--seconds",
                str(seconds),
                "--warmup",
                str(warmup),
                "--out",
                str(out_file),
            ],
            env={
                **os.environ,
                "KOBLING_LOAD_PLAN": str(plan_file),
                "KOBLING_LOAD_THINK": f"{think[0]},{think[1]}",
            },
            capture_output=True,
            text=True,
            timeout=seconds + warmup + 120,
            check=False,
        )
        if driver.returncode != 0 or not out_file.exists():
            raise LoadError(f"the load generator failed:\n{driver.stderr[-3000:]}")
        return json.loads(out_file.read_text(encoding="utf-8"))
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

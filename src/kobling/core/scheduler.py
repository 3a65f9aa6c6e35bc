"""One periodic scheduler for every app.

Each app registers its periodic jobs in its ``AppConfig.ready``::

    from kobling.core.scheduler import EVERY_TICK, register
    register("helpers.checkins", checkins_tick, every=EVERY_TICK)

The worker enqueues :func:`kobling.core.tasks.tick_task` every KOBLING_TICK_SECONDS; the tick
calls :func:`run_due`, which runs every registered job that is due. A job is *claimed* before it
runs with one conditional UPDATE (``SET locked_until = now + lease WHERE name = ? AND
(locked_until IS NULL OR locked_until < now) AND (due_at IS NULL OR due_at <= now)``): the row
count decides, so on SQLite and PostgreSQL alike two workers ticking at once run it once. After
the run the lease is released and the outcome recorded; a failing job is logged and the others
still run. A lease outlives a worker that died mid-job by at most :func:`lease`
(KOBLING_LEASE_SECONDS); then the next tick runs the job again.

On PostgreSQL the UPDATE of the second worker waits for the first one's row lock and then
re-checks the WHERE on the updated row (READ COMMITTED), so it matches nothing; on SQLite the
write lock serialises the two. Workers on several machines compare their own clocks with the
lease: keep them in sync (NTP).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from kobling.core.models import JobOutcome, ScheduledJob

logger = logging.getLogger(__name__)

# Run on every tick of the worker (the job may still throttle itself, as the dashboards do).
EVERY_TICK = dt.timedelta(0)


def lease() -> dt.timedelta:
    """How long a claim holds (KOBLING_LEASE_SECONDS): a job still running after this may be
    claimed again, an e-mail still *sending* is taken to be orphaned, a task still *running*
    no longer counts as queued."""
    return dt.timedelta(seconds=settings.KOBLING_LEASE_SECONDS)


JobFunction = Callable[[], "dict[str, int] | None"]


@dataclass(frozen=True)
class Job:
    name: str
    func: JobFunction
    every: dt.timedelta
    # Put before each key of the job's report in the tick's report (e.g. "national_").
    report_prefix: str = ""


class Registry:
    """The registered jobs, in registration order (the INSTALLED_APPS order of ``ready``)."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}

    def register(
        self, name: str, func: JobFunction, *, every: dt.timedelta, report_prefix: str = ""
    ) -> Job:
        if every < dt.timedelta(0):
            raise ValueError("every must not be negative")
        job = Job(name, func, every, report_prefix)
        existing = self._jobs.get(name)
        if existing is not None and existing.func is not func:
            raise ValueError(f"A different job is already registered as {name!r}")
        self._jobs[name] = job
        return job

    def unregister(self, name: str) -> None:
        self._jobs.pop(name, None)

    def jobs(self) -> list[Job]:
        return list(self._jobs.values())


registry = Registry()
register = registry.register


def claim(name: str, *, now: dt.datetime | None = None, hold: dt.timedelta | None = None) -> bool:
    """Take the job's lease if it is free and the job is due; whether we got it."""
    now = now or timezone.now()
    hold = lease() if hold is None else hold
    ScheduledJob.objects.get_or_create(name=name)  # get_or_create survives a concurrent create
    taken = (
        ScheduledJob.objects.filter(name=name)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .filter(Q(due_at__isnull=True) | Q(due_at__lte=now))
        .update(locked_until=now + hold, last_started_at=now)
    )
    return taken == 1


def release(name: str, *, started: dt.datetime, every: dt.timedelta, error: str = "") -> None:
    """Free the lease and record the run; the job is next due ``every`` after it started."""
    ScheduledJob.objects.filter(name=name).update(
        locked_until=None,
        due_at=started + every,
        last_finished_at=timezone.now(),
        last_outcome=JobOutcome.FAILED if error else JobOutcome.OK,
        last_error=error[:2000],
    )


def run_job(job: Job) -> dict[str, int] | None:
    """Claim and run one job. Its report, or None when another worker holds it or it is not
    due. A failing job is logged, recorded and reported as ``{"jobs_failed": 1}``."""
    started = timezone.now()
    if not claim(job.name, now=started):
        return None
    try:
        result = job.func() or {}
    except Exception as exc:  # noqa: BLE001 - one failing job must not stop the others
        logger.exception("Scheduled job %s failed", job.name)
        release(job.name, started=started, every=job.every, error=f"{type(exc).__name__}: {exc}")
        return {"jobs_failed": 1}
    release(job.name, started=started, every=job.every)
    return {f"{job.report_prefix}{key}": value for key, value in result.items()}


def run_due(jobs: Iterable[Job] | None = None) -> dict[str, int]:
    """Run every due registered job (or ``jobs``); the merged report of those that ran."""
    report: dict[str, int] = {}
    for job in registry.jobs() if jobs is None else jobs:
        result = run_job(job)
        if not result:
            continue
        for key, value in result.items():
            report[key] = report.get(key, 0) + value if key == "jobs_failed" else value
    return report

"""The one periodic scheduler (kobling.core.scheduler): jobs registered by the apps, claimed
with a lease by a conditional UPDATE, run once however many workers tick, and a failing or
unregistered job never stops the others."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection

from kobling.core import scheduler
from kobling.core.models import JobOutcome, ScheduledJob
from kobling.core.scheduler import EVERY_TICK, Job, Registry
from kobling.core.tasks import tick_task

pytestmark = pytest.mark.django_db


def job(name: str, func, every: dt.timedelta = EVERY_TICK, prefix: str = "") -> Job:  # noqa: ANN001
    return Job(name, func, every, prefix)


def test_every_app_registers_its_periodic_jobs_when_ready():
    names = [j.name for j in scheduler.registry.jobs()]
    assert set(names) >= {
        "core.prune_task_results",
        "core.outbox",
        "helpers.checkins",
        "followup.referrer_notices",
        "outcomes.followups",
        "dashboards.refresh",
        "national.surveys",
    }


def test_the_tick_task_keeps_the_report_keys_of_every_job(cast):
    report = tick_task.call()
    assert "sends_queued" in report
    assert "dashboards_refreshed" in report
    assert any(key.startswith("national_") for key in report)
    assert any(key.startswith("followups_") for key in report)
    assert "referrer_notices" in report
    assert "outbox_requeued" in report
    assert "jobs_failed" not in report


def test_a_claimed_job_is_not_claimed_again_until_released_or_its_lease_runs_out(moving_clock):
    assert scheduler.claim("test.job") is True
    assert scheduler.claim("test.job") is False  # held
    scheduler.release("test.job", started=moving_clock.now, every=dt.timedelta(hours=1))
    assert scheduler.claim("test.job") is False  # free, but not due for an hour
    moving_clock.advance(hours=1)
    assert scheduler.claim("test.job") is True
    moving_clock.advance(minutes=14)
    assert scheduler.claim("test.job") is False  # a worker is still on it
    moving_clock.advance(minutes=2)
    assert scheduler.claim("test.job") is True  # that worker died: the lease ran out


def test_a_job_runs_again_only_when_it_is_due(moving_clock):
    calls: list[int] = []
    hourly = job("test.hourly", lambda: calls.append(1) or {"n": len(calls)}, dt.timedelta(hours=1))

    assert scheduler.run_due([hourly]) == {"n": 1}
    assert scheduler.run_due([hourly]) == {}
    moving_clock.advance(minutes=61)
    assert scheduler.run_due([hourly]) == {"n": 2}
    row = ScheduledJob.objects.get(name="test.hourly")
    assert row.locked_until is None and row.last_outcome == JobOutcome.OK


def test_a_failing_job_does_not_stop_the_others_and_is_recorded():
    def broken() -> dict[str, int]:
        raise RuntimeError("the mail server is on fire")

    ran: list[str] = []
    jobs = [
        job("test.first", lambda: ran.append("first") or {"first": 1}),
        job("test.broken", broken),
        job("test.last", lambda: ran.append("last") or {"last": 1}, prefix="x_"),
    ]

    report = scheduler.run_due(jobs)

    assert ran == ["first", "last"]
    assert report == {"first": 1, "jobs_failed": 1, "x_last": 1}
    broken_row = ScheduledJob.objects.get(name="test.broken")
    assert broken_row.last_outcome == JobOutcome.FAILED
    assert "on fire" in broken_row.last_error
    assert broken_row.locked_until is None  # released: the next tick tries again
    assert scheduler.run_due(jobs)["jobs_failed"] == 1


def test_a_job_no_longer_registered_is_left_alone_and_the_rest_run():
    ScheduledJob.objects.create(name="gone.job", due_at=None, locked_until=None)
    registry = Registry()
    registry.register("test.kept", lambda: {"kept": 1}, every=EVERY_TICK)

    assert scheduler.run_due(registry.jobs()) == {"kept": 1}
    gone = ScheduledJob.objects.get(name="gone.job")
    assert gone.last_started_at is None and gone.locked_until is None


def test_a_name_cannot_be_taken_by_a_second_function():
    registry = Registry()

    def first() -> None:
        return None

    registry.register("test.same", first, every=EVERY_TICK)
    registry.register("test.same", first, every=EVERY_TICK)  # the same again is harmless
    with pytest.raises(ValueError):
        registry.register("test.same", lambda: None, every=EVERY_TICK)
    with pytest.raises(ValueError):
        registry.register("test.negative", first, every=dt.timedelta(seconds=-1))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections")
@pytest.mark.django_db(transaction=True)
def test_two_workers_ticking_at_once_run_a_job_once():
    runs: list[str] = []
    barrier = threading.Barrier(2)

    def slow() -> dict[str, int]:
        runs.append(threading.current_thread().name)
        time.sleep(0.3)  # still running when the other worker tries
        return {"slow": 1}

    slow_job = job("test.slow", slow)
    ScheduledJob.objects.create(name="test.slow")  # both see the row; only one wins the UPDATE
    reports: list[dict[str, int]] = []

    def tick() -> None:
        try:
            barrier.wait()
            reports.append(scheduler.run_due([slow_job]))
        finally:
            connection.close()

    threads = [threading.Thread(target=tick, name=f"worker-{i}") for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(runs) == 1
    assert sorted(reports, key=len) == [{}, {"slow": 1}]
    assert ScheduledJob.objects.get(name="test.slow").locked_until is None

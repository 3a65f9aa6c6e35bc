"""The worker's periodic tick and the queue helpers every app's tasks use.

``kobling worker`` enqueues :func:`tick_task` every KOBLING_TICK_SECONDS (with
:func:`enqueue_tick`, which never piles ticks up); the tick runs the due jobs of
:mod:`kobling.core.scheduler`. A failed send is queued again with backoff (``run_after``) by
the app's task itself; :func:`enqueue_once` keeps the queue free of duplicates."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.utils import timezone
from django_tasks import task
from django_tasks.base import Task, TaskResultStatus

from kobling.core import scheduler


@task()
def tick_task() -> dict[str, int]:
    """Every due periodic job (core.scheduler): the check-ins, the follow-up questionnaires,
    the notices to referrers, the mapping-survey reminders, the dashboard aggregates, …; the
    merged report of those that ran."""
    return scheduler.run_due()


def is_queued(the_task: Task, **kwargs: Any) -> bool:
    """Whether the same call is already waiting (possibly deferred) or running in the database
    queue. Backends without a queue (immediate, dummy) never have anything waiting.

    A row still *running* after the lease (:func:`kobling.core.scheduler.lease`) belongs to a
    worker that died (django_tasks_db never finishes it): it no longer counts, so the tick and a
    send it was running are queued again — sends take at most EMAIL_TIMEOUT per step, and the
    tick only queues work."""
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    backend = the_task.get_backend()
    if not isinstance(backend, DatabaseBackend):
        return False
    same_call = DBTaskResult.objects.filter(
        backend_name=backend.alias,
        task_path=the_task.module_path,
        args_kwargs={"args": [], "kwargs": kwargs},
    )
    return (
        same_call.filter(status=TaskResultStatus.READY).exists()
        or same_call.filter(
            status=TaskResultStatus.RUNNING,
            started_at__gt=timezone.now() - scheduler.lease(),
        ).exists()
    )


def enqueue_once(the_task: Task, **kwargs: Any) -> bool:
    """Queue ``the_task(**kwargs)`` unless the same call is already queued. Returns whether it
    was queued. (Two callers racing may both queue it; the tasks themselves are idempotent.)"""
    if is_queued(the_task, **kwargs):
        return False
    the_task.enqueue(**kwargs)
    return True


def enqueue_tick() -> bool:
    """What the worker's beat calls every KOBLING_TICK_SECONDS."""
    return enqueue_once(tick_task)


def prune_task_results() -> None:
    """Finished task rows older than two weeks (failed ones: 30 days) go. Only the database
    queue keeps rows (the immediate backend of tests keeps none)."""
    from django_tasks_db.backend import DatabaseBackend

    if not isinstance(tick_task.get_backend(), DatabaseBackend):
        return
    call_command("prune_db_task_results", min_age_days=14, failed_min_age_days=30, verbosity=0)

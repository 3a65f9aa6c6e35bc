"""Background tasks for helpers: the periodic check-in tick and the check-in e-mails.

Tasks hold no rules; they call :mod:`kobling.helpers.checkins`. A failed send is queued again
with backoff (``run_after``) by the task itself; the tick re-queues any unsent check-in whose
task got lost, and :func:`enqueue_once` keeps the queue free of duplicates."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.utils import timezone
from django_tasks import task
from django_tasks.base import Task, TaskResultStatus

from kobling.helpers import checkins

logger = logging.getLogger(__name__)

# A task row still "running" after this long belongs to a worker that died; it no longer counts
# as queued (sends time out after EMAIL_TIMEOUT seconds, the tick only queues work).
_RUNNING_TOO_LONG = dt.timedelta(minutes=15)


@task()
def checkins_tick_task() -> dict[str, int]:
    """Enqueued every KOBLING_TICK_SECONDS by ``kobling worker``: the check-ins, the
    follow-up questionnaires after ended pairings (kobling.outcomes.followups), the notices
    to referrers (kobling.followup.notices) and the mapping-survey reminders
    (kobling.national.surveys), and the dashboard aggregates (kobling.dashboards.refresh)."""
    from kobling.dashboards.refresh import dashboards_tick
    from kobling.followup.notices import referrer_notices_tick
    from kobling.national.surveys import surveys_tick
    from kobling.outcomes.followups import followups_tick

    report = checkins.checkins_tick()
    report.update({f"followups_{k}": v for k, v in followups_tick().items()})
    report.update(referrer_notices_tick())
    report.update({f"national_{k}": v for k, v in surveys_tick().items()})
    report.update(dashboards_tick())
    return report


@task()
def checkin_send_task(checkin_id: int) -> str:
    result = checkins.checkin_send(checkin_id=checkin_id)
    _retry_later(checkin_send_task, result, checkin_id=checkin_id)
    return result.outcome


@task()
def checkin_reminder_task(checkin_id: int) -> str:
    result = checkins.checkin_send(checkin_id=checkin_id, reminder=True)
    _retry_later(checkin_reminder_task, result, checkin_id=checkin_id)
    return result.outcome


def _retry_later(the_task: Task, result: checkins.SendResult, **kwargs: Any) -> None:
    if result.retry_in is None:
        return
    if not the_task.get_backend().supports_defer:
        # e.g. the immediate backend in tests: the next tick picks the check-in up again.
        return
    the_task.using(run_after=timezone.now() + result.retry_in).enqueue(**kwargs)


def is_queued(the_task: Task, **kwargs: Any) -> bool:
    """Whether the same call is already waiting (possibly deferred) or running in the database
    queue. Backends without a queue (immediate, dummy) never have anything waiting."""
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
            started_at__gt=timezone.now() - _RUNNING_TOO_LONG,
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
    """What the worker's scheduler calls every KOBLING_TICK_SECONDS."""
    return enqueue_once(checkins_tick_task)

"""Background tasks for helpers: the check-in e-mails. (The periodic check-in run is a job of
the core scheduler, registered in HelpersConfig.ready.)

Tasks hold no rules; they call :mod:`kobling.helpers.checkins`. A failed send is queued again
with backoff (``run_after``) by the task itself; the tick re-queues any unsent check-in whose
task got lost, and kobling.core.tasks.enqueue_once keeps the queue free of duplicates."""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone
from django_tasks import task
from django_tasks.base import Task

from kobling.helpers import checkins

logger = logging.getLogger(__name__)


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

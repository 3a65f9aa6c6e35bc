"""Background tasks for helpers: the check-in e-mails. (The periodic check-in run is a job of
the core scheduler, registered in HelpersConfig.ready.)

Tasks hold no rules; they call :mod:`kobling.helpers.checkins`. A failed send is queued again
with backoff (``run_after``) by the task itself; the tick re-queues any unsent check-in whose
task got lost, and kobling.core.tasks.enqueue_once keeps the queue free of duplicates."""

from __future__ import annotations

import logging

from django_tasks import task

from kobling.core.sending import retry_later
from kobling.helpers import checkins

logger = logging.getLogger(__name__)


@task()
def checkin_send_task(checkin_id: int) -> str:
    result = checkins.checkin_send(checkin_id=checkin_id)
    retry_later(checkin_send_task, result, checkin_id=checkin_id)
    return result.outcome


@task()
def checkin_reminder_task(checkin_id: int) -> str:
    result = checkins.checkin_send(checkin_id=checkin_id, reminder=True)
    retry_later(checkin_reminder_task, result, checkin_id=checkin_id)
    return result.outcome

"""Background tasks for the follow-up questionnaires: the e-mail and its reminder. Tasks hold no
rules; they call :mod:`kobling.outcomes.followups`. The run itself is a job of the core
scheduler (registered in OutcomesConfig.ready), so ``kobling worker`` needs no second schedule.
A failed send is queued again with backoff; the tick re-queues any due follow-up whose task got lost."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django_tasks import task
from django_tasks.base import Task

from kobling.helpers.checkins import SendResult
from kobling.outcomes import followups


@task()
def followup_send_task(followup_id: int) -> str:
    result = followups.followup_send(followup_id=followup_id)
    _retry_later(followup_send_task, result, followup_id=followup_id)
    return result.outcome


@task()
def followup_reminder_task(followup_id: int) -> str:
    result = followups.followup_send(followup_id=followup_id, reminder=True)
    _retry_later(followup_reminder_task, result, followup_id=followup_id)
    return result.outcome


def _retry_later(the_task: Task, result: SendResult, **kwargs: Any) -> None:
    if result.retry_in is None or not the_task.get_backend().supports_defer:
        # Without a deferring queue (the immediate backend in tests) the next tick retries.
        return
    the_task.using(run_after=timezone.now() + result.retry_in).enqueue(**kwargs)

"""Background tasks for the follow-up questionnaires: the e-mail and its reminder. Tasks hold no
rules; they call :mod:`kobling.outcomes.followups`. The run itself is a job of the core
scheduler (registered in OutcomesConfig.ready), so ``kobling worker`` needs no second schedule.
A failed send is queued again with backoff; the tick re-queues any due follow-up whose task got lost."""

from __future__ import annotations

from django_tasks import task

from kobling.core.sending import retry_later
from kobling.outcomes import followups


@task()
def followup_send_task(followup_id: int) -> str:
    result = followups.followup_send(followup_id=followup_id)
    retry_later(followup_send_task, result, followup_id=followup_id)
    return result.outcome


@task()
def followup_reminder_task(followup_id: int) -> str:
    result = followups.followup_send(followup_id=followup_id, reminder=True)
    retry_later(followup_reminder_task, result, followup_id=followup_id)
    return result.outcome

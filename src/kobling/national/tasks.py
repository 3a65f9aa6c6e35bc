"""Background tasks for the mapping surveys: the e-mail and its reminders. Tasks hold no rules;
they call :mod:`kobling.national.surveys`. The survey run is a job of the core scheduler
(registered in NationalConfig.ready), so ``kobling worker`` needs no second schedule."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django_tasks import task
from django_tasks.base import Task

from kobling.helpers.checkins import SendResult
from kobling.national import surveys


@task()
def survey_send_task(recipient_id: int) -> str:
    result = surveys.recipient_send(recipient_id=recipient_id)
    _retry_later(survey_send_task, result, recipient_id=recipient_id)
    return result.outcome


@task()
def survey_reminder_task(recipient_id: int, number: int) -> str:
    result = surveys.recipient_send(recipient_id=recipient_id, reminder=number)
    _retry_later(survey_reminder_task, result, recipient_id=recipient_id, number=number)
    return result.outcome


def _retry_later(the_task: Task, result: SendResult, **kwargs: Any) -> None:
    if result.retry_in is None or not the_task.get_backend().supports_defer:
        return
    the_task.using(run_after=timezone.now() + result.retry_in).enqueue(**kwargs)

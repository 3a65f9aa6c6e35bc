"""Background tasks for the mapping surveys: the e-mail and its reminders. Tasks hold no rules;
they call :mod:`kobling.national.surveys`. The survey run is a job of the core scheduler
(registered in NationalConfig.ready), so ``kobling worker`` needs no second schedule."""

from __future__ import annotations

from django_tasks import task

from kobling.core.sending import retry_later
from kobling.national import surveys


@task()
def survey_send_task(recipient_id: int) -> str:
    result = surveys.recipient_send(recipient_id=recipient_id)
    retry_later(survey_send_task, result, recipient_id=recipient_id)
    return result.outcome


@task()
def survey_reminder_task(recipient_id: int, number: int) -> str:
    result = surveys.recipient_send(recipient_id=recipient_id, reminder=number)
    retry_later(survey_reminder_task, result, recipient_id=recipient_id, number=number)
    return result.outcome

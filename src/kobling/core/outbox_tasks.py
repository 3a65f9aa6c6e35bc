"""Background tasks of the outbox: sending one message, re-queueing what is due, queueing
reminders. Tasks hold no rules; they call :mod:`kobling.core.outbox`. A failed send is queued
again with back-off (``run_after``) where the backend can defer; otherwise the scheduler's
``core.outbox`` job (:func:`outbox_tick`, registered in CoreConfig.ready) and the apps' own
jobs re-queue what :func:`kobling.core.outbox.messages_due` lists. Queueing a call once is
:func:`kobling.core.tasks.enqueue_once`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.utils import timezone
from django_tasks import task

from kobling.core.tasks import enqueue_once

if TYPE_CHECKING:
    from kobling.core.models import OutboxMessage


@task()
def message_send_task(message_id: int) -> str:
    from kobling.core.outbox import message_send

    result = message_send(message_id=message_id)
    # Without a deferring queue (the immediate backend in tests) the apps' ticks retry.
    deferrable = message_send_task.get_backend().supports_defer
    if result.outcome == "failed" and result.retry_in is not None and deferrable:
        message_send_task.using(run_after=timezone.now() + result.retry_in).enqueue(
            message_id=message_id
        )
    return result.outcome


def enqueue_send(message_id: int) -> bool:
    return enqueue_once(message_send_task, message_id=message_id)


def messages_requeue(
    *, purpose: str | None = None, reminders: bool | None = None, now: dt.datetime | None = None
) -> int:
    """Queue the send of every message that is due (new ones whose task got lost, and failed
    ones whose retry is due). A send already waiting in the queue is not queued twice."""
    from kobling.core.outbox import messages_due

    due = messages_due(purpose=purpose, reminders=reminders, now=now).values_list("pk", flat=True)
    return sum(enqueue_send(pk) for pk in due)


def outbox_tick() -> dict[str, int]:
    """The scheduler's ``core.outbox`` job: every e-mail in the outbox whose send got lost or
    whose retry is due (the apps' own jobs queue their reminders first)."""
    return {"outbox_requeued": messages_requeue()}


def reminders_queue(
    *,
    purpose: str,
    now: dt.datetime | None = None,
    wanted: Callable[[OutboxMessage], bool] | None = None,
    remind_after: Callable[[OutboxMessage], dt.timedelta | None] | None = None,
) -> int:
    """Queue every reminder of ``purpose`` that is due (and retry a failed reminder whose retry
    is due). ``wanted(previous)`` may refuse one (its schedule stops); ``remind_after(previous)``
    gives the pause before the reminder after this one (``None``, the default: it is the
    last). Returns how many sends were queued."""
    from kobling.core.outbox import message_queue, reminders_due

    queued = messages_requeue(purpose=purpose, reminders=True, now=now)
    for previous in reminders_due(purpose=purpose, now=now):
        if wanted is not None and not wanted(previous):
            previous.reminder_due_at = None
            previous.save(update_fields=["reminder_due_at"])
            continue
        reminder = message_queue(
            purpose=purpose,
            subject=previous.subject_key,
            sequence=previous.sequence + 1,
            recipient=previous.recipient,
            municipality_id=previous.municipality_id,
            language=previous.language,
            template=previous.template,
            remind_after=remind_after(previous) if remind_after else None,
            enqueue=False,
            now=now,
        )
        queued += enqueue_send(reminder.pk)
    return queued

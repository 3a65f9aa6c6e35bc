"""Send-with-retry, shared by every e-mail a task sends (check-ins, follow-up questionnaires,
mapping surveys): the backoff between attempts, when to give up, and re-queueing the task for
later. (Moved down from helpers.checkins, which the other apps borrowed it from.)"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django_tasks.base import Task

# Pauses of wait before retry number 1, 2, … after a failed send; then we give up.
RETRY_DELAYS = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=6),
)
MAX_SEND_ATTEMPTS = len(RETRY_DELAYS) + 1


@dataclass(frozen=True)
class SendResult:
    outcome: str  # "sent", "skipped", "failed" or "gave_up"
    retry_in: dt.timedelta | None = None


def retry_delay(attempts: int) -> dt.timedelta | None:
    """How long to wait after ``attempts`` failed sends, or ``None`` when we give up."""
    if attempts >= MAX_SEND_ATTEMPTS:
        return None
    return RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]


def retry_later(the_task: Task, result: SendResult, **kwargs: Any) -> None:
    """Queue ``the_task(**kwargs)`` again after the result's backoff. Without a deferring queue
    (the immediate backend in tests) nothing is queued: the next tick picks the send up."""
    if result.retry_in is None or not the_task.get_backend().supports_defer:
        return
    the_task.using(run_after=timezone.now() + result.retry_in).enqueue(**kwargs)

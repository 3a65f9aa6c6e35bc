"""The real background worker: ``kobling worker`` runs django_tasks_db's worker on the database
queue and enqueues the check-in tick; e-mail goes to a real local SMTP server."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from kobling.core import tasks as core_tasks
from kobling.core.models import OutboxMessage
from kobling.core.outbox_tasks import message_send_task
from kobling.helpers.choices import CheckInStatus
from kobling.helpers.models import CheckIn, Helper
from kobling.lib.scheduler import Every
from tests import factories as f


def first_mail(checkin: CheckIn) -> OutboxMessage:
    """The check-in's e-mail in the outbox, where its attempts are counted."""
    return OutboxMessage.objects.get(subject_key=f"checkin:{checkin.pk}", sequence=0)


SEND_TASK = "kobling.core.outbox_tasks.message_send_task"
TICK_TASK = "kobling.core.tasks.tick_task"


def run_worker(*options: str) -> None:
    """Run ``kobling worker`` in this process until the queue has nothing ready."""
    call_command("worker", "--batch", "--no-startup-delay", *options, verbosity=0)


def due_helper(**fields) -> Helper:
    helper = f.make_active(f.HelperFactory(**fields))
    helper.availability_confirmed_at = timezone.now() - dt.timedelta(weeks=9)
    helper.save()
    return helper


def queued(task_path: str) -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=task_path, status=TaskResultStatus.READY))


@pytest.mark.smtp
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_real_worker_runs_the_tick_and_delivers_each_checkin_once(database_tasks, smtp_server):
    due = due_helper()
    f.make_active(f.HelperFactory())  # confirmed just now: not due

    run_worker()

    assert [m.rcpt_tos for m in smtp_server.messages] == [[due.email]]
    assert due.checkins.get().status == CheckInStatus.SENT
    finished = DBTaskResult.objects.values_list("task_path", "status")
    assert sorted(finished) == sorted(
        [(TICK_TASK, TaskResultStatus.SUCCESSFUL), (SEND_TASK, TaskResultStatus.SUCCESSFUL)]
    )

    run_worker()  # the next tick finds nothing to do

    assert len(smtp_server.messages) == 1
    assert CheckIn.objects.count() == 1
    assert DBTaskResult.objects.filter(task_path=TICK_TASK).count() == 2


@pytest.mark.smtp
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_real_worker_retries_a_refused_send_later_and_sends_it_once(
    database_tasks, smtp_server, moving_clock
):
    helper = due_helper()
    smtp_server.fail_next(1)

    run_worker()

    checkin = helper.checkins.get()
    assert smtp_server.messages == [] and smtp_server.handler.refused == 1
    assert (checkin.status, first_mail(checkin).attempts) == (CheckInStatus.PENDING, 1)
    [retry] = queued(SEND_TASK)
    assert retry.args_kwargs == {"args": [], "kwargs": {"message_id": first_mail(checkin).pk}}
    assert retry.run_after - moving_clock.now == dt.timedelta(minutes=1)

    run_worker()  # before the retry is due: the tick must not queue a second send

    assert smtp_server.messages == []
    assert len(queued(SEND_TASK)) == 1

    moving_clock.advance(minutes=1, seconds=1)
    run_worker()
    run_worker()

    assert [m.rcpt_tos for m in smtp_server.messages] == [[helper.email]]
    checkin.refresh_from_db()
    assert (checkin.status, first_mail(checkin).attempts) == (CheckInStatus.SENT, 2)
    assert queued(SEND_TASK) == []


@pytest.mark.smtp
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_send_queued_twice_still_sends_one_mail(database_tasks, smtp_server):
    helper = due_helper()
    call_command("worker", "--batch", "--no-startup-delay", verbosity=0)  # sends it
    checkin = helper.checkins.get()
    message_send_task.enqueue(message_id=first_mail(checkin).pk)
    message_send_task.enqueue(message_id=first_mail(checkin).pk)

    run_worker("--no-tick")

    assert len(smtp_server.messages) == 1
    outcomes = DBTaskResult.objects.filter(task_path=SEND_TASK).values_list(
        "return_value", flat=True
    )
    assert sorted(outcomes) == ["sent", "skipped", "skipped"]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_scheduler_never_piles_up_ticks_behind_a_busy_or_stopped_worker(
    database_tasks, moving_clock
):
    assert core_tasks.enqueue_tick() is True
    assert core_tasks.enqueue_tick() is False
    assert len(queued(TICK_TASK)) == 1

    run_worker("--no-tick")
    assert core_tasks.enqueue_tick() is True

    # A tick left "running" by a worker that died does not block the schedule for ever.
    DBTaskResult.objects.filter(task_path=TICK_TASK, status=TaskResultStatus.READY).update(
        status=TaskResultStatus.RUNNING, started_at=moving_clock.now
    )
    assert core_tasks.enqueue_tick() is False
    moving_clock.advance(minutes=16)
    assert core_tasks.enqueue_tick() is True


def test_every_runs_at_once_then_repeatedly_and_survives_a_failing_run():
    calls: list[float] = []
    third = threading.Event()

    def job() -> None:
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise RuntimeError("a bad run")
        if len(calls) >= 3:
            third.set()

    every = Every(0.02, job, name="test-every").start()
    try:
        assert third.wait(5)
    finally:
        every.stop()
    count = len(calls)
    time.sleep(0.1)
    assert len(calls) == count  # stopped means stopped
    with pytest.raises(ValueError):
        Every(0, job, name="never")

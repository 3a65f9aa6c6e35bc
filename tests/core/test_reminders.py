"""Reminder schedules in the outbox: due after the pause, and stopped when the link is used."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from kobling.core import outbox
from kobling.core.choices import MessageStatus
from kobling.core.models import OutboxMessage

pytestmark = [pytest.mark.django_db, pytest.mark.smtp]

PAUSE = dt.timedelta(days=3)


def send_first(clock):  # noqa: ANN001, ANN201
    message = outbox.message_queue(
        purpose="test-letter",
        subject="letter:1",
        recipient="ola@example.test",
        remind_after=PAUSE,
        now=clock.now,
    )
    outbox.message_send(message_id=message.pk, now=clock.now)
    message.refresh_from_db()
    return message


def queue_reminders(clock) -> int:  # noqa: ANN001
    queued = 0
    for due in outbox.reminders_due(purpose="test-letter", now=clock.now):
        outbox.message_queue(
            purpose=due.purpose,
            subject=due.subject_key,
            recipient=due.recipient,
            sequence=due.sequence + 1,
            now=clock.now,
        )
        queued += 1
    return queued


def test_a_reminder_falls_due_after_the_pause_and_is_queued_once(smtp_server, moving_clock):
    first = send_first(moving_clock)
    assert first.reminder_due_at == moving_clock.now + PAUSE

    assert queue_reminders(moving_clock) == 0
    moving_clock.advance(days=3)
    assert queue_reminders(moving_clock) == 1
    assert queue_reminders(moving_clock) == 0
    assert OutboxMessage.objects.filter(sequence=1).count() == 1


def test_the_reminder_carries_the_same_link_as_the_first_e_mail(smtp_server, moving_clock):
    send_first(moving_clock)
    moving_clock.advance(days=3)
    queue_reminders(moving_clock)
    reminder = OutboxMessage.objects.get(sequence=1)
    outbox.message_send(message_id=reminder.pk, now=moving_clock.now)

    first_link, second_link = (re.search(r"http\S+", m.text).group() for m in smtp_server.messages)
    assert first_link == second_link


def test_a_reminder_stops_when_the_link_is_used(smtp_server, moving_clock):
    send_first(moving_clock)
    link = outbox.link_live(purpose="test-letter", subject="letter:1")
    outbox.link_use(link=link)

    moving_clock.advance(days=4)
    assert queue_reminders(moving_clock) == 0


def test_a_reminder_queued_but_unsent_is_cancelled_when_answered(smtp_server, moving_clock):
    send_first(moving_clock)
    moving_clock.advance(days=3)
    queue_reminders(moving_clock)
    link = outbox.link_live(purpose="test-letter", subject="letter:1")

    outbox.link_use(link=link)

    reminder = OutboxMessage.objects.get(sequence=1)
    assert reminder.status == MessageStatus.CANCELLED
    assert outbox.message_send(message_id=reminder.pk).outcome == "skipped"
    assert len(smtp_server.messages) == 1

"""Sending from the outbox through a real local SMTP server: exactly once, retried with back-off."""

from __future__ import annotations

import datetime as dt

import pytest

from kobling.core import outbox
from kobling.core.choices import MessageStatus
from kobling.core.models import OutboxMessage
from kobling.core.outbox_tasks import messages_requeue
from tests.core.conftest import sent_to_app, settled

pytestmark = [pytest.mark.django_db, pytest.mark.smtp]


def queue(clock, subject="letter:1", **fields):  # noqa: ANN001, ANN201
    return outbox.message_queue(
        purpose="test-letter",
        subject=subject,
        recipient="ola@example.test",
        template="test/letter.txt",
        now=clock.now,
        **fields,
    )


def test_a_queued_message_is_sent_once_and_the_app_is_told(smtp_server, moving_clock):
    message = queue(moving_clock)

    assert messages_requeue(now=moving_clock.now) == 1
    assert messages_requeue(now=moving_clock.now) == 0
    assert outbox.message_send(message_id=message.pk).outcome == "skipped"

    message.refresh_from_db()
    assert [m.rcpt_tos for m in smtp_server.messages] == [["ola@example.test"]]
    assert (message.status, message.attempts, message.subject_line) == (
        MessageStatus.SENT,
        1,
        "Letter 0",
    )
    assert sent_to_app == [("letter:1", 0)]


def test_queuing_the_same_step_twice_keeps_one_message(moving_clock):
    first = queue(moving_clock)
    again = queue(moving_clock)

    assert first.pk == again.pk and OutboxMessage.objects.count() == 1


def test_a_failed_send_is_retried_with_back_off_and_never_sends_twice(smtp_server, moving_clock):
    message = queue(moving_clock)
    smtp_server.fail_next(2)

    first = outbox.message_send(message_id=message.pk)
    message.refresh_from_db()
    assert (first.outcome, first.retry_in) == ("failed", dt.timedelta(minutes=1))
    assert (message.status, message.attempts) == (MessageStatus.FAILED, 1)
    assert "451" in message.last_error
    assert message.next_attempt_at == moving_clock.now + dt.timedelta(minutes=1)

    assert messages_requeue(now=moving_clock.now) == 0  # not due yet
    moving_clock.advance(minutes=1)
    assert messages_requeue(now=moving_clock.now) == 1  # second failure: back off longer
    message.refresh_from_db()
    assert message.next_attempt_at == moving_clock.now + dt.timedelta(minutes=5)

    moving_clock.advance(minutes=5)
    messages_requeue(now=moving_clock.now)
    messages_requeue(now=moving_clock.now)
    outbox.message_send(message_id=message.pk)

    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (MessageStatus.SENT, 3, "")
    assert len(smtp_server.messages) == 1 and smtp_server.handler.refused == 2


def test_sending_gives_up_after_the_last_attempt(smtp_server, moving_clock):
    message = queue(moving_clock)
    smtp_server.fail_next(100)

    for _ in range(outbox.MAX_ATTEMPTS + 2):
        messages_requeue(now=moving_clock.now)
        moving_clock.advance(hours=7)

    message.refresh_from_db()
    assert (message.status, message.attempts, message.next_attempt_at) == (
        MessageStatus.FAILED,
        outbox.MAX_ATTEMPTS,
        None,
    )
    assert outbox.message_send(message_id=message.pk).outcome == "gave_up"
    assert smtp_server.messages == []


def test_a_message_the_app_settles_is_not_sent(smtp_server, moving_clock):
    message = queue(moving_clock)
    settled["letter:1"] = MessageStatus.OPTED_OUT

    assert outbox.message_send(message_id=message.pk).outcome == "settled"

    message.refresh_from_db()
    assert message.status == MessageStatus.OPTED_OUT and smtp_server.messages == []


def test_the_outbox_stores_no_body(smtp_server, moving_clock):
    message = queue(moving_clock)
    outbox.message_send(message_id=message.pk)

    stored = OutboxMessage.objects.filter(pk=message.pk).values().get()
    assert not any("Answer here" in str(value) for value in stored.values())

"""Sending from the outbox through a real local SMTP server: exactly once, retried with back-off."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.mail import EmailMessage

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


# --- many workers: claims with a lease, idempotency keys, at least / at most once ------------


def die_after_handing_over(message_id: int, now) -> None:  # noqa: ANN001
    """What a worker killed between the mail server's "250 OK" and its own record leaves: the
    claim and a delivered e-mail, nothing recorded."""
    claimed = outbox._claim(message_id, now)
    assert not isinstance(claimed, outbox.SendResult), claimed
    claimed[1].send(fail_silently=False)


def test_every_attempt_carries_the_same_message_id_and_idempotency_key(smtp_server, moving_clock):
    message = queue(moving_clock)
    other = queue(moving_clock, subject="letter:2")
    smtp_server.fail_next(1)

    outbox.message_send(message_id=message.pk)  # refused
    moving_clock.advance(minutes=1)
    outbox.message_send(message_id=message.pk)
    outbox.message_send(message_id=other.pk)

    key = outbox.message_idempotency_key(message)
    first, second = (m.message for m in smtp_server.messages)
    assert first["X-Kobling-Idempotency-Key"] == key
    assert first["Message-ID"] == f"<{key}@kobling.local>"
    assert first["X-Kobling-Attempt"] == "2"
    assert second["X-Kobling-Idempotency-Key"] == outbox.message_idempotency_key(other) != key


def test_a_message_another_worker_is_sending_is_left_alone_until_its_lease_runs_out(
    smtp_server, moving_clock, settings
):
    settings.KOBLING_LEASE_SECONDS = 60
    message = queue(moving_clock)
    die_after_handing_over(message.pk, moving_clock.now)
    message.refresh_from_db()
    assert message.status == MessageStatus.SENDING
    assert message.claimed_until == moving_clock.now + dt.timedelta(seconds=60)

    assert messages_requeue(now=moving_clock.now) == 0
    assert outbox.message_send(message_id=message.pk).outcome == "skipped"
    assert len(smtp_server.messages) == 1 and sent_to_app == []

    moving_clock.advance(seconds=61)
    assert messages_requeue(now=moving_clock.now) == 1  # at least once: sent again

    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.SENT, 2)
    first, again = (m.message for m in smtp_server.messages)
    assert first["Message-ID"] == again["Message-ID"]
    assert (first["X-Kobling-Attempt"], again["X-Kobling-Attempt"]) == ("1", "2")
    assert sent_to_app == [("letter:1", 0)]
    # Both copies carry the same live link: the render's link was committed with the claim.
    assert smtp_server.messages[0].links() == smtp_server.messages[1].links()


@pytest.fixture
def notice_purpose():
    """An at-most-once purpose, registered for one test."""
    yield outbox.purpose_register(
        outbox.Purpose(
            name="test-notice",
            render=lambda message, now: EmailMessage("Notice", "Hello", to=[message.recipient]),
            delivery=outbox.Delivery.AT_MOST_ONCE,
        )
    )
    outbox._PURPOSES.pop("test-notice")


def test_an_at_most_once_message_whose_worker_died_is_never_sent_again(
    smtp_server, moving_clock, settings, notice_purpose
):
    settings.KOBLING_LEASE_SECONDS = 60
    message = outbox.message_queue(
        purpose="test-notice", subject="notice:1", recipient="ola@example.test", enqueue=False
    )
    die_after_handing_over(message.pk, moving_clock.now)

    moving_clock.advance(seconds=61)
    assert messages_requeue(now=moving_clock.now) == 1
    assert messages_requeue(now=moving_clock.now) == 0
    moving_clock.advance(days=1)
    assert outbox.message_send(message_id=message.pk).outcome == "skipped"

    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.UNCONFIRMED, 1)
    assert "not sent again" in message.last_error
    assert len(smtp_server.messages) == 1


def test_a_worker_that_lost_its_claim_does_not_record_over_the_one_that_took_it(
    smtp_server, moving_clock, settings
):
    settings.KOBLING_LEASE_SECONDS = 60
    message = queue(moving_clock)
    slow = outbox._claim(message.pk, moving_clock.now)  # a worker stuck past its lease
    moving_clock.advance(seconds=61)
    assert outbox.message_send(message_id=message.pk).outcome == "sent"  # taken over
    message.refresh_from_db()
    recorded = (message.status, message.attempts, message.sent_at)

    outbox._record_failed(slow[0], OSError("too late"), moving_clock.now)
    outbox._record_sent(slow[0], slow[1], moving_clock.now)

    message.refresh_from_db()
    assert (message.status, message.attempts, message.sent_at) == recorded
    assert sent_to_app == [("letter:1", 0)]


def test_every_purpose_states_its_delivery_choice():
    from kobling.core.outbox import _PURPOSES

    choices = {name: purpose.delivery for name, purpose in _PURPOSES.items()}
    assert choices["checkin"] == outbox.Delivery.AT_LEAST_ONCE
    assert choices["followup"] == outbox.Delivery.AT_LEAST_ONCE
    assert choices["referrer-notice"] == outbox.Delivery.AT_MOST_ONCE
    assert choices["decision-notice"] == outbox.Delivery.AT_MOST_ONCE
    assert set(choices.values()) <= set(outbox.Delivery)
    with pytest.raises(TypeError):
        outbox.Purpose(name="test-undecided", render=lambda message, now: None)  # type: ignore[call-arg]

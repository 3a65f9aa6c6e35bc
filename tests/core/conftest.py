"""A test purpose for the outbox: a plain e-mail with a signed link in it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.mail import EmailMessage

from kobling.core import outbox

PURPOSE = "test-letter"
settled: dict[str, str] = {}
sent_to_app: list[tuple[str, int]] = []


def _render(message, now):  # noqa: ANN001, ANN202
    link = outbox.link_live(purpose=PURPOSE, subject=message.subject_key)
    if link is None:
        link, token = outbox.link_issue(
            purpose=PURPOSE, subject=message.subject_key, expires_at=now + dt.timedelta(days=7)
        )
    else:
        token = outbox.link_token(link)
    return EmailMessage(
        subject=f"Letter {message.sequence}",
        body=f"Answer here: http://testserver/svar/{token}/\n",
        to=[message.recipient],
    )


def _settle(message, now):  # noqa: ANN001, ANN202
    return settled.get(message.subject_key)


def _on_sent(message, now):  # noqa: ANN001, ANN202
    sent_to_app.append((message.subject_key, message.sequence))


@pytest.fixture(autouse=True)
def letter_purpose():
    settled.clear()
    sent_to_app.clear()
    outbox.purpose_register(
        outbox.Purpose(
            name=PURPOSE,
            render=_render,
            settle=_settle,
            on_sent=_on_sent,
            delivery=outbox.Delivery.AT_LEAST_ONCE,
        )
    )
    return PURPOSE

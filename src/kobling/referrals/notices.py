"""Telling the referrer that a decision exists, through the outbox (:mod:`kobling.core.outbox`,
purpose ``decision-notice``), which sends it exactly once and retries a failure.

The e-mail carries no health details — no diagnosis, target group, goals or reasons, not even
the person's name — only that a decision was made on a referral they sent and a link to sign in,
where what they may see follows the participant's consent."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy

from kobling.core import outbox
from kobling.core.models import OutboxMessage
from kobling.referrals.models import Decision

PURPOSE = "decision-notice"


def decision_notice_queue(*, decision: Decision) -> OutboxMessage | None:
    """Put the notice of ``decision`` in the outbox (sent once the transaction commits), when
    the referral has a referrer with an e-mail address."""
    referral = decision.referral
    referrer = referral.referrer
    if referrer is None or not referrer.email:
        return None
    return outbox.message_queue(
        purpose=PURPOSE,
        subject=outbox.subject_key("decision", decision.pk),
        recipient=referrer.email,
        municipality_id=referral.municipality_id,
        language=referrer.preferred_language or "nb",
        template="emails/referral_decision.txt",
    )


def _decision_of(message: OutboxMessage) -> Decision:
    return Decision.objects.select_related("referral__referrer", "referral__municipality").get(
        pk=message.subject_id
    )


def _settle(message: OutboxMessage, now: dt.datetime) -> str | None:
    referrer = _decision_of(message).referral.referrer
    return None if referrer is not None and referrer.email else "cancelled"


def _render(message: OutboxMessage, now: dt.datetime) -> EmailMultiAlternatives:
    decision = _decision_of(message)
    referral = decision.referral
    referrer = referral.referrer
    link = settings.KOBLING_BASE_URL.rstrip("/") + reverse(
        "web:referral_detail", kwargs={"pk": referral.pk}
    )
    with translation.override(referrer.preferred_language or "nb"):
        context = {
            "municipality": referral.municipality,
            "decided_on": decision.decided_on,
            "link": link,
        }
        subject = render_to_string("emails/referral_decision_subject.txt", context).strip()
        body = render_to_string("emails/referral_decision.txt", context)
    return EmailMultiAlternatives(subject=subject, body=body, to=[referrer.email])


outbox.purpose_register(
    outbox.Purpose(
        name=PURPOSE,
        label=gettext_lazy("Decision notice to the referrer"),
        render=_render,
        settle=_settle,
        delivery=outbox.Delivery.AT_MOST_ONCE,
    )
)

"""Background work for referrals: telling the referrer that a decision exists.

The e-mail carries no health details — no diagnosis, target group, goals or reasons, not even
the person's name — only that a decision was made on a referral they sent and a link to sign in,
where what they may see follows the participant's consent."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django_tasks import task


@task()
def send_decision_notice(*, decision_id: int) -> bool:
    """Sent once per decision, after the transaction that made it has committed."""
    from kobling.referrals.models import Decision

    decision = (
        Decision.objects.select_related("referral__referrer", "referral__municipality")
        .filter(pk=decision_id)
        .first()
    )
    if decision is None:
        return False
    referral = decision.referral
    referrer = referral.referrer
    if referrer is None or not referrer.email:
        return False
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
    EmailMultiAlternatives(subject=subject, body=body, to=[referrer.email]).send()
    return True

"""Demo research consents: a share of Fjordvik's demo participants agreed that their data may be
used in research (pseudonymised), so a research export has something to export. Called by
whoever builds the demo: ``load_research_demo(today)``."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from kobling.referrals import services as referral_services
from kobling.referrals.choices import ConsentScope
from kobling.referrals.models import Referral
from kobling.tenancy.models import Municipality, User

TOWN_CODE = "4650"  # Fjordvik
SHARE = 3  # every third referral (and so about a third of the participants)


def load_research_demo(today: dt.date | None = None) -> dict[str, int]:
    """Give every third of Fjordvik's demo referrals a research consent, given the day after it
    was received (never in the future), through the referrals service. Deterministic; a second
    call records nothing new."""
    today = today or timezone.localdate()
    municipality = Municipality.objects.filter(code=TOWN_CODE).first()
    if municipality is None:
        return {"research_consents": 0}
    coordinator = User.objects.get(username="koordinator@fjordvik.demo")
    referrals = (
        Referral.objects.filter(municipality=municipality)
        .select_related("participant")
        .prefetch_related("consents")
        .order_by("received_at", "pk")
    )
    made = 0
    for index, referral in enumerate(referrals):
        if index % SHARE:
            continue
        if any(c.scope == ConsentScope.RESEARCH for c in referral.consents.all()):
            continue
        given_on = min(timezone.localdate(referral.received_at) + dt.timedelta(days=1), today)
        referral_services.consent_record(
            referral=referral,
            by=coordinator,
            scope=ConsentScope.RESEARCH,
            given_by=referral.participant.full_name,
            given_on=given_on,
        )
        made += 1
    return {"research_consents": made}

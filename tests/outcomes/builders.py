"""Builders for outcome tests: pairings confirmed, started and ended on given days in the past
(through the real services), the participant's consent to follow-up, and reviews."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from kobling.followup import services as followup
from kobling.followup.models import Pairing
from kobling.helpers.models import Helper
from kobling.outcomes import services
from kobling.outcomes.models import Review
from kobling.referrals.models import Consent
from tests.followup import scenario as s


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


def roomy(helper: Helper, capacity: int = 20) -> Helper:
    """Give a contact enough places for every pairing a test needs."""
    Helper.objects.filter(pk=helper.pk).update(capacity=capacity)
    helper.refresh_from_db()
    return helper


def pairing(
    programme: Any,
    helper: Helper,
    *,
    confirmed_days_ago: int = 200,
    started_days_ago: int | None = 190,
    ended_days_ago: int | None = None,
    email: str = "",
    birth_date: dt.date | None = None,
    guardian_email: str = "",
    follow_up_consent: bool = True,
    **referral: Any,
) -> Pairing:
    """A pairing in ``programme`` with ``helper``: confirmed, started and ended (when given)
    that many days ago."""
    waiting = s.waiting(programme, email=email, **referral)
    participant = waiting.participant
    if birth_date is not None:
        participant.birth_date = birth_date
        participant.guardian_name = "Forelder" if guardian_email else participant.guardian_name
        participant.guardian_email = guardian_email
        participant.save()
    if follow_up_consent:
        Consent.objects.create(
            referral=waiting,
            municipality_id=waiting.municipality_id,
            scope="follow_up",
            given_on=days_ago(confirmed_days_ago + 5),
            given_by="Deltakeren",
        )
    made = s.pairing(waiting, helper)
    Pairing.objects.filter(pk=made.pk).update(
        confirmed_at=timezone.now() - dt.timedelta(days=confirmed_days_ago)
    )
    made.refresh_from_db()
    if started_days_ago is not None:
        made = followup.pairing_activate(
            pairing=made, by=None, started_on=days_ago(started_days_ago)
        )
    if ended_days_ago is not None:
        made = followup.pairing_end(
            pairing=made,
            by=None,
            reason="goal_reached",
            handover_destination="gym",
            ended_on=days_ago(ended_days_ago),
        )
    return Pairing.objects.select_related("participant", "helper", "programme").get(pk=made.pk)


def review(
    pairing: Pairing,
    *,
    kind: str = "periodic",
    on: dt.date | None = None,
    by: Any = None,
    **scores: Any,
) -> Review:
    """A review with scores given as instrument code = value (goal attainment as
    ``goal_<id>=value``)."""
    inputs = []
    for code, value in scores.items():
        if code.startswith("goal_"):
            inputs.append(
                services.ScoreInput(
                    instrument="goal_attainment", value=Decimal(str(value)), goal=int(code[5:])
                )
            )
        else:
            inputs.append(services.ScoreInput(instrument=code, value=Decimal(str(value))))
    return services.review_record(
        pairing=pairing, by=by, kind=kind, date=on or timezone.localdate(), scores=inputs
    )

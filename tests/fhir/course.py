"""Moving a referral that came in by FHIR through Kobling's own services: the coordinator
opens and decides it, a contact is paired, the pair starts, sessions are logged, the pair
ends. The FHIR tests watch the Task follow."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from kobling.followup import services as pairing_services
from kobling.followup.models import Pairing
from kobling.outcomes import followups
from kobling.outcomes import services as outcome_services
from kobling.outcomes.models import FollowUp
from kobling.referrals import services as referral_services
from kobling.referrals.models import Consent, Referral
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction
from tests.followup import scenario as s


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


def opened(referral: Referral, coordinator: Any) -> None:
    """The coordinator opens the referral (the page's audited read)."""
    audit_log(user=coordinator, action=AuditAction.VIEW, obj=referral)


def granted(referral: Referral, coordinator: Any) -> Referral:
    referral_services.referral_decide(
        referral=referral, by=coordinator, outcome="granted", reasons="Oppfyller kriteriene."
    )
    return Referral.objects.get(pk=referral.pk)


def refused(referral: Referral, coordinator: Any) -> Referral:
    referral_services.referral_decide(
        referral=referral, by=coordinator, outcome="refused", reasons="Bor utenfor kommunen."
    )
    return Referral.objects.get(pk=referral.pk)


def paired(referral: Referral, helper: Any, *, days: int = 70) -> Pairing:
    pairing = s.back_date(s.pairing(referral, helper), days=days)
    return pairing


def started(pairing: Pairing, *, days: int = 60) -> Pairing:
    return pairing_services.pairing_activate(pairing=pairing, by=None, started_on=days_ago(days))


def sessions(pairing: Pairing, *, held: int = 3, no_show: int = 1, first_day: int = 50) -> None:
    for i in range(held):
        s.log(pairing, days_ago=first_day - 7 * i, minutes=60)
    for i in range(no_show):
        s.log(pairing, days_ago=first_day - 7 * (held + i), status="no_show", minutes=60)


def goal_of(pairing: Pairing, text: str = "Gå til butikken alene") -> Any:
    return outcome_services.goal_create(pairing=pairing, by=None, text=text)


def review(pairing: Pairing, goal_row: Any, *, on: dt.date, minutes: int = 120) -> Any:
    from decimal import Decimal

    return outcome_services.review_record(
        pairing=pairing,
        by=None,
        kind="periodic",
        date=on,
        scores=[
            outcome_services.ScoreInput(instrument="activity_minutes", value=Decimal(minutes)),
            outcome_services.ScoreInput(instrument="self_rated_health", value=Decimal(4)),
            outcome_services.ScoreInput(
                instrument="goal_attainment", value=Decimal(1), goal=goal_row.pk
            ),
        ],
    )


def ended(pairing: Pairing, *, days: int = 10) -> Pairing:
    return pairing_services.pairing_end(
        pairing=Pairing.objects.get(pk=pairing.pk),
        by=None,
        reason="goal_reached",
        handover_destination="gym",
        ended_on=days_ago(days),
    )


def ended_course(cast: Any, referral: Referral) -> tuple[Referral, Any, Any]:
    """A FHIR referral whose course ran and ended 100 days ago, with a goal and a review, and
    the person's 3-month follow-up answered."""
    referral = granted(referral, cast.coordinator_a)
    pairing = started(paired(referral, s.contact(cast.programme_a), days=200), days=190)
    sessions(pairing, first_day=180)
    return ended_course_after_start(cast, referral, pairing)


def ended_course_after_start(
    cast: Any, referral: Referral, pairing: Pairing
) -> tuple[Referral, Any, Any]:
    """The started course of ``pairing`` gets a goal and a review, ends 100 days ago, and the
    person (who consented to be asked) answers the 3-month follow-up through its link."""
    Consent.objects.create(
        referral=referral,
        municipality=cast.a,
        scope="follow_up",
        given_on=days_ago(300),
        given_by="Kari Nordmann",
    )
    referral.participant.email = "kari@example.test"
    referral.participant.save()
    goal = goal_of(pairing)
    review_row = review(pairing, goal, on=days_ago(120))
    ended(pairing, days=100)
    followups.followups_tick(now=timezone.now())
    followup = FollowUp.objects.get(episode=referral.episode, months=3)
    followups.followup_answer(
        followup=followup, still_active=True, minutes_per_week=150, where="gym"
    )
    return Referral.objects.get(pk=referral.pk), review_row, followup

"""A small, demo-like world for research-export tests: participants with names, identity
numbers, phone numbers, postcodes, notes and goal texts that must never reach a dataset, and
every kind of record an export carries (decision, pairing, sessions, review scores, a goal, a
follow-up)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from kobling.followup import services as followup
from kobling.outcomes import services as outcomes
from kobling.outcomes.models import FollowUp
from kobling.referrals.identity import synthetic_national_id
from kobling.referrals.models import Consent, Participant
from tests.followup import scenario as s
from tests.outcomes import builders as b

# What must never appear in an export (checked against the unpacked archive).
SECRETS = {
    "first_name": "Sigrunhild",
    "last_name": "Qvistgaard",
    "phone": "41234567",
    "email": "sigrunhild@hemmelig.test",
    "home_area": "Hemmelighaugen",
    "goals": "Vil gå til Hornelen med barnebarnet",
    "needs": "Trenger følge på grunn av angst",
    "coordinator_notes": "Kjent fra barnevernet",
    "goal_text": "Gå Hornelen-stien innen sommeren",
    "session_note": "Snakket om skilsmissen",
    "review_note": "Gråt under samtalen",
    "end_note": "Flyttet til søsteren",
    "handover_note": "Møter Frode på Sats",
    "given_by": "Verge Ragnfrid",
}
BIRTH_DATE = dt.date(1961, 3, 14)
POSTCODE = "6823"


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


def consent(referral, *, scope: str = "research", given: int = 230, withdrawn: int | None = None):
    """A consent given (and perhaps withdrawn) that many days ago."""
    return Consent.objects.create(
        referral=referral,
        municipality_id=referral.municipality_id,
        scope=scope,
        given_on=days_ago(given),
        withdrawn_on=days_ago(withdrawn) if withdrawn is not None else None,
        given_by=SECRETS["given_by"],
    )


def person(referral, index: int) -> Participant:
    participant = referral.participant
    participant.first_name = f"{SECRETS['first_name']}{index}"
    participant.last_name = f"{SECRETS['last_name']}{index}"
    participant.national_id = synthetic_national_id(BIRTH_DATE, serial=index)
    participant.alternative_id = ""
    participant.alternative_id_note = ""
    participant.birth_date = BIRTH_DATE
    participant.phone = SECRETS["phone"]
    participant.email = SECRETS["email"]
    participant.postcode = POSTCODE
    participant.home_area = SECRETS["home_area"]
    participant.gender = "female"
    participant.save()
    return participant


def full_history(programme, contact, *, index: int, research: bool = True, received: int = 240):
    """A participant referred ``received`` days ago, granted, paired with ``contact``, with a
    goal, sessions (one corrected away), a start and an end review, ended with a hand-over and a
    follow-up answered. ``research`` gives a research consent in force."""
    pairing = b.pairing(
        programme,
        contact,
        confirmed_days_ago=200,
        started_days_ago=190,
        # Local noon of the day: days counted in local calendar days stay exact near midnight
        # and across a daylight-saving change.
        received_at=timezone.make_aware(dt.datetime.combine(days_ago(received), dt.time(12))),
        goals=SECRETS["goals"],
        needs=SECRETS["needs"],
        coordinator_notes=SECRETS["coordinator_notes"],
        referrer_name="Doktor Hemmeligsen",
    )
    # Confirmed at local noon too, for the same reason as ``received_at``.
    type(pairing).objects.filter(pk=pairing.pk).update(
        confirmed_at=timezone.make_aware(dt.datetime.combine(days_ago(200), dt.time(12)))
    )
    pairing.refresh_from_db()
    referral = pairing.referral
    person(referral, index)
    referrals_decision(referral, on=days_ago(received - 5))
    if research:
        consent(referral)
    goal = outcomes.goal_create(pairing=pairing, by=None, text=SECRETS["goal_text"])
    for n in (180, 173, 166):
        s.log(pairing, days_ago=n, note=SECRETS["session_note"])
    s.log(pairing, days_ago=159, status="no_show")
    b.review(
        pairing,
        kind="start",
        on=days_ago(189),
        activity_minutes=60,
        self_rated_health=2,
    )
    outcomes.review_record(
        pairing=pairing,
        by=None,
        kind="end",
        date=days_ago(101),
        note=SECRETS["review_note"],
        scores=[
            outcomes.ScoreInput(instrument="activity_minutes", value=150),
            outcomes.ScoreInput(instrument="goal_attainment", value=1, goal=goal.pk),
        ],
    )
    ended = followup.pairing_end(
        pairing=pairing,
        by=None,
        reason="goal_reached",
        handover_destination="gym",
        handover_note=SECRETS["handover_note"],
        note=SECRETS["end_note"],
        ended_on=days_ago(100),
    )
    FollowUp.objects.create(
        municipality_id=ended.municipality_id,
        pairing=ended,
        months=3,
        due_on=days_ago(10),
        status="answered",
        answered_at=timezone.now() - dt.timedelta(days=9),
        still_active=True,
        minutes_per_week=120,
        where_other="Hemmelig treningssenter",
    )
    return ended


def referrals_decision(referral, *, on: dt.date) -> None:
    """Record the (already granted) referral's decision as of ``on``."""
    from kobling.referrals.models import Decision
    from kobling.tenancy.models import User

    coordinator = User.objects.filter(
        memberships__municipality_id=referral.municipality_id, memberships__role="coordinator"
    ).first()
    Decision.objects.create(
        decided_by=coordinator,
        referral=referral,
        municipality_id=referral.municipality_id,
        outcome="granted",
        reasons="Innvilget fordi hun er deprimert",
        decided_on=on,
    )


@pytest.fixture
def contact(cast):
    return b.roomy(s.contact(cast.programme_a, first_name="Helgard", last_name="Hjelpersen"))


@pytest.fixture
def world(cast, contact):
    """Two consenting participants with full histories, and three who must be left out: no
    consent, a withdrawn research consent, and only other consents."""
    included = [full_history(cast.programme_a, contact, index=i) for i in (1, 2)]
    never = full_history(cast.programme_a, contact, index=3, research=False)
    withdrawn = full_history(cast.programme_a, contact, index=4, research=False)
    consent(withdrawn.referral, given=230, withdrawn=5)
    other = full_history(cast.programme_a, contact, index=5, research=False)
    for scope in ("follow_up", "share_with_referrer"):
        Consent.objects.filter(referral=other.referral, scope=scope).delete()
        consent(other.referral, scope=scope)
    return SimpleNamespace(
        included=included, never=never, withdrawn=withdrawn, other=other, contact=contact
    )


def export(by, programmes=(), **overrides):
    """Create an export through the service, with plain defaults."""
    from kobling.research import services

    values = {
        "programmes": programmes,
        "period_start": days_ago(400),
        "period_end": timezone.localdate(),
        "project_title": "Treningskontakt og livskvalitet",
        "approval_reference": "REK 2026/12345",
        "recipient_name": "Forsker Fosse",
        "recipient_institution": "Universitetet i Fjordvik",
        "purpose": "Effekt av treningskontakt på fysisk aktivitet",
    }
    values.update(overrides)
    return services.research_export_create(by=by, **values)

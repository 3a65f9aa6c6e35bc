"""One rehabilitation course through the real services, from referral to register entry: the
unit's coordinator receives the referral and grants it (which opens the course, forløp), the
course starts, the start and end conversations are held, it ends, and a clinician records the
register's fields. Used by the demo and the tests, so both follow the same path as the pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from kobling.referrals import episodes
from kobling.referrals.models import Episode
from kobling.referrals.services import referral_create, referral_decide
from kobling.rehab.models import RehabCourse, RehabOffer
from kobling.rehab.services import rehab_course_register
from kobling.tenancy.models import Programme, User


@dataclass(frozen=True)
class Patient:
    first_name: str
    last_name: str
    birth_date: dt.date
    gender: str
    serial: str  # noted with the alternative identity


def open_course(
    *,
    programme: Programme,
    coordinator: User,
    patient: Patient,
    referred_on: dt.date,
    today: dt.date | None = None,
) -> Episode:
    """The referral of ``patient`` received on ``referred_on`` and granted 4 days later, which
    opens the course (forløp) — not yet in the register."""
    today = today or timezone.localdate()
    referral = referral_create(
        by=coordinator,
        programme=programme,
        person={
            "first_name": patient.first_name,
            "last_name": patient.last_name,
            "birth_date": patient.birth_date,
            "gender": patient.gender,
            "alternative_id": "other",
            "alternative_id_note": f"Rehab {patient.serial}",
            "postcode": "5000",
        },
        data={
            "source": "specialist",
            "received_at": timezone.make_aware(dt.datetime.combine(referred_on, dt.time(9, 0))),
        },
        today=today,
    )
    decision = referral_decide(
        referral=referral,
        by=coordinator,
        outcome="granted",
        reasons="Henvist til rehabilitering etter indekshendelse.",
        decided_on=min(referred_on + dt.timedelta(days=4), today),
        notify=False,
    )
    del decision
    return Episode.objects.get(referral=referral)


def record_course(
    *,
    programme: Programme,
    coordinator: User,
    clinician: User,
    patient: Patient,
    diagnosis: str,
    icd10: str,
    index_event: str,
    index_date: dt.date,
    offer: RehabOffer | None = None,
    start_after_days: int | None = 28,
    completed: bool = False,
    weeks: int = 12,
    today: dt.date | None = None,
) -> RehabCourse:
    """A referral 10 days after the index event, granted 4 days later; the course starts
    ``start_after_days`` after the event (``None``: never starts) and, when its weeks have
    passed by ``today``, ends — with its end conversation (completed under a rule that asks
    for it) when ``completed``."""
    today = today or timezone.localdate()
    referred_on = min(index_date + dt.timedelta(days=10), today)
    episode = open_course(
        programme=programme,
        coordinator=coordinator,
        patient=patient,
        referred_on=referred_on,
        today=today,
    )
    if start_after_days is not None:
        started_on = index_date + dt.timedelta(days=start_after_days)
        if started_on <= today:
            started_on = max(started_on, episode.opened_on)
            episode = episodes.episode_start(episode=episode, by=coordinator, started_on=started_on)
            if programme.uses_conversations:
                episodes.conversation_record(
                    episode=episode,
                    by=coordinator,
                    kind="start",
                    held_on=started_on,
                    areas=["activity"],
                )
            ended_on = started_on + dt.timedelta(weeks=weeks)
            if ended_on <= today:
                if completed and programme.uses_conversations:
                    episodes.conversation_record(
                        episode=episode, by=coordinator, kind="end", held_on=ended_on
                    )
                episode = episodes.episode_end(
                    episode=episode,
                    by=coordinator,
                    ended_on=ended_on,
                    end_reason="goal_reached" if completed else "participant_stopped",
                )
    return rehab_course_register(
        by=clinician,
        episode=episode,
        data={
            "diagnosis": diagnosis,
            "icd10": icd10,
            "index_event": index_event,
            "index_date": index_date,
            "referral_date": referred_on,
            "offer": offer,
        },
    )

"""A small, hand-countable year of a programme for the dashboard tests (built through the real
services where they allow past dates)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from django.utils import timezone

from kobling.followup import services as followup
from kobling.followup.models import Pairing
from kobling.outcomes.models import FollowUp
from kobling.referrals.models import Participant
from tests.followup import scenario as s
from tests.outcomes.builders import review


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def build_year(programme, year: int) -> SimpleNamespace:  # noqa: ANN001
    """Seven referrals received 1 March (six women, one man, all from a GP, adults), all
    granted; six paired on 10 March and started 15 March, each with their own contact.

    Sessions: 20 March each of the six holds 60 min; April pairs 1–2 hold 45 min, pair 3 is a
    no-show; 2 May pairs 1–5 hold 30 min. Pair 1 ends 1 June with its goal reached, pair 6 ends
    1 June because the participant stopped. Pairs 1–5 have a start review (60 weekly minutes,
    self-rated health 2) and a review on 1 May (180 minutes, health 4)."""
    march = dt.date(year, 3, 1)
    referrals = []
    for i in range(7):
        r = s.waiting(programme, received_at=at(march), granted_at=at(march + dt.timedelta(days=4)))
        Participant.objects.filter(pk=r.participant_id).update(
            gender="male" if i == 6 else "female", birth_date=dt.date(1980, 1, 1)
        )
        referrals.append(r)
    pairings = []
    for r in referrals[:6]:
        p = s.pairing(r, s.contact(programme))
        Pairing.objects.filter(pk=p.pk).update(confirmed_at=at(dt.date(year, 3, 10)))
        p.refresh_from_db()
        pairings.append(
            followup.pairing_activate(pairing=p, by=None, started_on=dt.date(year, 3, 15))
        )
    for p in pairings:
        s.log(p, date=dt.date(year, 3, 20), minutes=60)
    for p in pairings[:2]:
        s.log(p, date=dt.date(year, 4, 10), minutes=45)
    s.log(pairings[2], date=dt.date(year, 4, 10), minutes=45, status="no_show")
    for p in pairings[:5]:
        s.log(p, date=dt.date(year, 5, 2), minutes=30)
    for p in pairings[:5]:
        review(p, kind="start", on=dt.date(year, 3, 15), activity_minutes=60, self_rated_health=2)
        review(
            p, kind="periodic", on=dt.date(year, 5, 1), activity_minutes=180, self_rated_health=4
        )
    followup.pairing_end(
        pairing=pairings[0],
        by=None,
        reason="goal_reached",
        handover_destination="gym",
        ended_on=dt.date(year, 6, 1),
    )
    followup.pairing_end(
        pairing=pairings[5],
        by=None,
        reason="participant_stopped",
        handover_destination="none",
        ended_on=dt.date(year, 6, 1),
    )
    return SimpleNamespace(referrals=referrals, pairings=pairings)


def answered_followups(pairings, *, months: int, active: int, due: dt.date) -> None:  # noqa: ANN001
    """Answered follow-ups for ``pairings``; the first ``active`` say they are still active."""
    for i, p in enumerate(pairings):
        FollowUp.objects.create(
            municipality_id=p.municipality_id,
            pairing=p,
            months=months,
            due_on=due,
            status="answered",
            answered_at=at(due),
            still_active=i < active,
            minutes_per_week=150,
        )

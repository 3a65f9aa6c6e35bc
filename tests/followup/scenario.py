"""Small builders for matching and pairing tests: active contacts and waiting participants with
exactly the activities, times, places and wishes a test needs, and a confirmed pairing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.utils import timezone

from kobling.followup.models import Pairing
from kobling.helpers.models import Activity, AvailabilityWindow, Helper, TargetGroup
from kobling.matching.models import MatchingRun, Proposal
from kobling.referrals.choices import ReferralStatus
from kobling.referrals.models import PreferredTime, Referral
from kobling.tenancy.models import Programme
from tests import factories as f

Window = tuple[int, str, str]  # (weekday, "17:00", "19:00")


def _time(value: str) -> dt.time:
    hours, minutes = value.split(":")
    return dt.time(int(hours), int(minutes))


def contact(
    programme: Programme,
    *,
    capacity: int = 1,
    activities: Iterable[str] = ("walking",),
    target_groups: Iterable[str] = (),
    windows: Iterable[Window] = ((1, "17:00", "19:00"),),
    lat: str | None = "61.45000",
    lon: str | None = "5.85000",
    active: bool = True,
    **fields,
) -> Helper:
    """An active, qualified, confirmed contact (unless ``active=False``)."""
    fields.setdefault("gender", "female")
    fields.setdefault("languages", ["nb"])
    helper = f.HelperFactory(
        programme=programme,
        capacity=capacity,
        latitude=Decimal(lat) if lat else None,
        longitude=Decimal(lon) if lon else None,
        **fields,
    )
    helper.activities.set(Activity.objects.filter(code__in=list(activities)))
    helper.target_groups.set(TargetGroup.objects.filter(code__in=list(target_groups)))
    AvailabilityWindow.objects.bulk_create(
        [
            AvailabilityWindow(helper=helper, weekday=d, start_time=_time(a), end_time=_time(b))
            for d, a, b in windows
        ]
    )
    if active:
        f.make_active(helper)
    return helper


def waiting(
    programme: Programme,
    *,
    activities: Iterable[str] = ("walking",),
    target_groups: Iterable[str] = (),
    windows: Iterable[Window] = ((1, "17:00", "19:00"),),
    lat: str | None = "61.45000",
    lon: str | None = "5.85000",
    first_name: str | None = None,
    email: str = "",
    **fields,
) -> Referral:
    """A granted referral waiting for a contact."""
    fields.setdefault("status", ReferralStatus.WAITING)
    fields.setdefault("granted_at", timezone.now() - dt.timedelta(days=10))
    referral = f.ReferralFactory(programme=programme, **fields)
    participant = referral.participant
    participant.latitude = Decimal(lat) if lat else None
    participant.longitude = Decimal(lon) if lon else None
    participant.email = email
    if first_name:
        participant.first_name = first_name
    participant.save()
    referral.preferred_activities.set(Activity.objects.filter(code__in=list(activities)))
    referral.target_groups.set(TargetGroup.objects.filter(code__in=list(target_groups)))
    PreferredTime.objects.bulk_create(
        [
            PreferredTime(referral=referral, weekday=d, start_time=_time(a), end_time=_time(b))
            for d, a, b in windows
        ]
    )
    return referral


def proposal(referral: Referral, helper: Helper, *, run: MatchingRun | None = None) -> Proposal:
    """A proposal for exactly this pair, in an open run (made by hand, not by the engine)."""
    run = run or MatchingRun.objects.create(
        municipality=referral.municipality,
        programme=referral.programme,
        weights={"activity": 3.0},
    )
    return Proposal.objects.create(
        run=run,
        municipality=referral.municipality,
        referral=referral,
        helper=helper,
        score=3.0,
        factors=[
            {
                "factor": "activity",
                "value": 1.0,
                "weight": 3.0,
                "contribution": 3.0,
                "reason": "shared_activities",
                "details": {"shared": ["walking"]},
            }
        ],
    )


def pairing(
    referral: Referral, helper: Helper, *, by=None, intro_at=None, place: str = ""
) -> Pairing:  # noqa: ANN001
    """A confirmed pairing through the real service."""
    from kobling.followup.services import pairing_confirm

    return pairing_confirm(
        proposal=proposal(referral, helper),
        by=by,
        intro_meeting_at=intro_at,
        intro_meeting_place=place,
    )


def share_with_referrer(referral) -> None:
    """The participant agreed that the referrer may follow their progress."""
    import datetime as _dt

    from kobling.referrals.models import Consent

    Consent.objects.create(
        referral=referral,
        municipality_id=referral.municipality_id,
        scope="share_with_referrer",
        given_on=_dt.date.today() - _dt.timedelta(days=1),
        given_by="Deltakeren",
    )


def back_date(pairing: Pairing, *, days: int = 56) -> Pairing:
    """Pretend the pairing was confirmed ``days`` ago (sessions cannot predate confirmation)."""
    Pairing.objects.filter(pk=pairing.pk).update(
        confirmed_at=timezone.now() - dt.timedelta(days=days)
    )
    pairing.refresh_from_db()
    return pairing


def active_pair(
    referral: Referral, helper: Helper, *, days: int = 56, started_days_ago: int | None = None
) -> Pairing:
    """A pairing confirmed ``days`` ago and started (a week after, unless said otherwise)."""
    from kobling.followup.services import pairing_activate

    pairing = back_date(s_pairing(referral, helper), days=days)
    started = timezone.localdate() - dt.timedelta(
        days=days - 7 if started_days_ago is None else started_days_ago
    )
    return pairing_activate(pairing=pairing, by=None, started_on=started)


s_pairing = pairing


def log(pairing: Pairing, *, days_ago: int = 0, **values):  # noqa: ANN201
    """Log a session through the real service, with plain defaults (held, 60 min, moderate)."""
    from kobling.followup.sessions import session_log

    values.setdefault("minutes", 60)
    values.setdefault("status", "held")
    if values["status"] == "held":
        values.setdefault("intensity", "moderate")
    return session_log(
        pairing=pairing,
        by=values.pop("by", None),
        date=values.pop("date", timezone.localdate() - dt.timedelta(days=days_ago)),
        **values,
    )

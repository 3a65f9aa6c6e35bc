"""The demo shows the follow-up loop in both municipalities: active and ended pairs with months
of sessions, reviews and follow-ups, approved and open timesheets; the demo referrer reads the
reports of the pairs they referred through the API, and the numbers agree with the sessions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Sum
from django.utils import timezone

from kobling.demo.loader import load_demo
from kobling.followup.models import Pairing, Session
from kobling.outcomes.models import FollowUp, Review
from kobling.pay.models import Timesheet
from kobling.tenancy.models import Municipality, User

pytestmark = pytest.mark.django_db


def test_the_demo_runs_the_whole_loop(settings, api):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    load_demo()
    months_ago = timezone.localdate() - dt.timedelta(days=90)
    for name in ("Fjordvik", "Nordby"):
        town = Municipality.objects.get(name=name)
        pairings = Pairing.objects.filter(municipality=town)
        assert pairings.filter(status="active", started_on__lte=months_ago).exists(), name
        assert pairings.filter(status="ended", handover_destination="gym").exists() or (
            pairings.filter(status="ended").exclude(handover_destination="").exists()
        ), name
        sessions = Session.objects.held().filter(municipality=town)
        assert sessions.filter(date__lte=months_ago).exists(), name
        assert Review.objects.filter(municipality=town, kind="end").exists(), name
        assert FollowUp.objects.filter(municipality=town, status="answered").exists(), name
        sheets = set(Timesheet.objects.filter(municipality=town).values_list("status", flat=True))
        assert sheets == {"approved", "open"}, name

    referrer = User.objects.get(username="henviser@fjordvik.demo")
    theirs = Pairing.objects.filter(referral__referrer=referrer, started_on__isnull=False)
    read = 0
    for pairing in theirs:
        response = api(referrer).get(f"/api/v1/pairings/{pairing.pk}/referrer-report")
        if response.status_code == 403:  # a participant who withdrew consent: told why
            assert "consent" in response.json()["detail"]
            continue
        assert response.status_code == 200
        body = response.json()
        held = Session.objects.held().filter(pairing=pairing)
        assert body["sessions_held"] == held.count()
        assert body["minutes_total"] == (held.aggregate(m=Sum("minutes"))["m"] or 0)
        read += 1
    assert read >= 5

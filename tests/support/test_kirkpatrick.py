"""Kirkpatrick level 3 (behaviour) per course run: hand-built rows for the pure count, and the
page under the small-cell rule for the municipality and the course provider."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from kobling.courses.models import Qualification
from kobling.support.kirkpatrick import Trainee, behaviour
from kobling.support.kirkpatrick_load import SPELL_SOURCES, pairing_spells, run_behaviour
from tests import factories as f
from tests.conftest import signed_in
from tests.outcomes.builders import pairing, roomy

TODAY = dt.date(2026, 12, 1)


def d(days_ago: int) -> dt.date:
    return TODAY - dt.timedelta(days=days_ago)


def test_placed_within_three_months_and_stayed_six_are_counted_when_time_has_passed():
    trainees = [
        # Qualified a year ago, started after 30 days, still going: placed and stayed.
        Trainee(1, d(365), ((d(335), None),)),
        # Started after 120 days: judged, not placed.
        Trainee(2, d(365), ((d(245), None),)),
        # Placed after 10 days, ended after 2 months, no other: placed, not stayed.
        Trainee(3, d(365), ((d(355), d(295)),)),
        # Placed, first pairing ended, a second one covers the 6-month day: stayed.
        Trainee(4, d(365), ((d(350), d(250)), (d(240), None))),
        # Qualified 200 days ago, placed after 20 days (180 days ago): too early to judge stay.
        Trainee(5, d(200), ((d(180), None),)),
        # Qualified 40 days ago: too early to judge at all.
        Trainee(6, d(40), ()),
        # Never carried anyone: judged, not placed.
        Trainee(7, d(300), ()),
        # A pairing from before qualifying does not count as placed.
        Trainee(8, d(300), ((d(400), None),)),
    ]
    found = behaviour(trainees, TODAY)
    assert (found.qualified, found.judged_placed, found.placed) == (8, 7, 4)
    assert (found.judged_stayed, found.stayed) == (3, 2)


def test_the_pairings_are_a_registered_source():
    assert pairing_spells in SPELL_SOURCES


@pytest.mark.django_db
def test_the_run_page_counts_real_pairings_and_hides_small_cells(cast):
    helper = roomy(cast.helper_a)
    f.make_active(helper)
    Qualification.objects.filter(helper=helper).update(
        enrolment=cast.enrolment_a, qualified_on=dt.date.today() - dt.timedelta(days=300)
    )
    pairing(cast.programme_a, helper, confirmed_days_ago=290, started_days_ago=280)
    found = run_behaviour(cast.run_a, dt.date.today())
    assert (found.qualified, found.placed, found.stayed) == (1, 1, 1)
    url = reverse("web:support_run_evaluation", args=[cast.run_a.pk])
    for user in (cast.coordinator_a, cast.provider_user):
        page = signed_in(user).get(url)
        assert page.status_code == 200
        assert "&lt;5" in page.content.decode()

"""The access-log review knows the providers' records: a placement or a visit names its
participant, and a gym's staff have the persons placed with their gym as caseload — so their
work is not flagged, and a read outside it is (docs/access-review.md)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kobling.core import access_review
from kobling.core.access_flags import OUTSIDE_CASELOAD
from tests.core.test_access_review import entry
from tests.providers.builders import (
    ORGNR,
    gym,
    placed,
    provider_course,
    provider_programme,
    staff_user,
)

pytestmark = pytest.mark.django_db


def test_a_gyms_staff_reading_their_own_placement_is_in_caseload_and_another_is_not(cast):
    programme = provider_programme(cast)
    staff_a = staff_user("ansatt@gym-a.test")
    gym_a = gym(cast, staff=staff_a)
    gym_b = gym(cast, "Sprek Nordby", orgnr=ORGNR[1])
    ours = placed(cast, provider_course(cast, programme, gym_a, first_name="Siri"), gym_a)
    theirs = placed(cast, provider_course(cast, programme, gym_b, first_name="Tone"), gym_b)
    entry(staff_a, ours)
    entry(staff_a, theirs)

    today = timezone.localdate()
    review = access_review.load_review(
        access_review.ReviewFilter(
            municipality_id=cast.a.pk, start=today - dt.timedelta(days=7), end=today
        )
    )
    flags_by_person = {
        row.person_name: row.flags
        for row in review.rows
        if row.username == staff_a.username and row.via == "GET test"
    }
    assert set(flags_by_person) == {
        "Siri " + ours.episode.participant.last_name,
        "Tone " + theirs.episode.participant.last_name,
    }
    siri = next(k for k in flags_by_person if k.startswith("Siri"))
    tone = next(k for k in flags_by_person if k.startswith("Tone"))
    assert OUTSIDE_CASELOAD not in flags_by_person[siri]
    assert OUTSIDE_CASELOAD in flags_by_person[tone]

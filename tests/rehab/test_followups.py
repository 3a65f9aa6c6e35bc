"""The 3-, 6- and 12-month follow-ups of rehabilitation courses: the course is a
``referrals.Episode``, so outcomes' follow-ups are created for it when it ends; the register
reports how many are due, answered and "still active" — in the participation rows (page, CSV,
API; suppressed outside the unit) and in the unit's quality-register extract."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from kobling.outcomes.choices import FollowUpStatus
from kobling.outcomes.followups import followups_create_missing
from kobling.outcomes.models import FollowUp
from kobling.referrals.choices import ConsentScope
from kobling.referrals.identity import synthetic_national_id
from kobling.referrals.services import consent_record
from kobling.rehab.flow import Patient, record_course
from kobling.rehab.models import quarter_of
from tests.conftest import signed_in
from tests.rehab.builders import build

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast):
    """Six courses of hospital H that ended about 9.5 months ago (index event 400 days ago,
    started 21 days later, 12 weeks long): their 3- and 6-month follow-ups are due, the 12-month
    one not yet. Five answered at 3 months, four of them still active."""
    world = build(cast)
    today = timezone.localdate()
    index_date = today - dt.timedelta(days=400)
    world.recent = [
        record_course(
            programme=world.h.programme,
            coordinator=world.h.coordinator,
            clinician=world.h.clinician,
            patient=Patient(f"Ny{i}", "Pasient", dt.date(1958, 1, 1), "female", f"NEW-{i}"),
            diagnosis="chd",
            icd10="I21",
            index_event="mi",
            index_date=index_date,
            offer=world.h.offer,
            start_after_days=21,
            completed=True,
        )
        for i in range(6)
    ]
    world.created = followups_create_missing(now=timezone.now())
    for i, course in enumerate(world.recent[:5]):
        FollowUp.objects.filter(episode=course.episode, months=3).update(
            status=FollowUpStatus.ANSWERED,
            answered_at=timezone.now(),
            still_active=i < 4,
            minutes_per_week=150,
        )
    year, quarter = quarter_of(index_date)
    world.period = f"{year}Q{quarter}"
    return world


def _row(api, user, period):
    response = api(user).get("/api/v1/rehab/participation/", {"diagnosis": "chd", "period": period})
    assert response.status_code == 200, response.content
    return {r["unit"]: r for r in response.json()}["H001"]


def test_a_rehabilitation_course_gets_its_3_6_and_12_month_follow_ups(cast, world):
    # Only the six recent courses: the others ended so long ago that even 12 months is past.
    assert world.created == 18
    for course in world.recent:
        ended = course.episode.ended_on
        dues = dict(FollowUp.objects.filter(episode=course.episode).values_list("months", "due_on"))
        assert set(dues) == {3, 6, 12}
        assert all(due > ended for due in dues.values())


def test_the_units_staff_see_their_follow_up_figures_as_they_are(cast, api, world):
    row = _row(api, world.h.clinician, world.period)
    assert [row[f"followup_3_{p}"] for p in ("due", "answered", "active")] == [6, 5, 4]
    assert [row[f"followup_6_{p}"] for p in ("due", "answered", "active")] == [6, 0, 0]
    assert [row[f"followup_12_{p}"] for p in ("due", "answered", "active")] == [0, 0, 0]


def test_outside_the_unit_small_follow_up_cells_are_suppressed(cast, api, world):
    row = _row(api, cast.analyst, world.period)
    # 6 due, 5 answered (1 fewer: hidden), 4 active (under 5: hidden).
    assert [row[f"followup_3_{p}"] for p in ("due", "answered", "active")] == [6, "<5", "<5"]
    assert [row[f"followup_6_{p}"] for p in ("due", "answered", "active")] == [6, 0, 0]


def test_the_page_and_the_csv_show_the_follow_ups(cast, world):
    client = signed_in(world.h.clinician)
    page = client.get(reverse("web:rehab_participation"), {"period": world.period})
    assert "5 / 6 (4)" in page.content.decode()
    response = client.get(
        reverse("web:rehab_participation_csv"), {"diagnosis": "chd", "period": world.period}
    )
    (row,) = [
        r for r in csv.DictReader(io.StringIO(response.content.decode())) if r["unit"] == "H001"
    ]
    assert (row["followup_3_due"], row["followup_3_answered"], row["followup_3_active"]) == (
        "6",
        "5",
        "4",
    )


def test_the_units_extract_has_each_courses_follow_up_answers(cast, api, world):
    course = world.recent[0]
    course.episode.participant.national_id = synthetic_national_id(dt.date(1958, 1, 1))
    course.episode.participant.save(update_fields=["national_id"])
    consent_record(
        referral=course.episode.referral,
        by=world.h.coordinator,
        scope=ConsentScope.QUALITY_REGISTER,
        given_by="Ny0 Pasient",
    )
    response = api(world.h.coordinator).get("/api/v1/rehab/extracts/hjerteinfarkt/")
    (row,) = list(csv.DictReader(io.StringIO(response.content.decode()), delimiter=";"))
    assert (row["followup_3_status"], row["followup_3_still_active"]) == ("answered", "1")
    assert row["followup_3_minutes_per_week"] == "150"
    assert row["followup_12_status"] == "scheduled" and row["followup_12_still_active"] == ""

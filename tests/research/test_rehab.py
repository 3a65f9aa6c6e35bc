"""The research export holds the rehabilitation register's courses (rehab_courses.csv,
pseudonymised as the rest) and their follow-ups linked by course (follow_ups.csv course_id)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

import pytest
from django.utils import timezone

from kobling.outcomes.models import FollowUp
from kobling.research import dataset
from tests.rehab.builders import build
from tests.research.conftest import consent, export

pytestmark = pytest.mark.django_db


def _files(content: bytes) -> dict[str, list[dict[str, str]]]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {
            name: list(csv.DictReader(io.StringIO(archive.read(name).decode())))
            for name in archive.namelist()
            if name.endswith(".csv")
        }


@pytest.fixture
def world(cast):
    world = build(cast)
    # Courses 0 (completed) and 8 (never started) consent to research; the others do not.
    for course in (world.courses[0], world.courses[8]):
        consent(course.episode.referral, given=600)
    FollowUp.objects.create(
        municipality=world.h.unit,
        episode=world.courses[0].episode,
        months=3,
        due_on=world.courses[0].episode.ended_on + dt.timedelta(days=91),
        status="answered",
        answered_at=timezone.now(),
        still_active=True,
        minutes_per_week=120,
    )
    return world


def test_the_export_holds_the_consenting_rehabilitation_courses(cast, world):
    result = export(world.h.admin, [world.h.programme], period_start=dt.date(2025, 1, 1))
    files = _files(result.content)
    rehab = files["rehab_courses.csv"]
    assert len(rehab) == 2
    courses = {r["course_id"]: r for r in files["courses.csv"]}
    assert {r["course_id"] for r in rehab} == set(courses)
    done = next(r for r in rehab if r["completed"] == "true")
    first = world.courses[0]
    received = timezone.localdate(first.episode.referral.received_at)
    assert (done["diagnosis"], done["icd10"], done["index_event"]) == ("chd", "I21", "mi")
    assert int(done["index_day"]) == (first.index_date - received).days < 0
    assert int(done["rehab_referral_day"]) == (first.referral_date - received).days
    assert (done["setting"], done["format"]) == ("hospital_outpatient", "group")
    never = next(r for r in rehab if r is not done)
    assert never["completed"] == "" and courses[never["course_id"]]["start_day"] == ""
    # The follow-up of a course no pairing delivers is linked by its course.
    (follow,) = files["follow_ups.csv"]
    assert follow["course_id"] == done["course_id"] and follow["pairing_id"] == ""
    assert (follow["months"], follow["still_active"]) == ("3", "true")
    # No names, no offer or unit names, no dates.
    with zipfile.ZipFile(io.BytesIO(result.content)) as archive:
        text = "".join(archive.read(name).decode() for name in archive.namelist())
    assert "rehab_courses.csv" in text  # the README names it
    for secret in ("Pasient", "Hjertetrening", "Haukeland", first.index_date.isoformat()):
        assert secret not in text


def test_the_dictionary_describes_the_rehabilitation_columns():
    rows = [r for r in dataset.dictionary_rows() if r["file"] == "rehab_courses.csv"]
    assert [r["column"] for r in rows] == [c.name for c in dataset.FILES["rehab_courses.csv"][1]]
    assert "I50" in next(r for r in rows if r["column"] == "icd10")["allowed_values_or_unit"]

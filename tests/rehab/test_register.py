"""Writing the register: offers (versioned), a course's register fields through the API, and the
denominators' CSV import — all or nothing, with a report per row."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kobling.referrals.models import Episode
from kobling.rehab.models import Denominator, RehabCourse
from tests.rehab.builders import build, hospital

pytestmark = pytest.mark.django_db


@pytest.fixture
def h(cast):
    from kobling.tenancy.models import Region

    made = hospital("H001", "Haukeland sykehus", Region.objects.create(code="HV", name="Vest"))
    cast.roles.update(admin_h=made.admin, coordinator_h=made.coordinator)
    return made


def _upload(api, user, text):
    return api(user).post(
        "/api/v1/rehab/denominators/import/",
        {"file": SimpleUploadedFile("d.csv", text.encode()), "source": "PAS"},
        format="multipart",
    )


def test_an_offer_is_created_and_a_stale_version_is_refused(cast, api, h):
    client = api(h.coordinator)
    made = client.post(
        "/api/v1/rehab/offers/",
        {
            "municipality": h.unit.pk,
            "name": "Gangtrening ved claudicatio",
            "serves_pad": True,
            "setting": "hospital_outpatient",
            "format": "group",
            "length_weeks": 12,
            "sessions_per_week": 3,
            "capacity": 10,
            "county_code": "46",
        },
        format="json",
    )
    assert made.status_code == 201, made.content
    assert made.json()["diagnoses"] == ["pad"]
    pk = made.json()["id"]
    first = client.patch(
        f"/api/v1/rehab/offers/{pk}/", {"capacity": 12, "version": 1}, format="json"
    )
    assert first.status_code == 200 and first.json()["capacity"] == 12
    stale = client.patch(
        f"/api/v1/rehab/offers/{pk}/", {"capacity": 20, "version": 1}, format="json"
    )
    assert stale.status_code == 409
    # Another unit's coordinator cannot change it; a clinician cannot either.
    other = api(cast.coordinator_a).patch(
        f"/api/v1/rehab/offers/{pk}/", {"capacity": 1, "version": 2}, format="json"
    )
    assert other.status_code == 403


def test_an_offer_must_serve_a_diagnosis_and_lie_in_a_county(cast, api, h):
    response = api(h.coordinator).post(
        "/api/v1/rehab/offers/",
        {
            "municipality": h.unit.pk,
            "name": "Uten diagnose",
            "setting": "municipal",
            "format": "group",
            "length_weeks": 12,
            "sessions_per_week": 2,
            "capacity": 10,
            "county_code": "99",
        },
        format="json",
    )
    assert response.status_code == 400
    body = str(response.json())
    assert "county_code" in body and "at least one diagnosis" in body


def test_a_clinician_registers_a_course_of_the_units_rehabilitation_programme(cast, api, h):
    from kobling.rehab.flow import Patient, record_course

    registered = record_course(
        programme=h.programme,
        coordinator=h.coordinator,
        clinician=h.clinician,
        patient=Patient("Kari", "Hjerte", dt.date(1958, 3, 1), "female", "1"),
        diagnosis="chd",
        icd10="I21",
        index_event="pci",
        index_date=dt.date(2025, 3, 1),
        offer=h.offer,
    )
    episode = registered.episode
    RehabCourse.objects.filter(pk=registered.pk).delete()
    client = api(h.clinician)
    bad = client.post(
        "/api/v1/rehab/courses/",
        {
            "episode": episode.pk,
            "diagnosis": "copd",
            "icd10": "I21",
            "index_event": "mi",
            "index_date": "2025-03-01",
            "referral_date": "2025-02-01",
            "offer": h.offer.pk,
        },
        format="json",
    )
    assert bad.status_code == 400
    assert {"icd10", "index_event", "referral_date", "offer"} <= set(bad.json())
    good = client.post(
        "/api/v1/rehab/courses/",
        {
            "episode": episode.pk,
            "diagnosis": "chd",
            "icd10": "I21",
            "index_event": "mi",
            "index_date": "2025-03-01",
            "referral_date": "2025-03-11",
            "offer": h.offer.pk,
        },
        format="json",
    )
    assert good.status_code == 201, good.content
    assert good.json()["started_on"] == str(Episode.objects.get(pk=episode.pk).started_on)
    again = client.post(
        "/api/v1/rehab/courses/",
        {**good.json(), "episode": episode.pk, "offer": h.offer.pk},
        format="json",
    )
    assert again.status_code == 400


def test_a_course_of_another_unit_cannot_be_registered(cast, api, h):
    from tests.groups.test_groups import course

    municipal = course(cast)
    response = api(h.clinician).post(
        "/api/v1/rehab/courses/",
        {
            "episode": municipal.pk,
            "diagnosis": "chd",
            "icd10": "I21",
            "index_event": "mi",
            "index_date": "2025-03-01",
            "referral_date": "2025-03-11",
        },
        format="json",
    )
    assert response.status_code == 400 and "episode" in response.json()


def test_the_import_saves_nothing_when_one_row_is_wrong_and_reports_each_row(cast, api, h):
    text = (
        "unit;diagnosis;period;sex;age_band;eligible\n"
        "H001;chd;2025Q1;female;60-69;10\n"
        "H001;asthma;2025Q1;male;60-69;4\n"
        "H001;chd;2025Q5;male;60-69;-1\n"
        "H001;chd;2025Q1;female;60-69;11\n"
        "9001;chd;2025Q1;female;60-69;3\n"
    )
    response = _upload(api, h.coordinator, text)
    assert response.status_code == 400
    report = response.json()
    assert report["saved"] is False and not Denominator.objects.exists()
    errors = {row["line"]: row["errors"] for row in report["rows"]}
    assert errors[2] == []
    assert any("diagnosis" in e for e in errors[3])
    assert len(errors[4]) == 2  # the quarter and the count
    assert any("twice" in e for e in errors[5])
    assert any("cannot import" in e for e in errors[6])  # another unit's code


def test_the_import_creates_then_updates_and_the_analyst_imports_for_any_unit(cast, api, h):
    text = "unit,diagnosis,period,sex,age_band,eligible\nH001,copd,2025Q3,male,70-79,7\n"
    first = _upload(api, h.coordinator, text)
    assert first.status_code == 201 and first.json()["counts"] == {"created": 1}
    again = _upload(api, cast.analyst, text.replace(",7\n", ",9\n"))
    assert again.json()["counts"] == {"updated": 1}
    assert Denominator.objects.get().eligible == 9
    # A clinician reads the counts but does not import them.
    assert _upload(api, h.clinician, text).status_code == 403
    assert api(h.clinician).get("/api/v1/rehab/denominators/").json()["count"] == 1


def test_the_whole_register_builds(cast):
    world = build(cast)
    assert RehabCourse.objects.count() == 14 and len(world.courses) == 14

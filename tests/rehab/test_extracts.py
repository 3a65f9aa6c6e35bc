"""The quality-register extracts: the unit's CSV keyed by national identity number (managers
only, consented courses only, audited with the ids it held) and the aggregate extract (counts per
unit, diagnosis and quarter, small cells suppressed for everyone)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from kobling.referrals.choices import ConsentScope
from kobling.referrals.identity import synthetic_national_id
from kobling.referrals.services import consent_record, consent_withdraw
from kobling.rehab.extracts import AGGREGATE_COLUMNS, PERSON_COLUMNS
from kobling.rehab.flow import Patient, record_course
from kobling.rehab.registers import REGISTERS
from kobling.tenancy.models import AuditEntry
from tests.conftest import signed_in
from tests.rehab.builders import build

pytestmark = pytest.mark.django_db

URL = "/api/v1/rehab/extracts/"


@pytest.fixture
def world(cast):
    world = build(cast)
    h = world.h
    # Courses 0–5 of hospital H have a national identity number; 0–4 and 6 a consent to
    # report to a quality register, withdrawn again for 4; 5 has none; 6 has no number.
    for i, course in enumerate(world.courses[:7]):
        episode = course.episode
        if i <= 5:
            episode.participant.national_id = synthetic_national_id(dt.date(1960, 6, 1), serial=i)
            episode.participant.save(update_fields=["national_id"])
        if i != 5:
            consent = consent_record(
                referral=episode.referral,
                by=h.coordinator,
                scope=ConsentScope.QUALITY_REGISTER,
                given_by=episode.participant.first_name,
                given_on=dt.date(2025, 1, 1),
            )
            if i == 4:
                consent_withdraw(
                    consent=consent, by=h.coordinator, withdrawn_on=dt.date(2025, 6, 1)
                )
    # A course of hospital H2 with consent and number: never in H's extract.
    other = world.courses[11].episode
    other.participant.national_id = synthetic_national_id(dt.date(1950, 1, 1), serial=9)
    other.participant.save(update_fields=["national_id"])
    consent_record(
        referral=other.referral,
        by=world.h2.coordinator,
        scope=ConsentScope.QUALITY_REGISTER,
        given_by="Pasient",
        given_on=dt.date(2025, 1, 1),
    )
    return world


def _csv(response):
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode()), delimiter=";"))


def test_the_units_extract_has_its_consented_courses_keyed_by_national_id(cast, api, world):
    response = api(world.h.coordinator).get(f"{URL}hjerteinfarkt/")
    rows = _csv(response)
    assert response.content.decode().splitlines()[0] == ";".join(PERSON_COLUMNS)
    expected = [c.episode.participant.national_id for c in world.courses[:4]]
    assert [r["national_id"] for r in rows] == expected
    # Eleven courses of H in the register: five consented (0–3 and 6), one without a number.
    assert response["X-Left-Out-Without-Consent"] == "6"
    assert response["X-Left-Out-Without-National-Id"] == "1"
    first = rows[0]
    course = world.courses[0]
    assert first["unit"] == "H001" and first["register"] == "hjerteinfarkt"
    assert (first["diagnosis"], first["icd10"], first["index_event"]) == ("chd", "I21", "mi")
    assert first["index_date"] == "2025-01-06"
    assert first["referral_date"] == course.referral_date.isoformat()
    assert first["offer"] == "Hjertetrening poliklinikk"
    assert first["setting"] == "hospital_outpatient" and first["format"] == "group"
    assert first["started_on"] == "2025-01-27"
    assert first["ended_on"] == course.episode.ended_on.isoformat()
    assert first["completed"] == "1"
    assert rows[1]["completed"] == "1"
    assert "Pasient" not in response.content.decode()  # no names


def test_course_5_without_consent_and_4_after_withdrawal_are_not_in_it(cast, api, world):
    rows = _csv(api(world.h.admin).get(f"{URL}hjerteinfarkt/"))
    ids = {r["national_id"] for r in rows}
    for course in (world.courses[4], world.courses[5]):
        assert course.episode.participant.national_id not in ids


def test_the_download_is_audited_with_the_courses_it_held(cast, api, world):
    api(world.h.coordinator).get(f"{URL}hjerteinfarkt/")
    entry = AuditEntry.objects.get(
        user=world.h.coordinator, action="export", object_type="rehab.rehabcourse"
    )
    assert entry.municipality_id == world.h.unit.pk
    assert entry.changes["ids"] == [str(c.pk) for c in world.courses[:4]]
    assert entry.changes["register"] == "hjerteinfarkt"


def test_the_access_log_review_finds_the_persons_of_an_extract(cast, api, world):
    from kobling.core.access_review import _ids_of

    api(world.h.coordinator).get(f"{URL}hjerteinfarkt/")
    entry = AuditEntry.objects.get(user=world.h.coordinator, action="export")
    assert _ids_of(entry.object_id, entry.changes) == [c.pk for c in world.courses[:4]]


def test_only_the_units_managers_download_it(cast, api, world):
    for user in (world.h.clinician, cast.analyst, cast.referrer_a):
        assert api(user).get(f"{URL}hjerteinfarkt/").status_code == 403
    # A municipality's coordinator manages no course of the register: an empty extract.
    assert _csv(api(cast.coordinator_a).get(f"{URL}hjerteinfarkt/")) == []
    assert api(world.h.coordinator).get(f"{URL}nosuch/").status_code == 404


def test_the_other_registers_take_other_courses(cast, api, world):
    assert _csv(api(world.h.coordinator).get(f"{URL}hjertesvikt/")) == []
    assert _csv(api(world.h.coordinator).get(f"{URL}norkar/")) == []
    failure = record_course(
        programme=world.h.programme,
        coordinator=world.h.coordinator,
        clinician=world.h.clinician,
        patient=Patient("Svikt", "Hjerte", dt.date(1955, 3, 3), "female", "HF-1"),
        diagnosis="chd",
        icd10="I50",
        index_event="heart_failure",
        index_date=dt.date(2025, 3, 3),
    )
    failure.episode.participant.national_id = synthetic_national_id(dt.date(1955, 3, 3))
    failure.episode.participant.save(update_fields=["national_id"])
    consent_record(
        referral=failure.episode.referral,
        by=world.h.coordinator,
        scope=ConsentScope.QUALITY_REGISTER,
        given_by="Svikt Hjerte",
    )
    rows = _csv(api(world.h.coordinator).get(f"{URL}hjertesvikt/"))
    assert [(r["icd10"], r["index_event"]) for r in rows] == [("I50", "heart_failure")]
    assert failure.episode.participant.national_id not in {
        r["national_id"] for r in _csv(api(world.h.coordinator).get(f"{URL}hjerteinfarkt/"))
    }


@pytest.mark.parametrize(
    ("codes", "registers"),
    [
        (("chd", "I21", "pci"), {"hjerteinfarkt"}),
        (("chd", "I25", "mi"), {"hjerteinfarkt"}),
        (("chd", "I50", "heart_failure"), {"hjertesvikt"}),
        (("chd", "I22", "heart_failure"), {"hjerteinfarkt", "hjertesvikt"}),
        (("chd", "I20", "pci"), set()),
        (("copd", "J44", "copd_exacerbation"), set()),
        (("pad", "I73", "claudication"), {"norkar"}),
        (("pad", "I70", "vascular_procedure"), {"norkar"}),
    ],
)
def test_which_register_a_course_belongs_to(codes, registers):
    diagnosis, icd10, event = codes
    found = {
        slug
        for slug, r in REGISTERS.items()
        if r.includes(diagnosis=diagnosis, icd10=icd10, index_event=event)
    }
    assert found == registers


def test_the_aggregate_extract_suppresses_small_cells_for_everyone(cast, api, world):
    response = api(cast.analyst).get(f"{URL}hjerteinfarkt/aggregate/")
    assert response.status_code == 200, response.content
    rows = {(r["unit"], r["period"]): r for r in response.json()}
    assert set(rows) == {("H001", "2025Q1"), ("H001", "2025Q2"), ("H002", "2025Q1")}
    # H2 2025Q1: 3 courses, 3 started, 1 completed: all under 5; in each column the one other
    # cell (H: 10, 8, 5) is hidden with it.
    for key in (("H001", "2025Q1"), ("H002", "2025Q1")):
        assert [rows[key][c] for c in ("courses", "started", "completed")] == ["<5"] * 3
    assert [rows[("H001", "2025Q2")][c] for c in ("courses", "started", "completed")] == [
        "<5",
        "<5",
        0,
    ]
    assert "national_id" not in response.content.decode()
    # The unit's own staff get their own rows only, suppressed the same way.
    own = api(world.h.clinician).get(f"{URL}hjerteinfarkt/aggregate/").json()
    assert {(r["unit"], r["period"]) for r in own} == {("H001", "2025Q1"), ("H001", "2025Q2")}
    assert own == [r for r in response.json() if r["unit"] == "H001"]
    assert api(cast.referrer_a).get(f"{URL}hjerteinfarkt/aggregate/").status_code == 403


def test_the_aggregate_shows_counts_of_five_and_more(cast, api, world):
    rows = api(cast.analyst).get(f"{URL}norkar/aggregate/").json()
    assert rows == []
    for i in range(6):
        record_course(
            programme=world.h.programme,
            coordinator=world.h.coordinator,
            clinician=world.h.clinician,
            patient=Patient(f"Kar{i}", "Pasient", dt.date(1950, 1, 1), "male", f"PAD-{i}"),
            diagnosis="pad",
            icd10="I73",
            index_event="claudication",
            index_date=dt.date(2025, 7, 1 + i),
        )
    (row,) = api(cast.analyst).get(f"{URL}norkar/aggregate/").json()
    assert (row["unit"], row["diagnosis"], row["period"]) == ("H001", "pad", "2025Q3")
    assert (row["courses"], row["started"], row["completed"]) == (6, 6, 0)


def test_the_pages_link_and_download_the_extracts(cast, world):
    page = signed_in(world.h.coordinator).get(reverse("web:rehab_extracts"))
    html = page.content.decode()
    assert page.status_code == 200
    assert reverse("web:rehab_person_extract", args=["norkar"]) in html
    assert reverse("web:rehab_aggregate_extract", args=["norkar"]) in html
    analyst = signed_in(cast.analyst).get(reverse("web:rehab_extracts")).content.decode()
    assert f'"{reverse("web:rehab_person_extract", args=["norkar"])}"' not in analyst
    assert reverse("web:rehab_aggregate_extract", args=["norkar"]) in analyst
    persons = signed_in(world.h.coordinator).get(
        reverse("web:rehab_person_extract", args=["hjerteinfarkt"])
    )
    assert len(_csv(persons)) == 4
    aggregate = signed_in(cast.analyst).get(
        reverse("web:rehab_aggregate_extract", args=["hjerteinfarkt"])
    )
    assert aggregate.content.decode().splitlines()[0] == ";".join(AGGREGATE_COLUMNS)
    assert AuditEntry.objects.filter(
        user=cast.analyst, action="export", object_type="rehab.aggregate_extract"
    ).exists()


def test_the_extract_reads_a_fixed_number_of_queries(
    cast, api, world, django_assert_max_num_queries
):
    with django_assert_max_num_queries(30):
        api(world.h.coordinator).get(f"{URL}hjerteinfarkt/")

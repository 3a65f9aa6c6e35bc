"""A hospital and a second hospital beside the cast's municipalities, with staff, a
rehabilitation programme, offers, courses through the real services and imported denominators.

The numbers (hand-computed in the tests), for coronary heart disease (chd):

* Hospital H, 2025Q1: eligible 20 (10 women and 10 men aged 60–69); ten courses with the index
  event in the quarter, alternately women and men: eight started (the first five completed),
  two never started → participation 8/20 = 40.0 %, completion 5/8 = 62.5 %. Women: eligible 10,
  started 4 (courses 0, 2, 4, 6), completed 3 (0, 2, 4) → 40.0 % and 75.0 %.
* Hospital H, 2025Q2: eligible 5 (women 60–69); one course, started, not completed.
* Hospital H2 (same region), 2025Q1: eligible 12 (men 70–79); three started, one completed
  → 25.0 % and 33.3 %.
* The nation, 2025Q1: eligible 32, started 11, completed 6 → 34.4 % and 54.5 %."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from kobling.rehab.flow import Patient, open_course, record_course
from kobling.rehab.services import denominators_import, offer_save
from kobling.tenancy.choices import Role
from kobling.tenancy.models import Region
from kobling.tenancy.services import programme_create
from tests import factories as f

DENOMINATORS = """unit;diagnosis;period;sex;age_band;eligible
H001;chd;2025Q1;female;60-69;10
H001;chd;2025Q1;male;60-69;10
H001;chd;2025Q2;female;60-69;5
H002;chd;2025Q1;male;70-79;12
"""


def hospital(code: str, name: str, region: Region):  # noqa: ANN201
    unit = f.MunicipalityFactory(code=code, name=name, kind="hospital")
    unit.region = region
    unit.save(update_fields=["region"])
    slug = code.lower()
    admin = f.member(f.UserFactory(username=f"admin@{slug}.test"), unit, Role.MUNICIPAL_ADMIN)
    coordinator = f.member(f.UserFactory(username=f"koord@{slug}.test"), unit, Role.COORDINATOR)
    clinician = f.member(f.UserFactory(username=f"kliniker@{slug}.test"), unit, Role.CLINICIAN)
    programme = programme_create(
        by=admin,
        municipality=unit,
        data={
            "kind": "rehabilitation",
            "name": "Hjerterehabilitering",
            "requires_qualification": False,
            "requires_police_certificate": False,
            "uses_conversations": True,
            "completion_needs_end_conversation": True,
        },
    )
    offer = offer_save(
        by=coordinator,
        municipality=unit,
        data={
            "name": "Hjertetrening poliklinikk",
            "serves_chd": True,
            "setting": "hospital_outpatient",
            "format": "group",
            "length_weeks": 12,
            "sessions_per_week": 2,
            "capacity": 16,
            "county_code": "46",
        },
    )
    return SimpleNamespace(
        unit=unit,
        admin=admin,
        coordinator=coordinator,
        clinician=clinician,
        programme=programme,
        offer=offer,
    )


def course(
    h, i: int, *, index_date: dt.date, born: dt.date, gender: str, started: bool, done: bool
):  # noqa: ANN001, ANN201, E501
    return record_course(
        programme=h.programme,
        coordinator=h.coordinator,
        clinician=h.clinician,
        patient=Patient(
            first_name=f"Pasient{i}",
            last_name=h.unit.code,
            birth_date=born,
            gender=gender,
            serial=f"{h.unit.code}-{i}",
        ),
        diagnosis="chd",
        icd10="I21",
        index_event="mi",
        index_date=index_date,
        offer=h.offer,
        start_after_days=21 if started else None,
        completed=done,
    )


def build(cast):  # noqa: ANN001, ANN201
    region = Region.objects.create(code="HV", name="Helse Vest")
    h = hospital("H001", "Haukeland sykehus", region)
    h2 = hospital("H002", "Haugesund sykehus", region)
    courses = []
    for i in range(10):
        courses.append(
            course(
                h,
                i,
                index_date=dt.date(2025, 1, 6) + dt.timedelta(days=7 * i),
                born=dt.date(1960, 6, 1),
                gender="female" if i % 2 == 0 else "male",
                started=i < 8,
                done=i < 5,
            )
        )
    courses.append(
        course(
            h,
            10,
            index_date=dt.date(2025, 4, 10),
            born=dt.date(1960, 6, 1),
            gender="female",
            started=True,
            done=False,
        )
    )
    for i in range(3):
        courses.append(
            course(
                h2,
                i,
                index_date=dt.date(2025, 2, 3) + dt.timedelta(days=7 * i),
                born=dt.date(1950, 1, 1),
                gender="male",
                started=True,
                done=i == 0,
            )
        )
    report = denominators_import(by=cast.analyst, data=DENOMINATORS.encode(), source="PAS test")
    assert report.ok, report.as_json()
    # A course of H opened by its granted referral, not yet in the register (outside the
    # figures above: only registered courses count).
    waiting = open_course(
        programme=h.programme,
        coordinator=h.coordinator,
        patient=Patient(
            first_name="Venter",
            last_name="Registrering",
            birth_date=dt.date(1958, 3, 3),
            gender="female",
            serial="H001-w",
        ),
        referred_on=dt.date(2025, 5, 2),
    )
    # Region staff of Helse Vest: aggregates of the region's units, never a person.
    region_staff = f.UserFactory(username="region@hv.test", staff_region=region)
    cast.roles.update(
        admin_h=h.admin,
        coordinator_h=h.coordinator,
        clinician_h=h.clinician,
        region_h=region_staff,
    )
    return SimpleNamespace(
        region=region, h=h, h2=h2, courses=courses, region_staff=region_staff, waiting=waiting
    )
